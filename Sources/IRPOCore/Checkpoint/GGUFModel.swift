// A GGUF file as a checkpoint: metadata to LlamaConfig, llama.cpp's tensor names to ours,
// the tokenizer metadata to a tokenizer.json (GGUFTokenizer), the chat template to the
// chat_template.jinja a model directory would carry.
import Foundation

enum GGUFModel {
    /// The architectures we run, with the family each is; the metadata keys of each start with its
    /// name. Mistral's converter writes "llama".
    static let architectures: [String: ModelFamily] = ["llama": .llama, "qwen2": .qwen2]

    /// Whether `path` names a GGUF file (by its extension, as llama.cpp's tools do).
    static func isGGUF(_ path: String) -> Bool { path.lowercased().hasSuffix(".gguf") }

    /// The whole checkpoint: every tensor dequantised to Float32, the tokenizer rebuilt. With
    /// `deferringBlocks` (for a caller that only decodes, packing with `releasingSource`), the
    /// matrices decoding can keep as the file's blocks are not dequantised at all: the weights
    /// count as released (`matricesReleased`), and `DecodeWeights` packs those matrices from the
    /// blocks, or dequantises them then, so the load never holds the model in F32.
    static func load(_ path: String, deferringBlocks: Bool = false) throws -> Checkpoint {
        let file = try GGUFFile(path: path, display: path)
        let config = try config(of: file)
        // The metadata is checked in full before gigabytes of tensors are converted.
        let tokenizer = try GGUFTokenizer.json(of: file)
        var extra: [String: Data] = [:]
        if let template = try chatTemplate(of: file) { extra[chatTemplateFileName] = Data(template.utf8) }
        let weights = try readWeights(file, config: config, deferringBlocks: deferringBlocks)
        return Checkpoint(weights: weights, tokenizerJSON: tokenizer, extraFiles: extra)
    }

    /// The configuration alone, from the metadata (the tensors are only looked at, not read).
    static func loadConfig(_ path: String) throws -> LlamaConfig {
        try config(of: try GGUFFile(path: path, display: path))
    }

    /// Where HF keeps a chat template beside the weights.
    static let chatTemplateFileName = "chat_template.jinja"

    static func chatTemplate(of file: GGUFFile) throws -> String? {
        guard let value = file.metadata["tokenizer.chat_template"] else { return nil }
        guard let text = value.stringValue else {
            throw CheckpointError(file: file.display, "metadata key 'tokenizer.chat_template' is \(value.typeDescription), expected STRING")
        }
        return text
    }

    // MARK: configuration

    /// LlamaConfig from the `llama.*` keys; the vocabulary size is the token list's length and
    /// the head is tied exactly when the file has no `output.weight` (llama.cpp writes none then).
    static func config(of file: GGUFFile) throws -> LlamaConfig {
        let meta = GGUFMetadata(file)
        let arch = try meta.string("general.architecture")
        guard let family = architectures[arch] else {
            throw CheckpointError(file: file.display, "unsupported GGUF architecture '\(arch)' (only \(architectures.keys.sorted().joined(separator: ", ")))")
        }
        let p = arch + "."
        if let experts = try meta.optionalInt(p + "expert_count"), experts > 0 {
            throw CheckpointError(file: file.display, "mixture-of-experts models (\(p)expert_count \(experts)) are not supported")
        }
        let hidden = try meta.int(p + "embedding_length")
        let heads = try meta.int(p + "attention.head_count")
        let kvHeads = try meta.optionalInt(p + "attention.head_count_kv") ?? heads
        var headDim = try meta.optionalInt(p + "attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        if let valueLength = try meta.optionalInt(p + "attention.value_length"), valueLength != headDim {
            throw CheckpointError(file: file.display, "\(p)attention.value_length \(valueLength) differs from the key length \(headDim) (not supported)")
        }
        if let rotary = try meta.optionalInt(p + "rope.dimension_count") {
            // RoPE over part of each head is another architecture; we rotate whole heads.
            guard rotary == headDim else {
                throw CheckpointError(file: file.display, "\(p)rope.dimension_count \(rotary) differs from the head size \(headDim) (partial RoPE is not supported)")
            }
            headDim = rotary
        }
        let theta = Float(try meta.optionalDouble(p + "rope.freq_base") ?? 10000)
        let scaling = try GGUFRopeScaling.scaling(of: file, meta, prefix: p, headDim: headDim, theta: theta)
        let vocab: Int
        if let tokens = file.metadata["tokenizer.ggml.tokens"] {
            guard let list = tokens.arrayValue else {
                throw CheckpointError(file: file.display, "metadata key 'tokenizer.ggml.tokens' is \(tokens.typeDescription), expected ARRAY of STRING")
            }
            vocab = list.count
        } else if let size = try meta.optionalInt(p + "vocab_size") {
            vocab = size
        } else if let embedding = file.tensor(named: "token_embd.weight"), embedding.dims.count == 2 {
            vocab = embedding.dims[1]
        } else {
            throw CheckpointError(file: file.display, "missing metadata key 'tokenizer.ggml.tokens' (and \(p)vocab_size): the vocabulary size is unknown")
        }
        // Ids that end a turn in llama.cpp: EOS first (what training appends), then EOT and EOM.
        var eos: [Int] = []
        for key in ["eos", "eot", "eom"] {
            if let id = try meta.optionalInt("tokenizer.ggml.\(key)_token_id"), !eos.contains(id) { eos.append(id) }
        }
        do {
            return try LlamaConfig(
                vocabSize: vocab, hiddenSize: hidden,
                intermediateSize: try meta.int(p + "feed_forward_length"),
                numHiddenLayers: try meta.int(p + "block_count"),
                numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim: headDim,
                maxPositionEmbeddings: try meta.int(p + "context_length"),
                rmsNormEps: Float(try meta.double(p + "attention.layer_norm_rms_epsilon")),
                ropeTheta: theta,
                tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
                bosTokenId: try meta.optionalInt("tokenizer.ggml.bos_token_id"),
                eosTokenIds: eos,
                padTokenId: try meta.optionalInt("tokenizer.ggml.padding_token_id"),
                family: family, ropeScaling: scaling)
        } catch let e as ConfigError {
            throw CheckpointError(file: file.display, "\(e) (from the GGUF metadata)")
        }
    }

