/// One named tensor inside the model's single parameter buffer.
public struct TensorSlot: Sendable, Equatable {
    /// The HF transformers name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    public let name: String
    /// Row-major shape; linear weights are (out, in) as in PyTorch.
    public let shape: [Int]
    /// Offset in floats from the start of the buffer.
    public let offset: Int
    /// Element count.
    public var count: Int { shape.reduce(1, *) }
    /// Matrices take weight decay; norm gains and biases do not (as in HF Trainer's default grouping).
    public var decays: Bool { shape.count == 2 }
}

/// Where every tensor of a Llama lives in one flat Float buffer.
///
/// Per layer the q, k and v projections are adjacent, and so are gate and up, so that each
/// group is one (out, in) matrix and costs one GEMM; the HF names still address each part.
public struct ParameterLayout: Sendable {
    /// Offsets of one decoder layer's tensors.
    public struct Layer: Sendable {
        public let attentionNorm: Int, qkv: Int, q: Int, k: Int, v: Int, o: Int
        public let mlpNorm: Int, gateUp: Int, gate: Int, up: Int, down: Int
        /// The q, k and v biases side by side (QKV floats), when the family has them (Qwen2).
        public let qkvBias: Int?
    }
    public let config: LlamaConfig
    public let embedding: Int
    public let layers: [Layer]
    public let finalNorm: Int
    /// The output projection; equals `embedding` when tied.
    public let lmHead: Int
    public let slots: [TensorSlot]
    public let count: Int

    /// Lays out every tensor of `config` in HF order.
    public init(config: LlamaConfig) {
        self.config = config
        let C = config.hiddenSize, F = config.intermediateSize, V = config.vocabSize
        let QW = config.queryWidth, KW = config.keyValueWidth
        var slots: [TensorSlot] = []
        var cursor = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let slot = TensorSlot(name: name, shape: shape, offset: cursor)
            slots.append(slot)
            cursor += slot.count
            return slot.offset
        }
        embedding = add("model.embed_tokens.weight", [V, C])
        var layers: [Layer] = []
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            let an = add(p + "input_layernorm.weight", [C])
            let q = add(p + "self_attn.q_proj.weight", [QW, C])
            let k = add(p + "self_attn.k_proj.weight", [KW, C])
            let v = add(p + "self_attn.v_proj.weight", [KW, C])
            var qkvBias: Int?
            if config.hasQKVBias {
                qkvBias = add(p + "self_attn.q_proj.bias", [QW])
                _ = add(p + "self_attn.k_proj.bias", [KW])
                _ = add(p + "self_attn.v_proj.bias", [KW])
            }
            let o = add(p + "self_attn.o_proj.weight", [C, QW])
            let mn = add(p + "post_attention_layernorm.weight", [C])
            let g = add(p + "mlp.gate_proj.weight", [F, C])
            let u = add(p + "mlp.up_proj.weight", [F, C])
            let d = add(p + "mlp.down_proj.weight", [C, F])
            layers.append(Layer(attentionNorm: an, qkv: q, q: q, k: k, v: v, o: o,
                                mlpNorm: mn, gateUp: g, gate: g, up: u, down: d, qkvBias: qkvBias))
        }
        self.layers = layers
        finalNorm = add("model.norm.weight", [C])
        lmHead = config.tieWordEmbeddings ? embedding : add("lm_head.weight", [V, C])
        self.slots = slots
        count = cursor
    }

    /// The slot with this HF name, if the model has it.
    public func slot(named name: String) -> TensorSlot? {
        slots.first { $0.name == name }
    }

    /// Offsets of the norm gains, which start at 1 rather than random.
    public var normOffsets: [Int] { layers.flatMap { [$0.attentionNorm, $0.mlpNorm] } + [finalNorm] }
}
