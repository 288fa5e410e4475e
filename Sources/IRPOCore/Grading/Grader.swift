import Foundation

/// The answer formats `grade` knows.
public enum GradingTask: String, CaseIterable, Sendable {
    /// Grade-school math: a final number.
    case gsm8k
    /// Hendrycks MATH: a LaTeX answer in `\boxed{}`.
    case math
    /// ARC: an option letter.
    case arc
    /// A user's regular expression.
    case regex

    /// The record fields tried for the gold answer, in order, when no field is named.
    public var defaultGoldFields: [String] {
        switch self {
        case .gsm8k, .regex: return ["answer"]
        case .math: return ["solution", "answer"]
        case .arc: return ["answerKey", "answer"]
        }
    }
}

/// Why grading could not be set up or a record could not be graded.
public struct GradingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String

    /// An error with a reason.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}

/// The outcome of grading one completion.
public struct Grade: Sendable, Equatable {
    /// The extracted and normalised prediction, nil when none was found (then never correct).
    public var pred: String?
    /// The extracted and normalised gold answer.
    public var gold: String
    /// Whether the prediction equals the gold answer under the task's comparison.
    public var correct: Bool
    /// Whether only the `--flexible` fallback found the prediction (no marker gave one).
    public var byFallback: Bool

    /// A grade.
    public init(pred: String?, gold: String, correct: Bool, byFallback: Bool = false) {
        self.pred = pred
        self.gold = gold
        self.correct = correct
        self.byFallback = byFallback
    }
}

/// Counts of a run of grades, for the one-line summary `grade` prints on standard error.
public struct GradeTally: Sendable, Equatable {
    /// Records graded.
    public var records = 0
    /// Of them, correct.
    public var correct = 0
    /// Of them, with no answer found.
    public var noAnswer = 0
    /// Of them, with the answer found only by the fallback.
    public var byFallback = 0
    /// Of those, correct: how much of the reward the fallback decides.
    public var correctByFallback = 0

    /// No grades yet.
    public init() {}

    /// Counts one grade.
    public mutating func add(_ grade: Grade) {
        records += 1
        if grade.correct { correct += 1 }
        if grade.pred == nil { noAnswer += 1 }
        if grade.byFallback {
            byFallback += 1
            if grade.correct { correctByFallback += 1 }
        }
    }

    /// "N records, C correct (P%), A no answer found, F found only by the fallback (G of them correct)".
    public var summary: String {
        func percent(_ n: Int) -> String {
            records == 0 ? "0.0%" : String(format: "%.1f%%", 100 * Double(n) / Double(records))
        }
        return "\(records) records, \(correct) correct (\(percent(correct))), "
            + "\(noAnswer) no answer found, \(byFallback) found only by the fallback "
            + "(\(correctByFallback) of them correct)"
    }
}

/// Pure answer extraction and comparison for one task; no I/O.
public struct Grader: Sendable {
    /// The task.
    public let task: GradingTask
    /// Whether to fall back to looser extraction (gsm8k: the last number; arc: the last "(X)").
    public let flexible: Bool
    private let pattern: PatternAnswer?

    /// A grader; `pattern` is required for (and only used by) the regex task.
    public init(task: GradingTask, flexible: Bool = false, pattern: String? = nil) throws(GradingError) {
        self.task = task
        self.flexible = flexible
        if task == .regex {
            guard let pattern else { throw GradingError("the regex task needs a pattern") }
            self.pattern = try PatternAnswer(pattern: pattern)
        } else {
            self.pattern = nil
        }
    }

    /// The prediction in a completion, normalised as gold answers are; nil when none is found.
    public func prediction(from completion: String) -> String? {
        prediction(from: completion, flexible: flexible)
    }

    /// The prediction with the fallback on or off.
    func prediction(from completion: String, flexible: Bool) -> String? {
        switch task {
        case .gsm8k: return NumericAnswer.extract(from: completion, flexible: flexible)
        case .math: return MathAnswer.extract(from: completion).map(MathAnswer.normalize)
        case .arc: return ChoiceAnswer.extract(from: completion, flexible: flexible)
        case .regex: return pattern!.extract(from: completion)
        }
    }

    /// Whether this task has a fallback that `flexible` turns on.
    var hasFallback: Bool { task == .gsm8k || task == .arc }

    /// The gold answer in a gold field's text (a full solution or a bare answer); nil when none.
    public func goldAnswer(from gold: String) -> String? {
        switch task {
        case .gsm8k: return NumericAnswer.extractGold(from: gold)
        case .math: return MathAnswer.extractGold(from: gold).map(MathAnswer.normalize)
        case .arc: return ChoiceAnswer.extractGold(from: gold)
        case .regex: return pattern!.extractGold(from: gold)
        }
    }

    /// Whether a prediction equals a gold answer (both as returned above).
    public func matches(_ pred: String, _ gold: String) -> Bool {
        switch task {
        case .gsm8k: return NumericAnswer.equal(pred, gold)
        case .math: return MathAnswer.equal(pred, gold)
        case .arc: return ChoiceAnswer.equal(pred, gold)
        case .regex: return pred == gold
        }
    }

    /// Grades a completion against a gold field's text; throws when the gold has no answer.
    public func grade(completion: String, gold: String) throws(GradingError) -> Grade {
        guard let g = goldAnswer(from: gold) else { throw GradingError("no gold answer found") }
        var p = prediction(from: completion, flexible: false)
        var byFallback = false
        if p == nil, flexible, hasFallback, let loose = prediction(from: completion, flexible: true) {
            p = loose
            byFallback = true
        }
        return Grade(pred: p, gold: g, correct: p.map { matches($0, g) } ?? false, byFallback: byFallback)
    }
}

extension Grader {
    /// Grades a record's "completion" against the first of `goldFields` it has; the error names
    /// a missing field or a gold field with no answer in it.
    public func grade(record: JSONRecord, goldFields: [String]) throws(RecordFieldError) -> Grade {
        let completion = try record.requireString("completion")
        for field in goldFields {
            guard let goldText = try record.text(field) else { continue }
            do {
                return try grade(completion: completion, gold: goldText)
            } catch {
                throw RecordFieldError(field: field, reason: "no gold answer found in \"\(field)\"")
            }
        }
        throw RecordFieldError(field: goldFields.first ?? "answer", reason: goldFields.count == 1
            ? "missing field \"\(goldFields[0])\""
            : "missing gold field (" + goldFields.map { "\"\($0)\"" }.joined(separator: " or ") + ")")
    }
}
