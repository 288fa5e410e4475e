/// Accumulates graded samples of one input and computes what `eval` reports.
///
/// Samples are grouped by problem key in order of appearance; the first k samples of a problem
/// are the first k lines with its key. Memory grows with the number of problems (and holds the
/// answers of the first max(k) samples of each), not with the number of samples.
public struct EvalAccumulator: Sendable {
    struct Problem: Sendable {
        var n = 0
        var correct = 0
        var firstAnswers: [String?] = []
        var firstCorrect: [Bool] = []
    }

    /// The k values of maj@k and pass@k.
    public let ks: [Int]
    private let maxK: Int
    private var problems: [Problem] = []
    private var index: [String: Int] = [:]
    private var samples = 0
    private var correct = 0
    private var missing = 0
    private var finishSeen = 0
    private var truncated = 0
    private var tokenSamples = 0
    private var tokenSum = 0.0

    /// An accumulator for these k values.
    public init(ks: [Int]) {
        self.ks = ks
        maxK = ks.max() ?? 1
    }

    /// Adds one graded sample; `finish` and `tokens` are nil when the record has none.
    public mutating func add(problem key: String, pred: String?, correct isCorrect: Bool, finish: String?, tokens: Int?) {
        let i: Int
        if let j = index[key] {
            i = j
        } else {
            i = problems.count
            index[key] = i
            problems.append(Problem())
        }
        problems[i].n += 1
        if isCorrect { problems[i].correct += 1 }
        if problems[i].firstAnswers.count < maxK {
            problems[i].firstAnswers.append(pred)
            problems[i].firstCorrect.append(isCorrect)
        }
        samples += 1
        if isCorrect { correct += 1 }
        if pred == nil { missing += 1 }
        if let finish {
            finishSeen += 1
            if finish == "length" { truncated += 1 }
        }
        if let tokens {
            tokenSamples += 1
            tokenSum += Double(tokens)
        }
    }

    /// The report so far.
    public var summary: EvalSummary {
        var s = EvalSummary()
        s.problems = problems.count
        s.samples = samples
        s.minSamplesPerProblem = problems.map(\.n).min() ?? 0
        s.maxSamplesPerProblem = problems.map(\.n).max() ?? 0
        s.problemsWithSeveralSamples = problems.reduce(0) { $0 + ($1.n > 1 ? 1 : 0) }
        s.accuracy = samples > 0 ? Double(correct) / Double(samples) : nil
        s.accuracySE = EvalMetrics.pooledAccuracyStandardError(problems.lazy.map { (n: $0.n, c: $0.correct) })
        s.missingRate = samples > 0 ? Double(missing) / Double(samples) : nil
        s.truncationRate = finishSeen > 0 ? Double(truncated) / Double(finishSeen) : nil
        s.meanTokens = tokenSamples > 0 ? tokenSum / Double(tokenSamples) : nil
        for k in ks {
            // Per-problem scores (the vote's 0/1 outcome, the pass@k estimate) feed a mean over
            // problems, so its standard error comes from their spread across problems.
            var maj = RunningMean(), pass = RunningMean()
            for p in problems where p.n >= k {
                let answers = Array(p.firstAnswers.prefix(k))
                let won = EvalMetrics.majorityVote(answers).map { p.firstCorrect[$0] } ?? false
                maj.add(won ? 1 : 0)
                pass.add(EvalMetrics.passAtK(n: p.n, c: p.correct, k: k) ?? 0)
            }
            let m = maj.count
            s.perK.append(EvalSummary.AtK(k: k, problems: m,
                                          majority: maj.mean, pass: pass.mean,
                                          majoritySE: maj.standardError, passSE: pass.standardError))
        }
        return s
    }
}

/// What `eval` reports for one input; rates are fractions in [0, 1], nil when not measurable.
public struct EvalSummary: Sendable, Equatable {
    /// maj@k and pass@k for one k, over the problems with at least k samples.
    public struct AtK: Sendable, Equatable {
        /// The k.
        public var k: Int
        /// How many problems have at least k samples (the ones measured).
        public var problems: Int
        /// Majority-vote accuracy over the first k samples.
        public var majority: Double?
        /// The unbiased pass@k estimate.
        public var pass: Double?
        /// The standard error of `majority` over the measured problems.
        public var majoritySE: Double?
        /// The standard error of `pass` over the measured problems.
        public var passSE: Double?

        /// The measures for one k.
        public init(k: Int, problems: Int, majority: Double?, pass: Double?,
                    majoritySE: Double? = nil, passSE: Double? = nil) {
            self.k = k
            self.problems = problems
            self.majority = majority
            self.pass = pass
            self.majoritySE = majoritySE
            self.passSE = passSE
        }
    }

    /// Distinct problem ids.
    public var problems = 0
    /// Graded samples.
    public var samples = 0
    /// The fewest samples of any problem.
    public var minSamplesPerProblem = 0
    /// The most samples of any problem.
    public var maxSamplesPerProblem = 0
    /// How many problems have more than one sample (none in a file of greedy samples).
    public var problemsWithSeveralSamples = 0
    /// Mean correctness over all samples.
    public var accuracy: Double?
    /// The standard error of `accuracy`, the problems being the sampled units.
    public var accuracySE: Double?
    /// Per k, in the order asked.
    public var perK: [AtK] = []
    /// Samples with no answer found.
    public var missingRate: Double?
    /// Samples whose `finish` is "length", among those that have `finish`.
    public var truncationRate: Double?
    /// Mean `tokens` among samples that have it.
    public var meanTokens: Double?

    /// An empty summary.
    public init() {}
}
