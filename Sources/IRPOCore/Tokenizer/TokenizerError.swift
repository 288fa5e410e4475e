import Foundation

/// Why a tokenizer.json could not be loaded; every case names the field or value at fault.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file is not valid JSON.
    case malformedJSON(String)
    /// A field has a value this loader does not implement (another model type, an unknown
    /// pre-tokenizer, an unrecognised split regex): refused rather than approximated.
    case unsupported(field: String, value: String)
    /// A field is missing or has the wrong JSON type.
    case invalid(field: String, reason: String)

    /// The message with the field named, for diagnostics.
    public var description: String {
        switch self {
        case .malformedJSON(let m): return "tokenizer.json: malformed JSON: \(m)"
        case .unsupported(let f, let v): return "tokenizer.json: unsupported \(f): \(v)"
        case .invalid(let f, let r): return "tokenizer.json: \(f): \(r)"
        }
    }
}
