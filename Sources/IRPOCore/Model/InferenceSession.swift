import Foundation

/// Generation-side model: a KV cache of independent sequences ("slots") that advance together.
///
/// One `step` takes any number of new tokens for any set of slots — a whole prompt for one
/// slot (prefill), one token each for many slots (decode), or a mix — and runs them as one set
/// of matrix-matrix products. Slots join and leave freely; `copy(slot:to:)` clones a prefilled
/// prompt so N samples share one prefill, and `share(slot:with:)` goes further: the samples read
/// the prompt's whole 32-position tiles from the one copy, which saves the copying and most of
/// the cache traffic of attention over the prompt.
public final class InferenceSession {
    /// The model, packed for decoding.
    public let model: DecodeWeights
    /// The vector width of the matrix products and attention (the bits are the same for both).
    public let kernel: KernelPath
    /// Number of sequences the cache holds.
    public let slotCount: Int
    /// Tokens each slot can hold (at most max_position_embeddings).
    public let capacity: Int
    /// Tokens currently cached per slot.
    public private(set) var lengths: [Int]
    let rope: RopeTable
    /// Each slot's keys and values, all layers and heads, allocated when the slot is first used.
    private var slotKeys: [UnsafeMutablePointer<Float>?], slotValues: [UnsafeMutablePointer<Float>?]
    /// Positions each head of the cache holds: the capacity padded to whole 32-position key tiles.
    private let keyStride: Int
    private var scratch: StepScratch?
    /// The slot whose tiles this slot reads its first `sharedTiles` 32-position tiles from (-1: none).
    private var parentOf: [Int]
    private var sharedTiles: [Int]
    /// Slots reading from this one, and whether its owner let it go while they still did.
    private var childCount: [Int]
    private var released: [Bool]

    /// A cache of up to `slots` sequences of up to `capacity` tokens each over a packed model.
    public init(model: DecodeWeights, slots: Int, capacity: Int? = nil, kernel: KernelPath = .best) {
        let c = model.config
        self.model = model
        self.kernel = kernel
        slotCount = slots
        self.capacity = min(capacity ?? c.maxPositionEmbeddings, c.maxPositionEmbeddings)
        lengths = [Int](repeating: 0, count: slots)
        parentOf = [Int](repeating: -1, count: slots)
        sharedTiles = [Int](repeating: 0, count: slots)
        childCount = [Int](repeating: 0, count: slots)
        released = [Bool](repeating: false, count: slots)
        slotKeys = [UnsafeMutablePointer<Float>?](repeating: nil, count: slots)
        slotValues = slotKeys
        rope = RopeTable(config: c, positions: self.capacity)
        keyStride = (self.capacity + 31) & ~31
    }

    /// A cache over `weights`, packed for this session alone.
    public convenience init(weights: ModelWeights, slots: Int, capacity: Int? = nil, kernel: KernelPath = .best) {
        self.init(model: DecodeWeights(weights), slots: slots, capacity: capacity, kernel: kernel)
    }

    deinit {
        for p in slotKeys + slotValues { if let p { HugePages.free(p) } }
    }

    /// The model's weights.
    public var weights: ModelWeights { model.weights }

    /// Floats one slot's keys (or values) take: every layer and key/value head, the capacity
    /// padded to whole tiles.
    static func slotFloats(config c: LlamaConfig, capacity: Int) -> Int {
        c.numHiddenLayers * c.numKeyValueHeads * ((capacity + 31) & ~31) * c.headDim
    }

