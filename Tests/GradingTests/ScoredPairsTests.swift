import Testing
import IRPOCore

/// Pairs ranked by score: best-worst (Self-Rewarding LMs) and gap (RS-DPO).
@Suite struct ScoredPairsTests {
    func s(_ text: String, _ score: Double) -> ScoredCompletion { ScoredCompletion(text: text, score: score) }

    func pairs(_ samples: [ScoredCompletion], _ strategy: ScorePairStrategy, minGap: Double = 0,
               maxPairs: Int = 100) -> ScoredProblemPairs {
        ScoredPairs.forProblem(samples, strategy: strategy, minGap: minGap, maxPairs: maxPairs, seed: 1, problemKey: "7")
    }

    @Test func bestWorstTakesTheFirstHighestAgainstTheFirstLowest() {
        let samples = [s("b", 3), s("a", 5), s("c", 1), s("d", 5), s("e", 1)]
        #expect(pairs(samples, .bestWorst) == .pairs([ScoredPair(chosen: s("a", 5), rejected: s("c", 1))]))
    }

    @Test func bestWorstSkipsTiesAndSmallGaps() {
        #expect(pairs([s("a", 4), s("b", 4)], .bestWorst) == .noGap)
        #expect(pairs([s("a", 4), s("b", 3.5)], .bestWorst, minGap: 0.5) == .noGap)  // the gap must exceed it
        #expect(pairs([s("a", 4), s("b", 3.25)], .bestWorst, minGap: 0.5) == .pairs([ScoredPair(chosen: s("a", 4), rejected: s("b", 3.25))]))
    }

    @Test func identicalCompletionsCountOnce() {
        #expect(pairs([s("a", 4), s("a", 1)], .bestWorst) == .tooFew)  // the first one's score
        #expect(pairs([s("a", 4)], .gap) == .tooFew)
        #expect(pairs([], .bestWorst) == .tooFew)
    }

    @Test func gapTakesEveryPairFurtherApartThanTheThreshold() {
        let samples = [s("a", 1), s("b", 4), s("c", 2.5), s("d", 4)]
        guard case let .pairs(all) = pairs(samples, .gap) else { Issue.record("expected pairs"); return }
        // Every ordered pair with a positive gap: b>a, b>c, c>a, d>a, d>c; b and d tie.
        #expect(Set(all.map { $0.chosen.text + $0.rejected.text }) == ["ba", "bc", "ca", "da", "dc"])
        #expect(all.allSatisfy { $0.gap > 0 })
        guard case let .pairs(wide) = pairs(samples, .gap, minGap: 1.5) else { Issue.record("expected pairs"); return }
        #expect(Set(wide.map { $0.chosen.text + $0.rejected.text }) == ["ba", "da"])
        #expect(pairs(samples, .gap, minGap: 3) == .noGap)
    }

    @Test func gapPicksMaxPairsBySeededShuffle() {
        let samples = (0..<8).map { s("t\($0)", Double($0)) }
        guard case let .pairs(some) = pairs(samples, .gap, maxPairs: 5),
              case let .pairs(again) = pairs(samples, .gap, maxPairs: 5),
              case let .pairs(all) = pairs(samples, .gap) else { Issue.record("expected pairs"); return }
        #expect(all.count == 28 && some.count == 5 && some == again)
        #expect(some.allSatisfy { all.contains($0) } && Set(some.map { $0.chosen.text + $0.rejected.text }).count == 5)
        let other = ScoredPairs.forProblem(samples, strategy: .gap, minGap: 0, maxPairs: 5, seed: 2, problemKey: "7")
        #expect(other != .pairs(some))
    }
}
