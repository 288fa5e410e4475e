/// The attention blocks of a packed batch: each block's token range, where its probabilities
/// start in a layer's slice, and the tree mask (`PackedBatch.sharedEnd`, `branchStart`).
struct AttentionBlocks {
    let ranges: [Range<Int>]
    let probOffsets: [Int]
    let sharedEnd: [Int32]
    let branchStart: [Int32]
    /// Floats of one layer's probabilities: NH · Σ T².
    let probsPerLayer: Int
    let longest: Int
    /// Each block's parts the mask leaves nonzero, shared by every layer and head.
    let tiles: [AttentionTiles]

    init(_ batch: PackedBatch, heads NH: Int) {
        var total = 0
        probOffsets = batch.blocks.map { block in
            defer { total += NH * block.count * block.count }
            return total
        }
        probsPerLayer = total
        ranges = batch.blocks
        sharedEnd = batch.sharedEnd
        branchStart = batch.branchStart
        longest = batch.longestBlock
        tiles = batch.blocks.map {
            AttentionTiles(blockStart: $0.lowerBound, count: $0.count, sharedEnd: batch.sharedEnd, branchStart: batch.branchStart)
        }
    }
}

/// Causal attention over each block, with the tree mask, grouped key/value heads:
/// probs_h = softmax(scale · Q_h K_gᵀ + mask) (T,T) saved for backward, attended_h = probs_h V_g.
/// qkv (N,QKV) holds q, k, v of each token after RoPE; attended (N,QW). One task per (block,
/// head): its products and softmax run serially on one worker, over the unmasked tiles only.
func attentionForward(attended: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                      qkv: UnsafePointer<Float>, blocks: AttentionBlocks, config c: LlamaConfig, kernel: KernelPath) {
    let NH = c.numAttentionHeads, HS = c.headDim, QW = c.queryWidth, KW = c.keyValueWidth, QKV = c.qkvWidth
    let groupSize = NH / c.numKeyValueHeads, scale = 1 / Float(HS).squareRoot()
    blocks.sharedEnd.withUnsafeBufferPointer { sharedEnd in
    blocks.branchStart.withUnsafeBufferPointer { branchStart in
        parallelFor(blocks.ranges.count * NH) { tasks in
            for task in tasks {
                let b = task / NH, h = task % NH, g = h / groupSize
                let T = blocks.ranges[b].count, start = blocks.ranges[b].lowerBound
                let rows = qkv + start * QKV
                let P = probs + blocks.probOffsets[b] + h * T * T
                let q = rows + h * HS, k = rows + QW + g * HS, v = rows + QW + KW + g * HS
                let tiles = blocks.tiles[b]
                // scores the softmax reads; it writes every other entry of P as 0
                scoresOverKeys(tiles, k: HS, alpha: scale, a: q, lda: QKV, b: k, ldb: QKV, c: P, T: T, kernel: kernel)
                maskedSoftmaxRows(P, blockSize: T, blockStart: start, sharedEnd: sharedEnd.baseAddress!,
                                  branchStart: branchStart.baseAddress!)
                productOverKeys(tiles, n: HS, a: P, lda: T, b: v, ldb: QKV, c: attended + start * QW + h * HS, ldc: QW,
                                kernel: kernel)
            }
        }
    }}
}

