import Foundation

/// The training-side model: a forward pass over a `PackedBatch` that returns the log-probability
/// of every scored token, and the matching backward pass that turns ∂L/∂log-prob into gradients
/// for every parameter.
///
/// Every loss irpo trains with (NLL, DPO, IPO, ...) is a function of per-sequence sums of token
/// log-probs, so this one pair of entry points serves them all.
public final class Transformer {
    public let weights: ModelWeights
    /// The kernels every product runs on; any choice gives the same bits.
    public let kernel: KernelPath
    /// ∂L/∂θ, laid out like `weights`; `backward` adds to it, `zeroGradients` clears it.
    public let gradients: UnsafeMutablePointer<Float>
    let rope: RopeTable
    private var acts: Activations?
    private var scratch: BackwardScratch?
    private var batch: PackedBatch?
    private var blockProbOffsets: [Int] = []

    /// Wraps `weights` (shared, not copied) for training or scoring.
    public init(weights: ModelWeights, kernel: KernelPath = .best) {
        self.weights = weights
        self.kernel = kernel
        let c = weights.config
        rope = RopeTable(headDim: c.headDim, theta: c.ropeTheta, positions: c.maxPositionEmbeddings)
        gradients = HugePages.allocate(floats: weights.count)
    }

    deinit { HugePages.free(gradients) }

