import Foundation

/// Generation-side model: a KV cache of independent sequences ("slots") that advance together.
///
/// One `step` takes any number of new tokens for any set of slots — a whole prompt for one
/// slot (prefill), one token each for many slots (decode), or a mix — and runs them as one set
/// of matrix-matrix products. Slots join and leave freely; `copy(slot:to:)` clones a prefilled
/// prompt so N samples share one prefill.
public final class InferenceSession {
    public let weights: ModelWeights
    /// Number of sequences the cache holds.
    public let slotCount: Int
    /// Tokens each slot can hold (at most max_position_embeddings).
    public let capacity: Int
    /// Tokens currently cached per slot.
    public private(set) var lengths: [Int]
    let rope: RopeTable
    private let keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    private var scratch: StepScratch?

    /// A cache of `slots` sequences of up to `capacity` tokens each.
    public init(weights: ModelWeights, slots: Int, capacity: Int? = nil) {
        let c = weights.config
        self.weights = weights
        slotCount = slots
        self.capacity = min(capacity ?? c.maxPositionEmbeddings, c.maxPositionEmbeddings)
        lengths = [Int](repeating: 0, count: slots)
        rope = RopeTable(headDim: c.headDim, theta: c.ropeTheta, positions: self.capacity)
        let size = c.numHiddenLayers * slots * self.capacity * c.keyValueWidth
        keys = .allocate(capacity: max(size, 1))
        values = .allocate(capacity: max(size, 1))
    }

    deinit { keys.deallocate(); values.deallocate() }

    public var config: LlamaConfig { weights.config }

    /// Forgets the tokens of `slot`.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Makes `destination` a copy of `source` (same cached tokens), e.g. after one prompt prefill.
    public func copy(slot source: Int, to destination: Int) {
        guard source != destination else { return }
        let n = lengths[source], KW = config.keyValueWidth
        for l in 0..<config.numHiddenLayers {
            let from = cacheOffset(layer: l, slot: source, position: 0)
            let to = cacheOffset(layer: l, slot: destination, position: 0)
            (keys + to).update(from: keys + from, count: n * KW)
            (values + to).update(from: values + from, count: n * KW)
        }
        lengths[destination] = n
    }

    @inline(__always)
    func cacheOffset(layer: Int, slot: Int, position: Int) -> Int {
        ((layer * slotCount + slot) * capacity + position) * config.keyValueWidth
    }

