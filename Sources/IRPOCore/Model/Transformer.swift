import Foundation

// Shapes in this file, Activations, InferenceSession and Kernels/ are written with one legend:
//   N   tokens of a packed batch (all sequences end to end, no padding)
//   T   tokens of one attention block (one sequence, or one prompt with its completions)
//   S   scored tokens (those whose log-probability the caller asked for)
//   C   hidden size             F   intermediate (MLP) size        V   vocabulary
//   L   layers                  NH  query heads      NKV key/value heads      HS  head size
//   QW = NH·HS,  KW = NKV·HS,  QKV = QW + 2·KW (q, k, v side by side in one row)

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
    let rope: RopeTable
    private var acts: Activations?
    private var scratch: BackwardScratch?
    private var batch: PackedBatch?
    private var attention: AttentionBlocks?
    private var gradientStorage: UnsafeMutablePointer<Float>?
    /// Scored rows whose logits exist at once: the lm_head and log-softmax run over chunks of
    /// this many rows, so no (scored × vocabulary) matrix is ever held. Any value gives the same bits.
    var lmHeadChunkRows: Int

    /// Floats of logits one lm_head chunk may hold.
    static let lmHeadChunkFloats = 1 << 22

    /// Wraps `weights` (shared, not copied) for training or scoring.
    public init(weights: ModelWeights, kernel: KernelPath = .best) {
        precondition(!weights.matricesReleased, "these weights gave their matrices up for decoding")
        self.weights = weights
        self.kernel = kernel
        let c = weights.config
        rope = RopeTable(config: c, positions: c.maxPositionEmbeddings)
        lmHeadChunkRows = max(1, Self.lmHeadChunkFloats / c.vocabSize)
    }

    deinit { if let gradientStorage { HugePages.free(gradientStorage) } }

    public var config: LlamaConfig { weights.config }

    /// ∂L/∂θ, laid out like `weights`; `backward` adds to it, `zeroGradients` clears it. Allocated
    /// on first use, so a model that only scores (a reference) holds no gradients.
    public var gradients: UnsafeMutablePointer<Float> {
        if let gradientStorage { return gradientStorage }
        let g = HugePages.allocate(floats: weights.count)
        gradientStorage = g
        return g
    }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.update(repeating: 0, count: weights.count) }

    /// Bytes this model holds beside its weights: gradients once used, the activations saved for
    /// backward and the backward's scratch, for the largest batch seen.
    public var allocatedBytes: Int {
        let floats = (gradientStorage == nil ? 0 : weights.count) + (acts?.count ?? 0) + (scratch?.count ?? 0)
        return floats * MemoryLayout<Float>.size
    }

    /// Runs the model over `batch` and returns log p(token | everything it can see) for each
    /// scored token, in `batch.scoredTokens` order. Saves what `backward` needs.
    public func forward(_ batch: PackedBatch) -> [Float] {
        let c = config
        let N = batch.count, S = batch.scoredTokens.count
        let C = c.hiddenSize, V = c.vocabSize
        precondition(N > 0, "empty batch")
        precondition(batch.positions.allSatisfy { Int($0) < c.maxPositionEmbeddings },
                     "a position exceeds max_position_embeddings (\(c.maxPositionEmbeddings))")
        precondition(batch.tokens.allSatisfy { $0 >= 0 && Int($0) < V }, "a token id is outside the vocabulary")

        let attention = AttentionBlocks(batch, heads: c.numAttentionHeads)
        self.attention = attention
        let probsPerLayer = attention.probsPerLayer
        let chunkRows = min(S, lmHeadChunkRows)
        if acts == nil || !acts!.fits(tokens: N, scored: S, logitRows: chunkRows, probsPerLayer: probsPerLayer) {
            acts = Activations(config: c, tokens: N, scored: S, logitRows: chunkRows, probsPerLayer: probsPerLayer)
            scratch = nil
        }
        let a = acts!
        self.batch = batch
        let w = weights.data, layout = weights.layout
        embeddingForward(out: a[a.layers.first?.input ?? a.output], table: w + layout.embedding, tokens: batch.tokens,
                         channels: C)

        batch.positions.withUnsafeBufferPointer { positions in
            for l in a.layers.indices { layerForward(l, positions: positions.baseAddress!) }
        }

        rmsnormForward(out: a[a.normedFinal], rstd: a[a.rstdFinal], inp: a[a.output], weight: w + layout.finalNorm,
                       rows: N, channels: C, eps: c.rmsNormEps)
        return lmHeadForward()
    }

    /// Calls `body` with consecutive row ranges of at most `lmHeadChunkRows` covering 0..<rows.
    private func forEachLogitChunk(rows S: Int, _ body: (Range<Int>) -> Void) {
        var start = 0
        while start < S {
            let end = min(S, start + lmHeadChunkRows)
            body(start..<end)
            start = end
        }
    }

    /// Logits of the scored rows `rows` into the activations' logit buffer, turned in place into
    /// probabilities, with each row's log-prob of its target written to `logprob`. Each row's
    /// result depends on that row alone, so recomputing a chunk in backward gives the same bits.
    private func lmHeadChunk(_ rows: Range<Int>, targets: [Int32], logprob: UnsafeMutablePointer<Float>) {
        let a = acts!, C = config.hiddenSize, V = config.vocabSize
        gemm(.none, .transposed, m: rows.count, n: V, k: C, a: a[a.gathered] + rows.lowerBound * C, lda: C,
             b: weights.data + weights.layout.lmHead, ldb: C, c: a[a.logits], ldc: V, path: kernel)
        targets.withUnsafeBufferPointer { t in
            logSoftmaxGather(logprob: logprob, logits: a[a.logits], targets: t.baseAddress! + rows.lowerBound,
                             rows: rows.count, vocab: V)
        }
    }

    /// Adds ∂L/∂θ to `gradients`, given ∂L/∂(log-prob) of each scored token of the last `forward`.
    public func backward(_ dLogprob: [Float]) {
        guard let batch, let a = acts else { preconditionFailure("backward without forward") }
        precondition(dLogprob.count == batch.scoredTokens.count, "one gradient per scored token")
        let c = config, N = batch.count, C = c.hiddenSize
        if scratch == nil || scratch!.longestBlock < batch.longestBlock || scratch!.threads != ComputeThreads.count {
            scratch = BackwardScratch(config: c, acts: a, longestBlock: batch.longestBlock)
        }
        let d = scratch!
        let w = weights.data, g = gradients, layout = weights.layout

        lmHeadBackward(dLogprob, into: d.normed)
        d.residual.update(repeating: 0, count: N * C)
        rmsnormBackward(dinp: d.residual, dweight: g + layout.finalNorm, dout: d.normed, inp: a[a.output],
                        weight: w + layout.finalNorm, rstd: a[a.rstdFinal], rows: N, channels: C)
        batch.positions.withUnsafeBufferPointer { positions in
            for l in a.layers.indices.reversed() { layerBackward(l, positions: positions.baseAddress!) }
        }
        embeddingBackward(dtable: g + layout.embedding, dout: d.residual, tokens: batch.tokens, channels: C)
    }

    /// One decoder layer: `a.layers[l].input` → the next layer's input (or the final output).
    private func layerForward(_ l: Int, positions: UnsafePointer<Int32>) {
        let c = config, a = acts!, la = a.layers[l], attention = attention!
        let w = weights.data, layout = weights.layout
        let N = batch!.count, C = c.hiddenSize, F = c.intermediateSize
        let NH = c.numAttentionHeads, QW = c.queryWidth, QKV = c.qkvWidth
        let lw = layout.layers[l]
        let next = l + 1 < a.layers.count ? a[a.layers[l + 1].input] : a[a.output]
        // attention: normed1 = rmsnorm(input); qkv = normed1·Wqkv^T; rope(q, k)
        rmsnormForward(out: a[la.normed1], rstd: a[la.rstd1], inp: a[la.input], weight: w + lw.attentionNorm,
                       rows: N, channels: C, eps: c.rmsNormEps)
        gemm(.none, .transposed, m: N, n: QKV, k: C, a: a[la.normed1], lda: C, b: w + lw.qkv, ldb: C,
              c: a[la.qkv], ldc: QKV, path: kernel)
        if let bias = lw.qkvBias { biasForward(a[la.qkv], bias: w + bias, rows: N, width: QKV) }
        ropeForward(a[la.qkv], rowStride: QKV, heads: NH, positions: positions, rows: N, table: rope)
        ropeForward(a[la.qkv] + QW, rowStride: QKV, heads: c.numKeyValueHeads, positions: positions,
                    rows: N, table: rope)
        attentionForward(attended: a[la.attended], probs: a[la.probs], qkv: a[la.qkv], blocks: attention,
                         config: c, kernel: kernel)
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

    /// The backward of `layerForward`: `scratch.residual` holds ∂L/∂(layer output) on entry and
    /// ∂L/∂(layer input) on return; the layer's weight gradients are added to `gradients`.
    private func layerBackward(_ l: Int, positions: UnsafePointer<Int32>) {
        let c = config, a = acts!, la = a.layers[l], d = scratch!, attention = attention!
        let w = weights.data, g = gradients, lw = weights.layout.layers[l]
        let N = batch!.count, C = c.hiddenSize, F = c.intermediateSize
        let NH = c.numAttentionHeads, QW = c.queryWidth, QKV = c.qkvWidth
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
        attentionBackward(dqkv: d.qkv, dattended: d.attended, qkv: a[la.qkv], probs: a[la.probs],
                          blocks: attention, dPScratch: d.probs, threads: d.threads, config: c, kernel: kernel)
        ropeBackward(d.qkv, rowStride: QKV, heads: NH, positions: positions, rows: N, table: rope)
        ropeBackward(d.qkv + QW, rowStride: QKV, heads: c.numKeyValueHeads, positions: positions,
                     rows: N, table: rope)
        if let bias = lw.qkvBias { biasBackward(dbias: g + bias, dout: d.qkv, rows: N, width: QKV) }
        // qkv = normed1·Wqkv^T
        gemm(.none, .none, m: N, n: C, k: QKV, a: d.qkv, lda: QKV, b: w + lw.qkv, ldb: C,
              c: d.normed, ldc: C, path: kernel)
        gemm(.transposed, .none, m: QKV, n: C, k: N, a: d.qkv, lda: QKV, b: a[la.normed1], ldb: C,
              accumulate: true, c: g + lw.qkv, ldc: C, path: kernel)
        // normed1 = rmsnorm(input)
        rmsnormBackward(dinp: d.residual, dweight: g + lw.attentionNorm, dout: d.normed, inp: a[la.input],
                        weight: w + lw.attentionNorm, rstd: a[la.rstd1], rows: N, channels: C)
    }

    /// Log-probs of the scored tokens from the final normed hidden state. Only the predecessors
    /// of scored tokens need logits, so prompt rows skip the lm_head product.
    private func lmHeadForward() -> [Float] {
        let batch = batch!, a = acts!
        let S = batch.scoredTokens.count, C = config.hiddenSize
        let gathered = a[a.gathered], normed = a[a.normedFinal]
        batch.scoredPredecessors.withUnsafeBufferPointer { pred in
            for s in 0..<S { (gathered + s * C).update(from: normed + Int(pred[s]) * C, count: C) }
        }
        let targets = batch.scoredTokens.map { batch.tokens[Int($0)] }
        var logprobs = [Float](repeating: 0, count: S)
        logprobs.withUnsafeMutableBufferPointer { lp in
            forEachLogitChunk(rows: S) { rows in
                lmHeadChunk(rows, targets: targets, logprob: lp.baseAddress! + rows.lowerBound)
            }
        }
        return logprobs
    }

    /// ∂L/∂(final normed hidden state) into `dNormed` (N × C, zero where nothing is scored), and the
    /// lm_head's weight gradient. logprob = z[target] − logsumexp(z), a chunk of rows at a time:
    /// with one chunk the forward's probabilities are still there, otherwise each chunk is
    /// recomputed. The weight gradient accumulates chunk after chunk into one k-ordered chain, as
    /// one product would.
    private func lmHeadBackward(_ dLogprob: [Float], into dNormed: UnsafeMutablePointer<Float>) {
        let batch = batch!, a = acts!, d = scratch!
        let S = batch.scoredTokens.count, C = config.hiddenSize, V = config.vocabSize
        let w = weights.data, g = gradients, layout = weights.layout
        let targets = batch.scoredTokens.map { batch.tokens[Int($0)] }
        let chunked = S > lmHeadChunkRows
        var discarded = [Float](repeating: 0, count: chunked ? lmHeadChunkRows : 0)
        forEachLogitChunk(rows: S) { rows in
            if chunked { lmHeadChunk(rows, targets: targets, logprob: &discarded) }
            targets.withUnsafeBufferPointer { t in
                dLogprob.withUnsafeBufferPointer { dl in
                    logSoftmaxGatherBackward(probsToGrad: a[a.logits], dlogprob: dl.baseAddress! + rows.lowerBound,
                                             targets: t.baseAddress! + rows.lowerBound, rows: rows.count, vocab: V)
                }
            }
            gemm(.transposed, .none, m: V, n: C, k: rows.count, a: a[a.logits], lda: V,
                 b: a[a.gathered] + rows.lowerBound * C, ldb: C, accumulate: true, c: g + layout.lmHead, ldc: C,
                 path: kernel)
            gemm(.none, .none, m: rows.count, n: C, k: V, a: a[a.logits], lda: V, b: w + layout.lmHead, ldb: C,
                 c: d.gathered + rows.lowerBound * C, ldc: C, path: kernel)
        }
        dNormed.update(repeating: 0, count: batch.count * C)
        batch.scoredPredecessors.withUnsafeBufferPointer { pred in
            for s in 0..<S { addInPlace(dNormed + Int(pred[s]) * C, d.gathered + s * C, C) }
        }
    }
}