    // MARK: weights

    /// llama.cpp's name for each of our tensors, and how many heads its rows hold when the
    /// converter interleaved them for its RoPE (q and k), else nil. Only the llama architecture
    /// is interleaved: llama.cpp runs it with RoPE on adjacent pairs, qwen2 with HF's halves.
    static func tensorNames(_ config: LlamaConfig) -> [(gguf: String, hf: String, ropeHeads: Int?)] {
        var names: [(String, String, Int?)] = [("token_embd.weight", "model.embed_tokens.weight", nil)]
        let interleaved = config.family != .qwen2
        for l in 0..<config.numHiddenLayers {
            let b = "blk.\(l).", m = "model.layers.\(l)."
            names += [
                (b + "attn_norm.weight", m + "input_layernorm.weight", nil),
                (b + "attn_q.weight", m + "self_attn.q_proj.weight", interleaved ? config.numAttentionHeads : nil),
                (b + "attn_k.weight", m + "self_attn.k_proj.weight", interleaved ? config.numKeyValueHeads : nil),
                (b + "attn_v.weight", m + "self_attn.v_proj.weight", nil),
                (b + "attn_output.weight", m + "self_attn.o_proj.weight", nil),
                (b + "ffn_norm.weight", m + "post_attention_layernorm.weight", nil),
                (b + "ffn_gate.weight", m + "mlp.gate_proj.weight", nil),
                (b + "ffn_up.weight", m + "mlp.up_proj.weight", nil),
                (b + "ffn_down.weight", m + "mlp.down_proj.weight", nil),
            ]
            if config.hasQKVBias {
                names += ["q", "k", "v"].map { (b + "attn_\($0).bias", m + "self_attn.\($0)_proj.bias", nil) }
            }
        }
        names.append(("output_norm.weight", "model.norm.weight", nil))
        if !config.tieWordEmbeddings { names.append(("output.weight", "lm_head.weight", nil)) }
        return names
    }

