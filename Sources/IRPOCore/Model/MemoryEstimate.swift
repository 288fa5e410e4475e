import Foundation

/// What a run will hold in memory, from the model's shape and the run's sizes: the formulas
/// `sample --help` and `dpo-train --help` state, printed by `--progress` before the work starts.
public enum MemoryEstimate {
    /// Bytes `sample` holds: the model once, its matrices packed for decoding as `weights` (plus
    /// an untied embedding and the norm gains in f32), keys and values for `sequences` slots of
    /// `capacity` tokens, and the buffers of a step.
    public static func sampling(config c: LlamaConfig, weights: WeightType = .f32, sequences: Int, capacity: Int) -> Int {
        // sample gives the weights up for their packed copy (a tied embedding then read from it)
        let model = DecodeWeights.floats(config: c, type: weights, embeddingFromHead: c.tieWordEmbeddings)
        return sampling(config: c, modelBytes: model * MemoryLayout<Float>.size, sequences: sequences, capacity: capacity)
    }

    /// `sampling` with the model already packed, taking `modelBytes` (`DecodeWeights.bytes`).
    public static func sampling(config c: LlamaConfig, modelBytes: Int, sequences: Int, capacity: Int) -> Int {
        let caches = sequences * 2 * InferenceSession.slotFloats(config: c, capacity: capacity)
        return modelBytes + caches * MemoryLayout<Float>.size + stepBytes(config: c, rows: sequences, capacity: capacity)
    }

    /// Bytes of a decoding step's buffers: one row per decoded sequence plus the prompt tokens a
    /// step may prefill, and one logit row per sequence.
    static func stepBytes(config c: LlamaConfig, rows: Int, capacity: Int) -> Int {
        let R = rows + Generator.prefillTokensPerStep
        let floats = StepScratch.sizes(config: c, rows: R, capacity: capacity, threads: ComputeThreads.count)
            .reduce(0, +) + rows * c.vocabSize
        return floats * MemoryLayout<Float>.size
    }

    /// Bytes `dpo-train` holds: 16 a parameter (weights, gradients, AdamW's two moments) and
    /// the activations of one micro-batch of `tokens` tokens, `scored` of them scored, whose
    /// attention blocks have `attentionSquares` = Σ T² over the blocks.
    public static func training(config c: LlamaConfig, tokens: Int, scored: Int, attentionSquares: Int,
                                longestBlock: Int) -> Int {
        let params = ParameterLayout(config: c).count
        let logitRows = min(scored, max(1, Transformer.lmHeadChunkFloats / c.vocabSize))
        let probs = c.numAttentionHeads * attentionSquares
        let saved = Activations.floats(config: c, tokens: tokens, scored: scored, logitRows: logitRows,
                                       probsPerLayer: probs)
        let scratch = BackwardScratch.floats(config: c, tokens: tokens, scored: scored, longestBlock: longestBlock,
                                             threads: ComputeThreads.count)
        return (4 * params + saved + scratch) * MemoryLayout<Float>.size
    }

    /// `training` for one packed batch.
    public static func training(config c: LlamaConfig, batch: PackedBatch) -> Int {
        training(config: c, tokens: batch.count, scored: batch.scoredTokens.count,
                 attentionSquares: batch.blocks.reduce(0) { $0 + $1.count * $1.count }, longestBlock: batch.longestBlock)
    }

    /// "1.23 GB" or "45.6 MB".
    public static func text(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30))
            : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