/// Activation gradients for one batch shape, reused across steps: one arena.
final class BackwardScratch {
    let residual, normed, qkv, attended, gateUp, hidden, probs, gathered: UnsafeMutablePointer<Float>
    let longestBlock: Int
    /// dP holds one T² slice per thread.
    let threads: Int
    private let arena: Arena

    init(config c: LlamaConfig, acts: Activations, longestBlock: Int) {
        threads = ComputeThreads.count
        var plan = ArenaPlan()
        let offsets = Self.sizes(config: c, tokens: acts.tokens, scored: acts.scored, longestBlock: longestBlock,
                                 threads: threads).map { plan.take($0) }
        arena = Arena(plan)
        residual = arena[offsets[0]]; normed = arena[offsets[1]]; qkv = arena[offsets[2]]
        attended = arena[offsets[3]]; gateUp = arena[offsets[4]]; hidden = arena[offsets[5]]
        probs = arena[offsets[6]]; gathered = arena[offsets[7]]
        self.longestBlock = longestBlock
    }

    /// Floats held.
    var count: Int { arena.count }

    /// Floats the scratch of a batch of this shape takes.
    static func floats(config c: LlamaConfig, tokens N: Int, scored S: Int, longestBlock T: Int, threads: Int) -> Int {
        sizes(config: c, tokens: N, scored: S, longestBlock: T, threads: threads).reduce(0, +)
    }

    /// The floats of each buffer, in order: residual, normed, qkv, attended, gateUp, hidden, dP, gathered.
    static func sizes(config c: LlamaConfig, tokens N: Int, scored S: Int, longestBlock T: Int, threads: Int) -> [Int] {
        let C = c.hiddenSize, F = c.intermediateSize
        return [N * C, N * C, N * c.qkvWidth, N * c.queryWidth, N * 2 * F, N * F, threads * T * T, S * C]
    }
}
