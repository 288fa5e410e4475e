/// Multiple-choice answers (ARC): an option letter A-E, numeric labels 1-5 taken as A-E.
public enum ChoiceAnswer {
    /// The option after the last "Final answer:" (any case): the first thing there if it is an
    /// option (`B`, `(B)`, `B)`, `b)`, `2`), else the first parenthesised option on that line;
    /// with `flexible`, the last parenthesised option anywhere when that fails.
    public static func extract(from text: String, flexible: Bool = false) -> String? {
        TextScan.withBytes(text) { b in
            if let start = TextScan.occurrences(of: "final answer:", in: b).first {
                var i = start + "final answer:".utf8.count
                var lineEnd = i
                while lineEnd < b.count, b[lineEnd] != 0x0A { lineEnd += 1 }
                // A line break right after the marker: the answer is on the next line.
                if lineEnd < b.count, onlyFiller(b, i, lineEnd) {
                    i = lineEnd + 1
                    lineEnd = i
                    while lineEnd < b.count, b[lineEnd] != 0x0A { lineEnd += 1 }
                }
                while i < lineEnd, isFiller(b[i]) { i += 1 }
                if let l = option(in: b, at: i, end: lineEnd) { return l }
                if let l = firstParenthesised(in: b, from: i, to: lineEnd) { return l }
            }
            if flexible { return lastParenthesised(in: b) }
            return nil
        }
    }

    /// The gold label: `A`-`E` or `1`-`5` (mapped to A-E), surrounding space ignored; else the
    /// option after "Final answer:" in the text.
    public static func extractGold(from text: String) -> String? {
        let t = TextScan.trimmed(text)
        if t.utf8.count == 1, let l = letter(t.utf8.first!, allowLowercase: false) { return l }
        return extract(from: text)
    }

    /// Whether two labels are the same option.
    public static func equal(_ a: String, _ b: String) -> Bool { a == b }

    static func isFiller(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == UInt8(ascii: ":") || c == UInt8(ascii: "*") || c == 0x0D
    }

    static func onlyFiller(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        (from..<to).allSatisfy { isFiller(b[$0]) }
    }

    /// `A`-`E` (or `a`-`e` when allowed) and `1`-`5`, as an upper-case letter.
    static func letter(_ c: UInt8, allowLowercase: Bool) -> String? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "E"): return String(UnicodeScalar(c))
        case UInt8(ascii: "a")...UInt8(ascii: "e") where allowLowercase: return String(UnicodeScalar(c - 0x20))
        case UInt8(ascii: "1")...UInt8(ascii: "5"): return String(UnicodeScalar(c - UInt8(ascii: "1") + UInt8(ascii: "A")))
        default: return nil
        }
    }

    /// An option standing at `i`: `(X)`, or `X` not followed by a letter or digit (so the
    /// article "A" of "A plant" is not taken, but "A." and "A)" are); lower case only in
    /// parentheses or before ")".
    static func option(in b: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> String? {
        guard i < end else { return nil }
        if b[i] == UInt8(ascii: "("), i + 2 < end, b[i + 2] == UInt8(ascii: ")") {
            return letter(b[i + 1], allowLowercase: true)
        }
        let next: UInt8? = i + 1 < end ? b[i + 1] : nil
        if let n = next, TextScan.isAlnum(n) { return nil }
        if let n = next, n == UInt8(ascii: " "), b[i] == UInt8(ascii: "A"), i + 2 < end, TextScan.isAlnum(b[i + 2]) {
            return nil  // "A plant ...": an article, not option A
        }
        return letter(b[i], allowLowercase: next == UInt8(ascii: ")"))
    }

    static func firstParenthesised(in b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> String? {
        var i = from
        while i + 2 < to {
            if b[i] == UInt8(ascii: "("), b[i + 2] == UInt8(ascii: ")"), let l = letter(b[i + 1], allowLowercase: false) { return l }
            i += 1
        }
        return nil
    }

    static func lastParenthesised(in b: UnsafeBufferPointer<UInt8>) -> String? {
        var i = b.count - 3
        while i >= 0 {
            if b[i] == UInt8(ascii: "("), b[i + 2] == UInt8(ascii: ")"), let l = letter(b[i + 1], allowLowercase: false) { return l }
            i -= 1
        }
        return nil
    }
}
