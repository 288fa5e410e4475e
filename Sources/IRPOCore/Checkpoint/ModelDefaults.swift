import Foundation

/// Sampling defaults a model directory carries in `irpo.json` beside config.json, so a model
/// trained on one prompt format is sampled in it without flags: `sample` uses them where its
/// flags are absent, and dpo-train carries the file to the models it writes.
public struct ModelDefaults: Codable, Sendable, Equatable {
    /// The prompt template: a built-in name (gsm8k, arc, plain) or the template text itself.
    public var template: String?
    /// Most completion tokens per sample.
    public var maxTokens: Int?
    /// Strings that end a completion.
    public var stop: [String]?
    /// The model's generation_config.json, read beside irpo.json: its end tokens and sampling
    /// settings (see `SamplingOptions`); not part of irpo.json.
    public var recommended: GenerationConfig?

    enum CodingKeys: String, CodingKey { case template, maxTokens = "max_tokens", stop }

    /// The file's name inside a model directory.
    public static let fileName = "irpo.json"

    /// Defaults as given.
    public init(template: String? = nil, maxTokens: Int? = nil, stop: [String]? = nil) {
        self.template = template; self.maxTokens = maxTokens; self.stop = stop
    }

    /// The defaults `checkpoint` carries (none when it has no irpo.json); throws, naming the
    /// file, when the file is not such an object or holds impossible values.
    public init(of checkpoint: Checkpoint, display: String) throws {
        guard let data = checkpoint.extraFiles[Self.fileName] else { self.init(); return }
        let file = display + "/" + Self.fileName
        do {
            self = try JSONDecoder().decode(ModelDefaults.self, from: data)
        } catch {
            throw CheckpointError(file: file, "not a JSON object with \"template\", \"max_tokens\" and \"stop\": \(error)")
        }
        if let maxTokens, maxTokens < 1 { throw CheckpointError(file: file, "\"max_tokens\" must be at least 1") }
        if let stop, stop.contains("") { throw CheckpointError(file: file, "\"stop\" holds an empty string") }
    }
}
