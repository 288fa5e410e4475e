/// A completion with a number saying how good it is (a judge's score, a reward model's reward).
public struct ScoredCompletion: Sendable, Equatable {
    /// The completion's text.
    public var text: String
    /// Its score; higher is better.
    public var score: Double

    /// A scored completion.
    public init(text: String, score: Double) {
        self.text = text
        self.score = score
    }
}

/// How pairs are chosen from scores rather than from right and wrong.
public enum ScorePairStrategy: String, Sendable, CaseIterable {
    /// Self-Rewarding LMs: the highest-scored completion against the lowest.
    case bestWorst = "best-worst"
    /// RS-DPO: every two completions whose scores differ by more than the threshold.
    case gap
}

/// What score-ranked pairing makes of one problem.
public enum ScoredProblemPairs: Sendable, Equatable {
    /// Fewer than two distinct scored completions: nothing to compare, skipped.
    case tooFew
    /// No two completions' scores differ by more than the threshold, skipped.
    case noGap
    /// The (chosen, rejected) pairs.
    case pairs([ScoredPair])
}

/// A chosen completion and a rejected one.
public struct ScoredPair: Sendable, Equatable {
    /// The better-scored completion.
    public var chosen: ScoredCompletion
    /// The worse-scored completion.
    public var rejected: ScoredCompletion

    /// A pair.
    public init(chosen: ScoredCompletion, rejected: ScoredCompletion) {
        self.chosen = chosen
        self.rejected = rejected
    }

    /// How much better the chosen completion scored.
    public var gap: Double { chosen.score - rejected.score }
}

/// Preference pairs of one problem from its completions' scores.
public enum ScoredPairs {
    /// The pairs of one problem. Identical completions count once (the first one's score). A
    /// pair is kept only when its gap exceeds `minGap`, so with the default 0 equal scores never
    /// pair. best-worst: the first of the highest-scored completions against the first of the
    /// lowest. gap: every pair whose gap exceeds `minGap`; when more than `maxPairs` do, a
    /// shuffle seeded from `seed` and the problem's key picks `maxPairs` of them.
    public static func forProblem(_ samples: [ScoredCompletion], strategy: ScorePairStrategy, minGap: Double,
                                  maxPairs: Int, seed: UInt64, problemKey: String) -> ScoredProblemPairs {
        var distinct: [ScoredCompletion] = [], seen = Set<String>()
        for s in samples where seen.insert(s.text).inserted { distinct.append(s) }
        guard distinct.count >= 2 else { return .tooFew }
        switch strategy {
        case .bestWorst:
            var best = distinct[0], worst = distinct[0]
            for s in distinct.dropFirst() {
                if s.score > best.score { best = s }
                if s.score < worst.score { worst = s }
            }
            let pair = ScoredPair(chosen: best, rejected: worst)
            return pair.gap > minGap ? .pairs([pair]) : .noGap
        case .gap:
            var pairs: [ScoredPair] = []
            for c in distinct {
                for r in distinct where c.score - r.score > minGap { pairs.append(ScoredPair(chosen: c, rejected: r)) }
            }
            if pairs.isEmpty { return .noGap }
            if pairs.count > maxPairs {
                var rng = SplitMix64(seed: seed, keys: stableHash(problemKey))
                pairs = Array(rng.shuffled(pairs).prefix(maxPairs))
            }
            return .pairs(pairs)
        }
    }
}
