import Foundation

/// Bad JSONL lines generated from a good record of the command under test, of every kind a
/// filter meets in the wild: truncated JSON, wrong field types, missing fields, invalid UTF-8,
/// NUL and other raw control bytes, duplicate keys, deep nesting, bad escapes and numbers,
/// trailing data, values that are not objects, and one 64 MB line.
struct BadInputs {
    /// A good record as its fields in order, each value as raw JSON text.
    var fields: [(key: String, value: String)]
    /// Fields the command needs: dropping one, or making it null, makes the line bad.
    var required: [String]
    /// Per field, raw JSON values the command must refuse there.
    var wrongValues: [String: [String]]

    /// The record's line, without newline.
    func line(_ fields: [(key: String, value: String)]) -> [UInt8] {
        Array(("{" + fields.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}").utf8)
    }

    /// The good record with one field's value replaced by raw bytes.
    func replacing(_ key: String, with value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = Array("{".utf8)
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("\"\(f.key)\":".utf8)
            out += f.key == key ? value : Array(f.value.utf8)
        }
        return out + Array("}".utf8)
    }

    /// Every bad line, each with the kind of damage, in a fixed order.
    func cases() -> [(kind: String, bytes: [UInt8])] {
        var out: [(kind: String, bytes: [UInt8])] = []
        let good = line(fields)

        for k in 1..<good.count { out.append(("truncated at byte \(k)", Array(good[..<k]))) }
        for key in required {
            out.append(("missing \(key)", line(fields.filter { $0.key != key })))
            out.append(("null \(key)", replacing(key, with: Array("null".utf8))))
        }
        for (key, values) in wrongValues.sorted(by: { $0.key < $1.key }) {
            for v in values { out.append(("\(key) is \(v)", replacing(key, with: Array(v.utf8)))) }
        }

        let invalidUTF8: [[UInt8]] = [[0xFF], [0xFE], [0x80], [0xC0, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80],
                                      [0xF0, 0x90, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]]
        let rawControls: [[UInt8]] = [[0x00], [0x01], [0x09], [0x0D], [0x1B], [0x1F]]
        let badEscapes = [#"\x"#, #"\u12"#, #"\u"#, #"\uD800"#, #"\uDC00"#, #"\uD800\u0041"#, #"\U0041"#, #"\'"#]
        for f in fields where f.value.hasPrefix("\"") {
            let inner = Array(f.value.utf8.dropFirst().dropLast())
            let quote = UInt8(ascii: "\"")
            for seq in invalidUTF8 {
                out.append(("invalid UTF-8 \(seq) at the start of \(f.key)", replacing(f.key, with: [quote] + seq + inner + [quote])))
                out.append(("invalid UTF-8 \(seq) at the end of \(f.key)", replacing(f.key, with: [quote] + inner + seq + [quote])))
            }
            for c in rawControls {
                out.append(("raw byte \(c) in \(f.key)", replacing(f.key, with: [quote] + inner.prefix(2) + c + inner.dropFirst(2) + [quote])))
            }
            for e in badEscapes {
                out.append(("escape \(e) in \(f.key)", replacing(f.key, with: [quote] + Array(e.utf8) + inner + [quote])))
            }
            out.append(("unterminated \(f.key)", replacing(f.key, with: [quote] + inner)))
        }
        for (i, f) in fields.enumerated() {
            out.append(("duplicate key \(f.key)", line(fields + [f])))
            out.append(("duplicate key \(f.key), other value", line(fields + [(f.key, "\"other\"")])))
            // The same key spelled with an escape is still the same key.
            let escaped = f.key.unicodeScalars.first.map { String(format: "\\u%04x", $0.value) + String(f.key.dropFirst()) } ?? f.key
            out.append(("duplicate key \(f.key) escaped", line(fields + [(escaped, f.value)])))
            // NUL bytes outside strings, between the tokens of the line.
            var withNUL = Array(line(Array(fields[..<i])).dropLast())
            withNUL += (i > 0 ? [UInt8(ascii: ","), 0] : [0]) + Array(line(Array(fields[i...])).dropFirst())
            out.append(("NUL before \(f.key)", withNUL))
        }
        for depth in [513, 10_000, 1_000_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            out.append(("array nested \(depth) deep", line(fields + [("deep", deep)])))
            out.append(("object nested \(depth) deep", line(fields + [("deep", String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth))])))
            out.append(("unclosed nesting \(depth) deep", Array(line(fields).dropLast()) + Array((",\"deep\":" + String(repeating: "[", count: depth)).utf8)))
            out.append(("top-level array nested \(depth) deep", Array(deep.utf8)))
        }
        for v in ["01", "1.", ".5", "-", "1e", "1e+", "--1", "+1", "0x10", "NaN", "Infinity", "-Infinity", "1_000",
                  "tru", "nul", "True", "undefined", "'s'", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{,}", "{\"a\":1,}", "{1:2}"] {
            out.append(("extra field holding \(v)", line(fields + [("extra", v)])))
        }
        for text in ["not json", "{", "}", "[", "]", "[1,2]", "\"a string\"", "42", "null", "true", ":", ",", "{}}",
                     "{\"a\":1}{\"b\":2}", "{'a':1}", "{a:1}", "\u{FEFF}\u{FEFF}{}", "\0", "\0\0\0"] {
            out.append(("the line \(text.debugDescription)", Array(text.utf8)))
        }
        out.append(("trailing text", good + Array(" x".utf8)))
        out.append(("two records on one line", good + good))
        out.append(("trailing comma", good + Array(",".utf8)))
        out.append(("NUL after the record", good + [0]))
        out.append(("a lone CR inside the line", Array(good.prefix(1)) + [0x0D] + Array(good.dropFirst().prefix(3)) + [0x0D, 0x0D] + Array(good.dropFirst(4))))
        return out
    }

    /// One 64 MB line: the record's fields, then a 64 MB string that never ends.
    func hugeLine() -> [UInt8] {
        var bytes = Array(line(fields).dropLast()) + Array(",\"huge\":\"".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 20)
        return bytes
    }

    /// Good lines and the bad lines of `templates` (plus `extra` bad lines and one 64 MB line)
    /// interleaved, `badPerGood` bad lines after each good one, with blank lines (CRLF, spaces)
    /// that must be skipped silently and CRLF ends on some good lines. Returns the file, the good
    /// lines alone (the expected output is the command's output for them) and the 1-based
    /// numbers of the bad lines.
    static func interleave(good: [String], templates: [BadInputs], extra: [String] = [],
                           badPerGood: Int) -> (file: [UInt8], goodOnly: [UInt8], badLines: [Int]) {
        var bad = templates.flatMap { $0.cases().map(\.bytes) } + extra.map { Array($0.utf8) }
        bad.insert(templates[0].hugeLine(), at: bad.count / 2)
        var file: [UInt8] = [], goodOnly: [UInt8] = [], badLines: [Int] = []
        var lineNo = 0
        var b = 0, g = 0
        func add(_ bytes: [UInt8], isBad: Bool, crlf: Bool = false) {
            lineNo += 1
            file += bytes + (crlf ? [0x0D, 0x0A] : [0x0A])
            if isBad { badLines.append(lineNo) }
        }
        while b < bad.count || g < good.count {
            if g < good.count {
                add(Array(good[g].utf8), isBad: false, crlf: g % 3 == 1)
                goodOnly += Array(good[g].utf8) + [0x0A]
                if g % 5 == 4 { add(g % 2 == 0 ? [0x20, 0x09] : [], isBad: false, crlf: true) }
                g += 1
            }
            for _ in 0..<badPerGood where b < bad.count {
                add(bad[b], isBad: true)
                b += 1
            }
        }
        return (file, goodOnly, badLines)
    }
}

/// Checks what a filter printed for an input of interleaved good and bad lines.
enum BadInputCheck {
    /// The numbers of the lines `command: FILE:LINE: reason` diagnostics name, in order; a line
    /// that has another form is returned as nil.
    static func reportedLines(_ stderr: String, command: String, file: String) -> [Int?] {
        // Split on the byte: a Character-wise split would keep "\r\n" together.
        stderr.utf8.split(separator: UInt8(ascii: "\n")).map { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            let prefix = "\(command): \(file):"
            // A raw control byte (echoed from the input) would garble a terminal.
            guard line.hasPrefix(prefix), !line.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
            let rest = line.dropFirst(prefix.count)
            guard let colon = rest.firstIndex(of: ":"), let n = Int(rest[..<colon]),
                  rest[colon...].hasPrefix(": "), rest.count > rest.distance(from: rest.startIndex, to: colon) + 2 else { return nil }
            return n
        }
    }
}
