import Foundation

/// A parsed JSON value whose objects keep their keys in file order and byte for byte.
///
/// JSONSerialization hands back `[String: Any]`, and Swift `String` keys compare by canonical
/// equivalence: two vocabulary entries such as "Å" (U+00C5) and "Å" (U+212B) would collapse into
/// one and shift an id. Objects here are arrays of pairs, so nothing is merged or reordered.
enum TokenizerJSON: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TokenizerJSON])
    case object([(key: String, value: TokenizerJSON)])

    /// Parses a complete JSON text with the project's one JSON parser (Records/JSONParser).
    static func parse(_ data: Data) throws -> TokenizerJSON {
        do {
            return TokenizerJSON(try JSONParser.parse([UInt8](data)))
        } catch {
            throw TokenizerError.malformedJSON("\(error)")
        }
    }

    /// The same value in the shape the tokenizer's loaders walk.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(n.doubleValue)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(TokenizerJSON.init))
        case .object(let o): self = .object(o.members.map { (key: $0.key, value: TokenizerJSON($0.value)) })
        }
    }

    subscript(key: String) -> TokenizerJSON? {
        guard case .object(let pairs) = self else { return nil }
        for pair in pairs where pair.key == key { return pair.value }
        return nil
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var arrayValue: [TokenizerJSON]? { if case .array(let a) = self { return a } else { return nil } }
    var objectValue: [(key: String, value: TokenizerJSON)]? {
        if case .object(let o) = self { return o } else { return nil }
    }
    /// The value as an exact integer, or nil for fractions and out-of-range numbers.
    var intValue: Int? {
        guard case .number(let d) = self, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
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
