import Foundation
import Testing
import IRPOCore

/// The judge's prompt and the reading of its score (Self-Rewarding LMs, Yuan et al. 2024).
@Suite struct JudgeTests {
    /// What judges write, and the score read from it.
    static let table: [(text: String, reading: JudgeScore)] = [
        ("The response is relevant and answers the question.\nScore: 4", .score(4)),
        ("Score: 3", .score(3)),
        ("score:5", .score(5)),
        ("SCORE:  0\n", .score(0)),
        ("Total score: 2.5 points.", .score(2.5)),
        ("Score: 4.", .score(4)),                               // a full stop, not a fraction
        ("Score: 4/5", .score(4)),
        ("Score: 4 / 5 points", .score(4)),
        ("**Score:** 3", .score(3)),
        ("Score: **2**", .score(2)),
        ("Score: 8/10", .outOfRange(8)),                        // a total other than 5
        ("Score: 7", .outOfRange(7)),
        ("Score: -1", .outOfRange(-1)),
        ("Score: 5.5", .outOfRange(5.5)),
        ("", .missing),
        ("The response is fine. I would give it four points.", .missing),
        ("Score: <total points>", .missing),
        ("Score:", .missing),
        ("Scores: 4", .missing),
        // Several: the last that has a number, as the judge is asked to conclude with it.
        ("Score: 2 at first, but on reflection\nScore: 3", .score(3)),
        ("Score: 4\nConclude with the score using the format: \u{201C}Score: <total points>\u{201D}", .score(4)),
        ("Score: 4\nScore: 9", .outOfRange(9)),                 // an earlier score does not stand in
    ]

    @Test(arguments: table.indices) func readsTheScore(_ i: Int) {
        let (text, reading) = Self.table[i]
        #expect(JudgeScore.read(text) == reading, "\(text.debugDescription)")
    }

    @Test func averagesTheJudgementsThatHaveAScore() {
        #expect(JudgeScore.mean([.score(4), .missing, .score(3), .outOfRange(9)]) == 3.5)
        #expect(JudgeScore.mean([.missing, .outOfRange(7)]) == nil)
        #expect(JudgeScore.mean([]) == nil)
        #expect(JudgeScore.json(4) == JSONValue(4) && JudgeScore.json(3.5) == JSONValue(3.5))
    }

    @Test func talliesRecordsAndJudgements() {
        var t = JudgeTally()
        t.add([.score(4), .missing], score: 4)
        t.add([.missing, .outOfRange(7)], score: nil)
        t.add([.score(2), .score(3)], score: 2.5)
        #expect(t.records == 3 && t.scored == 2 && t.judgements == 6 && t.missing == 2 && t.outOfRange == 1)
        #expect(t.summary == "3 records, 2 scored (mean 3.25), 1 without a score; 6 judgements, 2 with no score, 1 out of range")
    }

    @Test func fillsThePlaceholdersOnce() throws {
        let p = try JudgePrompt(text: "Q: {question}\nA: {completion}\nQ again: {question}\n")
        #expect(p.prompt(question: "What is {completion}?", completion: "{question} 7")
                == "Q: What is {completion}?\nA: {question} 7\nQ again: What is {completion}?\n")
        let paper = JudgePrompt.selfRewarding.prompt(question: "What is 2 plus 3?", completion: "5")
        #expect(paper.contains("\nUser: What is 2 plus 3?\n<response>5</response>\nAfter examining"))
        #expect(!paper.contains("{question}") && !paper.contains("{completion}") && paper.hasSuffix("criteria.\n"))
    }

    @Test func refusesTemplatesWithoutBothPlaceholders() {
        #expect(throws: JudgePromptError.missingPlaceholder("{completion}")) { try JudgePrompt(text: "Rate {question}") }
        #expect(throws: JudgePromptError.missingPlaceholder("{question}")) { try JudgePrompt(text: "Rate {completion}") }
        #expect(throws: JudgePromptError.unreadable("/nonexistent/judge.txt")) { try JudgePrompt.load("/nonexistent/judge.txt") }
    }
}
