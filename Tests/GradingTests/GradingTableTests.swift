import Testing
import IRPOCore

/// Tricky cases per task, each with the expected prediction and verdict.
@Suite struct GradingTableTests {
    struct Case: CustomStringConvertible, Sendable {
        var completion: String
        var gold: String
        var pred: String?
        var correct: Bool
        var description: String { "\(completion.debugDescription) vs \(gold.debugDescription)" }
        init(_ completion: String, _ gold: String, _ pred: String?, _ correct: Bool) {
            self.completion = completion
            self.gold = gold
            self.pred = pred
            self.correct = correct
        }
    }

    static let gsm8k: [Case] = [
        Case("So she earns 18 dollars.\nFinal answer: 18", "#### 18", "18", true),
        Case("Final answer: $18.00.", "#### 18", "18", true),
        Case("Final answer: 18.0 dollars", "#### 18", "18", true),
        Case("Final Answer: 1,234 apples", "#### 1,234", "1234", true),
        Case("final answer: 1,234,567.5", "1234567.5", "1234567.5", true),
        Case("Final answer: 50%", "#### 50", "50", true),
        Case("Final answer: -5", "#### -5", "-5", true),
        Case("Final answer: -$5", "#### -5", "-5", true),
        Case("Final answer: $-5", "#### -5", "-5", true),
        Case("Final answer: 3/4", "0.75", "0.75", true),
        Case("Final answer: .5", "1/2", "0.5", true),
        Case("Final answer: 12-5", "#### 12", "12", true),
        Case("Final answer: 17", "#### 18", "17", false),
        Case("Final answer: 18\nThe final answer seems right.", "#### 18", "18", true),
        Case("The answer is 7. Final answer: 8", "#### 7", "8", false),
        Case("the final answer is 15 gallons * 8 = 120 pints\n#### 120", "#### 120", "120", true),
        Case("blah #### 42", "#### 42", "42", true),
        Case("Thus the answer is 42 cookies.", "#### 42", "42", true),
        Case("No marker here, only 42", "#### 42", nil, false),
        Case("Final answer: unknown", "#### 3", nil, false),
        Case("Final answer: 2 x 3 = 6", "#### 6", "2", false),
        Case("Final answer: 1,00", "#### 100", "1", false),
        Case("Final answer: 18.", "18", "18", true),
        Case("Final answer: 0.333", "#### 1/3", "0.333", false),
        Case("Final answer: −7", "#### -7", "-7", true),
        Case("Final answer: 10", "10", "10", true),
        Case("Final answer: 5", "$5.00", "5", true),
    ]

    @Test(arguments: gsm8k) func gsm8kCases(_ c: Case) throws {
        let g = try Grader(task: .gsm8k).grade(completion: c.completion, gold: c.gold)
        #expect(g.pred == c.pred)
        #expect(g.correct == c.correct)
    }

    @Test func gsm8kFlexibleTakesTheLastNumberOnlyWithoutAMarker() throws {
        let g = try Grader(task: .gsm8k, flexible: true)
        #expect(g.prediction(from: "3 + 4 = 7 apples.") == "7")
        #expect(g.prediction(from: "none") == nil)
        #expect(try Grader(task: .gsm8k).prediction(from: "3 + 4 = 7") == nil)
        // A marked answer followed by more numbers: the marker decides, with or without --flexible.
        let marked: [(String, String)] = [
            ("Final answer: 40. So 24 clips were sold.", "40"),
            ("Final answer: 5, checked with 6", "5"),
            ("The total is 12.\nFinal answer: $1,250 (that is 1250 dollars, 3 more than 1247)", "1250"),
            ("#### 18\nThen 20 more.", "18"),
            ("The answer is 7 apples and 2 pears.", "7"),
            ("Final answer: -3 degrees, up from -8", "-3"),
            ("final answer: 3/4 of the 12 slices", "0.75"),
            ("Final answer:\n9 * 2 = 18", "9"),
        ]
        for (completion, expected) in marked {
            #expect(g.prediction(from: completion) == expected, "flexible: \(completion)")
            #expect(try Grader(task: .gsm8k).prediction(from: completion) == expected, "strict: \(completion)")
        }
    }

