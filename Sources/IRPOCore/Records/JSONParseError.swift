/// Why a JSON text was refused, and at which byte offset.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A short human-readable reason, e.g. `expected ':' after object key`.
    public let reason: String
    /// The 0-based byte offset in the input where the problem was noticed.
    public let offset: Int

    /// An error with a reason at an offset.
    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// `invalid JSON at byte N: reason` (1-based byte, as editors count columns).
    public var description: String { "invalid JSON at byte \(offset + 1): \(reason)" }
}
