/// The paper's choice of preference pairs for one problem.
public enum PreferencePairs {
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
