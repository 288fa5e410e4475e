import Foundation

/// Hendrycks MATH answers: the last `\boxed{...}` (or the text after "Final answer:"), compared
/// after the normalisation of the MATH paper's `is_equiv`.
public enum MathAnswer {
    /// The answer of a completion or solution: the content of the last `\boxed{...}` or
    /// `\fbox{...}` (braces nested), else the rest of the line after the last "Final answer:"
    /// with `$` delimiters and a trailing period removed; nil when neither is there.
    public static func extract(from text: String) -> String? {
        if let boxed = lastBoxed(in: text) { return boxed }
        return afterFinalAnswer(in: text)
    }

    /// The gold answer: as `extract`, else the whole text when it is short enough to be an
    /// answer and not a solution (an `answer` field holding just `\frac{1}{2}`).
    public static func extractGold(from text: String) -> String? {
        if let a = extract(from: text) { return a }
        let t = TextScan.trimmed(text)
        return t.isEmpty || t.contains("\n") ? nil : t
    }

    /// Whether two answers are equal after normalisation; plain numbers are also compared by
    /// value, so `2.50` equals `2.5` and `10,000` equals `10000`.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = normalize(a), y = normalize(b)
        if x == y { return true }
        if let p = plainNumber(x), let q = plainNumber(y) { return p == q }
        return false
    }

    /// The content of the last `\boxed` or `\fbox`: `{...}` with nested braces, or the token
    /// after `\boxed ` (a space form some solutions use).
    public static func lastBoxed(in text: String) -> String? {
        let candidates = ["\\boxed", "\\fbox"].compactMap { text.range(of: $0, options: .backwards) }
        guard let hit = candidates.max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        var i = hit.upperBound
        if i < text.endIndex, text[i] == " " {
            let rest = text[text.index(after: i)...]
            let token = rest.prefix { $0 != "$" && !$0.isNewline }
            let t = TextScan.trimmed(token)
            return t.isEmpty ? nil : t
        }
        guard i < text.endIndex, text[i] == "{" else { return nil }
        i = text.index(after: i)
        let contentStart = i
        var depth = 1
        while i < text.endIndex {
            let c = text[i]
            if c == "{" { depth += 1 }
            if c == "}" {
                depth -= 1
                if depth == 0 { return String(text[contentStart..<i]) }
            }
            i = text.index(after: i)
        }
        return nil
    }

    /// The rest of the line after the last "Final answer:" (colon, asterisks, `$` and a trailing
    /// period removed).
    static func afterFinalAnswer(in text: String) -> String? {
        guard let hit = text.range(of: "final answer:", options: [.backwards, .caseInsensitive]) else { return nil }
        var rest = text[hit.upperBound...].prefix { !$0.isNewline }
        while let f = rest.first, f == ":" || f == "*" || f == " " || f == "\t" { rest = rest.dropFirst() }
        var t = TextScan.trimmed(rest)
        while t.hasSuffix(".") || t.hasSuffix("*") { t.removeLast() }
        t = TextScan.trimmed(t)
        if t.hasPrefix("$"), t.hasSuffix("$"), t.count >= 2 {
            t = TextScan.trimmed(t.trimmingCharacters(in: CharacterSet(charactersIn: "$")))
        }
        while t.hasSuffix(".") { t.removeLast() }
        return t.isEmpty ? nil : t
    }

    /// The normalisation of Hendrycks et al.'s `is_equiv` (`strip_string`), step by step, plus
    /// removal of a `\text{...}` unit after a value and of a `\text{...}` wrapper around the
    /// whole answer.
    public static func normalize(_ answer: String) -> String {
        var s = answer
        s = s.replacingOccurrences(of: "\n", with: "")
        s = s.replacingOccurrences(of: "\\!", with: "")
        s = s.replacingOccurrences(of: "\\\\", with: "\\")
        s = s.replacingOccurrences(of: "tfrac", with: "frac")
        s = s.replacingOccurrences(of: "dfrac", with: "frac")
        s = s.replacingOccurrences(of: "\\left", with: "")
        s = s.replacingOccurrences(of: "\\right", with: "")
        s = s.replacingOccurrences(of: "^{\\circ}", with: "")
        s = s.replacingOccurrences(of: "^\\circ", with: "")
        s = s.replacingOccurrences(of: "\\$", with: "")
        s = removeUnits(s)
        s = s.replacingOccurrences(of: "\\%", with: "")
        s = s.replacingOccurrences(of: " .", with: " 0.")
        s = s.replacingOccurrences(of: "{.", with: "{0.")
        if s.isEmpty { return s }
        if s.hasPrefix(".") { s = "0" + s }
        // "x = 5" and "k=5": a short left-hand side is dropped.
        let sides = s.split(separator: "=", omittingEmptySubsequences: false)
        if sides.count == 2, sides[0].count <= 2 { s = String(sides[1]) }
        s = fixSqrt(s)
        s = s.replacingOccurrences(of: " ", with: "")
        s = fixFracs(s)
        if s == "0.5" { s = "\\frac{1}{2}" }
        s = fixSlash(s)
        return s
    }

    /// Drops a `\text{...}` or `\mbox{...}` unit after a value ("5\text{ cm}" -> "5") and unwraps
    /// an answer that is only `\text{...}`.
    static func removeUnits(_ s: String) -> String {
        var s = s
        for command in ["\\text{", "\\mbox{"] {
            guard let r = s.range(of: command, options: .backwards) else { continue }
            let inner = s[r.upperBound...]
            guard let close = matchingBrace(in: inner) else { continue }
            let after = TextScan.trimmed(inner[inner.index(after: close)...])
            guard after.isEmpty else { continue }
            let before = TextScan.trimmed(s[..<r.lowerBound])
            if before.isEmpty {
                s = String(inner[..<close])
            } else {
                s = String(s[..<r.lowerBound])
            }
        }
        return s
    }

    /// The index of the `}` that closes a group whose `{` was just before `text`.
    static func matchingBrace(in text: Substring) -> Substring.Index? {
        var depth = 1
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "{" { depth += 1 }
            if text[i] == "}" {
                depth -= 1
                if depth == 0 { return i }
            }
            i = text.index(after: i)
        }
        return nil
    }

    /// `\sqrt3` -> `\sqrt{3}`.
    static func fixSqrt(_ s: String) -> String {
        let parts = s.components(separatedBy: "\\sqrt")
        guard parts.count > 1 else { return s }
        var out = parts[0]
        for part in parts.dropFirst() {
            if let f = part.first, f != "{" {
                out += "\\sqrt{\(f)}" + part.dropFirst()
            } else {
                out += "\\sqrt" + part
            }
        }
        return out
    }

    /// `\frac12` -> `\frac{1}{2}`, `\frac1{72}` -> `\frac{1}{72}`; left alone when malformed.
    static func fixFracs(_ s: String) -> String {
        let parts = s.components(separatedBy: "\\frac")
        guard parts.count > 1 else { return s }
        var out = parts[0]
        for part in parts.dropFirst() {
            out += "\\frac"
            if part.isEmpty || part.first == "{" {
                out += part
                continue
            }
            let chars = Array(part)
            guard chars.count >= 2 else { return s }
            let a = chars[0], b = chars[1]
            if b != "{" {
                out += "{\(a)}{\(b)}" + String(chars[2...])
            } else {
                out += "{\(a)}" + String(chars[1...])
            }
        }
        return out
    }

    /// `a/b` with integer a and b -> `\frac{a}{b}`.
    static func fixSlash(_ s: String) -> String {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]),
              String(a) == parts[0], String(b) == parts[1] else { return s }
        return "\\frac{\(a)}{\(b)}"
    }

    /// The value of a normalised answer that is a plain decimal number (thousands commas allowed).
    static func plainNumber(_ s: String) -> Double? {
        let t = s.replacingOccurrences(of: ",", with: "")
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) else { return nil }
        return Double(t)
    }
}
