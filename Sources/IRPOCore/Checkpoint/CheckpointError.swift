import Foundation

/// A checkpoint that cannot be read or written; names the file, the tensor if any, and the problem.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file as the user would find it, e.g. `m1/model.safetensors` or `m1.tar.gz/m1/config.json`.
    public let file: String
    /// The HF tensor name the problem is about, if it is about one.
    public let tensor: String?
    public let problem: String

    /// An error about `file` (and `tensor`, if given).
    public init(file: String, tensor: String? = nil, _ problem: String) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    public var description: String {
        if let tensor { return "\(file): tensor \(tensor): \(problem)" }
        return "\(file): \(problem)"
    }
}

extension CheckpointError {
    /// Wraps errors from lower layers so that callers of CheckpointIO only ever see CheckpointError.
    static func wrapping(_ error: any Error, file: String) -> CheckpointError {
        switch error {
        case let e as CheckpointError: return e
        case let e as InputError: return CheckpointError(file: e.path, e.message)
        case let e as ConfigError: return CheckpointError(file: file, e.description)
        case let e as DecodingError: return CheckpointError(file: file, describe(e))
        default: return CheckpointError(file: file, "\(error)")
        }
    }

    /// JSONDecoder's errors as one line that names the key.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing key \"\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)\""
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "key \"\(path(context))\": expected \(type)"
        case .dataCorrupted(let context):
            let at = path(context)
            return at.isEmpty ? "not valid JSON" : "key \"\(at)\": \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
