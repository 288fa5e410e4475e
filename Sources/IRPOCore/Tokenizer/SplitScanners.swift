/// Hand-written equivalents of the split regexes real tokenizer.json files carry.
///
/// Each scanner walks UTF-8 bytes (always valid: they come from a Swift String or from our own
/// rewrites of one) and classifies Unicode scalars the way Oniguruma does for `\p{L}`, `\p{N}`
/// and `\s`, then returns the end of the one match that the regex would find at a position.
/// The patterns cover every character, so "Isolated" splitting is just the sequence of matches.
package enum SplitPattern: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3's `(?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
    /// `maxDigits` is 3 for Llama 3 and 1 for Qwen2 (`\p{N}`).
    case llama3(maxDigits: Int)

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The scanner for a regex source text, or nil when we have no scanner for it.
    static func recognise(_ regex: String) -> SplitPattern? {
        switch regex {
        case gpt2Regex: return .gpt2
        case llama3Regex: return .llama3(maxDigits: 3)
        case qwen2Regex: return .llama3(maxDigits: 1)
        default: return nil
        }
    }

    /// Appends the matches covering `start..<end` of `p` to `out`.
    package func split(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [Range<Int>]) {
        var i = start
        switch self {
        case .gpt2:
            while i < end {
                let j = Scan.gpt2Match(p, i, end)
                out.append(i..<j)
                i = j
            }
        case .llama3(let maxDigits):
            while i < end {
                let j = Scan.llama3Match(p, i, end, maxDigits: maxDigits)
                out.append(i..<j)
                i = j
            }
        }
    }
}

/// The character classes the patterns distinguish.
enum ScalarClass: UInt8 {
    case letter, number, space, other
}

enum Scan {
    /// ASCII classes by table; everything else by Unicode general category and White_Space.
    private static let asciiClass: [ScalarClass] = (0..<128).map { b -> ScalarClass in
        switch b {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .space
        default: return .other
        }
    }

    @inline(__always)
    static func classify(_ v: UInt32) -> ScalarClass {
        if v < 128 { return asciiClass[Int(v)] }
        return classifySlow(v)
    }

