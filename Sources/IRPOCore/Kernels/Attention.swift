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
    }
}

/// Causal attention over each block, with the tree mask, grouped key/value heads:
/// probs_h = softmax(scale · Q_h K_gᵀ + mask) (T,T) saved for backward, attended_h = probs_h V_g.
/// qkv (N,QKV) holds q, k, v of each token after RoPE; attended (N,QW). One task per (block,
/// head): its products and softmax run serially on one worker.
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
                gemm(.none, .transposed, m: T, n: T, k: HS, alpha: scale, a: rows + h * HS, lda: QKV,
                     b: rows + QW + g * HS, ldb: QKV, c: P, ldc: T, path: kernel)
                maskedSoftmaxRows(P, blockSize: T, blockStart: start, sharedEnd: sharedEnd.baseAddress!,
                                  branchStart: branchStart.baseAddress!)
                gemm(.none, .none, m: T, n: HS, k: T, a: P, lda: T, b: rows + QW + KW + g * HS,
                     ldb: QKV, c: attended + start * QW + h * HS, ldc: QW, path: kernel)
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
                // dP = dAtt Vᵀ ; dV += Pᵀ dAtt
                gemm(.none, .transposed, m: T, n: T, k: HS, a: dAtt, lda: QW,
                     b: rows + QW + KW + gi * HS, ldb: QKV, c: dP, ldc: T, path: kernel)
                gemm(.transposed, .none, m: T, n: HS, k: T, a: P, lda: T, b: dAtt, ldb: QW,
                     accumulate: !first, c: drows + QW + KW + gi * HS, ldc: QKV, path: kernel)
                softmaxRowsBackward(dP, probs: P, blockSize: T)
                // scores = scale·Q Kᵀ: dQ = scale·dS K ; dK += scale·dSᵀ Q
                gemm(.none, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                     b: rows + QW + gi * HS, ldb: QKV, c: drows + h * HS, ldc: QKV, path: kernel)
                gemm(.transposed, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                     b: rows + h * HS, ldb: QKV, accumulate: !first, c: drows + QW + gi * HS, ldc: QKV, path: kernel)
            }
        }
    }
}
