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
    /// How each matrix is kept, in `matrices` order.
    public let types: [WeightType]

    /// Packs `weights` as `choice` says (`types(_:for:)`); with `releasingSource`, their matrices
    /// are given back to the system as they are packed and `weights` can no longer train or be saved.
    public init(_ weights: ModelWeights, _ choice: WeightTypeChoice = .f32, releasingSource: Bool = false) {
        let c = weights.config, w = weights.data
        // a deferred load left matrices (a tied embedding among them) to be read from the packing
        precondition(releasingSource || weights.blockRows?.deferred.isEmpty ?? true,
                     "weights loaded with deferred blocks are packed releasing them")
        self.weights = weights
        let shapes = Self.matrices(weights.layout), plan = Self.plan(choice, for: weights)
        let types = plan.map(\.type)
        self.types = types
        let sizes = zip(shapes, types).map { PackedMatrix.floats(n: $0.n, k: $0.k, type: $1) }
        // one allocation for all of them: a decode step streams every matrix, so the model's whole
        // weight set wants huge pages, not just its largest matrices
        let storage = HugeBuffer(floats: sizes.reduce(0, +))
        var offset = 0
        let packed = shapes.indices.map { i in
            let shape = shapes[i]
            defer { offset += sizes[i] }
            let release: ((Range<Int>) -> Void)? = releasingSource ? { rows in
                weights.release(floats: (shape.offset + rows.lowerBound)..<(shape.offset + rows.upperBound))
            } : nil
            if let blocks = plan[i].blocks {
                defer { release?(0..<(shape.n * shape.k)) }
                return PackedMatrix(blockRows: blocks, k: shape.k, type: types[i], in: storage, at: offset)
            }
            if let rows = weights.blockRows, rows.isDeferred(offset: shape.offset) {
                rows.materialize(offset: shape.offset, n: shape.n, k: shape.k, into: w + shape.offset)
            }
            return PackedMatrix(UnsafePointer(w + shape.offset), n: shape.n, k: shape.k, type: types[i], in: storage,
                                at: offset, packed: release)
        }
        if releasingSource { weights.blockRows = nil }
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
    public var bytes: Int {
        Self.floats(config: config, types: types, embeddingFromHead: embeddingFromHead) * MemoryLayout<Float>.size
    }

    /// The types the matrices are kept in, as `--progress` names them: "f32", "q4 and q8",
    /// "f32, q4 and q8".
    public var typeName: String {
        let names = WeightType.allCases.filter(types.contains).map(\.rawValue)
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// The type `choice` gives each matrix, in `matrices` order: `f32` and `bf16` every matrix;
    /// `auto` keeps a GGUF file's blocks of the types `GGUFBlockRows.panelTypes` names as they are, and takes bf16 for a
    /// matrix whose values are all bf16 values, else f32: each choice loses nothing.
    public static func types(_ choice: WeightTypeChoice, for weights: ModelWeights) -> [WeightType] {
        plan(choice, for: weights).map(\.type)
    }

    /// `types`, with the block rows each block-typed matrix is packed from.
    private static func plan(_ choice: WeightTypeChoice, for weights: ModelWeights)
        -> [(type: WeightType, blocks: [(type: GGMLType, bytes: UnsafeRawPointer)]?)] {
        matrices(weights.layout).map { shape in
            let values = weights.data + shape.offset
            switch choice {
            case .f32: return (.f32, nil)
            case .bf16: return (.bf16, nil)
            case .auto:
                // blocks only while they still read back as the weights (not after training),
                // or when the weights never held them (a deferred load)
                if let blockRows = weights.blockRows, let source = blockRows.rows(offset: shape.offset, n: shape.n, k: shape.k),
                   blockRows.isDeferred(offset: shape.offset) || GGUFBlockRows.allMatch(source.rows, values: values, k: shape.k) {
                    return (source.type, source.rows)
                }
                return (allBF16(values, count: shape.n * shape.k) ? .bf16 : .f32, nil)
            }
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

    /// Floats decoding reads for `config` with every matrix of `type` (see `bytes`).
    static func floats(config c: LlamaConfig, type: WeightType, embeddingFromHead: Bool) -> Int {
        let count = matrices(ParameterLayout(config: c)).count
        return floats(config: c, types: Array(repeating: type, count: count), embeddingFromHead: embeddingFromHead)
    }

    /// Floats decoding reads for `config` with the matrices of `types`, in `matrices` order.
    static func floats(config c: LlamaConfig, types: [WeightType], embeddingFromHead: Bool) -> Int {
        let packed = zip(matrices(ParameterLayout(config: c)), types).reduce(0) {
            $0 + PackedMatrix.floats(n: $1.0.n, k: $1.0.k, type: $1.1)
        }
        let norms = (2 * c.numHiddenLayers + 1) * c.hiddenSize
        return packed + norms + (embeddingFromHead ? 0 : c.vocabSize * c.hiddenSize)
    }
}

/// `--dtype`: how decoding keeps a model's weight matrices.
public enum WeightTypeChoice: String, Sendable, CaseIterable {
    /// Whatever loses nothing and reads fewest bytes, matrix by matrix: a GGUF file's blocks as
    /// they are (`GGUFBlockRows.panelTypes`), bf16 for bf16 values, else f32.
    case auto
    /// Always f32.
    case f32
    /// Always bf16, rounding values that are not.
    case bf16
}
