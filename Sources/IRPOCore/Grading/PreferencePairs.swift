/// A graded completion as pairing sees it: its text, its extracted answer, whether it is right.
public struct GradedCompletion<Answer> {
    /// The completion's text.
    public var text: String
    /// The extracted answer, carried into the pair (chosen_pred, rejected_pred).
    public var pred: Answer
    /// Whether the answer is correct.
    public var correct: Bool

    /// A graded completion.
    public init(text: String, pred: Answer, correct: Bool) {
        self.text = text
        self.pred = pred
        self.correct = correct
    }
}

/// What pairing makes of one problem.
public enum ProblemPairs<Answer> {
    /// Every completion was right: no loser, skipped.
    case allRight
    /// Every completion was wrong (and no gold solution joined): no winner, skipped.
    case allWrong
    /// The (winner, loser) pairs.
    case pairs([(GradedCompletion<Answer>, GradedCompletion<Answer>)])
}

/// The paper's choice of preference pairs for one problem.
public enum PreferencePairs {
    /// The paper's rule, whole: identical completions count once, a gold solution (when given)
    /// joins the winners unless a winner already says the same, a problem with no loser or no
    /// winner is skipped, and the pairs are chosen by `select`.
    public static func forProblem<Answer>(_ samples: [GradedCompletion<Answer>], gold: GradedCompletion<Answer>?,
                                          maxPairs: Int, seed: UInt64, problemKey: String) -> ProblemPairs<Answer> {
        var winners: [GradedCompletion<Answer>] = [], losers: [GradedCompletion<Answer>] = []
        var seenWinners = Set<String>(), seenLosers = Set<String>()
        for s in samples {
            if s.correct {
                if seenWinners.insert(s.text).inserted { winners.append(s) }
            } else if seenLosers.insert(s.text).inserted {
                losers.append(s)
            }
        }
        if let gold, seenWinners.insert(gold.text).inserted { winners.append(gold) }
        if losers.isEmpty { return .allRight }
        if winners.isEmpty { return .allWrong }
        return .pairs(select(winners: winners, losers: losers, maxPairs: maxPairs, seed: seed, problemKey: problemKey))
    }

    /// Up to `maxPairs` (winner, loser) pairs: both lists shuffled with a generator seeded from
    /// `seed` and the problem's key (so a problem's pairs do not depend on which problems came
    /// before it), then walked together, the shorter list wrapping around. Empty when either
    /// list is empty.
    public static func select<W, L>(winners: [W], losers: [L], maxPairs: Int, seed: UInt64, problemKey: String) -> [(W, L)] {
        guard !winners.isEmpty, !losers.isEmpty, maxPairs > 0 else { return [] }
        var rng = SplitMix64(seed: seed, keys: stableHash(problemKey))
        let w = rng.shuffled(winners)
        let l = rng.shuffled(losers)
        let count = min(maxPairs, max(w.count, l.count))
        return (0..<count).map { (w[$0 % w.count], l[$0 % l.count]) }
    }

    /// The step-level form of a pair: the lines chosen and rejected share from their start
    /// (each with its line break) move to the end of the prompt, so that only the first step
    /// where they differ, and what follows it, is compared. Returns the new prompt, chosen and
    /// rejected texts and the number of lines moved.
    public static func cutAtFirstDifferentLine(prompt: String, chosen: String, rejected: String)
        -> (prompt: String, chosen: Substring, rejected: Substring, sharedLines: Int) {
        var w = chosen.startIndex, l = rejected.startIndex, lines = 0
        while let wEnd = chosen[w...].firstIndex(of: "\n"), let lEnd = rejected[l...].firstIndex(of: "\n"),
              chosen[w...wEnd] == rejected[l...lEnd] {
            w = chosen.index(after: wEnd)
            l = rejected.index(after: lEnd)
            lines += 1
        }
        return (prompt + chosen[..<w], chosen[w...], rejected[l...], lines)
    }
}
