// Where a GGUF checkpoint's block-quantised matrices lie in its memory-mapped file, row by row in
// our layout, so that decoding can keep the file's 4- and 8-bit blocks (PanelFormats.swift)
// rather than the f32 values the load made of them.

/// The tensors of a loaded GGUF file whose blocks decoding can keep (`panelTypes`), by where their values sit among the
/// model's parameters. Holds the file mapped while it lives.
final class GGUFBlockRows: @unchecked Sendable {
    /// One tensor: its parameters' float range, its rows' bytes, and the RoPE heads its rows were
    /// permuted for (q and k), since our row r is then the file's row `storedRow(r)`.
    struct Tensor {
        let start: Int, rows: Int, columns: Int
        let type: GGMLType
        let bytes: UnsafeRawPointer
        let ropeHeads: Int?

        var rowBytes: Int { columns / type.layout!.blockSize * type.layout!.blockBytes }

        /// The file's row holding our row `r` (the inverse of `GGUFModel.unpermuteRoPERows`).
        func storedRow(_ r: Int) -> Int {
            guard let heads = ropeHeads else { return r }
            let hs = rows / heads, half = hs / 2
            let h = r / hs, j = (r % hs) / half, i = r % half
            return h * hs + 2 * i + j
        }
    }

    /// The ggml types whose blocks decoding can keep, and the panel type each packs into: the
    /// types with a scale and an offset per 32 values, their codes in 4 bits or in 5 or 8, and the
    /// K-quants with a scale (and an offset) per 16 values, their codes in bytes.
    static let panelTypes: [GGMLType: WeightType] = [.q4_0: .q4, .q4_1: .q4, .q4_K: .q4, .q8_0: .q8,
                                                     .q5_0: .q8, .q5_1: .q8, .q5_K: .q8,
                                                     .q2_K: .q8s16, .q3_K: .q8s16, .q6_K: .q8s16]

    private let file: GGUFFile
    private let tensors: [Tensor]
    /// The float ranges of the matrices whose values were never dequantised (`deferMatrices`).
    private(set) var deferred: [Range<Int>] = []

    /// The block tensors of `file` among `tensors`, nil when there are none.
    init?(file: GGUFFile, tensors: [Tensor]) {
        guard !tensors.isEmpty else { return nil }
        self.file = file
        self.tensors = tensors.sorted { $0.start < $1.start }
    }

    /// The panel type that holds rows of both `a` and `b`: byte codes hold 4-bit ones, and a scale
    /// per 16 values holds a scale per 32 twice over.
    static func wider(_ a: WeightType, _ b: WeightType) -> WeightType {
        let order: [WeightType] = [.q4, .q8, .q8s16]
        return order[max(order.firstIndex(of: a)!, order.firstIndex(of: b)!)]
    }

    /// The rows of the (n, k) parameter matrix at float `offset` as blocks, and the panel type they
    /// pack into (the widest its rows' types need: a fused q, k, v matrix may mix them); nil
    /// unless every row lies in a block tensor of k columns.
    func rows(offset: Int, n: Int, k: Int) -> (type: WeightType, rows: [(type: GGMLType, bytes: UnsafeRawPointer)])? {
        guard n > 0, k % 32 == 0 else { return nil }  // a K-quant tensor's k is a multiple of 256
        var rows: [(type: GGMLType, bytes: UnsafeRawPointer)] = []
        rows.reserveCapacity(n)
        var panelType: WeightType?
        var t = 0
        for r in 0..<n {
            let at = offset + r * k
            while t < tensors.count && tensors[t].start + tensors[t].rows * tensors[t].columns <= at { t += 1 }
            guard t < tensors.count, tensors[t].start <= at, tensors[t].columns == k,
                  let type = Self.panelTypes[tensors[t].type] else { return nil }
            panelType = panelType.map { Self.wider($0, type) } ?? type
            let tensor = tensors[t]
            rows.append((tensor.type, tensor.bytes + tensor.storedRow((at - tensor.start) / k) * tensor.rowBytes))
        }
        return (panelType!, rows)
    }

    /// Marks as deferred each of `matrices` (offset, n, k) whose rows are all blocks: the loader
    /// leaves those values out, and `DecodeWeights` packs them from the blocks or has
    /// `materialize` dequantise them.
    func deferMatrices(_ matrices: [(offset: Int, n: Int, k: Int)]) {
        deferred = matrices.filter { rows(offset: $0.offset, n: $0.n, k: $0.k) != nil }.map { $0.offset..<($0.offset + $0.n * $0.k) }
    }

    /// Whether the parameter at float `offset` (a matrix's first, or a tensor's inside it) lies in
    /// a deferred matrix.
    func isDeferred(offset: Int) -> Bool { deferred.contains { $0.contains(offset) } }

    /// Dequantises the deferred (n, k) matrix at float `offset` into `values`, row by row as the
    /// loader would have (each of our rows from the file row it was stored as).
    func materialize(offset: Int, n: Int, k: Int, into values: UnsafeMutablePointer<Float>) {
        let source = rows(offset: offset, n: n, k: k)!.rows
        parallelFor(n, grain: 64) { range in
            for r in range {
                let layout = source[r].type.layout!
                let bytes = UnsafeRawBufferPointer(start: source[r].bytes, count: k / layout.blockSize * layout.blockBytes)
                GGUFDequantize.floats(source[r].type, bytes, into: UnsafeMutableBufferPointer(start: values + r * k, count: k))
            }
        }
    }

    /// Whether block row `row` (of `k` values) reads back exactly as `values`, as the panels will
    /// read it; a zero's sign may differ, which no product sees (a chain that starts at +0 and
    /// adds ±0 stays +0).
    static func matches(_ row: (type: GGMLType, bytes: UnsafeRawPointer), values: UnsafePointer<Float>, k: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { codes in
            var same = true
            let n = GGUFDequantize.codeCount(row.type)
            for b in 0..<(k / n) {
                let (scale, offset) = GGUFDequantize.codes(row.type, row: row.bytes, index: b, into: codes.baseAddress!)
                for j in 0..<n { same = same && offset.addingProduct(Float(codes[j]), scale) == values[n * b + j] }
            }
            return same
        }
    }

    /// Whether every row of `rows` matches its k values in the row-major matrix at `values`.
    static func allMatch(_ rows: [(type: GGMLType, bytes: UnsafeRawPointer)], values: UnsafePointer<Float>, k: Int) -> Bool {
        let chunks = ComputeThreads.count
        var results = [Bool](repeating: true, count: chunks)
        results.withUnsafeMutableBufferPointer { results in
            let out = results.baseAddress!
            parallelChunks(rows.count, grain: 256, maxChunks: chunks) { chunk, range in
                out[chunk] = range.allSatisfy { matches(rows[$0], values: values + $0 * k, k: k) }
            }
        }
        return !results.contains(false)
    }
}