    /// A grade says whether only the fallback found its answer, and the tally counts it.
    @Test func gradesMarkWhatTheFallbackDecided() throws {
        let flexible = try Grader(task: .gsm8k, flexible: true)
        let marked = try flexible.grade(completion: "Final answer: 40. So 24 clips were sold.", gold: "#### 40")
        #expect(marked == Grade(pred: "40", gold: "40", correct: true, byFallback: false))
        let loose = try flexible.grade(completion: "So 24 clips were sold.", gold: "#### 24")
        #expect(loose == Grade(pred: "24", gold: "24", correct: true, byFallback: true))
        let strict = try Grader(task: .gsm8k).grade(completion: "So 24 clips were sold.", gold: "#### 24")
        #expect(strict == Grade(pred: nil, gold: "24", correct: false, byFallback: false))
        let arc = try Grader(task: .arc, flexible: true).grade(completion: "Surely (C).", gold: "C")
        #expect(arc.byFallback && arc.correct)
        var tally = GradeTally()
        for g in [marked, loose, strict, arc] { tally.add(g) }
        #expect(tally == {
            var t = GradeTally()
            (t.records, t.correct, t.noAnswer, t.byFallback, t.correctByFallback) = (4, 3, 1, 2, 2)
            return t
        }())
        #expect(tally.summary == "4 records, 3 correct (75.0%), 1 no answer found, "
            + "2 found only by the fallback (2 of them correct)")
    }

    @Test func gsm8kGoldWithoutMarkerMustHoldOneNumber() throws {
        let g = try Grader(task: .gsm8k)
        #expect(g.goldAnswer(from: "72") == "72")
        #expect(g.goldAnswer(from: "$1,000") == "1000")
        #expect(g.goldAnswer(from: "3 and 4") == nil)
        #expect(throws: GradingError.self) { try g.grade(completion: "Final answer: 1", gold: "none") }
    }

    static let math: [Case] = [
        Case("so $\\boxed{\\frac{1}{2}}$.", "\\boxed{\\frac12}", "\\frac{1}{2}", true),
        Case("\\boxed{\\dfrac{1}{2}}", "The answer is $\\boxed{0.5}$", "\\frac{1}{2}", true),
        Case("\\boxed{1/2}", "\\boxed{\\tfrac{1}{2}}", "\\frac{1}{2}", true),
        Case("\\boxed{\\left( 3, 4 \\right)}", "\\boxed{(3,4)}", "(3,4)", true),
        Case("\\boxed{90^\\circ}", "\\boxed{90}", "90", true),
        Case("\\boxed{\\$18.50}", "\\boxed{18.50}", "18.50", true),
        Case("\\boxed{50\\%}", "\\boxed{50}", "50", true),
        Case("\\boxed{5 \\text{ cm}}", "\\boxed{5}", "5", true),
        Case("\\boxed{x = 5}", "\\boxed{5}", "5", true),
        Case("\\boxed{\\sqrt3}", "\\boxed{\\sqrt{3}}", "\\sqrt{3}", true),
        Case("\\boxed{10,\\!000}", "\\boxed{10000}", "10,000", true),
        Case("\\boxed{\\frac{a}{b^{2}}}", "\\boxed{\\frac{a}{b^2}}", "\\frac{a}{b^{2}}", false),
        Case("first \\boxed{3} then \\boxed{\\{1, 2\\}}", "\\boxed{\\{1,2\\}}", "\\{1,2\\}", true),
        Case("Final answer: $\\frac{3}{4}$.", "\\boxed{\\frac34}", "\\frac{3}{4}", true),
        Case("\\boxed{3}", "\\boxed{4}", "3", false),
        Case("no answer", "\\boxed{4}", nil, false),
        Case("\\boxed{\\frac{1}{2}", "\\boxed{4}", nil, false),
        Case("\\boxed{2.50}", "2.5", "2.50", true),
        Case("\\boxed{\\text{(B)}}", "\\boxed{(B)}", "(B)", true),
        Case("\\boxed 7$", "\\boxed{7}", "7", true),
    ]

    @Test(arguments: math) func mathCases(_ c: Case) throws {
        let g = try Grader(task: .math).grade(completion: c.completion, gold: c.gold)
        #expect(g.pred == c.pred)
        #expect(g.correct == c.correct)
    }

    @Test func mathNormalisationSteps() {
        #expect(MathAnswer.normalize("\\frac12") == "\\frac{1}{2}")
        #expect(MathAnswer.normalize("\\frac1{72}") == "\\frac{1}{72}")
        #expect(MathAnswer.normalize("0.5") == "\\frac{1}{2}")
        #expect(MathAnswer.normalize(".5") == "\\frac{1}{2}")
        #expect(MathAnswer.normalize("k = 3") == "3")
        #expect(MathAnswer.normalize("x+y = 3") == "x+y=3")
        #expect(MathAnswer.normalize("3/4") == "\\frac{3}{4}")
        #expect(MathAnswer.normalize("\\left[ 1, 2 \\right]") == "[1,2]")
    }

    static let arc: [Case] = [
        Case("Final answer: B", "B", "B", true),
        Case("Final answer: (C)", "C", "C", true),
        Case("Final answer: (c)", "C", "C", true),
        Case("Final answer: d) the sun", "D", "D", true),
        Case("Final answer: A. Photosynthesis", "A", "A", true),
        Case("**Final answer:** B", "B", "B", true),
        Case("Final answer: 2", "B", "B", true),
        Case("Final answer: (B)", "2", "B", true),
        Case("Final answer: The correct option is (D)", "D", "D", true),
        Case("Final answer: A plant needs (B)", "B", "B", true),
        Case("Final answer:\n(E)", "E", "E", true),
        Case("Final answer: B", "C", "B", false),
        Case("I think (B) is right.", "B", nil, false),
        Case("Final answer: a plant", "A", nil, false),
        Case("Final answer: (F)", "A", nil, false),
    ]

    @Test(arguments: arc) func arcCases(_ c: Case) throws {
        let g = try Grader(task: .arc).grade(completion: c.completion, gold: c.gold)
        #expect(g.pred == c.pred)
        #expect(g.correct == c.correct)
    }

    @Test func arcFlexible() throws {
        #expect(try Grader(task: .arc, flexible: true).prediction(from: "I think (B) is right, not (C).") == "C")
    }

    @Test func regexCases() throws {
        let g = try Grader(task: .regex, pattern: "ANSWER: *(\\w+)")
        #expect(try g.grade(completion: "ANSWER: x\nANSWER:  yes ", gold: "yes") == Grade(pred: "yes", gold: "yes", correct: true))
        #expect(try g.grade(completion: "ANSWER: no", gold: "ANSWER: yes") == Grade(pred: "no", gold: "yes", correct: false))
        #expect(try g.grade(completion: "nothing", gold: " yes ") == Grade(pred: nil, gold: "yes", correct: false))
        #expect(try g.grade(completion: "ANSWER: Yes", gold: "yes").correct == false)
        #expect(throws: GradingError.self) { try Grader(task: .regex, pattern: "no group") }
        #expect(throws: GradingError.self) { try Grader(task: .regex, pattern: "(a)(b)") }
        #expect(throws: GradingError.self) { try Grader(task: .regex, pattern: "(unclosed") }
    }
}
