/// GSM8K-style numeric answers: where the final number is, and numeric comparison.
///
/// The prediction is the first number after the last "Final answer:" (any case), else after the
/// last "####" (GSM8K's gold solutions end in `#### N`), else after the last "The answer is";
/// an occurrence with no number after it gives way to the one before it. Commas between
/// thousands, "$", "%", units and a trailing period are not part of the number; `-5`, `-$5`,
/// `$-5`, `3/4` and `1,234.50` are read as numbers. Answers are kept in a canonical text
/// (`18` for 18, 18.0 and 18.00; `0.75` for 3/4) so that equal numbers vote together in `eval`.
public enum NumericAnswer {
    /// The markers tried, in order of preference.
    public static let markers = ["final answer:", "####", "the answer is"]

    /// The canonical final number of a completion; with `flexible`, the last number anywhere
    /// when no marker is followed by one (a fallback: a marked answer always wins).
    public static func extract(from text: String, flexible: Bool = false) -> String? {
        TextScan.withBytes(text) { bytes in
            for marker in markers {
                for start in TextScan.occurrences(of: marker, in: bytes) {
                    if let n = firstNumber(in: bytes, from: start + marker.utf8.count) {
                        return canonical(n.value)
                    }
                }
            }
            return flexible ? lastNumber(in: bytes).map(canonical) : nil
        }
    }

    /// The canonical gold number: by the same markers, else the text's only number
    /// (a bare `72` or `$1,000` answer field).
    public static func extractGold(from text: String) -> String? {
        if let v = extract(from: text) { return v }
        return TextScan.withBytes(text) { bytes in
            guard let first = firstNumber(in: bytes, from: 0),
                  firstNumber(in: bytes, from: first.end) == nil else { return nil }
            return canonical(first.value)
        }
    }

    /// Whether two canonical answers are the same number (text compare when either is no number).
    public static func equal(_ a: String, _ b: String) -> Bool {
        guard let x = Double(a), let y = Double(b) else { return a == b }
        return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
    }

    /// The canonical text of a number: an integer without fraction when it is one, else the
    /// shortest text that reads back to the same Double.
    public static func canonical(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))  // also turns -0 into 0
        }
        return value.description
    }

    /// A number found in text and the byte range it covers.
    struct Found {
        var value: Double
        var start: Int
        var end: Int
    }

    /// The first number at or after `from`.
    static func firstNumber(in b: UnsafeBufferPointer<UInt8>, from: Int) -> Found? {
        var i = from
        while i < b.count {
            if let f = number(in: b, at: i) { return f }
            i += 1
        }
        return nil
    }

    /// The last number in the text.
    static func lastNumber(in b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var last: Double?
        while i < b.count {
            if let f = number(in: b, at: i) {
                last = f.value
                i = f.end
            } else {
                i += 1
            }
        }
        return last
    }

    /// The number starting exactly at `i`, when one does (a digit, or a '.' before a digit that
    /// does not continue a previous number).
    static func number(in b: UnsafeBufferPointer<UInt8>, at start: Int) -> Found? {
        let n = b.count
        func digit(_ k: Int) -> Bool { k >= 0 && k < n && TextScan.isDigit(b[k]) }
        let c = b[start]
        let leadingPoint = c == UInt8(ascii: ".") && digit(start + 1) && !digit(start - 1)
        guard TextScan.isDigit(c) || leadingPoint else { return nil }
        if TextScan.isDigit(c), digit(start - 1) { return nil }
        var text: [UInt8] = []
        var i = start
        while i < n {
            if TextScan.isDigit(b[i]) {
                text.append(b[i]); i += 1
            } else if b[i] == UInt8(ascii: ","), !text.isEmpty, digit(i + 1), digit(i + 2), digit(i + 3), !digit(i + 4) {
                i += 1  // a thousands separator
            } else {
                break
            }
        }
        var value: Double
        if i < n, b[i] == UInt8(ascii: "."), digit(i + 1) {
            if text.isEmpty { text.append(UInt8(ascii: "0")) }
            text.append(UInt8(ascii: "."))
            i += 1
            while digit(i) { text.append(b[i]); i += 1 }
            value = Double(String(decoding: text, as: UTF8.self)) ?? 0
        } else {
            value = Double(String(decoding: text, as: UTF8.self)) ?? 0
            if i < n, b[i] == UInt8(ascii: "/"), digit(i + 1), !text.isEmpty {
                var j = i + 1
                var den: [UInt8] = []
                while digit(j) { den.append(b[j]); j += 1 }
                // "3/4." is a fraction; "3/4.5" or "1/2/3" are not simple fractions.
                let continues = (j < n && b[j] == UInt8(ascii: ".") && digit(j + 1)) || (j < n && b[j] == UInt8(ascii: "/"))
                if let d = Double(String(decoding: den, as: UTF8.self)), d != 0, !continues {
                    value /= d
                    i = j
                }
            }
        }
        if isNegated(b, before: start) { value = -value }
        return Found(value: value, start: start, end: i)
    }

    /// Whether a minus sign (ASCII or U+2212) stands right before the number, possibly with a
    /// "$" between, and is not itself the operator of a preceding term ("12-5").
    static func isNegated(_ b: UnsafeBufferPointer<UInt8>, before start: Int) -> Bool {
        var j = start - 1
        if j >= 0, b[j] == UInt8(ascii: "$") { j -= 1 }
        var signStart: Int
        if j >= 0, b[j] == UInt8(ascii: "-") {
            signStart = j
        } else if j >= 2, b[j - 2] == 0xE2, b[j - 1] == 0x88, b[j] == 0x92 {
            signStart = j - 2
        } else {
            return false
        }
        // "$-5" and "-$5" are both negative; "5-3" is a subtraction.
        if signStart > 0 {
            let p = b[signStart - 1]
            if TextScan.isAlnum(p) || p == UInt8(ascii: ")") { return false }
        }
        return true
    }
}