/// Backward of `attentionForward`: dqkv (N,QKV) from dattended (N,QW). One task per (block,
/// key/value head): the heads of a group add into the same dK and dV, so they run in order on
/// one worker; each of the `threads` workers has its own T² slice of `dPScratch`.
func attentionBackward(dqkv: UnsafeMutablePointer<Float>, dattended: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                       probs: UnsafePointer<Float>, blocks: AttentionBlocks, dPScratch: UnsafeMutablePointer<Float>,
                       threads: Int, config c: LlamaConfig, kernel: KernelPath) {
    let NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
    let QW = c.queryWidth, KW = c.keyValueWidth, QKV = c.qkvWidth
    let groupSize = NH / NKV, scale = 1 / Float(HS).squareRoot(), tt = blocks.longest * blocks.longest
    parallelChunks(blocks.ranges.count * NKV, maxChunks: threads) { chunk, tasks in
        let dP = dPScratch + chunk * tt
        for task in tasks {
            let b = task / NKV, gi = task % NKV
            let T = blocks.ranges[b].count, start = blocks.ranges[b].lowerBound
            let rows = qkv + start * QKV, drows = dqkv + start * QKV
            for h in (gi * groupSize)..<((gi + 1) * groupSize) {
                // the group's first head writes dK and dV, the others add to them, so the buffer
                // needs no zeroing: every row belongs to exactly one block
                let first = h == gi * groupSize
                let P = probs + blocks.probOffsets[b] + h * T * T
                let dAtt = dattended + start * QW + h * HS
                let q = rows + h * HS, k = rows + QW + gi * HS, v = rows + QW + KW + gi * HS
                let tiles = blocks.tiles[b]
                // dP = dAtt Vᵀ where P is not masked; between a tile's key ranges 0, so that the
                // softmax backward reads only finite values
                scoresOverKeys(tiles, k: HS, a: dAtt, lda: QW, b: v, ldb: QKV, c: dP, T: T, kernel: kernel)
                for tile in tiles.queryTiles {
                    for r in tile.rows { (dP + r * T + tile.gap.lowerBound).update(repeating: 0, count: tile.gap.count) }
                }
                // dV += Pᵀ dAtt
                productOverQueries(tiles, m: HS, a: P, lda: T, b: dAtt, ldb: QW, accumulate: !first,
                                   c: drows + QW + KW + gi * HS, ldc: QKV, kernel: kernel)
                softmaxRowsBackward(dP, probs: P, blockSize: T)
                // scores = scale·Q Kᵀ: dQ = scale·dS K ; dK += scale·dSᵀ Q
                productOverKeys(tiles, n: HS, alpha: scale, a: dP, lda: T, b: k, ldb: QKV, c: drows + h * HS, ldc: QKV,
                                kernel: kernel)
                productOverQueries(tiles, m: HS, alpha: scale, a: dP, lda: T, b: q, ldb: QKV, accumulate: !first,
                                   c: drows + QW + gi * HS, ldc: QKV, kernel: kernel)
            }
        }
    }
}

/// C (T, T) = alpha·A Bᵀ, rows indexed by query and columns by key, on each query tile's key
/// ranges only (A's rows are the queries', B's the keys'); the other entries are left as they were.
private func scoresOverKeys(_ tiles: AttentionTiles, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, T: Int, kernel: KernelPath) {
    for tile in tiles.queryTiles {
        let r0 = tile.rows.lowerBound
        for keys in tile.keyRanges {
            gemm(.none, .transposed, m: tile.rows.count, n: keys.count, k: k, alpha: alpha, a: a + r0 * lda, lda: lda,
                 b: b + keys.lowerBound * ldb, ldb: ldb, c: c + r0 * T + keys.lowerBound, ldc: T, path: kernel)
        }
    }
}

/// C (T, n) = alpha·A B with A (T, T) indexed [query, key], each query tile summing over the
/// keys it attends: one k-ordered chain over both key ranges, the second call continuing the first.
private func productOverKeys(_ tiles: AttentionTiles, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, kernel: KernelPath) {
    for tile in tiles.queryTiles {
        let r0 = tile.rows.lowerBound
        for (i, keys) in tile.keyRanges.enumerated() {
            gemm(.none, .none, m: tile.rows.count, n: n, k: keys.count, alpha: alpha, a: a + r0 * lda + keys.lowerBound,
                 lda: lda, b: b + keys.lowerBound * ldb, ldb: ldb, accumulate: i > 0, c: c + r0 * ldc, ldc: ldc, path: kernel)
        }
    }
}

/// C (T, n) (+)= alpha·Aᵀ B with A (T, T) indexed [query, key], each key tile summing over the
/// queries that may attend it.
private func productOverQueries(_ tiles: AttentionTiles, m n: Int, alpha: Float = 1,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, kernel: KernelPath) {
    for tile in tiles.keyTiles {
        let q0 = tile.queries.lowerBound
        gemm(.transposed, .none, m: tile.keys.count, n: n, k: tile.queries.count, alpha: alpha,
             a: a + q0 * lda + tile.keys.lowerBound, lda: lda, b: b + q0 * ldb, ldb: ldb, accumulate: accumulate,
             c: c + tile.keys.lowerBound * ldc, ldc: ldc, path: kernel)
    }
}
