import Foundation

/// What a judge's text says about the score it gives.
public enum JudgeScore: Sendable, Equatable {
    /// A score on the rubric's scale.
    case score(Double)
    /// A score off the 0–5 scale, or out of a total other than 5 ("Score: 8/10").
    case outOfRange(Double)
    /// No "Score:" followed by a number.
    case missing

    /// The rubric's scale: the additive five-point system gives 0 to 5 points.
    public static let scale: ClosedRange<Double> = 0...5

    /// The score, when there is one on the scale.
    public var value: Double? {
        if case let .score(v) = self { return v }
        return nil
    }

    /// Reads the last "Score:" (any case) that a number follows, as the prompt asks the judge to
    /// conclude with it; spaces and Markdown asterisks may stand between. "4/5" reads as 4, a
    /// total other than 5 or a number off the scale as out of range; an earlier score never
    /// stands in for a later unusable one.
    public static func read(_ text: String) -> JudgeScore {
        let bytes = Array(text.utf8)
        let marker = Array("score:".utf8)
        var i = bytes.count - marker.count
        while i >= 0 {
            if matchesMarker(bytes, at: i, marker), let found = number(bytes, from: i + marker.count) {
                return found
            }
            i -= 1
        }
        return .missing
    }

    /// Whether `marker` (lowercase ASCII) starts at `i`, in any case.
    private static func matchesMarker(_ bytes: [UInt8], at i: Int, _ marker: [UInt8]) -> Bool {
        for (k, m) in marker.enumerated() where bytes[i + k] | (m == 0x3A ? 0 : 0x20) != m { return false }
        return true
    }

    /// The number after a marker ending at `start`: spaces and asterisks skipped, an optional
    /// minus, digits with an optional fraction, then an optional "/total".
    private static func number(_ bytes: [UInt8], from start: Int) -> JudgeScore? {
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x2A { i += 1 }
        let (value, end) = decimal(bytes, from: i)
        guard let value else { return nil }
        i = end
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x2A { i += 1 }
        if i < bytes.count, bytes[i] == 0x2F {  // "/"
            i += 1
            while i < bytes.count, bytes[i] == 0x20 { i += 1 }
            let (total, _) = decimal(bytes, from: i)
            if total != 5 { return .outOfRange(value) }
        }
        return scale.contains(value) ? .score(value) : .outOfRange(value)
    }

    /// An optionally signed decimal number starting at `i`, and where it ends.
    private static func decimal(_ bytes: [UInt8], from start: Int) -> (Double?, Int) {
        var i = start
        if i < bytes.count, bytes[i] == 0x2D { i += 1 }  // "-"
        let digitsStart = i
        while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard i > digitsStart else { return (nil, start) }
        if i + 1 < bytes.count, bytes[i] == 0x2E, (0x30...0x39).contains(bytes[i + 1]) {  // ".5", not a full stop
            i += 1
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        }
        return (Double(String(decoding: bytes[start..<i], as: UTF8.self)), i)
    }

    /// A score as JSON: whole numbers without a fraction ("4", not "4.0").
    public static func json(_ score: Double) -> JSONValue {
        score == score.rounded() && abs(score) < 1e15 ? JSONValue(Int(score)) : JSONValue(score)
    }

    /// The mean of the scores among `readings`, nil when none has one.
    public static func mean(_ readings: [JudgeScore]) -> Double? {
        let values = readings.compactMap(\.value)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// Counts of a judging run, for the summary `grade --judge` prints on standard error.
public struct JudgeTally: Sendable, Equatable {
    /// Records judged.
    public var records = 0
    /// Of them, with a score (at least one judgement had one).
    public var scored = 0
    /// The sum of their scores, for the mean.
    public var scoreSum = 0.0
    /// Judgements made (records × judge samples).
    public var judgements = 0
    /// Of them, with no score.
    public var missing = 0
    /// Of them, with a score off the scale.
    public var outOfRange = 0

    /// No records yet.
    public init() {}

    /// Counts one record's judgements and its score.
    public mutating func add(_ readings: [JudgeScore], score: Double?) {
        records += 1
        judgements += readings.count
        for r in readings {
            switch r {
            case .score: break
            case .missing: missing += 1
            case .outOfRange: outOfRange += 1
            }
        }
        if let score {
            scored += 1
            scoreSum += score
        }
    }

    /// "N records, S scored (mean M), U without a score; J judgements, X without a score, O out of range".
    public var summary: String {
        let mean = scored == 0 ? "none" : String(format: "%.2f", scoreSum / Double(scored))
        return "\(records) records, \(scored) scored (mean \(mean)), \(records - scored) without a score; "
            + "\(judgements) judgements, \(missing) with no score, \(outOfRange) out of range"
    }
}