    /// Slots whose cache has been allocated.
    public var allocatedSlots: Int { slotKeys.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Bytes this session holds beside the packed model: the allocated slots' keys and values
    /// and the step buffers.
    public var allocatedBytes: Int {
        let floats = 2 * allocatedSlots * Self.slotFloats(config: config, capacity: capacity) + (scratch?.count ?? 0)
        return floats * MemoryLayout<Float>.size
    }

    /// Allocates `slot`'s cache on its first use.
    private func ensureAllocated(_ slot: Int) {
        guard slotKeys[slot] == nil else { return }
        // attention reads whole 32-position blocks of keys; zeros keep the unused tail defined
        let floats = Self.slotFloats(config: config, capacity: capacity)
        slotKeys[slot] = HugePages.allocate(floats: floats)
        slotValues[slot] = HugePages.allocate(floats: floats)
    }

    public var config: LlamaConfig { weights.config }

    /// Forgets the tokens of `slot`, which must not be shared by others (see `release`).
    public func reset(slot: Int) {
        precondition(childCount[slot] == 0, "slot \(slot) is still read by \(childCount[slot]) sharing slots")
        detach(slot)
        lengths[slot] = 0
        released[slot] = false
    }

    /// Lets `slot` go; returns the slots that are now free for reuse: `slot` itself unless other
    /// slots still read its tiles (it is then freed with the last of them), and its parent when
    /// `slot` was the parent's last reader and the parent was let go before.
    public func release(slot: Int) -> [Int] {
        var free: [Int] = []
        let parent = parentOf[slot]
        detach(slot)
        if childCount[slot] == 0 {
            lengths[slot] = 0
            free.append(slot)
        } else {
            released[slot] = true
        }
        if parent >= 0 && released[parent] && childCount[parent] == 0 {
            released[parent] = false
            lengths[parent] = 0
            free.append(parent)
        }
        return free
    }

    private func detach(_ slot: Int) {
        let parent = parentOf[slot]
        if parent >= 0 { childCount[parent] -= 1 }
        parentOf[slot] = -1
        sharedTiles[slot] = 0
    }

    /// Makes `destination` a copy of `source` (same cached tokens), e.g. after one prompt prefill.
    public func copy(slot source: Int, to destination: Int) {
        guard source != destination else { return }
        ensureAllocated(destination)
        precondition(parentOf[source] < 0, "copy from a sharing slot is not supported")
        detach(destination)
        copyPositions(from: source, to: destination, startTile: 0)
    }

    /// Makes `destination` hold `source`'s tokens by reading `source`'s whole 32-position tiles
    /// in place; only the last, partial tile is copied, since `destination` writes after it.
    /// `source` must not itself share, and stays until every slot sharing it is let go (`release`).
    /// Logits are bit-identical to those after `copy`: the same numbers are read in the same order.
    public func share(slot source: Int, with destination: Int) {
        precondition(source != destination && parentOf[source] < 0, "share needs two slots, the first not sharing")
        ensureAllocated(destination)
        detach(destination)
        let tiles = lengths[source] / 32
        copyPositions(from: source, to: destination, startTile: tiles)
        parentOf[destination] = source
        sharedTiles[destination] = tiles
        childCount[source] += 1
    }

    private func copyPositions(from source: Int, to destination: Int, startTile: Int) {
        let n = lengths[source], HS = config.headDim, first = startTile * 32
        if n > first {
            for l in 0..<config.numHiddenLayers {
                for g in 0..<config.numKeyValueHeads {
                    let from = headOffset(layer: l, head: g) + first * HS
                    let to = headOffset(layer: l, head: g) + first * HS
                    // whole 32-position key tiles; positions past n are rewritten before they are read
                    (slotKeys[destination]! + to).update(from: slotKeys[source]! + from, count: ((n - first + 31) / 32) * 32 * HS)
                    (slotValues[destination]! + to).update(from: slotValues[source]! + from, count: (n - first) * HS)
                }
            }
        }
        lengths[destination] = n
    }

    /// Start of one head's cache within its slot's keys or values. Values are (positions, HS)
    /// rows; keys are stored as tiles of 32 positions, each tile (HS, 32) transposed, so q·K for
    /// 32 positions is 32 lanes of fused multiply-adds over HS with no horizontal sums, reading
    /// one contiguous 32·HS block.
    @inline(__always)
    func headOffset(layer: Int, head: Int) -> Int {
        (layer * config.numKeyValueHeads + head) * keyStride * config.headDim
    }

    /// Appends `tokens` to each listed slot and returns logits (items × V) for each item's last
    /// token, or (Σ tokens × V) for every new token when `allLogits` is set.
    public func step(_ items: [(slot: Int, tokens: [Int32])], allLogits: Bool = false) -> [Float] {
        advance(items, allLogits: allLogits, throughHead: true)
    }

    /// Appends `tokens` to each listed slot as `step` does, and returns the final-normed hidden
    /// state (items × C) of each item's last token, where `step` would apply the lm_head: what a
    /// sequence classifier's head reads.
    public func lastHiddenStates(_ items: [(slot: Int, tokens: [Int32])]) -> [Float] {
        advance(items, allLogits: false, throughHead: false)
    }

    /// `step` and `lastHiddenStates`: the layers over the new tokens, then the head or not.
    private func advance(_ items: [(slot: Int, tokens: [Int32])], allLogits: Bool, throughHead: Bool) -> [Float] {
        var rows = StepRows(items, lengths: lengths, capacity: capacity, vocab: config.vocabSize)
        for item in items { ensureAllocated(item.slot) }
        let R = rows.tokens.count, C = config.hiddenSize
        if scratch == nil || !scratch!.fits(rows: R) { scratch = StepScratch(config: config, rows: R, capacity: capacity) }
        let s = scratch!
        // slots not allocated yet are never read; any pointer stands in for them
        rows.keyBases = slotKeys.map { SendablePointer($0 ?? s.scores) }
        rows.valueBases = slotValues.map { SendablePointer($0 ?? s.scores) }
        for r in 0..<R { model.embedding(Int(rows.tokens[r]), into: s.x + r * C) }
        rows.positions.withUnsafeBufferPointer { pos in
            for l in 0..<config.numHiddenLayers { layerStep(l, rows: rows, positions: pos.baseAddress!) }
        }
        for item in items { lengths[item.slot] += item.tokens.count }
        return output(ofRows: allLogits ? Array(0..<R) : rows.lastRows, throughHead: throughHead)
    }

    /// One decoder layer over the step's rows in `scratch.x`, the same layers as
    /// `Transformer.layerForward` with attention read from and written to the cache.
    private func layerStep(_ l: Int, rows: StepRows, positions pos: UnsafePointer<Int32>) {
        let c = config, s = scratch!, R = rows.tokens.count
        let C = c.hiddenSize, F = c.intermediateSize, QW = c.queryWidth, QKV = c.qkvWidth
        let lw = weights.layout.layers[l], packed = model.layers[l], w = weights.data
        rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: w + lw.attentionNorm, rows: R, channels: C,
                       eps: c.rmsNormEps)
        matmul(rows: R, out: s.qkv, inp: s.normed, weight: packed.qkv, accumulate: false)
        if let bias = lw.qkvBias { biasForward(s.qkv, bias: w + bias, rows: R, width: QKV) }
        ropeForward(s.qkv, rowStride: QKV, heads: c.numAttentionHeads, positions: pos, rows: R, table: rope)
        ropeForward(s.qkv + QW, rowStride: QKV, heads: c.numKeyValueHeads, positions: pos, rows: R, table: rope)
        appendToCache(layer: l, rows: rows, positions: pos)
        attendToCache(layer: l, rows: rows, positions: pos)
        matmul(rows: R, out: s.x, inp: s.attended, weight: packed.o, accumulate: true)
        rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: w + lw.mlpNorm, rows: R, channels: C,
                       eps: c.rmsNormEps)
        matmul(rows: R, out: s.gateUp, inp: s.normed, weight: packed.gateUp, accumulate: false)
        swigluForward(out: s.hidden, gateUp: s.gateUp, rows: R, width: F)
        matmul(rows: R, out: s.x, inp: s.hidden, weight: packed.down, accumulate: true)
    }

    /// The rows' new keys and values of layer `l` into their slots' cache, one task per
    /// (token, kv head). A key goes into a column of its tile, HS stores a cache line apart that
    /// mostly miss, so the stores are spread over the threads too.
    private func appendToCache(layer l: Int, rows: StepRows, positions pos: UnsafePointer<Int32>) {
        let c = config, NKV = c.numKeyValueHeads, HS = c.headDim, QW = c.queryWidth, KW = c.keyValueWidth
        let QKV = c.qkvWidth, qkv = SendablePointer(scratch!.qkv), slotsOf = rows.slots
        let keyBases = rows.keyBases, valueBases = rows.valueBases
        parallelFor(rows.tokens.count * NKV, grain: 16) { tasks in
            for task in tasks {
                let r = task / NKV, g = task % NKV
                let head = self.headOffset(layer: l, head: g), p = Int(pos[r]), slot = Int(slotsOf[r])
                let k = qkv + r * QKV + QW + g * HS
                let tile = keyBases[slot] + head + (p / 32) * 32 * HS + p % 32
                for d in 0..<HS { tile[d * 32] = k[d] }
                (valueBases[slot] + head + p * HS).update(from: qkv + r * QKV + QW + KW + g * HS, count: HS)
            }
        }
    }

    /// Each row's query heads attend to their slot's cache up to and including the row itself
    /// (a shared prompt's tiles read from the parent slot); one task per (token, head), each
    /// chunk of tasks with its own score buffer.
    private func attendToCache(layer l: Int, rows: StepRows, positions pos: UnsafePointer<Int32>) {
        let c = config, s = scratch!, NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
        let QW = c.queryWidth, QKV = c.qkvWidth, groupSize = NH / NKV, scale = 1 / Float(HS).squareRoot()
        let qkv = SendablePointer(s.qkv), att = SendablePointer(s.attended), sc = SendablePointer(s.scores)
        let keyBases = rows.keyBases, valueBases = rows.valueBases
        let slotsOf = rows.slots, stride = keyStride, parents = parentOf, shared = sharedTiles, kernel = kernel
        parallelChunks(rows.tokens.count * NH, maxChunks: s.threads) { chunk, tasks in
            let scores = sc + chunk * stride
            for task in tasks {
                let r = task / NH, h = task % NH, g = h / groupSize
                let n = Int(pos[r]) + 1, slot = Int(slotsOf[r])
                let head = (l * NKV + g) * stride * HS
                let parent = parents[slot], sharedCount = parent < 0 ? 0 : shared[slot] * 32
                let from = parent < 0 ? slot : parent
                let ownKeys = keyBases[slot] + head, ownValues = valueBases[slot] + head
                attendOne(out: att + r * QW + h * HS, query: qkv + r * QKV + h * HS,
                          prefix: (keyTiles: UnsafePointer(keyBases[from] + head),
                                   values: UnsafePointer(valueBases[from] + head), count: sharedCount),
                          keyTiles: ownKeys + sharedCount * HS, values: ownValues + sharedCount * HS,
                          count: n, headDim: HS, scale: scale, scores: scores, kernel: kernel)
            }
        }
    }

    /// Logits (rows × V) of the listed rows of `scratch.x`: only they go through the final norm
    /// and the lm_head. Without `throughHead`, their final-normed states (rows × C) instead.
    private func output(ofRows wanted: [Int], throughHead: Bool) -> [Float] {
        let s = scratch!, C = config.hiddenSize, V = config.vocabSize
        for (i, r) in wanted.enumerated() where i != r { (s.x + i * C).update(from: s.x + r * C, count: C) }
        rmsnormForward(out: s.normed, rstd: nil, inp: s.x, weight: weights.data + weights.layout.finalNorm,
                       rows: wanted.count, channels: C, eps: config.rmsNormEps)
        if !throughHead { return Array(UnsafeBufferPointer(start: s.normed, count: wanted.count * C)) }
        var logits = [Float](repeating: 0, count: wanted.count * V)
        logits.withUnsafeMutableBufferPointer { out in
            matmul(rows: wanted.count, out: out.baseAddress!, inp: s.normed, weight: model.head, accumulate: false)
        }
        return logits
    }

    /// out (R, W.n) (+)= inp (R, W.k) · Wᵀ, each row's result independent of the others.
    private func matmul(rows R: Int, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                        weight: PackedMatrix, accumulate: Bool) {
        packedMatmul(out: out, ldo: weight.n, x: inp, rows: R, weight: weight, accumulate: accumulate, kernel: kernel,
                     scratch: scratch!.packedRows)
    }
}

