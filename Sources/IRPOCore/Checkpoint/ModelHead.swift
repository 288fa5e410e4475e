import Foundation

/// The head a checkpoint must carry for the command reading it: a causal LM's `lm_head`
/// (sampling, training), or a reward model's one-label `score` (LlamaForSequenceClassification).
/// Each refuses the other, so a reward model is never sampled from and a causal LM never scores.
enum ModelHead: Sendable, Equatable {
    case lmHead, score

    /// The safetensors name of a sequence classifier's head, (num_labels, hidden).
    static let scoreName = "score.weight"
    static let rewardArchitecture = "LlamaForSequenceClassification"

    /// The config.json keys that say which head a checkpoint has.
    struct ConfigKeys: Decodable {
        var architectures: [String]?
        var id2label: [String: String]?
        var numLabels: Int?
        enum CodingKeys: String, CodingKey { case architectures, id2label, numLabels = "num_labels" }

        /// As transformers counts them: the id2label map, else num_labels, else its default of 2.
        var labels: Int { id2label?.count ?? numLabels ?? 2 }
    }

    /// Throws unless `keys` describe a checkpoint with this head; names what is wrong.
    func check(_ keys: ConfigKeys, display: String) throws {
        let names = keys.architectures ?? []
        switch self {
        case .lmHead:
            if names.contains(Self.rewardArchitecture) {
                throw CheckpointError(file: display, "\(Self.rewardArchitecture) is a reward model with no lm_head: "
                                      + "it cannot generate or train; grade --reward-model reads it")
            }
            let known = ModelFamily.allCases.map(\.architecture)
            if !names.isEmpty && !names.contains(where: known.contains) {
                throw CheckpointError(file: display, "unsupported architectures \(names) (supported: \(known.joined(separator: ", ")))")
            }
        case .score:
            if !names.isEmpty && !names.contains(Self.rewardArchitecture) {
                throw CheckpointError(file: display, "architectures \(names) is not a reward model "
                                      + "(--reward-model reads \(Self.rewardArchitecture))")
            }
            if keys.labels != 1 {
                throw CheckpointError(file: display, "num_labels \(keys.labels): a reward model has exactly one label, the reward")
            }
        }
    }

    /// Throws when a causal LM's `architectures` name another family than its `model_type`.
    func checkFamily(_ keys: ConfigKeys, config: LlamaConfig, display: String) throws {
        let names = keys.architectures ?? []
        guard self == .lmHead, !names.isEmpty, !names.contains(config.family.architecture) else { return }
        throw CheckpointError(file: display, "architectures \(names) do not match model_type \"\(config.family.rawValue)\" (\(config.family.architecture))")
    }

    /// The configuration the decoder body is laid out by. A sequence classifier has no lm_head:
    /// tying it to the embedding keeps the layout from expecting one and adds no parameter.
    func bodyConfig(_ config: LlamaConfig) -> LlamaConfig {
        var body = config
        if self == .score { body.tieWordEmbeddings = true }
        return body
    }

    /// Why a tensor the layout does not know is refused.
    var unexpected: String {
        switch self {
        case .lmHead: return "unexpected tensor: not part of a Llama with this config.json"
        case .score: return "unexpected tensor: not part of a \(Self.rewardArchitecture) with this config.json"
        }
    }
}
