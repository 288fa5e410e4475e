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

    /// Packs `weights`; with `releasingSource`, their matrices are given back to the system as
    /// they are packed and `weights` can no longer train or be saved.
    public init(_ weights: ModelWeights, releasingSource: Bool = false) {
        let c = weights.config, w = weights.data
        self.weights = weights
        let shapes = Self.matrices(weights.layout)
        // one allocation for all of them: a decode step streams every matrix, so the model's whole
        // weight set wants huge pages, not just its largest matrices
        let storage = HugeBuffer(floats: shapes.reduce(0) { $0 + PackedMatrix.floats(n: $1.n, k: $1.k) })
        var offset = 0
        let packed = shapes.map { shape in
            defer { offset += PackedMatrix.floats(n: shape.n, k: shape.k) }
            let release: ((Range<Int>) -> Void)? = releasingSource ? { rows in
                weights.release(floats: (shape.offset + rows.lowerBound)..<(shape.offset + rows.upperBound))
            } : nil
            return PackedMatrix(UnsafePointer(w + shape.offset), n: shape.n, k: shape.k, in: storage, at: offset,
                                packed: release)
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
            // panel token/16 holds rows 16p..<16p+16 interleaved: column kk of row token at kk·16
            let source = head.panels + (token / 16) * 16 * C + token % 16
            for kk in 0..<C { row[kk] = source[kk * 16] }
        } else {
            row.update(from: weights.data + weights.layout.embedding + token * C, count: C)
        }
    }

    /// Bytes decoding reads: the packed matrices, and from the weights the norm gains and an
    /// embedding not read from the packed lm_head.
    public var bytes: Int { Self.floats(config: config, embeddingFromHead: embeddingFromHead) * MemoryLayout<Float>.size }

    /// The matrices packed, in order: each layer's qkv, o, gate/up and down, then the lm_head.
    static func matrices(_ layout: ParameterLayout) -> [(offset: Int, n: Int, k: Int)] {
        let c = layout.config, C = c.hiddenSize, F = c.intermediateSize
        var shapes: [(offset: Int, n: Int, k: Int)] = []
        for lw in layout.layers {
            shapes += [(lw.qkv, c.qkvWidth, C), (lw.o, C, c.queryWidth), (lw.gateUp, 2 * F, C), (lw.down, C, F)]
        }
        return shapes + [(layout.lmHead, c.vocabSize, C)]
    }

    /// Floats decoding reads for `config` (see `bytes`).
    static func floats(config c: LlamaConfig, embeddingFromHead: Bool) -> Int {
        let packed = matrices(ParameterLayout(config: c)).reduce(0) { $0 + PackedMatrix.floats(n: $1.n, k: $1.k) }
        let norms = (2 * c.numHiddenLayers + 1) * c.hiddenSize
        return packed + norms + (embeddingFromHead ? 0 : c.vocabSize * c.hiddenSize)
    }
}
