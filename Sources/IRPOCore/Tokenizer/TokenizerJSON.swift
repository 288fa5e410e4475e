import Foundation

// tokenizer.json is read with the project's one JSON parser (Records/JSONParser). Its objects
// keep their members in file order and byte for byte: JSONSerialization's `[String: Any]` would
// merge two vocabulary entries such as "Å" (U+00C5) and "Å" (U+212B), whose Swift `String`s are
// equal, and shift an id.

extension JSONValue {
    /// Parses a complete tokenizer.json text.
    static func parseTokenizerJSON(_ data: Data) throws -> JSONValue {
        do {
            return try JSONParser.parse([UInt8](data))
        } catch {
            throw TokenizerError.malformedJSON("\(error)")
        }
    }

    /// The member `key` when this is an object.
    subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The number as an Int when its value is whole and below 9·10¹⁵ in size, however it is
    /// written (`3`, `3.0`, `3e0`), as the tokenizer's ids and offsets are read.
    var wholeNumber: Int? {
        guard let d = doubleValue, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }
}

/// Appends `s` to `out` as a JSON string literal, escaping only what JSON requires.
func appendJSONString(_ s: String, to out: inout String) {
    out.append("\"")
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out.append("\\\"")
        case "\\": out.append("\\\\")
        case "\n": out.append("\\n")
        case "\r": out.append("\\r")
        case "\t": out.append("\\t")
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out.append("\"")
}
