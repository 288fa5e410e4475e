/// A model's weight matrices re-laid out once for the row-stable decode kernel, shared by every
/// `InferenceSession` of that model.
///
/// When the caller gives the weights up (`releasingSource`), each source matrix's pages go back
/// to the system as soon as it is packed, so decoding holds one copy of the model, not two; a
/// tied embedding is then read from the packed lm_head, whose rows are the same numbers.
public final class DecodeWeights: @unchecked Sendable {
    /// The weights: norm gains always, the embedding when it is not read from `head`.
    public let weights: ModelWeights
    let layers: [(qkv: PackedMatrix, o: PackedMatrix, gateUp: PackedMatrix, down: PackedMatrix)]
    let head: PackedMatrix
    /// Whether token embeddings are read from the packed lm_head (tied weights, source released).
    let embeddingFromHead: Bool
    /// How the matrices are kept.
    public let type: WeightType

    /// Packs `weights` as `type`; with `releasingSource`, their matrices are given back to the
    /// system as they are packed and `weights` can no longer train or be saved.
    public init(_ weights: ModelWeights, type: WeightType = .f32, releasingSource: Bool = false) {
        let c = weights.config, w = weights.data
        self.weights = weights
        self.type = type
        let shapes = Self.matrices(weights.layout)
        // one allocation for all of them: a decode step streams every matrix, so the model's whole
        // weight set wants huge pages, not just its largest matrices
        let storage = HugeBuffer(floats: shapes.reduce(0) { $0 + PackedMatrix.floats(n: $1.n, k: $1.k, type: type) })
        var offset = 0
        let packed = shapes.map { shape in
            defer { offset += PackedMatrix.floats(n: shape.n, k: shape.k, type: type) }
            let release: ((Range<Int>) -> Void)? = releasingSource ? { rows in
                weights.release(floats: (shape.offset + rows.lowerBound)..<(shape.offset + rows.upperBound))
            } : nil
            return PackedMatrix(UnsafePointer(w + shape.offset), n: shape.n, k: shape.k, type: type, in: storage,
                                at: offset, packed: release)
        }
        layers = (0..<c.numHiddenLayers).map { l in
            (qkv: packed[4 * l], o: packed[4 * l + 1], gateUp: packed[4 * l + 2], down: packed[4 * l + 3])
        }
        head = packed[packed.count - 1]
        embeddingFromHead = releasingSource && c.tieWordEmbeddings
    }

    /// The model's configuration.
    public var config: LlamaConfig { weights.config }

    /// Copies the embedding of `token` to `row` (hidden size floats).
    func embedding(_ token: Int, into row: UnsafeMutablePointer<Float>) {
        let C = config.hiddenSize
        if embeddingFromHead {
            head.row(token, into: row)
        } else {
            row.update(from: weights.data + weights.layout.embedding + token * C, count: C)
        }
    }

    /// Bytes decoding reads: the packed matrices, and from the weights the norm gains and an
    /// embedding not read from the packed lm_head.
    public var bytes: Int { Self.floats(config: config, type: type, embeddingFromHead: embeddingFromHead) * MemoryLayout<Float>.size }

    /// The type `choice` resolves to for `weights`: `auto` is bf16 when every matrix value is a
    /// bf16 value (a bf16 checkpoint), which loses nothing, else f32.
    public static func type(_ choice: WeightTypeChoice, for weights: ModelWeights) -> WeightType {
        switch choice {
        case .f32: return .f32
        case .bf16: return .bf16
        case .auto:
            let lossless = matrices(weights.layout).allSatisfy { allBF16(weights.data + $0.offset, count: $0.n * $0.k) }
            return lossless ? .bf16 : .f32
        }
    }

    /// The matrices packed, in order: each layer's qkv, o, gate/up and down, then the lm_head.
    static func matrices(_ layout: ParameterLayout) -> [(offset: Int, n: Int, k: Int)] {
        let c = layout.config, C = c.hiddenSize, F = c.intermediateSize
        var shapes: [(offset: Int, n: Int, k: Int)] = []
        for lw in layout.layers {
            shapes += [(lw.qkv, c.qkvWidth, C), (lw.o, C, c.queryWidth), (lw.gateUp, 2 * F, C), (lw.down, C, F)]
        }
        return shapes + [(layout.lmHead, c.vocabSize, C)]
    }

    /// Floats decoding reads for `config` with matrices of `type` (see `bytes`).
    static func floats(config c: LlamaConfig, type: WeightType, embeddingFromHead: Bool) -> Int {
        let packed = matrices(ParameterLayout(config: c)).reduce(0) { $0 + PackedMatrix.floats(n: $1.n, k: $1.k, type: type) }
        let norms = (2 * c.numHiddenLayers + 1) * c.hiddenSize
        return packed + norms + (embeddingFromHead ? 0 : c.vocabSize * c.hiddenSize)
    }
}

/// `--dtype`: how decoding keeps a model's weight matrices.
public enum WeightTypeChoice: String, Sendable, CaseIterable {
    /// bf16 when the checkpoint's values are all bf16 values, else f32.
    case auto
    /// Always f32.
    case f32
    /// Always bf16, rounding values that are not.
    case bf16
}