/// Per-step buffers of `InferenceSession`, grown when a step brings more rows than before.
final class StepScratch {
    let rows: Int
    let x, normed, qkv, attended, gateUp, hidden, scores: UnsafeMutablePointer<Float>
    /// The matrix products' copy of their input rows (`packedMatmulScratch`).
    let packedRows: UnsafeMutablePointer<Float>
    private let arena: Arena

    init(config c: LlamaConfig, rows R: Int, capacity: Int) {
        threads = ComputeThreads.count
        var plan = ArenaPlan()
        let offsets = Self.sizes(config: c, rows: R, capacity: capacity, threads: threads).map { plan.take($0) }
        arena = Arena(plan)
        x = arena[offsets[0]]; normed = arena[offsets[1]]; qkv = arena[offsets[2]]; attended = arena[offsets[3]]
        gateUp = arena[offsets[4]]; hidden = arena[offsets[5]]; scores = arena[offsets[6]]; packedRows = arena[offsets[7]]
        rows = R
    }

    /// Floats held.
    var count: Int { arena.count }

    /// The floats of each buffer, in order.
    static func sizes(config c: LlamaConfig, rows R: Int, capacity: Int, threads: Int) -> [Int] {
        let C = c.hiddenSize, F = c.intermediateSize
        return [R * C, R * C, R * (c.qkvWidth), R * c.queryWidth,
                R * 2 * F, R * F, threads * ((capacity + 31) & ~31),
                packedMatmulScratch(rows: R, k: max(C, F, c.queryWidth))]
    }

