import Testing
import IRPOCore

/// The paper's pair selection, and the eval metrics against values worked out by hand.
@Suite struct PairingAndMetricsTests {
    @Test func walksTogetherWrappingTheShorterList() {
        let pairs = PreferencePairs.select(winners: ["w1", "w2"], losers: ["l1", "l2", "l3", "l4", "l5"],
                                           maxPairs: 10, seed: 1, problemKey: "7")
        #expect(pairs.count == 5)  // max(2, 5) pairs, fewer than K
        #expect(Set(pairs.map(\.1)) == ["l1", "l2", "l3", "l4", "l5"])  // every loser once
        #expect(pairs.filter { $0.0 == "w1" }.count >= 2 && pairs.filter { $0.0 == "w2" }.count >= 2)
        // The winners alternate: the shorter list wraps around.
        #expect(pairs[0].0 == pairs[2].0 && pairs[2].0 == pairs[4].0 && pairs[0].0 != pairs[1].0)
    }

    @Test func stepLevelPairsMoveTheSharedLinesIntoThePrompt() {
        let cut = PreferencePairs.cutAtFirstDifferentLine(prompt: "Q\nA:\n", chosen: "3 * 7 = 21\n12 + 21 = 33\n#### 33",
                                                          rejected: "3 * 7 = 21\n12 + 21 = 34\n#### 34")
        #expect(cut.prompt == "Q\nA:\n3 * 7 = 21\n")
        #expect(cut.chosen == "12 + 21 = 33\n#### 33" && cut.rejected == "12 + 21 = 34\n#### 34" && cut.sharedLines == 1)
        // A line is shared only with its line break: "b" at the end differs from "b\n".
        let end = PreferencePairs.cutAtFirstDifferentLine(prompt: "", chosen: "a\nb", rejected: "a\nb\nc")
        #expect(end.prompt == "a\n" && end.chosen == "b" && end.rejected == "b\nc" && end.sharedLines == 1)
        // Different from the first line: nothing moves.
        let none = PreferencePairs.cutAtFirstDifferentLine(prompt: "P", chosen: "x\n", rejected: "y\n")
        #expect(none.prompt == "P" && none.chosen == "x\n" && none.rejected == "y\n" && none.sharedLines == 0)
    }

    /// The rule whole: duplicates count once, the gold joins the winners unless a winner says the
    /// same, and problems with no loser or no winner are skipped.
    @Test func theRuleForOneProblem() {
        func g(_ t: String, _ ok: Bool) -> GradedCompletion<String> { GradedCompletion(text: t, pred: t, correct: ok) }
        let dup = [g("a", true), g("a", true), g("x", false), g("x", false), g("y", false)]
        guard case let .pairs(p) = PreferencePairs.forProblem(dup, gold: nil, maxPairs: 10, seed: 1, problemKey: "k") else {
            Issue.record("expected pairs"); return
        }
        #expect(p.count == 2 && Set(p.map(\.1.text)) == ["x", "y"] && p.allSatisfy { $0.0.text == "a" })
        let gold = g("gold", true)
        guard case let .pairs(q) = PreferencePairs.forProblem([g("x", false)], gold: gold, maxPairs: 10, seed: 1, problemKey: "k") else {
            Issue.record("the gold should have made a pair"); return
        }
        #expect(q.count == 1 && q[0].0.text == "gold")
        guard case let .pairs(r) = PreferencePairs.forProblem([g("gold", true), g("x", false)], gold: gold, maxPairs: 10,
                                                             seed: 1, problemKey: "k") else { Issue.record("pairs"); return }
        #expect(r.count == 1)  // the gold said what a winner said: once
        if case .allRight = PreferencePairs.forProblem([g("a", true)], gold: nil, maxPairs: 3, seed: 1, problemKey: "k") {} else {
            Issue.record("all right")
        }
        if case .allWrong = PreferencePairs.forProblem([g("x", false)], gold: nil, maxPairs: 3, seed: 1, problemKey: "k") {} else {
            Issue.record("all wrong")
        }
    }