    /// Appends `tokens` to each listed slot and returns logits (items × V) for each item's last
    /// token, or (Σ tokens × V) for every new token when `allLogits` is set.
    public func step(_ items: [(slot: Int, tokens: [Int32])], allLogits: Bool = false) -> [Float] {
        let c = config
        let C = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize
        let NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
        let QW = c.queryWidth, KW = c.keyValueWidth, QKV = QW + 2 * KW, groupSize = NH / NKV
        var rowSlot: [Int32] = [], rowPos: [Int32] = [], tokens: [Int32] = [], lastRows: [Int] = []
        for item in items {
            precondition(!item.tokens.isEmpty, "a step item needs at least one token")
            precondition(lengths[item.slot] + item.tokens.count <= capacity,
                         "slot \(item.slot) would exceed its capacity of \(capacity) tokens")
            for (t, id) in item.tokens.enumerated() {
                precondition(id >= 0 && Int(id) < V, "token id \(id) is outside the vocabulary")
                rowSlot.append(Int32(item.slot))
                rowPos.append(Int32(lengths[item.slot] + t))
                tokens.append(id)
            }
            lastRows.append(tokens.count - 1)
        }
        precondition(Set(items.map(\.slot)).count == items.count, "a slot appears twice in one step")
        let R = tokens.count
        if scratch == nil || !scratch!.fits(rows: R) { scratch = StepScratch(config: c, rows: R, capacity: capacity) }
        let s = scratch!
        let w = weights.data, layout = weights.layout
        let scale = 1 / Float(HS).squareRoot()

        for r in 0..<R { (s.x + r * C).update(from: w + layout.embedding + Int(tokens[r]) * C, count: C) }
        rowPos.withUnsafeBufferPointer { pos in
            for (l, lw) in layout.layers.enumerated() {
                rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: w + lw.attentionNorm, rows: R, channels: C,
                               eps: c.rmsNormEps)
                matmul(rows: R, out: s.qkv, outWidth: QKV, inp: s.normed, weight: w + lw.qkv, inWidth: C, accumulate: false)
                ropeForward(s.qkv, rowStride: QKV, heads: NH, positions: pos.baseAddress!, rows: R, table: rope)
                ropeForward(s.qkv + QW, rowStride: QKV, heads: NKV, positions: pos.baseAddress!, rows: R, table: rope)
                for r in 0..<R {
                    let at = cacheOffset(layer: l, slot: Int(rowSlot[r]), position: Int(rowPos[r]))
                    (keys + at).update(from: s.qkv + r * QKV + QW, count: KW)
                    (values + at).update(from: s.qkv + r * QKV + QW + KW, count: KW)
                }
                // Each new token attends to its slot's cache up to and including itself.
                let qkv = SendablePointer(s.qkv), att = SendablePointer(s.attended), sc = SendablePointer(s.scores)
                let kc = SendablePointer(keys), vc = SendablePointer(values)
                let slotsOf = rowSlot, cap = capacity
                let layerBase = l * slotCount * cap * KW
                parallelFor(R) { range in
                    for r in range {
                        let n = Int(pos[r]) + 1
                        let kBase = kc + layerBase + Int(slotsOf[r]) * cap * KW
                        let vBase = vc + layerBase + Int(slotsOf[r]) * cap * KW
                        let scores = sc + r * cap
                        for h in 0..<NH {
                            let g = h / groupSize
                            let q = qkv + r * QKV + h * HS
                            var m = -Float.infinity
                            for j in 0..<n {
                                let v = dot(q, kBase + j * KW + g * HS, HS) * scale
                                scores[j] = v
                                m = max(m, v)
                            }
                            var sum: Float = 0
                            for j in 0..<n { let e = Foundation.exp(scores[j] - m); scores[j] = e; sum += e }
                            let inv = 1 / sum
                            let out = att + r * QW + h * HS
                            out.update(repeating: 0, count: HS)
                            for j in 0..<n { axpy(scores[j] * inv, vBase + j * KW + g * HS, out, HS) }
                        }
                    }
                }
                matmul(rows: R, out: s.x, outWidth: C, inp: s.attended, weight: w + lw.o, inWidth: QW, accumulate: true)
                rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: w + lw.mlpNorm, rows: R, channels: C,
                               eps: c.rmsNormEps)
                matmul(rows: R, out: s.gateUp, outWidth: 2 * F, inp: s.normed, weight: w + lw.gateUp, inWidth: C,
                       accumulate: false)
                swigluForward(out: s.hidden, gateUp: s.gateUp, rows: R, width: F)
                matmul(rows: R, out: s.x, outWidth: C, inp: s.hidden, weight: w + lw.down, inWidth: F, accumulate: true)
            }
        }
        for item in items { lengths[item.slot] += item.tokens.count }

        // Only the rows whose logits are wanted go through the final norm and the lm_head.
        let wanted = allLogits ? Array(0..<R) : lastRows
        for (i, r) in wanted.enumerated() where i != r { (s.x + i * C).update(from: s.x + r * C, count: C) }
        rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: w + layout.finalNorm, rows: wanted.count,
                       channels: C, eps: c.rmsNormEps)
        var logits = [Float](repeating: 0, count: wanted.count * V)
        logits.withUnsafeMutableBufferPointer { out in
            matmul(rows: wanted.count, out: out.baseAddress!, outWidth: V, inp: s.normed, weight: w + layout.lmHead,
                   inWidth: C, accumulate: false)
        }
        return logits
    }

    /// out (R,outWidth) (+)= inp (R,inWidth) · W^T, each row's result independent of the others.
    private func matmul(rows R: Int, out: UnsafeMutablePointer<Float>, outWidth: Int, inp: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, inWidth: Int, accumulate: Bool) {
        rowStableMatmul(out: out, ldo: outWidth, x: inp, rows: R, weight: weight, n: outWidth, k: inWidth,
                        accumulate: accumulate)
    }
}

/// Per-step buffers of `InferenceSession`, grown when a step brings more rows than before.
final class StepScratch {
    let rows: Int
    let x, normed, qkv, attended, gateUp, hidden, scores: UnsafeMutablePointer<Float>
    private let data: UnsafeMutablePointer<Float>

    init(config c: LlamaConfig, rows R: Int, capacity: Int) {
        let C = c.hiddenSize, F = c.intermediateSize
        let sizes = [R * max(C, c.vocabSize), R * C, R * (c.queryWidth + 2 * c.keyValueWidth), R * c.queryWidth,
                     R * 2 * F, R * F, R * capacity]
        let total = sizes.reduce(0, +)
        data = .allocate(capacity: total)
        data.initialize(repeating: 0, count: total)
        var cursor = 0
        var ptrs: [UnsafeMutablePointer<Float>] = []
        for size in sizes { ptrs.append(data + cursor); cursor += size }
        x = ptrs[0]; normed = ptrs[1]; qkv = ptrs[2]; attended = ptrs[3]; gateUp = ptrs[4]; hidden = ptrs[5]
        scores = ptrs[6]
        rows = R
    }

    deinit { data.deallocate() }

    func fits(rows R: Int) -> Bool { R <= rows }
}