    /// Workers the score buffer has slices for.
    let threads: Int

    func fits(rows R: Int) -> Bool { R <= rows && threads == ComputeThreads.count }
}

/// The rows of one `InferenceSession.step`: every new token with its slot and position, which
/// row is each item's last, and where each slot's cached keys and values start.
struct StepRows {
    var slots: [Int32] = [], positions: [Int32] = [], tokens: [Int32] = [], lastRows: [Int] = []
    var keyBases: [SendablePointer<Float>] = [], valueBases: [SendablePointer<Float>] = []

    init(_ items: [(slot: Int, tokens: [Int32])], lengths: [Int], capacity: Int, vocab: Int) {
        for item in items {
            precondition(!item.tokens.isEmpty, "a step item needs at least one token")
            precondition(lengths[item.slot] + item.tokens.count <= capacity,
                         "slot \(item.slot) would exceed its capacity of \(capacity) tokens")
            for (t, id) in item.tokens.enumerated() {
                precondition(id >= 0 && Int(id) < vocab, "token id \(id) is outside the vocabulary")
                slots.append(Int32(item.slot))
                positions.append(Int32(lengths[item.slot] + t))
                tokens.append(id)
            }
            lastRows.append(tokens.count - 1)
        }
        precondition(Set(items.map(\.slot)).count == items.count, "a slot appears twice in one step")
    }
}
