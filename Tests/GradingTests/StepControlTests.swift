import IRPOCore
import Testing

/// Step-controlled negatives: where solutions are cut, the records that continue them, and which
/// wrong continuations are paired with their solutions.
@Suite struct StepControlTests {
    @Test func linesKeepTheirBreaksAndJoinBack() {
        for text in ["a\nb\n#### 3", "a\n\nb\n", "one line", "", "\n"] {
            #expect(SolutionSteps.lines(text).joined() == text)
        }
        #expect(SolutionSteps.lines("a\nb\n#### 3") == ["a\n", "b\n", "#### 3"])
        #expect(SolutionSteps.lines("a\n\nb\n") == ["a\n", "\n", "b\n"])
        #expect(SolutionSteps.lines("").isEmpty)
    }

    @Test func cutsLeaveALineToContinue() {
        #expect(StepControl.cuts(lines: 4, choice: .all, seed: 0, problemKey: "1", text: "") == [1, 2, 3])
        #expect(StepControl.cuts(lines: 1, choice: .all, seed: 0, problemKey: "1", text: "").isEmpty)
        #expect(StepControl.cuts(lines: 3, choice: .listed([1, 3, 5]), seed: 0, problemKey: "1", text: "") == [1])
        // A random cut is one k in 1..<lines, the same for the same seed, problem and text.
        var seen = Set<Int>()
        for seed in 0..<40 as Range<UInt64> {
            let k = StepControl.cuts(lines: 5, choice: .random, seed: seed, problemKey: "7", text: "s")
            #expect(k.count == 1 && (1..<5).contains(k[0]))
            #expect(k == StepControl.cuts(lines: 5, choice: .random, seed: seed, problemKey: "7", text: "s"))
            seen.formUnion(k)
        }
        #expect(seen == [1, 2, 3, 4])
    }

    @Test func prefixRecordsCarryTheProblemAndTheCut() throws {
        let graded = try JSONRecord(parsing: #"{"id":3,"question":"Q","answer":"= 5","prompt":"P","completion":"x","sample":2,"model":"m","tokens":4,"logprob":-1.5,"finish":"stop","pred":"5","gold":"5","correct":true,"extra":[1]}"#)
        let records = StepControl.prefixRecords(problem: graded, source: "a\nb\n= 5", sourcePred: .string("5"), ks: [1, 2])
        #expect(records.map(\.jsonText) == [
            #"{"id":3,"question":"Q","answer":"= 5","prompt":"P","extra":[1],"prefix":"a\n","steps":1,"source":"a\nb\n= 5","source_pred":"5"}"#,
            #"{"id":3,"question":"Q","answer":"= 5","prompt":"P","extra":[1],"prefix":"a\nb\n","steps":2,"source":"a\nb\n= 5","source_pred":"5"}"#,
        ])
    }

    static func item(_ source: String, _ text: String, correct: Bool = false) -> GradedContinuation<String> {
        GradedContinuation(source: source, sourcePred: "s", steps: 1, continuation: GradedCompletion(text: text, pred: text, correct: correct))
    }

    @Test func pairsTakeDistinctWrongContinuationsSpreadOverSolutions() {
        let items = [Self.item("A", "a1"), Self.item("A", "a2"), Self.item("A", "a1"), Self.item("A", "a3"),
                     Self.item("B", "b1"), Self.item("B", "ok", correct: true), Self.item("C", "ok", correct: true)]
        let all = StepControl.pairs(items, maxPairs: 10, seed: 1, problemKey: "p")
        #expect(all.count == 4)
        #expect(Set(all.map { $0.source + $0.continuation.text }) == ["Aa1", "Aa2", "Aa3", "Bb1"])
        // Two pairs: one from each solution with a wrong continuation, whatever the shuffle.
        for seed in 0..<8 as Range<UInt64> {
            let two = StepControl.pairs(items, maxPairs: 2, seed: seed, problemKey: "p")
            #expect(Set(two.map(\.source)) == ["A", "B"])
            #expect(two.map(\.continuation.text) == StepControl.pairs(items, maxPairs: 2, seed: seed, problemKey: "p").map(\.continuation.text))
        }
        #expect(StepControl.pairs([Self.item("A", "ok", correct: true)], maxPairs: 4, seed: 0, problemKey: "p").isEmpty)
    }
}
