/// A reward model, HF `LlamaForSequenceClassification` with one label, scoring token sequences:
/// the reward of a sequence is `score.weight` · the final-normed hidden state of its last token
/// that is not `pad_token_id` (its last token when the config names no pad), as transformers pools.
///
/// Each sequence runs alone in its own slot of a row-stable `InferenceSession`, so a reward does
/// not depend on the batch it was scored in, the kernel path or the thread count.
public final class RewardModel {
    /// The configuration of the decoder body (laid out with no lm_head).
    public let config: LlamaConfig
    /// Most sequences run through the model together.
    public let batch: Int
    let model: DecodeWeights
    let kernel: KernelPath
    let score: [Float]
    /// Sized for the longest sequence so far, so the caches hold what the records need, not the
    /// model's whole context.
    private var session: InferenceSession?

    /// Packs `weights` for scoring, giving their matrices back as they are packed; `score` is the
    /// head's one row (hidden size floats).
    public init(weights: ModelWeights, score: [Float], batch: Int, kernel: KernelPath = .best) {
        precondition(score.count == weights.config.hiddenSize && batch >= 1, "one score row and a positive batch")
        config = weights.config
        self.batch = batch
        self.score = score
        self.kernel = kernel
        model = DecodeWeights(weights, releasingSource: true)
    }

    /// The longest sequence the model reads (max_position_embeddings).
    public var context: Int { config.maxPositionEmbeddings }

    /// A session whose slots hold `tokens`, kept until a longer sequence comes.
    private func session(for tokens: Int) -> InferenceSession {
        if let session, session.capacity >= tokens { return session }
        let grown = InferenceSession(model: model, slots: batch, capacity: (tokens + 31) / 32 * 32, kernel: kernel)
        session = grown
        return grown
    }

    /// The index of the token whose hidden state is scored: the last one that is not the pad
    /// token, else the first (transformers' argmax over an all-pad row).
    public func pooledIndex(_ ids: [Int32]) -> Int {
        guard let pad = config.padTokenId.map(Int32.init) else { return ids.count - 1 }
        return ids.lastIndex { $0 != pad } ?? 0
    }

    /// Tokens one step runs at most, unless a single sequence is longer: the step's buffers grow
    /// with its tokens, and sequences this long fill the matrix products on their own.
    static let stepTokens = 1024

    /// Consecutive groups of sequences of these lengths, each within `stepTokens` or one sequence.
    static func steps(_ lengths: [Int]) -> [Range<Int>] {
        var groups: [Range<Int>] = [], start = 0, tokens = 0
        for (i, n) in lengths.enumerated() {
            if i > start && tokens + n > stepTokens {
                groups.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += n
        }
        if start < lengths.count { groups.append(start..<lengths.count) }
        return groups
    }

    /// The reward of each sequence (each non-empty and at most `context` tokens), in order.
    public func rewards(_ sequences: [[Int32]]) -> [Float] {
        let C = config.hiddenSize
        var out: [Float] = []
        out.reserveCapacity(sequences.count)
        for start in stride(from: 0, to: sequences.count, by: batch) {
            let chunk = sequences[start..<min(sequences.count, start + batch)]
            // the pooled token sees only what precedes it, so the tokens after it need not run
            let items = chunk.enumerated().map { slot, ids in (slot: slot, tokens: Array(ids[...pooledIndex(ids)])) }
            let session = session(for: items.map(\.tokens.count).max()!)
            for item in items { session.reset(slot: item.slot) }
            var hidden: [Float] = []
            for group in Self.steps(items.map(\.tokens.count)) { hidden += session.lastHiddenStates(Array(items[group])) }
            var rewards = [Float](repeating: 0, count: items.count)
            gemm(.none, .transposed, m: items.count, n: 1, k: C, a: hidden, lda: C, b: score, ldb: C,
                 c: &rewards, ldc: 1, path: kernel)
            out += rewards
        }
        return out
    }
}
