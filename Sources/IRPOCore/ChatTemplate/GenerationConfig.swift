import Foundation

/// The sampling settings a model directory's `generation_config.json` recommends; absent keys
/// stay nil and keys outside these are ignored (transformers writes many).
public struct GenerationConfig: Sendable, Equatable {
    /// The ids that end generation: `eos_token_id`, given as one int or a list.
    public var eosTokenIds: [Int]?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    /// Whether the model is meant to be sampled; false means greedy decoding.
    public var doSample: Bool?

    /// The file's name inside a model directory.
    public static let fileName = "generation_config.json"

    /// Settings as given.
    public init(eosTokenIds: [Int]? = nil, temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, doSample: Bool? = nil) {
        self.eosTokenIds = eosTokenIds
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.doSample = doSample
    }

    /// Parses the file's bytes; `display` names the file in errors, which also name the key.
    public init(json data: Data, display: String) throws {
        let json: JSONValue
        do { json = try JSONParser.parse([UInt8](data)) } catch { throw CheckpointError(file: display, error.description) }
        guard let object = json.objectValue else { throw CheckpointError(file: display, "not a JSON object") }
        func bad(_ key: String, _ expected: String, _ v: JSONValue) -> CheckpointError {
            CheckpointError(file: display, "\"\(key)\" must be \(expected), not \(v.doubleValue == nil ? v.kindName : JSONSerializer.string(v))")
        }
        func present(_ key: String) -> JSONValue? {
            guard let v = object[key], !v.isNull else { return nil }
            return v
        }
        if let v = present("eos_token_id") {
            if let id = v.intValue {
                eosTokenIds = [id]
            } else if let items = v.arrayValue {
                eosTokenIds = try items.map { item in
                    guard let id = item.intValue else { throw bad("eos_token_id", "an integer or a list of integers", item) }
                    return id
                }
            } else {
                throw bad("eos_token_id", "an integer or a list of integers", v)
            }
        }
        if let v = present("temperature") {
            guard let d = v.doubleValue, d >= 0, d.isFinite else { throw bad("temperature", "a number of 0 or more", v) }
            temperature = d
        }
        if let v = present("top_p") {
            guard let d = v.doubleValue, d > 0, d <= 1 else { throw bad("top_p", "a number in (0, 1]", v) }
            topP = d
        }
        if let v = present("top_k") {
            guard let k = v.intValue, k >= 0 else { throw bad("top_k", "an integer of 0 or more", v) }
            topK = k
        }
        if let v = present("do_sample") {
            guard let b = v.boolValue else { throw bad("do_sample", "true or false", v) }
            doSample = b
        }
    }

    /// The settings among a model's top-level files by name (a Checkpoint's `extraFiles`); nil
    /// when it has no generation_config.json.
    public init?(files: [String: Data], display: String) throws {
        guard let data = files[Self.fileName] else { return nil }
        try self.init(json: data, display: display + "/" + Self.fileName)
    }
}