    static func classifySlow(_ v: UInt32) -> ScalarClass {
        guard let s = Unicode.Scalar(v) else { return .other }
        let props = s.properties
        if props.isWhitespace { return .space }
        switch props.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Decodes the scalar starting at byte `i`: its value and its length in bytes.
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                    | UInt32(p[i + 3] & 0x3F), 4)
    }

    /// End of the run of `cls` characters starting at `i`.
    @inline(__always)
    static func run(_ cls: ScalarClass, _ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end {
            let (v, n) = decode(p, j)
            if classify(v) != cls { break }
            j += n
        }
        return j
    }

    /// End of a contraction starting at the apostrophe at `i`, or nil.
    /// Under `(?i)` the letters fold case, and `s` also matches U+017F LATIN SMALL LETTER LONG S.
    static func contraction(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, ignoreCase: Bool) -> Int? {
        let j = i + 1
        guard j < end else { return nil }
        let (a, na) = decode(p, j)
        func fold(_ v: UInt32) -> UInt32 {
            if !ignoreCase { return v }
            if v == 0x17F { return 0x73 }
            if v >= 0x41 && v <= 0x5A { return v + 32 }
            return v
        }
        let fa = fold(a)
        if fa == 0x73 || fa == 0x74 || fa == 0x6D || fa == 0x64 { return j + na }  // s t m d
        let k = j + na
        guard k < end else { return nil }
        let (b, nb) = decode(p, k)
        let fb = fold(b)
        if (fa == 0x72 && fb == 0x65) || (fa == 0x76 && fb == 0x65) || (fa == 0x6C && fb == 0x6C) { return k + nb }
        return nil
    }

    /// `\s+(?!\S)|\s+` at a whitespace character: the run, less its last character when a
    /// non-space follows and the run is longer than one (so the last space can lead the next word).
    @inline(__always)
    static func whitespace(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        var lastStart = i
        var count = 0
        while j < end {
            let (v, n) = decode(p, j)
            if classify(v) != .space { break }
            lastStart = j
            count += 1
            j += n
        }
        if j == end || count < 2 { return j }
        return lastStart
    }

    static func gpt2Match(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let (c, n) = decode(p, i)
        if c == 0x27, let j = contraction(p, i, end, ignoreCase: false) { return j }
        if c == 0x20 && i + 1 < end {
            let (c2, n2) = decode(p, i + 1)
            let cls2 = classify(c2)
            if cls2 != .space { return run(cls2, p, i + 1 + n2, end) }
        }
        let cls = classify(c)
        if cls != .space { return run(cls, p, i + n, end) }
        return whitespace(p, i, end)
    }

    /// End of a run of `\r` and `\n` starting at `i`.
    @inline(__always)
    static func newlines(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end && (p[j] == 0x0A || p[j] == 0x0D) { j += 1 }
        return j
    }

    static func llama3Match(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, maxDigits: Int) -> Int {
        let (c, n) = decode(p, i)
        if c == 0x27, let j = contraction(p, i, end, ignoreCase: true) { return j }
        let cls = classify(c)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == .letter { return run(.letter, p, i + n, end) }
        if cls != .number && c != 0x0A && c != 0x0D && i + n < end {
            let (c2, n2) = decode(p, i + n)
            if classify(c2) == .letter { return run(.letter, p, i + n + n2, end) }
        }
        // \p{N}{1,maxDigits}
        if cls == .number {
            var j = i + n
            var count = 1
            while count < maxDigits && j < end {
                let (v, m) = decode(p, j)
                if classify(v) != .number { break }
                j += m
                count += 1
            }
            return j
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        if c == 0x20 && i + 1 < end {
            let (c2, n2) = decode(p, i + 1)
            if classify(c2) == .other { return newlines(p, run(.other, p, i + 1 + n2, end), end) }
        }
        if cls == .other { return newlines(p, run(.other, p, i + n, end), end) }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var j = i
        var afterLastBreak = -1
        while j < end {
            let (v, m) = decode(p, j)
            if classify(v) != .space { break }
            j += m
            if v == 0x0A || v == 0x0D { afterLastBreak = j }
        }
        if afterLastBreak > 0 { return afterLastBreak }
        return whitespace(p, i, end)
    }
}

/// HF's SplitDelimiterBehavior: how matched delimiters are kept when a piece is cut.
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `piece` around `matches` (ordered, non-overlapping, inside `piece`) and appends the parts.
    func apply(piece: Range<Int>, matches: [Range<Int>], into out: inout [Range<Int>]) {
        if matches.isEmpty {
            if !piece.isEmpty { out.append(piece) }
            return
        }
        // The piece as alternating (range, isMatch) parts, gaps included, empty gaps dropped.
        var parts: [(Range<Int>, Bool)] = []
        var at = piece.lowerBound
        for m in matches {
            if m.lowerBound > at { parts.append((at..<m.lowerBound, false)) }
            parts.append((m, true))
            at = m.upperBound
        }
        if at < piece.upperBound { parts.append((at..<piece.upperBound, false)) }

        var result: [(Range<Int>, Bool)] = []
        switch self {
        case .removed:
            result = parts.filter { !$0.1 }
        case .isolated:
            result = parts
        case .mergedWithPrevious:
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1].0 = last.0.lowerBound..<r.upperBound
                } else {
                    result.append((r, isMatch))
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (r, isMatch) in parts.reversed() {
                if isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1].0 = r.lowerBound..<last.0.upperBound
                } else {
                    result.append((r, isMatch))
                }
                previousMatch = isMatch
            }
            result.reverse()
        case .contiguous:
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch == previousMatch, let last = result.last {
                    result[result.count - 1].0 = last.0.lowerBound..<r.upperBound
                } else {
                    result.append((r, isMatch))
                }
                previousMatch = isMatch
            }
        }
        for (r, _) in result where !r.isEmpty { out.append(r) }
    }
}
