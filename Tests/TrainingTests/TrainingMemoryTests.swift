import Foundation
import Testing
@testable import IRPOCore

/// What training holds, by the engine's own accounting: the same for ten pairs or a hundred,
/// and no more than the estimate `--progress` prints, with a vocabulary whose full logit
/// matrix would dwarf everything else.
@Suite struct TrainingMemoryTests {
    static let config = try! LlamaConfig(vocabSize: 32_768, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2,
                                         numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 512,
                                         eosTokenIds: [2])

    static func pairs(_ n: Int) -> [TrainingExample] {
        var rng = SplitMix64(seed: 9)
        func ids(_ k: Int) -> [Int32] { (0..<k).map { _ in Int32(3 + rng.next() % 32_000) } }
        return (0..<n).map { _ in TrainingExample(prompt: ids(40), chosen: ids(150) + [2], rejected: ids(150) + [2]) }
    }

    /// Bytes the model holds after the reference pass and two steps over `n` pairs. The
    /// backward's scratch holds a slice per compute thread, and tests of other suites change the
    /// process's thread count while this runs: a run that saw it change is made again.
    static func held(pairs n: Int) throws -> (held: Int, estimate: Int, weights: Int) {
        for _ in 0..<5 {
            let threads = ComputeThreads.count
            let result = try heldOnce(pairs: n)
            if ComputeThreads.count == threads { return result }
        }
        return try heldOnce(pairs: n)
    }

    static func heldOnce(pairs n: Int) throws -> (held: Int, estimate: Int, weights: Int) {
        let weights = ModelWeights.random(config: Self.config, seed: 4, std: 0.2)
        var options = PreferenceTrainingOptions()
        options.batchSize = 4
        options.maxSteps = 2
        let trainer = try PreferenceTrainer(weights: weights, examples: Self.pairs(n), options: options)
        trainer.computeReference()
        _ = try trainer.trainStep()
        _ = try trainer.trainStep()
        return (trainer.model.allocatedBytes, trainer.memoryEstimate, weights.count * 4)
    }

    @Test func memoryDoesNotGrowWithThePairsAndStaysWithinTheEstimate() throws {
        var few = try Self.held(pairs: 8), many = try Self.held(pairs: 80)
        for _ in 0..<5 where few.held != many.held {
            // a thread-count change between the two runs: measure both again
            (few, many) = (try Self.held(pairs: 8), try Self.held(pairs: 80))
        }
        #expect(few.held == many.held, "\(few.held) bytes for 8 pairs, \(many.held) for 80")
        // gradients and activations, plus the weights and AdamW's two moments the estimate counts
        #expect(many.held + 3 * many.weights <= many.estimate, "held \(many.held + 3 * many.weights), estimated \(many.estimate)")
        let logitMatrix = 4 * 2 * 150 * Self.config.vocabSize * 4
        #expect(many.held - many.weights < logitMatrix / 2, "activations \(many.held - many.weights) bytes")
    }
}
