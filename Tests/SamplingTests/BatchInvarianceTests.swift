import Foundation
import IRPOCore
import Testing

/// The generator's determinism rests on one property of the engine: a slot's logits are the
/// same bits whichever other slots share the step. This checks it directly, per batch size.
@Suite(.serialized) struct BatchInvarianceTests {
    /// The tiny test model, and the widths of bench config M (one layer) where BLAS picks bigger kernels.
    static let models: [ModelWeights] = [
        TinyModel.weights(),
        ModelWeights.random(config: try! LlamaConfig(vocabSize: 512, hiddenSize: 512, intermediateSize: 1536,
                                                     numHiddenLayers: 1, numAttentionHeads: 8, maxPositionEmbeddings: 256,
                                                     eosTokenIds: [0]), seed: 3),
    ]

    @Test(arguments: [0, 1], [1, 2]) func decodeLogitsDoNotDependOnTheOtherRows(model: Int, threads: Int) {
        let weights = Self.models[model]
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(threads)
        let V = weights.config.vocabSize
        let prompt = TinyModel.tokenizer.tokenizePrompt("Batch invariance")
        func logitsOfSlot0(rows: Int) -> [Float] {
            let session = InferenceSession(weights: weights, slots: rows, capacity: 64)
            _ = session.step([(slot: 0, tokens: prompt)])
            for s in 1..<rows { session.copy(slot: 0, to: s) }
            let out = session.step((0..<rows).map { (slot: $0, tokens: [Int32(65 + $0 % 26)]) })
            return Array(out[0..<V])
        }
        let alone = logitsOfSlot0(rows: 1)
        var differing: [Int] = []
        for rows in model == 0 ? [2, 3, 4, 5, 8, 16, 17, 32, 33, 64] : [2, 5, 17, 33] {
            let other = logitsOfSlot0(rows: rows)
            if other != alone {
                differing.append(rows)
                let d = zip(alone, other).map { abs($0 - $1) }.max()!
                print("batch invariance (model \(model), \(threads) threads): 1 row vs \(rows) rows: max |logit diff| \(d)")
            }
        }
        #expect(differing.isEmpty, "slot 0's logits alone differ from those in a step of \(differing) rows")
    }
}