    public var config: LlamaConfig { weights.config }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.update(repeating: 0, count: weights.count) }

    /// Runs the model over `batch` and returns log p(token | everything it can see) for each
    /// scored token, in `batch.scoredTokens` order. Saves what `backward` needs.
    public func forward(_ batch: PackedBatch) -> [Float] {
        let c = config
        let N = batch.count, S = batch.scoredTokens.count
        let C = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize
        let NH = c.numAttentionHeads, HS = c.headDim, QW = c.queryWidth, KW = c.keyValueWidth
        let QKV = QW + 2 * KW, groupSize = NH / c.numKeyValueHeads
        precondition(N > 0, "empty batch")
        precondition(batch.positions.allSatisfy { Int($0) < c.maxPositionEmbeddings },
                     "a position exceeds max_position_embeddings (\(c.maxPositionEmbeddings))")
        precondition(batch.tokens.allSatisfy { $0 >= 0 && Int($0) < V }, "a token id is outside the vocabulary")

        var probsPerLayer = 0
        blockProbOffsets = batch.blocks.map { block in
            defer { probsPerLayer += NH * block.count * block.count }
            return probsPerLayer
        }
        if acts == nil || !acts!.fits(tokens: N, scored: S, probsPerLayer: probsPerLayer) {
            acts = Activations(config: c, tokens: N, scored: S, probsPerLayer: probsPerLayer)
            scratch = nil
        }
        let a = acts!
        self.batch = batch
        let w = weights.data, layout = weights.layout
        let scale = 1 / Float(HS).squareRoot()

        // token embedding
        let x0 = a[a.layers.first?.input ?? a.output]
        batch.tokens.withUnsafeBufferPointer { tok in
            for i in 0..<N { (x0 + i * C).update(from: w + layout.embedding + Int(tok[i]) * C, count: C) }
        }

        batch.positions.withUnsafeBufferPointer { positions in
        batch.sharedEnd.withUnsafeBufferPointer { sharedEnd in
        batch.branchStart.withUnsafeBufferPointer { branchStart in
            for (l, la) in a.layers.enumerated() {
                let lw = layout.layers[l]
                let next = l + 1 < a.layers.count ? a[a.layers[l + 1].input] : a[a.output]
                // attention: normed1 = rmsnorm(input); qkv = normed1·Wqkv^T; rope(q, k)
                rmsnormForward(out: a[la.normed1], rstd: a[la.rstd1], inp: a[la.input], weight: w + lw.attentionNorm,
                               rows: N, channels: C, eps: c.rmsNormEps)
                gemm(.none, .transposed, m: N, n: QKV, k: C, a: a[la.normed1], lda: C, b: w + lw.qkv, ldb: C,
                      c: a[la.qkv], ldc: QKV, path: kernel)
                ropeForward(a[la.qkv], rowStride: QKV, heads: NH, positions: positions.baseAddress!, rows: N, table: rope)
                ropeForward(a[la.qkv] + QW, rowStride: QKV, heads: c.numKeyValueHeads, positions: positions.baseAddress!,
                            rows: N, table: rope)
                // One task per (block, head): serial GEMMs and softmax on one worker each.
                let qkvBase = SendablePointer(a[la.qkv]), probsBase = SendablePointer(a[la.probs])
                let attendedBase = SendablePointer(a[la.attended])
                let blocks = batch.blocks, offsets = blockProbOffsets
                let se = SendablePointer(UnsafeMutablePointer(mutating: sharedEnd.baseAddress!))
                let bs = SendablePointer(UnsafeMutablePointer(mutating: branchStart.baseAddress!))
                parallelFor(blocks.count * NH) { tasks in
                    for task in tasks {
                        let b = task / NH, h = task % NH, g = h / groupSize
                        let T = blocks[b].count, start = blocks[b].lowerBound
                        let rows = qkvBase + start * QKV
                        let P = probsBase + offsets[b] + h * T * T
                        // P = softmax(scale · Q_h K_g^T + mask)
                        gemm(.none, .transposed, m: T, n: T, k: HS, alpha: scale, a: rows + h * HS, lda: QKV,
                                    b: rows + QW + g * HS, ldb: QKV, c: P, ldc: T, path: kernel)
                        maskedSoftmaxRows(P, blockSize: T, blockStart: start, sharedEnd: se.base, branchStart: bs.base)
                        // attended_h = P V_g
                        gemm(.none, .none, m: T, n: HS, k: T, a: P, lda: T, b: rows + QW + KW + g * HS,
                                    ldb: QKV, c: attendedBase + start * QW + h * HS, ldc: QW, path: kernel)
                    }
                }
                // mid = input + attended·Wo^T
                a[la.mid].update(from: a[la.input], count: N * C)
                gemm(.none, .transposed, m: N, n: C, k: QW, a: a[la.attended], lda: QW, b: w + lw.o, ldb: QW,
                      accumulate: true, c: a[la.mid], ldc: C, path: kernel)
                // MLP: next = mid + (silu(normed2·Wg^T) ⊙ normed2·Wu^T)·Wd^T
                rmsnormForward(out: a[la.normed2], rstd: a[la.rstd2], inp: a[la.mid], weight: w + lw.mlpNorm,
                               rows: N, channels: C, eps: c.rmsNormEps)
                gemm(.none, .transposed, m: N, n: 2 * F, k: C, a: a[la.normed2], lda: C, b: w + lw.gateUp, ldb: C,
                      c: a[la.gateUp], ldc: 2 * F, path: kernel)
                swigluForward(out: a[la.hidden], gateUp: a[la.gateUp], rows: N, width: F)
                next.update(from: a[la.mid], count: N * C)
                gemm(.none, .transposed, m: N, n: C, k: F, a: a[la.hidden], lda: F, b: w + lw.down, ldb: F,
                      accumulate: true, c: next, ldc: C, path: kernel)
            }
        }}}

        rmsnormForward(out: a[a.normedFinal], rstd: a[a.rstdFinal], inp: a[a.output], weight: w + layout.finalNorm,
                       rows: N, channels: C, eps: c.rmsNormEps)
        // Only the predecessors of scored tokens need logits: prompt rows skip the lm_head GEMM.
        let gathered = a[a.gathered], normed = a[a.normedFinal]
        batch.scoredPredecessors.withUnsafeBufferPointer { pred in
            for s in 0..<S { (gathered + s * C).update(from: normed + Int(pred[s]) * C, count: C) }
        }
        gemm(.none, .transposed, m: S, n: V, k: C, a: gathered, lda: C, b: w + layout.lmHead, ldb: C,
              c: a[a.logits], ldc: V, path: kernel)
        let targets = batch.scoredTokens.map { batch.tokens[Int($0)] }
        var logprobs = [Float](repeating: 0, count: S)
        targets.withUnsafeBufferPointer { t in
            logprobs.withUnsafeMutableBufferPointer { lp in
                logSoftmaxGather(logprob: lp.baseAddress!, logits: a[a.logits], targets: t.baseAddress!, rows: S, vocab: V)
            }
        }
        return logprobs
    }

    /// Adds ∂L/∂θ to `gradients`, given ∂L/∂(log-prob) of each scored token of the last `forward`.
    public func backward(_ dLogprob: [Float]) {
        guard let batch, let a = acts else { preconditionFailure("backward without forward") }
        precondition(dLogprob.count == batch.scoredTokens.count, "one gradient per scored token")
        let c = config
        let N = batch.count, S = batch.scoredTokens.count
        let C = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize
        let NH = c.numAttentionHeads, HS = c.headDim, QW = c.queryWidth, KW = c.keyValueWidth
        let QKV = QW + 2 * KW, groupSize = NH / c.numKeyValueHeads
        if scratch == nil { scratch = BackwardScratch(config: c, acts: a, longestBlock: batch.longestBlock) }
        if scratch!.longestBlock < batch.longestBlock || scratch!.threads != ComputeThreads.count {
            scratch = BackwardScratch(config: c, acts: a, longestBlock: batch.longestBlock)
        }
        let d = scratch!
        let w = weights.data, g = gradients, layout = weights.layout
        let scale = 1 / Float(HS).squareRoot()

        // lm_head: logprob = z[target] − logsumexp(z)
        let targets = batch.scoredTokens.map { batch.tokens[Int($0)] }
        targets.withUnsafeBufferPointer { t in
            dLogprob.withUnsafeBufferPointer { dl in
                logSoftmaxGatherBackward(probsToGrad: a[a.logits], dlogprob: dl.baseAddress!, targets: t.baseAddress!,
                                         rows: S, vocab: V)
            }
        }
        gemm(.transposed, .none, m: V, n: C, k: S, a: a[a.logits], lda: V, b: a[a.gathered], ldb: C,
              accumulate: true, c: g + layout.lmHead, ldc: C, path: kernel)
        gemm(.none, .none, m: S, n: C, k: V, a: a[a.logits], lda: V, b: w + layout.lmHead, ldb: C,
              c: d.gathered, ldc: C, path: kernel)
        d.normed.update(repeating: 0, count: N * C)
        batch.scoredPredecessors.withUnsafeBufferPointer { pred in
            for s in 0..<S { addInPlace(d.normed + Int(pred[s]) * C, d.gathered + s * C, C) }
        }
        d.residual.update(repeating: 0, count: N * C)
        rmsnormBackward(dinp: d.residual, dweight: g + layout.finalNorm, dout: d.normed, inp: a[a.output],
                        weight: w + layout.finalNorm, rstd: a[a.rstdFinal], rows: N, channels: C)

        batch.positions.withUnsafeBufferPointer { positions in
            for (l, la) in a.layers.enumerated().reversed() {
                let lw = layout.layers[l]
                // d.residual holds ∂L/∂(layer output) = ∂L/∂(mid) through the skip connection.
                // out = mid + hidden·Wd^T
                gemm(.none, .none, m: N, n: F, k: C, a: d.residual, lda: C, b: w + lw.down, ldb: F,
                      c: d.hidden, ldc: F, path: kernel)
                gemm(.transposed, .none, m: C, n: F, k: N, a: d.residual, lda: C, b: a[la.hidden], ldb: F,
                      accumulate: true, c: g + lw.down, ldc: F, path: kernel)
                // hidden = silu(gate) ⊙ up
                swigluBackward(dgateUp: d.gateUp, dout: d.hidden, gateUp: a[la.gateUp], rows: N, width: F)
                // gateUp = normed2·Wgu^T
                gemm(.none, .none, m: N, n: C, k: 2 * F, a: d.gateUp, lda: 2 * F, b: w + lw.gateUp, ldb: C,
                      c: d.normed, ldc: C, path: kernel)
                gemm(.transposed, .none, m: 2 * F, n: C, k: N, a: d.gateUp, lda: 2 * F, b: a[la.normed2], ldb: C,
                      accumulate: true, c: g + lw.gateUp, ldc: C, path: kernel)
                // normed2 = rmsnorm(mid)
                rmsnormBackward(dinp: d.residual, dweight: g + lw.mlpNorm, dout: d.normed, inp: a[la.mid],
                                weight: w + lw.mlpNorm, rstd: a[la.rstd2], rows: N, channels: C)
                // mid = input + attended·Wo^T
                gemm(.none, .none, m: N, n: QW, k: C, a: d.residual, lda: C, b: w + lw.o, ldb: QW,
                      c: d.attended, ldc: QW, path: kernel)
                gemm(.transposed, .none, m: C, n: QW, k: N, a: d.residual, lda: C, b: a[la.attended], ldb: QW,
                      accumulate: true, c: g + lw.o, ldc: QW, path: kernel)
                // attended_h = softmax(scale·Q_h K_g^T + mask) V_g
                // One task per (block, key/value head): the heads of a group add into the same dK and
                // dV, so they run in order on one worker; each worker has its own dP scratch.
                let NKV = c.numKeyValueHeads
                let qkvBase = SendablePointer(a[la.qkv]), probsBase = SendablePointer(a[la.probs])
                let dqkvBase = SendablePointer(d.qkv), dAttBase = SendablePointer(d.attended)
                let dPBase = SendablePointer(d.probs), tt = d.longestBlock * d.longestBlock
                let blocks = batch.blocks, offsets = blockProbOffsets
                parallelChunks(blocks.count * NKV, maxChunks: d.threads) { chunk, tasks in
                    let dP = dPBase + chunk * tt
                    for task in tasks {
                        let b = task / NKV, gi = task % NKV
                        let T = blocks[b].count, start = blocks[b].lowerBound
                        let rows = qkvBase + start * QKV, drows = dqkvBase + start * QKV
                        for h in (gi * groupSize)..<((gi + 1) * groupSize) {
                            // the group's first head writes dK and dV, the others add to them, so the
                            // buffer needs no zeroing: every row belongs to exactly one block
                            let first = h == gi * groupSize
                            let P = probsBase + offsets[b] + h * T * T
                            let dAtt = dAttBase + start * QW + h * HS
                            // dP = dAtt V^T ; dV += P^T dAtt
                            gemm(.none, .transposed, m: T, n: T, k: HS, a: dAtt, lda: QW,
                                        b: rows + QW + KW + gi * HS, ldb: QKV, c: dP, ldc: T, path: kernel)
                            gemm(.transposed, .none, m: T, n: HS, k: T, a: P, lda: T, b: dAtt, ldb: QW,
                                        accumulate: !first, c: drows + QW + KW + gi * HS, ldc: QKV, path: kernel)
                            softmaxRowsBackward(dP, probs: P, blockSize: T)
                            // scores = scale·Q K^T: dQ = scale·dS K ; dK += scale·dS^T Q
                            gemm(.none, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                                        b: rows + QW + gi * HS, ldb: QKV, c: drows + h * HS, ldc: QKV, path: kernel)
                            gemm(.transposed, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                                        b: rows + h * HS, ldb: QKV, accumulate: !first, c: drows + QW + gi * HS, ldc: QKV, path: kernel)
                        }
                    }
                }
                ropeBackward(d.qkv, rowStride: QKV, heads: NH, positions: positions.baseAddress!, rows: N, table: rope)
                ropeBackward(d.qkv + QW, rowStride: QKV, heads: c.numKeyValueHeads, positions: positions.baseAddress!,
                             rows: N, table: rope)
                // qkv = normed1·Wqkv^T
                gemm(.none, .none, m: N, n: C, k: QKV, a: d.qkv, lda: QKV, b: w + lw.qkv, ldb: C,
                      c: d.normed, ldc: C, path: kernel)
                gemm(.transposed, .none, m: QKV, n: C, k: N, a: d.qkv, lda: QKV, b: a[la.normed1], ldb: C,
                      accumulate: true, c: g + lw.qkv, ldc: C, path: kernel)
                // normed1 = rmsnorm(input)
                rmsnormBackward(dinp: d.residual, dweight: g + lw.attentionNorm, dout: d.normed, inp: a[la.input],
                                weight: w + lw.attentionNorm, rstd: a[la.rstd1], rows: N, channels: C)
            }
        }
        // x0 = embedding[token]; rows of the same token add up in token order.
        let ge = SendablePointer(g + layout.embedding), dres = SendablePointer(d.residual)
        batch.tokens.withUnsafeBufferPointer { tok in
            let tokens = SendablePointer(UnsafeMutablePointer(mutating: tok.baseAddress!))
            parallelFor(C, grain: 32) { cols in
                for i in 0..<N {
                    let row = ge + Int(tokens[i]) * C, src = dres + i * C
                    for col in cols { row[col] += src[col] }
                }
            }
        }
    }
}

