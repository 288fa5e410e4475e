import Foundation

/// One part of an input split over processes or machines: problem i belongs to shard i % count.
public struct Shard: Sendable, Equatable {
    /// This shard's number, 0-based.
    public let index: Int
    /// How many shards the input is split into.
    public let count: Int

    /// The whole input.
    public static let all = Shard(index: 0, count: 1)

    /// Shard `index` of `count`.
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index)/\(count) does not exist")
        self.index = index
        self.count = count
    }

    /// Reads "I/N" (0 ≤ I < N), else nil.
    public init?(text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        self.init(index: i, count: n)
    }

    /// Whether the problem at 0-based input position `position` is this shard's.
    public func contains(_ position: Int) -> Bool { position % count == index }

    /// How many of the first `total` problems are this shard's.
    public func share(of total: Int) -> Int { total > index ? (total - index + count - 1) / count : 0 }
}

/// The progress line `sample` shows: problems done, throughput and, when the total is known,
/// the time left.
public func progressLine(problemsDone: Int, totalProblems: Int?, tokens: Int, seconds: Double,
                         unit: String = "problems") -> String {
    var line = totalProblems.map { "\(problemsDone)/\($0) \(unit)" } ?? "\(problemsDone) \(unit)"
    let rate = seconds > 0 ? Double(tokens) / seconds : 0
    line += String(format: ", %.0f tok/s", rate)
    if let total = totalProblems, problemsDone > 0, total >= problemsDone {
        let left = seconds / Double(problemsDone) * Double(total - problemsDone)
        line += ", " + clockText(left) + " left"
    }
    return line
}

/// h:mm:ss or m:ss.
func clockText(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    let (h, m, r) = (s / 3600, (s / 60) % 60, s % 60)
    return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
}
