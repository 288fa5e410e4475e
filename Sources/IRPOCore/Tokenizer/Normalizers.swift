import Foundation

/// One step of a tokenizer.json `normalizer`, applied to the text between added tokens.
enum NormalizerStep: Sendable {
    case prepend([UInt8])
    case replace(from: [UInt8], to: [UInt8])
    case unicode(UnicodeForm)
    case strip(left: Bool, right: Bool)

    enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

    /// Parses a normalizer object (or null), flattening Sequence; `field` names it in errors.
    static func parse(_ json: JSONValue?, field: String) throws -> [NormalizerStep] {
        guard let json, !json.isNull else { return [] }
        let type = try requireType(json, field: field)
        switch type {
        case "Sequence":
            return try parseSequence(json, key: "normalizers", field: field) { try parse($0, field: $1) }
        case "Prepend":
            guard let s = json["prepend"]?.stringValue else {
                throw TokenizerError.invalid(field: "\(field).prepend", reason: "expected a string")
            }
            return [.prepend(Array(s.utf8))]
        case "Replace":
            let (from, to) = try parseReplace(json, field: field)
            return [.replace(from: from, to: to)]
        case "NFC": return [.unicode(.nfc)]
        case "NFD": return [.unicode(.nfd)]
        case "NFKC": return [.unicode(.nfkc)]
        case "NFKD": return [.unicode(.nfkd)]
        case "Strip":
            return [.strip(left: json["strip_left"]?.boolValue ?? true, right: json["strip_right"]?.boolValue ?? true)]
        default:
            throw TokenizerError.unsupported(field: "\(field).type", value: type)
        }
    }

    /// Applies the steps in order to one piece of text.
    static func apply(_ steps: [NormalizerStep], to input: [UInt8]) -> [UInt8] {
        var s = input
        for step in steps {
            switch step {
            case .prepend(let p):
                // HF prepends only to non-empty text, so an empty piece stays empty.
                if !s.isEmpty { s = p + s }
            case .replace(let from, let to):
                s = replaceAll(s, from, to)
            case .unicode(let form):
                // Pure ASCII is invariant under every normalization form; skip the String round trip.
                if s.allSatisfy({ $0 < 0x80 }) { continue }
                let str = String(decoding: s, as: UTF8.self)
                let n: String
                switch form {
                case .nfc: n = str.precomposedStringWithCanonicalMapping
                case .nfd: n = str.decomposedStringWithCanonicalMapping
                case .nfkc: n = str.precomposedStringWithCompatibilityMapping
                case .nfkd: n = str.decomposedStringWithCompatibilityMapping
                }
                s = Array(n.utf8)
            case .strip(let left, let right):
                let scalars = Array(String(decoding: s, as: UTF8.self).unicodeScalars)
                var lo = 0, hi = scalars.count
                if left { while lo < hi && scalars[lo].properties.isWhitespace { lo += 1 } }
                if right { while hi > lo && scalars[hi - 1].properties.isWhitespace { hi -= 1 } }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[lo..<hi])
                s = Array(String(view).utf8)
            }
        }
        return s
    }
}

/// Reads the `type` of a component, naming the field when it is missing.
/// The steps of a `Sequence` component: each item of its `key` array through `parse` (which
/// gets the item and its field name for errors), flattened in order.
func parseSequence<Step>(_ json: JSONValue, key: String, field: String,
                         _ parse: (JSONValue, String) throws -> [Step]) throws -> [Step] {
    guard let list = json[key]?.arrayValue else {
        throw TokenizerError.invalid(field: "\(field).\(key)", reason: "expected an array")
    }
    var steps: [Step] = []
    for (i, item) in list.enumerated() { steps += try parse(item, "\(field).\(key)[\(i)]") }
    return steps
}

func requireType(_ json: JSONValue, field: String) throws -> String {
    guard let type = json["type"]?.stringValue else {
        throw TokenizerError.invalid(field: "\(field).type", reason: "missing")
    }
    return type
}

/// Reads a Replace component's literal pattern; regex patterns are refused by name.
func parseReplace(_ json: JSONValue, field: String) throws -> ([UInt8], [UInt8]) {
    guard let content = json["content"]?.stringValue else {
        throw TokenizerError.invalid(field: "\(field).content", reason: "expected a string")
    }
    guard let pattern = json["pattern"] else {
        throw TokenizerError.invalid(field: "\(field).pattern", reason: "missing")
    }
    if let s = pattern["String"]?.stringValue, !s.isEmpty { return (Array(s.utf8), Array(content.utf8)) }
    if let r = pattern["Regex"]?.stringValue {
        throw TokenizerError.unsupported(field: "\(field).pattern.Regex", value: r)
    }
    throw TokenizerError.invalid(field: "\(field).pattern", reason: "expected {\"String\": ...}")
}

/// Replaces every non-overlapping occurrence of `from`, scanning left to right.
func replaceAll(_ s: [UInt8], _ from: [UInt8], _ to: [UInt8]) -> [UInt8] {
    guard !from.isEmpty, s.count >= from.count else { return s }
    let first = from[0]
    var out: [UInt8] = []
    out.reserveCapacity(s.count + s.count / 4 * max(0, to.count - from.count))
    var i = 0
    var changed = false
    while i < s.count {
        if s[i] == first && i + from.count <= s.count && s[i..<i + from.count].elementsEqual(from) {
            out.append(contentsOf: to)
            i += from.count
            changed = true
        } else {
            out.append(s[i])
            i += 1
        }
    }
    return changed ? out : s
}