    @Test func capsAtKAndSkipsEmptySides() {
        let w = (0..<30).map { "w\($0)" }, l = (0..<20).map { "l\($0)" }
        let pairs = PreferencePairs.select(winners: w, losers: l, maxPairs: 10, seed: 0, problemKey: "x")
        #expect(pairs.count == 10)
        #expect(Set(pairs.map(\.0)).count == 10 && Set(pairs.map(\.1)).count == 10)
        #expect(PreferencePairs.select(winners: [String](), losers: ["l"], maxPairs: 10, seed: 0, problemKey: "x").isEmpty)
        #expect(PreferencePairs.select(winners: ["w"], losers: [String](), maxPairs: 10, seed: 0, problemKey: "x").isEmpty)
    }

    @Test func sameSeedAndIdSameOrderOtherwiseNot() {
        let w = (0..<8).map { "w\($0)" }, l = (0..<8).map { "l\($0)" }
        func run(_ seed: UInt64, _ key: String) -> [String] {
            PreferencePairs.select(winners: w, losers: l, maxPairs: 8, seed: seed, problemKey: key).map { $0.0 + $0.1 }
        }
        #expect(run(5, "a") == run(5, "a"))
        #expect(run(5, "a") != run(6, "a"))
        #expect(run(5, "a") != run(5, "b"))
        // Pinned bytes: a change here changes every pairs file ever written with this seed.
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func passAtKByHand() throws {
        // 1 - C(n-c, k) / C(n, k)
        #expect(abs(try #require(EvalMetrics.passAtK(n: 5, c: 2, k: 1)) - 0.4) < 1e-12)          // 1 - 3/5
        #expect(abs(try #require(EvalMetrics.passAtK(n: 5, c: 2, k: 2)) - 0.7) < 1e-12)          // 1 - 3/10
        #expect(abs(try #require(EvalMetrics.passAtK(n: 10, c: 3, k: 5)) - (1 - 21.0 / 252)) < 1e-12)
        #expect(abs(try #require(EvalMetrics.passAtK(n: 32, c: 1, k: 8)) - 0.25) < 1e-12)        // k/n when c = 1
        #expect(EvalMetrics.passAtK(n: 4, c: 1, k: 4) == 1)
        #expect(EvalMetrics.passAtK(n: 4, c: 0, k: 2) == 0)
        #expect(EvalMetrics.passAtK(n: 3, c: 3, k: 1) == 1)
        #expect(EvalMetrics.passAtK(n: 3, c: 1, k: 4) == nil)
        // Large n: no overflow, and the product form agrees with logs of binomials.
        let v = try #require(EvalMetrics.passAtK(n: 1000, c: 10, k: 100))
        #expect(abs(v - 0.6535) < 0.001)
    }

    @Test func majorityVoteRules() {
        #expect(EvalMetrics.majorityVote(["1", "2", "2", "1"]) == 0)      // tie: first seen wins
        #expect(EvalMetrics.majorityVote(["1", "2", "2"]) == 1)
        #expect(EvalMetrics.majorityVote([nil, nil, "3"]) == 2)            // missing never wins
        #expect(EvalMetrics.majorityVote([nil, nil]) == nil)
        #expect(EvalMetrics.majorityVote([]) == nil)
    }

    @Test func summaryOverProblems() {
        var acc = EvalAccumulator(ks: [1, 3, 4])
        // Problem a: 3 samples, answers 5 (right), 6, 6 -> maj@3 wrong; problem b: 3 samples all right.
        acc.add(problem: "a", pred: "5", correct: true, finish: "stop", tokens: 10)
        acc.add(problem: "a", pred: "6", correct: false, finish: "length", tokens: 20)
        acc.add(problem: "b", pred: "1", correct: true, finish: nil, tokens: nil)
        acc.add(problem: "a", pred: "6", correct: false, finish: "stop", tokens: 30)
        acc.add(problem: "b", pred: nil, correct: false, finish: nil, tokens: nil)
        acc.add(problem: "b", pred: "1", correct: true, finish: nil, tokens: nil)
        let s = acc.summary
        #expect(s.problems == 2 && s.samples == 6)
        #expect(s.accuracy == 0.5)
        #expect(s.perK[0].problems == 2 && s.perK[0].majority == 1.0)
        #expect(abs(s.perK[0].pass! - 0.5) < 1e-12)  // (1/3 + 2/3) / 2
        #expect(s.perK[1].majority == 0.5)   // a votes 6 (wrong), b votes 1 (right)
        #expect(s.perK[2] == EvalSummary.AtK(k: 4, problems: 0, majority: nil, pass: nil))
        #expect(abs(s.missingRate! - 1.0 / 6) < 1e-12)
        #expect(abs(s.truncationRate! - 1.0 / 3) < 1e-12)
        #expect(s.meanTokens == 20)
        // Standard errors over the two problems, from the per-problem scores worked out above.
        #expect(s.problemsWithSeveralSamples == 2)
        #expect(abs(s.accuracySE! - 1.0 / 6) < 1e-12)      // sd(1/3, 2/3) / sqrt 2
        #expect(s.perK[0].majoritySE == 0)                  // both votes right
        #expect(abs(s.perK[0].passSE! - 1.0 / 6) < 1e-12)   // sd(1/3, 2/3) / sqrt 2
        #expect(abs(s.perK[1].majoritySE! - 0.5) < 1e-12)   // sd(0, 1) / sqrt 2
        #expect(s.perK[1].passSE == 0)                      // pass@3 is 1 for both
        #expect(s.perK[2].majoritySE == nil && s.perK[2].passSE == nil)
    }

    @Test func standardErrorOfAMean() {
        var m = RunningMean()
        #expect(m.mean == nil && m.standardError == nil)
        m.add(1)
        #expect(m.mean == 1 && m.standardError == 0)       // one value: no spread to measure
        for x in [0.0, 1, 1] { m.add(x) }
        // mean 3/4, sample variance (3 * 1/16 + 9/16) / 3 = 1/4, SE = 1/2 / sqrt 4
        #expect(m.mean == 0.75 && abs(m.standardError! - 0.25) < 1e-15)
        // Many equal values far from zero: Welford's update keeps the spread at exactly 0.
        var flat = RunningMean()
        for _ in 0..<1000 { flat.add(0.1) }
        #expect(flat.standardError == 0)
    }

    @Test func pooledAccuracyStandardError() {
        typealias P = (n: Int, c: Int)
        #expect(EvalMetrics.pooledAccuracyStandardError([P]()) == nil)
        #expect(EvalMetrics.pooledAccuracyStandardError([(n: 4, c: 1)] as [P]) == 0)
        // Equal samples per problem: the SE of the mean of per-problem accuracies, sd / sqrt P.
        let equal: [P] = [(4, 1), (4, 4), (4, 0), (4, 2)]
        var perProblem = RunningMean()
        for p in equal { perProblem.add(Double(p.c) / Double(p.n)) }
        #expect(abs(EvalMetrics.pooledAccuracyStandardError(equal)! - perProblem.standardError!) < 1e-15)
        // Unequal: accuracy 4/8, residuals c - n/2 = 0, 1, -1, so sqrt(3/2 * 2) / 8.
        let unequal: [P] = [(2, 1), (2, 2), (4, 1)]
        #expect(abs(EvalMetrics.pooledAccuracyStandardError(unequal)! - 3.0.squareRoot() / 8) < 1e-15)
    }

    @Test func greedyFileShapeIsCounted() {
        var acc = EvalAccumulator(ks: [1])
        for (key, ok) in [("a", true), ("b", false), ("a", true), ("c", true), ("c", false)] {
            acc.add(problem: key, pred: "1", correct: ok, finish: nil, tokens: nil)
        }
        #expect(acc.summary.problemsWithSeveralSamples == 2)   // a and c; b has one sample
    }
}