    /// Fills a new ModelWeights: every tensor present once with its exact shape, nothing else;
    /// with `deferringBlocks`, block matrices are left to `DecodeWeights` (see `load`).
    static func readWeights(_ file: GGUFFile, config: LlamaConfig, deferringBlocks: Bool = false) throws -> ModelWeights {
        let names = tensorNames(config)
        let byName = Dictionary(uniqueKeysWithValues: names.map { ($0.gguf, $0) })
        // rope_freqs.weight is not a weight: config(of:) read it as the RoPE scaling
        for t in file.tensors where byName[t.name] == nil && t.name != GGUFRopeScaling.factorsTensor {
            throw CheckpointError(file: file.display, tensor: t.name, "unexpected tensor: not part of a Llama with this metadata")
        }
        let missing = names.filter { file.tensor(named: $0.gguf) == nil }
        if let first = missing.first {
            let more = missing.count > 1 ? " (and \(missing.count - 1) more)" : ""
            throw CheckpointError(file: file.display, tensor: first.gguf, "missing\(more)")
        }
        // Every type is checked before the first byte is converted, so a refusal costs nothing.
        for t in file.tensors where !t.type.isSupported {
            let listed = GGMLType.supported.map { $0.name! }.joined(separator: ", ")
            let what = t.type.name == nil ? "unknown ggml type \(t.type.rawValue)" : "unsupported ggml type \(t.type)"
            throw CheckpointError(file: file.display, tensor: t.name, "\(what) (supported: \(listed))")
        }
        let weights = ModelWeights(config: config)
        var tensors: [(info: GGUFTensorInfo, slot: TensorSlot, ropeHeads: Int?)] = []
        var blockTensors: [GGUFBlockRows.Tensor] = []
        for name in names {
            let t = file.tensor(named: name.gguf)!
            let slot = weights.layout.slot(named: name.hf)!
            guard t.shape == slot.shape else {
                throw CheckpointError(file: file.display, tensor: t.name,
                                      "shape \(t.shape) (ggml ne \(t.dims)) but the metadata implies \(slot.shape)")
            }
            tensors.append((t, slot, name.ropeHeads))
            if GGUFBlockRows.panelTypes[t.type] != nil, slot.shape.count == 2 {
                blockTensors.append(.init(start: slot.offset, rows: slot.shape[0], columns: slot.shape[1], type: t.type,
                                          bytes: file.bytes(of: t).baseAddress!, ropeHeads: name.ropeHeads))
            }
        }
        let blockRows = GGUFBlockRows(file: file, tensors: blockTensors)
        if deferringBlocks { blockRows?.deferMatrices(DecodeWeights.matrices(weights.layout)) }
        for (t, slot, ropeHeads) in tensors where blockRows?.isDeferred(offset: slot.offset) != true {
            let out = weights.tensor(slot)
            GGUFDequantize.floats(t.type, file.bytes(of: t), into: out)
            if let heads = ropeHeads { unpermuteRoPERows(out, rows: slot.shape[0], columns: slot.shape[1], heads: heads) }
            file.doneWith(t)
        }
        weights.blockRows = blockRows
        if blockRows?.deferred.isEmpty == false { weights.markMatricesReleased() }
        return weights
    }

    /// Undoes convert_hf_to_gguf.py's permutation of q and k. HF rotates the two halves of each
    /// head (row i pairs with row i + HS/2); llama.cpp's RoPE rotates adjacent rows, so the
    /// converter stores HF row h·HS + j·HS/2 + i at h·HS + 2i + j. We compute in HF's layout.
    static func unpermuteRoPERows(_ w: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, heads: Int) {
        let hs = rows / heads, half = hs / 2
        let stored = Array(w)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half {
                    let to = (h * hs + j * half + i) * columns
                    let from = (h * hs + 2 * i + j) * columns
                    for c in 0..<columns { w[to + c] = stored[from + c] }
                }
            }
        }
    }
}

/// Typed access to GGUF metadata, with errors that name the key and the type found.
struct GGUFMetadata {
    let file: GGUFFile

    init(_ file: GGUFFile) { self.file = file }

    private func missing(_ key: String) -> CheckpointError {
        CheckpointError(file: file.display, "missing metadata key '\(key)'")
    }

    private func wrongType(_ key: String, _ value: GGUFValue, _ expected: String) -> CheckpointError {
        CheckpointError(file: file.display, "metadata key '\(key)' is \(value.typeDescription), expected \(expected)")
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = file.metadata[key] else { return nil }
        guard let i = v.intValue else { throw wrongType(key, v, "an integer") }
        return i
    }

    func int(_ key: String) throws -> Int {
        guard let i = try optionalInt(key) else { throw missing(key) }
        return i
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = file.metadata[key] else { return nil }
        guard let d = v.doubleValue else { throw wrongType(key, v, "FLOAT32") }
        return d
    }

    func double(_ key: String) throws -> Double {
        guard let d = try optionalDouble(key) else { throw missing(key) }
        return d
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = file.metadata[key] else { return nil }
        guard let s = v.stringValue else { throw wrongType(key, v, "STRING") }
        return s
    }

    func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = file.metadata[key] else { return nil }
        guard let b = v.boolValue else { throw wrongType(key, v, "BOOL") }
        return b
    }
}
