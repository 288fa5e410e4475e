/// The accuracy measures `eval` reports, as pure functions.
public enum EvalMetrics {
    /// The unbiased pass@k estimate for one problem with `n` samples of which `c` are correct:
    /// 1 - C(n-c, k) / C(n, k), computed as 1 - prod_{i=n-c+1..n} (1 - k/i) so that no binomial
    /// coefficient overflows. Nil when fewer than k samples exist.
    public static func passAtK(n: Int, c: Int, k: Int) -> Double? {
        guard k >= 1, n >= k, c >= 0, c <= n else { return nil }
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        var miss = 1.0
        for i in (n - c + 1)...n { miss *= 1 - Double(k) / Double(i) }
        return 1 - miss
    }

    /// The index of the sample whose answer wins a majority vote: the most frequent non-nil
    /// answer, ties going to the answer seen first; nil when every answer is missing.
    public static func majorityVote(_ answers: [String?]) -> Int? {
        var counts: [String: (count: Int, first: Int)] = [:]
        for (i, a) in answers.enumerated() {
            guard let a else { continue }
            if let e = counts[a] { counts[a] = (e.count + 1, e.first) } else { counts[a] = (1, i) }
        }
        var best: (count: Int, first: Int)?
        for e in counts.values {
            if let b = best, e.count < b.count || (e.count == b.count && e.first > b.first) { continue }
            best = e
        }
        return best?.first
    }
}
