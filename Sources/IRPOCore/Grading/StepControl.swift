/// Which step counts k a correct solution is cut after, for step-controlled continuations.
public enum StepChoice: Sendable, Equatable {
    /// Every k from 1 to one less than the solution's lines.
    case all
    /// These k (sorted, distinct), those the solution has room for.
    case listed([Int])
    /// One k per solution, drawn from the seed, the problem and the solution's text.
    case random
}

/// A graded continuation of a correct solution, as step-controlled pairing sees it.
public struct GradedContinuation<Answer> {
    /// The correct solution the continuation started from.
    public var source: String
    /// The solution's extracted answer.
    public var sourcePred: Answer
    /// The lines of the solution the continuation kept (nil when the record does not say).
    public var steps: Int?
    /// The continuation: the kept lines and what the model wrote after them, graded.
    public var continuation: GradedCompletion<Answer>

    /// A graded continuation.
    public init(source: String, sourcePred: Answer, steps: Int?, continuation: GradedCompletion<Answer>) {
        self.source = source
        self.sourcePred = sourcePred
        self.steps = steps
        self.continuation = continuation
    }
}

/// Step-controlled negatives (SCDPO, Lu et al. 2024): a correct solution's first k steps continued
/// by the model, so that a wrong continuation goes wrong at step k+1 or later, and each such
/// continuation paired against the solution it continues.
public enum StepControl {
    /// The k a solution of `lines` lines is cut after: each leaves at least one line to continue.
    public static func cuts(lines: Int, choice: StepChoice, seed: UInt64, problemKey: String, text: String) -> [Int] {
        guard lines >= 2 else { return [] }
        switch choice {
        case .all: return Array(1..<lines)
        case .listed(let ks): return ks.filter { $0 >= 1 && $0 < lines }
        case .random:
            var rng = SplitMix64(seed: seed, keys: stableHash(problemKey), stableHash(text))
            return [1 + Int(rng.next() % UInt64(lines - 1))]
        }
    }

    /// The fields `sample` and `grade` write, which a record to continue does not carry over from
    /// the solution's record (`prompt` stays: sample reads it).
    public static let sampledFields = ["completion", "sample", "model", "tokens", "logprob", "finish", "pred", "gold", "correct"]

    /// The records that continue `source` after each of `ks` lines: the problem's fields of
    /// `record` (those of `sampledFields` dropped), plus "prefix" (the first k lines, each with
    /// its line break), "steps" (k), "source" and "source_pred".
    public static func prefixRecords(problem record: JSONRecord, source: String, sourcePred: JSONValue,
                                     ks: [Int]) -> [JSONRecord] {
        let lines = SolutionSteps.lines(source)
        var base = record
        for f in sampledFields { base[f] = nil }
        return ks.map { k in
            var r = base
            r["prefix"] = .string(lines[..<k].joined())
            r["steps"] = JSONValue(k)
            r["source"] = .string(source)
            r["source_pred"] = sourcePred
            return r
        }
    }

    /// Up to `maxPairs` of one problem's wrong continuations, each distinct (solution,
    /// continuation) once, spread over the solutions: the solutions and each one's continuations
    /// are shuffled with a generator seeded from `seed` and the problem's key, then taken one
    /// solution at a time in turn. Empty when no continuation is wrong.
    public static func pairs<Answer>(_ items: [GradedContinuation<Answer>], maxPairs: Int, seed: UInt64,
                                     problemKey: String) -> [GradedContinuation<Answer>] {
        var bySource: [[GradedContinuation<Answer>]] = [], index: [String: Int] = [:]
        var seen = Set<[String]>()
        for item in items where !item.continuation.correct && seen.insert([item.source, item.continuation.text]).inserted {
            if let i = index[item.source] { bySource[i].append(item) } else {
                index[item.source] = bySource.count
                bySource.append([item])
            }
        }
        var rng = SplitMix64(seed: seed, keys: stableHash(problemKey))
        let queues = rng.shuffled(bySource).map { rng.shuffled($0) }
        var out: [GradedContinuation<Answer>] = []
        var round = 0
        while out.count < maxPairs {
            let taken = queues.filter { round < $0.count }.map { $0[round] }
            if taken.isEmpty { break }
            out += taken.prefix(maxPairs - out.count)
            round += 1
        }
        return out
    }
}
