import Foundation
import Testing
@testable import IRPOCore

/// The lm_head and log-softmax run over chunks of scored rows: the bits do not depend on the
/// chunk size, and the memory the model holds does not grow with vocabulary × scored tokens.
@Suite struct LMHeadChunkTests {
    /// A model with a large vocabulary and a tiny body, where the logits dominate the memory.
    static let config = try! LlamaConfig(vocabSize: 32_768, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1,
                                         numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 512)

    static func batch(scoredTokens n: Int, seed: UInt64 = 5) -> PackedBatch {
        var rng = SplitMix64(seed: seed)
        func tokens(_ k: Int) -> [Int32] { (0..<k).map { _ in Int32(rng.next() % 32_768) } }
        var batch = PackedBatch()
        batch.appendTree(prefix: tokens(7), branches: [tokens(n / 2), tokens(n - n / 2)])
        return batch
    }

    /// Log-probs and every gradient of one forward and backward with `rows` logit rows per chunk.
    static func step(_ weights: ModelWeights, _ batch: PackedBatch, chunkRows: Int) -> [Float] {
        let model = Transformer(weights: weights)
        model.lmHeadChunkRows = chunkRows
        model.zeroGradients()
        let logprobs = model.forward(batch)
        model.backward((0..<logprobs.count).map { Float($0 % 5) / 5 - 0.3 })
        return logprobs + Array(UnsafeBufferPointer(start: model.gradients, count: weights.count))
    }

    @Test func chunkSizeDoesNotChangeABit() {
        let weights = ModelWeights.random(config: Self.config, seed: 1, std: 0.3)
        let batch = Self.batch(scoredTokens: 45)
        let whole = Self.step(weights, batch, chunkRows: 45)
        for rows in [1, 4, 16, 44] {
            let chunked = Self.step(weights, batch, chunkRows: rows)
            let differing = zip(chunked, whole).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(rows) rows a chunk: \(differing) of \(whole.count) values differ")
        }
    }

    @Test func logitMemoryIsOneChunkWhateverTheScoredTokens() {
        let weights = ModelWeights.random(config: Self.config, seed: 1, std: 0.3)
        let V = Self.config.vocabSize, chunk = Transformer.lmHeadChunkFloats / V
        // everything but the logits grows with the tokens; the logits stay one chunk. The forward's
        // activations hold them (the backward reuses that buffer); its scratch depends on the
        // thread count, which other tests running alongside may change.
        func held(_ scored: Int) -> Int {
            let model = Transformer(weights: weights)
            _ = model.forward(Self.batch(scoredTokens: scored))
            return model.allocatedBytes
        }
        let small = held(2 * chunk), large = held(6 * chunk)
        let full = 6 * chunk * V * 4
        #expect(large - small < full / 10, "held \(small) then \(large) bytes; a full logit matrix is \(full)")
        #expect(large < 2 * chunk * V * 4, "held \(large) bytes of activations")
    }

    @Test func aScoringModelHoldsNoGradients() {
        let weights = ModelWeights.random(config: Self.config, seed: 1, std: 0.3)
        let model = Transformer(weights: weights)
        _ = model.forward(Self.batch(scoredTokens: 20))
        #expect(model.allocatedBytes < weights.count * 4)
    }

    @Test func theTrainingEstimateIsWhatTheEngineHolds() {
        let weights = ModelWeights.random(config: Self.config, seed: 1, std: 0.3)
        let batch = Self.batch(scoredTokens: 300)
        let model = Transformer(weights: weights)
        model.zeroGradients()
        let lp = model.forward(batch)
        model.backward([Float](repeating: 0.1, count: lp.count))
        let optimizerAndWeights = 3 * weights.count * 4
        #expect(MemoryEstimate.training(config: Self.config, batch: batch) == optimizerAndWeights + model.allocatedBytes)
    }
}
