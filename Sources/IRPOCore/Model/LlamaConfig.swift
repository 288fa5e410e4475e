import Foundation

/// The hyper-parameters of a Llama-architecture model, read from and written to HF `config.json`.
public struct LlamaConfig: Codable, Sendable, Equatable {
    /// Which transformers class the checkpoint is; a saved model keeps it.
    public var family: ModelFamily
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    /// nil: plain RoPE.
    public var ropeScaling: RopeScaling?
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    /// HF allows one id or a list; every listed id ends a generation.
    public var eosTokenIds: [Int]
    public var padTokenId: Int?

    /// Builds a configuration and checks that its shapes fit together.
    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDim: Int? = nil,
                maxPositionEmbeddings: Int = 2048, rmsNormEps: Float = 1e-5, ropeTheta: Float = 10000,
                tieWordEmbeddings: Bool = false, bosTokenId: Int? = nil, eosTokenIds: [Int] = [],
                padTokenId: Int? = nil, family: ModelFamily = .llama, ropeScaling: RopeScaling? = nil) throws {
        self.family = family
        self.ropeScaling = ropeScaling
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
        try validate()
    }

    /// Width of all query heads together (NH * HS).
    public var queryWidth: Int { numAttentionHeads * headDim }
    /// Width of all key (or value) heads together (NKV * HS).
    public var keyValueWidth: Int { numKeyValueHeads * headDim }
    /// Width of a token's q, k and v side by side: `queryWidth + 2 · keyValueWidth`.
    public var qkvWidth: Int { queryWidth + 2 * keyValueWidth }
    /// Qwen2 adds a bias to q, k and v (not to o, not in the MLP).
    public var hasQKVBias: Bool { family == .qwen2 }

    /// Rejects combinations no Llama can have, naming the offending keys.
    public func validate() throws {
        func fail(_ message: String) -> ConfigError { ConfigError.invalid(message) }
        if vocabSize <= 0 { throw fail("vocab_size must be positive, got \(vocabSize)") }
        if hiddenSize <= 0 { throw fail("hidden_size must be positive, got \(hiddenSize)") }
        if intermediateSize <= 0 { throw fail("intermediate_size must be positive, got \(intermediateSize)") }
        if numHiddenLayers <= 0 { throw fail("num_hidden_layers must be positive, got \(numHiddenLayers)") }
        if numAttentionHeads <= 0 { throw fail("num_attention_heads must be positive, got \(numAttentionHeads)") }
        if numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0 {
            throw fail("num_key_value_heads (\(numKeyValueHeads)) must divide num_attention_heads (\(numAttentionHeads))")
        }
        if headDim <= 0 || headDim % 2 != 0 { throw fail("head_dim must be a positive even number, got \(headDim)") }
        if maxPositionEmbeddings <= 0 { throw fail("max_position_embeddings must be positive") }
        if !(rmsNormEps > 0) { throw fail("rms_norm_eps must be positive") }
        if !(ropeTheta > 0) { throw fail("rope_theta must be positive") }
        switch ropeScaling {
        case .linear(let factor) where !(factor > 0):
            throw fail("rope_scaling factor must be positive")
        case .llama3(let factor, let low, let high, let original) where !(factor > 0) || !(low > 0) || !(high > low) || original <= 0:
            throw fail("llama3 rope_scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0")
        default: break
        }
        for id in eosTokenIds + [bosTokenId, padTokenId].compactMap({ $0 }) where id < 0 || id >= vocabSize {
            throw fail("token id \(id) is outside the vocabulary (vocab_size \(vocabSize))")
        }
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", architectures
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
        case hiddenAct = "hidden_act", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case torchDtype = "torch_dtype", dtype
        case slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window", layerTypes = "layer_types"
    }

    /// transformers 5 moves `rope_theta` into `rope_parameters`; older files may carry `rope_scaling`
    /// (with `type` in the oldest). Both hold the scaling's own numbers.
    struct RopeParameters: Codable {
        var ropeTheta: Float?
        var ropeType: String?
        var factor: Float?
        var lowFreqFactor: Float?, highFreqFactor: Float?
        var originalMaxPositions: Int?
        enum CodingKeys: String, CodingKey {
            case ropeTheta = "rope_theta", ropeType = "rope_type", type, factor
            case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositions = "original_max_position_embeddings"
        }
        init(_ scaling: RopeScaling) {
            switch scaling {
            case .linear(let factor):
                ropeType = "linear"
                self.factor = factor
            case .llama3(let factor, let low, let high, let original):
                ropeType = "llama3"
                self.factor = factor
                lowFreqFactor = low
                highFreqFactor = high
                originalMaxPositions = original
            }
        }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
            ropeType = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type)
            factor = try c.decodeIfPresent(Float.self, forKey: .factor)
            lowFreqFactor = try c.decodeIfPresent(Float.self, forKey: .lowFreqFactor)
            highFreqFactor = try c.decodeIfPresent(Float.self, forKey: .highFreqFactor)
            originalMaxPositions = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositions)
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(ropeTheta, forKey: .ropeTheta)
            try c.encodeIfPresent(ropeType, forKey: .ropeType)
            try c.encodeIfPresent(factor, forKey: .factor)
            try c.encodeIfPresent(lowFreqFactor, forKey: .lowFreqFactor)
            try c.encodeIfPresent(highFreqFactor, forKey: .highFreqFactor)
            try c.encodeIfPresent(originalMaxPositions, forKey: .originalMaxPositions)
        }

        /// The scaling these parameters name; `key` names the config entry in errors.
        func scaling(key: String, maxPositions: Int) throws -> RopeScaling? {
            func need<T>(_ value: T?, _ name: String) throws -> T {
                guard let value else { throw ConfigError.invalid("\(key) rope_type \"\(ropeType ?? "")\" needs \(name)") }
                return value
            }
            switch ropeType {
            case nil where key == "rope_scaling":
                throw ConfigError.unsupported("rope_scaling without a rope_type")
            case nil, "default":
                return nil
            case "linear":
                return .linear(factor: try need(factor, "factor"))
            case "llama3":
                return .llama3(factor: try need(factor, "factor"), lowFreqFactor: try need(lowFreqFactor, "low_freq_factor"),
                               highFreqFactor: try need(highFreqFactor, "high_freq_factor"),
                               originalMaxPositions: originalMaxPositions ?? maxPositions)
            case let type?:
                throw ConfigError.unsupported("\(key) rope_type \"\(type)\" (default, linear and llama3 are supported)")
            }
        }
    }

    /// One id or a list of ids, as `eos_token_id` may be written.
    private struct OneOrMany: Decodable {
        var ids: [Int]
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(Int.self) { ids = [one] } else { ids = try c.decode([Int].self) }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var family = ModelFamily.llama
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType) {
            guard let known = ModelFamily(rawValue: type) else {
                throw ConfigError.unsupported("model_type \"\(type)\" is not a Llama-architecture model (supported: \(Self.supportedModelTypes.sorted().joined(separator: ", ")))")
            }
            family = known
        }
        if let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct), act != "silu" {
            throw ConfigError.unsupported("hidden_act \"\(act)\" (only silu)")
        }
        if family != .qwen2, try c.decodeIfPresent(Bool.self, forKey: .attentionBias) == true {
            throw ConfigError.unsupported("attention_bias true (\(family.architecture) has no biases)")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .mlpBias) == true {
            throw ConfigError.unsupported("mlp_bias true (the MLP has no biases)")
        }
        let maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        try Self.checkSlidingWindow(c, family: family, maxPositions: maxPositions)
        var theta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
        var scaling: RopeScaling?
        for key in [CodingKeys.ropeParameters, .ropeScaling] {
            guard let rope = try c.decodeIfPresent(RopeParameters.self, forKey: key) else { continue }
            scaling = try rope.scaling(key: key.rawValue, maxPositions: maxPositions) ?? scaling
            theta = rope.ropeTheta ?? theta
        }
        try self.init(
            vocabSize: try c.decode(Int.self, forKey: .vocabSize),
            hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
            intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
            numHiddenLayers: try c.decode(Int.self, forKey: .numHiddenLayers),
            numAttentionHeads: try c.decode(Int.self, forKey: .numAttentionHeads),
            numKeyValueHeads: try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads),
            headDim: try c.decodeIfPresent(Int.self, forKey: .headDim),
            maxPositionEmbeddings: maxPositions,
            rmsNormEps: try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6,
            ropeTheta: theta ?? 10000,
            tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false,
            bosTokenId: try c.decodeIfPresent(Int.self, forKey: .bosTokenId),
            eosTokenIds: try c.decodeIfPresent(OneOrMany.self, forKey: .eosTokenId)?.ids ?? [],
            padTokenId: try c.decodeIfPresent(Int.self, forKey: .padTokenId),
            family: family, ropeScaling: scaling)
        if let dtype = try c.decodeIfPresent(String.self, forKey: .dtype) ?? c.decodeIfPresent(String.self, forKey: .torchDtype),
           !["float32", "float16", "bfloat16"].contains(dtype) {
            throw ConfigError.unsupported("dtype \"\(dtype)\" (float32, float16 or bfloat16)")
        }
    }

    /// Every position attends to every earlier one here, so a sliding window is accepted only
    /// where it covers the whole context (Mistral) or is switched off (Qwen2).
    private static func checkSlidingWindow(_ c: KeyedDecodingContainer<CodingKeys>, family: ModelFamily,
                                           maxPositions: Int) throws {
        if family == .qwen2, try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) == true {
            throw ConfigError.unsupported("use_sliding_window true (only full attention)")
        }
        if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes),
           let other = types.first(where: { $0 != "full_attention" }) {
            throw ConfigError.unsupported("layer_types \"\(other)\" (only full_attention)")
        }
        if family == .mistral, let window = try c.decodeIfPresent(Int.self, forKey: .slidingWindow), window < maxPositions {
            throw ConfigError.unsupported("sliding_window \(window) is shorter than max_position_embeddings \(maxPositions) (only full attention)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(family.rawValue, forKey: .modelType)
        try c.encode([family.architecture], forKey: .architectures)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encodeIfPresent(ropeScaling.map(RopeParameters.init), forKey: .ropeScaling)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        if eosTokenIds.count == 1 { try c.encode(eosTokenIds[0], forKey: .eosTokenId) }
        else if !eosTokenIds.isEmpty { try c.encode(eosTokenIds, forKey: .eosTokenId) }
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode("silu", forKey: .hiddenAct)
        switch family {
        case .llama: try c.encode(false, forKey: .attentionBias)
        case .mistral: try c.encode(false, forKey: .attentionBias); try c.encodeNil(forKey: .slidingWindow)
        case .qwen2: try c.encode(false, forKey: .useSlidingWindow)
        }
        try c.encode(false, forKey: .mlpBias)
        try c.encode("float32", forKey: .torchDtype)
    }

    /// model_type values of the families we run.
    public static let supportedModelTypes = Set(ModelFamily.allCases.map(\.rawValue))
}

/// A config.json that cannot describe a model we run.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case unsupported(String)
    public var description: String {
        switch self {
        case .invalid(let m): return "invalid config: \(m)"
        case .unsupported(let m): return "unsupported config: \(m)"
        }
    }
}
