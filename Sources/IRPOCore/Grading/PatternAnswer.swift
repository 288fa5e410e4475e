import Foundation

/// Answers picked by a user's regular expression with exactly one capture group.
public struct PatternAnswer: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as thread-safe.
    private let regex: NSRegularExpression
    /// The pattern as given.
    public let pattern: String

    /// Compiles a pattern (ICU syntax); it must have exactly one capture group.
    public init(pattern: String) throws(GradingError) {
        let r: NSRegularExpression
        do {
            r = try NSRegularExpression(pattern: pattern, options: [])
        } catch {
            throw GradingError("invalid pattern \(pattern): \(error.localizedDescription)")
        }
        guard r.numberOfCaptureGroups == 1 else {
            throw GradingError("the pattern must have exactly one capture group, it has \(r.numberOfCaptureGroups)")
        }
        regex = r
        self.pattern = pattern
    }

    /// The capture group of the last match, trimmed; nil when the pattern does not match or the
    /// group took no part in the match.
    public func extract(from text: String) -> String? {
        let ns = text as NSString
        let matches = regex.matches(in: text, options: [], range: NSRange(location: 0, length: ns.length))
        guard let m = matches.last else { return nil }
        let r = m.range(at: 1)
        guard r.location != NSNotFound else { return nil }
        return TextScan.trimmed(ns.substring(with: r))
    }

    /// The gold answer: the pattern's capture when it matches, else the whole text trimmed.
    public func extractGold(from text: String) -> String? {
        if let a = extract(from: text) { return a }
        let t = TextScan.trimmed(text)
        return t.isEmpty ? nil : t
    }
}
