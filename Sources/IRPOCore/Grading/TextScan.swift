/// Byte-level helpers shared by the answer extractors: ASCII case-insensitive search over UTF-8.
enum TextScan {
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    static func isAlnum(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- 0x61 < 26 || b >= 0x80
    }

    /// Start offsets of every occurrence of an ASCII needle, ignoring ASCII case, last first.
    static func occurrences(of needle: String, in text: UnsafeBufferPointer<UInt8>) -> [Int] {
        let n = Array(needle.lowercased().utf8)
        guard !n.isEmpty, text.count >= n.count else { return [] }
        var hits: [Int] = []
        var i = text.count - n.count
        while i >= 0 {
            var k = 0
            while k < n.count {
                var c = text[i + k]
                if c &- 0x41 < 26 { c |= 0x20 }
                if c != n[k] { break }
                k += 1
            }
            if k == n.count { hits.append(i) }
            i -= 1
        }
        return hits
    }

    /// Runs a body over a string's UTF-8 bytes without copying when the string is native.
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = s
        return s.withUTF8 { body($0) }
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// The string without leading and trailing whitespace and newlines.
    static func trimmed(_ s: Substring) -> String {
        var sub = s
        while let f = sub.first, f.isWhitespace { sub = sub.dropFirst() }
        while let l = sub.last, l.isWhitespace { sub = sub.dropLast() }
        return String(sub)
    }

    /// The string without leading and trailing whitespace and newlines.
    static func trimmed(_ s: String) -> String { trimmed(s[...]) }
}
