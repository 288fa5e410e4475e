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

/// A mean and its standard error, accumulated one value at a time: the mean as sum / count
/// (the plain quotient the reports have always printed), the spread by Welford's update, which
/// stays accurate for the many near-equal values a per-problem score takes.
public struct RunningMean: Sendable, Equatable {
    /// How many values were added.
    public private(set) var count = 0
    /// Their sum.
    public private(set) var sum = 0.0
    private var runningMean = 0.0
    private var squares = 0.0

    /// No values yet.
    public init() {}

    /// Adds one value.
    public mutating func add(_ x: Double) {
        count += 1
        sum += x
        let d = x - runningMean
        runningMean += d / Double(count)
        squares += d * (x - runningMean)
    }

    /// The mean, nil before any value.
    public var mean: Double? { count > 0 ? sum / Double(count) : nil }

    /// The standard error of the mean, sd / sqrt(count) with the sample sd (count − 1); 0 for one
    /// value, nil for none.
    public var standardError: Double? {
        if count == 0 { return nil }
        if count == 1 { return 0 }
        return (max(squares, 0) / Double(count - 1) / Double(count)).squareRoot()
    }
}

extension EvalMetrics {
    /// The standard error of the pooled accuracy Σc / Σn of problems with `n` samples of which `c`
    /// are correct, the problems being the sampled units: 0 for one problem, nil for none.
    public static func pooledAccuracyStandardError<C: Collection>(_ problems: C) -> Double?
    where C.Element == (n: Int, c: Int) {
        let p = problems.count
        let total = problems.reduce(0) { $0 + $1.n }
        guard p > 0, total > 0 else { return nil }
        if p == 1 { return 0 }
        let accuracy = Double(problems.reduce(0) { $0 + $1.c }) / Double(total)
        let residuals = problems.reduce(0.0) { sum, q in
            let r = Double(q.c) - accuracy * Double(q.n)
            return sum + r * r
        }
        // Ratio-estimator (cluster) SE, sqrt(P/(P-1) Σ(c_i - acc·n_i)²) / N: it is sd(c_i/n_i)/√P, the SE of a mean over problems, whenever every problem has the same n.
        return (Double(p) / Double(p - 1) * residuals).squareRoot() / Double(total)
    }
}