/// Activation gradients for one batch shape, reused across steps.
final class BackwardScratch {
    let residual, normed, qkv, attended, gateUp, hidden, probs, gathered: UnsafeMutablePointer<Float>
    let longestBlock: Int
    /// dP holds one T² slice per thread.
    let threads: Int
    private let data: UnsafeMutablePointer<Float>

    init(config c: LlamaConfig, acts: Activations, longestBlock: Int) {
        threads = ComputeThreads.count
        let N = acts.tokens, S = acts.scored, C = c.hiddenSize, F = c.intermediateSize
        let QKV = c.queryWidth + 2 * c.keyValueWidth
        let sizes = [N * C, N * C, N * QKV, N * c.queryWidth, N * 2 * F, N * F,
                     threads * longestBlock * longestBlock, S * C]
        data = HugePages.allocate(floats: sizes.reduce(0, +))
        var offsets: [Int] = []
        var cursor = 0
        for s in sizes { offsets.append(cursor); cursor += s }
        residual = data + offsets[0]; normed = data + offsets[1]; qkv = data + offsets[2]
        attended = data + offsets[3]; gateUp = data + offsets[4]; hidden = data + offsets[5]
        probs = data + offsets[6]; gathered = data + offsets[7]
        self.longestBlock = longestBlock
    }

    deinit { HugePages.free(data) }
}
