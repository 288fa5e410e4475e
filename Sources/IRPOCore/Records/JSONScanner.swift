/// The byte-level JSON reader behind `JSONParser` and `JSONRecord`: RFC 8259 strict, UTF-8 checked,
/// nesting limited, duplicate keys refused.
///
/// It can build values or only validate them (`skipValue`), so that a record's fields that no
/// command asks for are checked once and then copied through as their original bytes.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var maxDepth = JSONParser.defaultMaxDepth

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(reason, at: index) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Expects the byte at the current position, after whitespace.
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input, expected \(what)") }
        guard bytes[index] == byte else { throw fail("expected \(what), found \(describeByte(bytes[index]))") }
        index += 1
    }

    func describeByte(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    // MARK: values

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            let r = try scanNumber()
            return .number(JSONNumber(uncheckedText: makeString(r)))
        }
    }

    /// Validates one value without building it; returns the byte range it occupies.
    mutating func skipValue(depth: Int) throws(JSONParseError) -> Range<Int> {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input, expected a value") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try scanNumber()
        }
        return start..<index
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        guard index + n <= bytes.count else { throw fail("invalid literal") }
        for k in 0..<n where bytes[index + k] != w[k] { throw fail("invalid literal") }
        index += n
    }

    func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        try checkDepth(depth)
        var object = JSONObject()
        try walkObject { s, key, _ throws(JSONParseError) in
            object.appendUnchecked(key: key, value: try s.parseValue(depth: depth))
        }
        return object
    }

    mutating func skipObject(depth: Int) throws(JSONParseError) {
        try checkDepth(depth)
        try walkObject { s, _, _ throws(JSONParseError) in _ = try s.skipValue(depth: depth) }
    }

    /// Reads the object at `index` ('{') to its end: each key is checked (a string, not seen
    /// before in this object), then `member` gets it, its byte range and the scanner at the
    /// value, which `member` must read.
    @inline(__always)
    mutating func walkObject(
        _ member: (inout JSONScanner, String, Range<Int>) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        index += 1  // '{'
        var seen = KeySet()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail(index < bytes.count ? "expected a string key" : "unexpected end of input in object")
            }
            let keyStart = index
            let key = try parseString()
            let keyRange = keyStart..<index
            if !seen.insert(key) { throw JSONParseError("duplicate key \(JSONSerializer.string(.string(key)))", at: keyStart) }
            try expect(UInt8(ascii: ":"), "':' after object key")
            try member(&self, key, keyRange)
            if try endOfContainer(UInt8(ascii: "}"), "object") { return }
        }
    }

    /// After a member or element: true at the closing byte, false after a comma.
    mutating func endOfContainer(_ close: UInt8, _ what: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input in \(what)") }
        let b = bytes[index]
        index += 1
        if b == close { return true }
        if b == UInt8(ascii: ",") { return false }
        index -= 1
        throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(what), found \(describeByte(b))")
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        try checkDepth(depth)
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return items }
        while true {
            items.append(try parseValue(depth: depth))
            if try endOfContainer(UInt8(ascii: "]"), "array") { return items }
        }
    }

    mutating func skipArray(depth: Int) throws(JSONParseError) {
        try checkDepth(depth)
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return }
        while true {
            _ = try skipValue(depth: depth)
            if try endOfContainer(UInt8(ascii: "]"), "array") { return }
        }
    }

    // MARK: numbers

    /// Scans `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` and returns its range.
    mutating func scanNumber() throws(JSONParseError) -> Range<Int> {
        let start = index
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] &- 0x30 < 10 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else {
            index = start
            if index < bytes.count { throw fail("unexpected \(describeByte(bytes[index])), expected a value") }
            throw fail("unexpected end of input, expected a value")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw fail("leading zero in number") }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw fail("expected a digit after the decimal point") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("expected a digit in the exponent") }
            while isDigit(index) { index += 1 }
        }
        return start..<index
    }

    // MARK: strings

    func makeString(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// Parses a string whose opening quote is at `index`.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = index + 1
        let hasEscapes = try skipString()
        let content = start..<(index - 1)
        if !hasEscapes { return makeString(content) }
        return try JSONScanner.unescape(UnsafeBufferPointer(rebasing: bytes[content]), baseOffset: start)
    }

    /// Validates a string whose opening quote is at `index` (escapes, control characters, UTF-8);
    /// leaves `index` after the closing quote and says whether it held escapes.
    mutating func skipString() throws(JSONParseError) -> Bool {
        index += 1
        var escapes = false
        let n = bytes.count
        while index < n {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { index += 1; return escapes }
            if b == UInt8(ascii: "\\") {
                escapes = true
                index += 1
                guard index < n else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    try skipUnicodeEscape()
                default:
                    // A control byte or a non-ASCII byte is named, not echoed into the message.
                    let e = bytes[index]
                    throw fail(e >= 0x21 && e < 0x7F ? "invalid escape \\\(Character(Unicode.Scalar(e)))"
                                                     : "invalid escape: \\ followed by \(describeByte(e))")
                }
                continue
            }
            if b < 0x20 { throw fail("unescaped control character 0x\(String(b, radix: 16, uppercase: true)) in string") }
            if b < 0x80 { index += 1; continue }
            try skipUTF8Sequence()
        }
        throw fail("unterminated string")
    }

    /// At the `u` of `\uXXXX`: checks the hex digits and that surrogates come in proper pairs.
    mutating func skipUnicodeEscape() throws(JSONParseError) {
        let first = try hex4(at: index + 1)
        index += 5
        if first >= 0xDC00 && first <= 0xDFFF { throw fail("lone low surrogate \\u\(String(first, radix: 16))") }
        if first >= 0xD800 && first <= 0xDBFF {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw fail("high surrogate without a low surrogate")
            }
            let second = try hex4(at: index + 2)
            guard second >= 0xDC00 && second <= 0xDFFF else { throw fail("high surrogate without a low surrogate") }
            index += 6
        }
    }

    func hex4(at i: Int) throws(JSONParseError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw JSONParseError("truncated \\u escape", at: i) }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = bytes[k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw JSONParseError("invalid hex digit in \\u escape", at: k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Validates one multi-byte UTF-8 sequence at `index` (no overlongs, surrogates or values past U+10FFFF).
    mutating func skipUTF8Sequence() throws(JSONParseError) {
        let b0 = bytes[index]
        let n = bytes.count
        func cont(_ i: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i < n && bytes[i] >= lo && bytes[i] <= hi
        }
        let i = index
        var ok = false
        var len = 1
        switch b0 {
        case 0xC2...0xDF: len = 2; ok = cont(i + 1)
        case 0xE0: len = 3; ok = cont(i + 1, 0xA0, 0xBF) && cont(i + 2)
        case 0xE1...0xEC, 0xEE...0xEF: len = 3; ok = cont(i + 1) && cont(i + 2)
        case 0xED: len = 3; ok = cont(i + 1, 0x80, 0x9F) && cont(i + 2)
        case 0xF0: len = 4; ok = cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3)
        case 0xF1...0xF3: len = 4; ok = cont(i + 1) && cont(i + 2) && cont(i + 3)
        case 0xF4: len = 4; ok = cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3)
        default: ok = false
        }
        guard ok else { throw fail("invalid UTF-8") }
        index += len
    }

    /// Decodes the escapes of already validated string content.
    static func unescape(_ s: UnsafeBufferPointer<UInt8>, baseOffset: Int) throws(JSONParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        func hex(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = s[k]
                let d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < s.count {
            let b = s[i]
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            let e = s[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex(i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = hex(i + 2)
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONParseError("invalid \\u escape", at: baseOffset + i) }
                UTF8.encode(u) { out.append($0) }
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Keys seen in one object: a linear scan for the usual handful, a set past that.
///
/// Keys compare by their UTF-8 bytes, as JSON defines them. Swift `String` equality is canonical
/// equivalence, under which "Å" (U+00C5) and "Å" (U+212B) are one key: a tokenizer vocabulary
/// holding both would be refused as a duplicate.
struct KeySet {
    var small: [String] = []
    var large: Set<[UInt8]>? = nil

    /// Inserts the key; false when it was already there.
    mutating func insert(_ key: String) -> Bool {
        if large != nil { return large!.insert(Array(key.utf8)).inserted }
        if small.contains(where: { $0.utf8.elementsEqual(key.utf8) }) { return false }
        small.append(key)
        if small.count > 16 { large = Set(small.map { Array($0.utf8) }); small = [] }
        return true
    }
}
