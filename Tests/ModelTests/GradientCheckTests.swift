import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// Tiny models whose forward is compared with the naive Double oracle and whose every gradient
/// tensor is compared with central finite differences of that oracle.
@Suite struct GradientCheckTests {
    static func tinyConfig(tied: Bool, kvHeads: Int) throws -> LlamaConfig {
        try LlamaConfig(vocabSize: 13, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2,
                        numAttentionHeads: 4, numKeyValueHeads: kvHeads, maxPositionEmbeddings: 64,
                        rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: tied)
    }

    /// Two plain sequences of different lengths and one prompt with two completions.
    static func mixedBatch() -> PackedBatch {
        var b = PackedBatch()
        b.appendSequence([1, 5, 7, 2, 9, 4, 3], scoreFrom: 2)
        b.appendSequence([12, 0, 6], scoreFrom: 1)
        b.appendTree(prefix: [3, 3, 8, 1], branches: [[4, 10, 11, 2], [7, 2]])
        return b
    }

    @Test(arguments: [(false, 4), (true, 4), (false, 2), (true, 1)])
    func forwardMatchesOracleAndGradientsMatchFiniteDifferences(tied: Bool, kvHeads: Int) throws {
        try Self.check(try Self.tinyConfig(tied: tied, kvHeads: kvHeads))
    }

    /// Qwen2's q/k/v biases and the two RoPE scalings, each through the same check.
    @Test(arguments: [(ModelFamily.qwen2, RopeScaling?.none), (.qwen2, .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8)),
                      (.llama, .linear(factor: 2.5))])
    func familiesMatchOracleAndFiniteDifferences(family: ModelFamily, scaling: RopeScaling?) throws {
        var config = try Self.tinyConfig(tied: family == .qwen2, kvHeads: 2)
        config.family = family
        config.ropeScaling = scaling
        config.ropeTheta = 100
        try Self.check(config)
    }

    static func check(_ config: LlamaConfig) throws {
        let tied = config.tieWordEmbeddings, kvHeads = config.numKeyValueHeads
        // Larger-than-usual init so attention is far from uniform and every path carries signal.
        let weights = ModelWeights.random(config: config, seed: 7, std: 0.3)
        var rng = SplitMix64(seed: 99)
        for off in weights.layout.normOffsets {
            for c in 0..<config.hiddenSize { weights.data[off + c] = 1 + Float(rng.nextGaussian() * 0.2) }
        }
        for bias in weights.layout.layers.compactMap(\.qkvBias) {
            for i in 0..<config.qkvWidth { weights.data[bias + i] = Float(rng.nextGaussian() * 0.3) }
        }
        let batch = Self.mixedBatch()
        let model = Transformer(weights: weights)
        let logprobs = model.forward(batch)
        var oracle = ReferenceLlama(weights: weights)
        let expected = oracle.logprobs(batch)
        let forwardError = zip(logprobs, expected).map { abs(Double($0) - $1) }.max()!
        // float32 forward vs Double: errors of a few ulps of values of magnitude ~3 pass 1e-5.
        #expect(forwardError < 1e-5, "forward max abs error \(forwardError)")

        // Loss = Σ_s w_s·logprob_s with fixed random weights, so every scored token matters differently.
        let lossWeights = (0..<logprobs.count).map { _ in rng.nextGaussian() }
        model.zeroGradients()
        model.backward(lossWeights.map(Float.init))
        func loss(_ o: ReferenceLlama) -> Double { zip(o.logprobs(batch), lossWeights).map(*).reduce(0, +) }
        let h = 1e-5
        var report: [String] = []
        for slot in weights.layout.slots {
            if tied && slot.name == "lm_head.weight" { continue }
            var maxDiff = 0.0, maxRef = 0.0
            // Every entry of small tensors; 64 random entries of larger ones keep the check fast
            // while any wrong term (which corrupts whole rows or columns) is still caught.
            let entries = slot.count <= 64 ? Array(0..<slot.count) : (0..<64).map { _ in Int(rng.next() % UInt64(slot.count)) }
            for i in entries {
                let idx = slot.offset + i
                let saved = oracle.params[idx]
                oracle.params[idx] = saved + h
                let up = loss(oracle)
                oracle.params[idx] = saved - h
                let down = loss(oracle)
                oracle.params[idx] = saved
                let numeric = (up - down) / (2 * h)
                maxDiff = max(maxDiff, abs(numeric - Double(model.gradients[idx])))
                maxRef = max(maxRef, abs(numeric))
            }
            let relative = maxDiff / max(maxRef, 1e-12)
            report.append("\(slot.name): max |Δ| \(maxDiff) (relative to tensor max \(relative))")
            // Gradients are float32 sums over ≤ 23 tokens and 2 layers: their error is a few
            // hundred ulps of the tensor's largest entry at most (≈1e-5 relative); the Double
            // central difference with h = 1e-5 is exact to ~1e-10. 1e-4 leaves 10x margin and
            // still catches any wrong term, which shows up at the 1e-2..1 level.
            #expect(relative < 1e-4, "\(slot.name): relative error \(relative)")
            #expect(maxRef > 0, "\(slot.name) has no gradient signal at all")
        }
        print("gradient check tied=\(tied) kv=\(kvHeads):\n  " + report.joined(separator: "\n  "))
    }

    @Test func sharedPromptTreeEqualsSeparateSequences() throws {
        let config = try Self.tinyConfig(tied: false, kvHeads: 2)
        let weights = ModelWeights.random(config: config, seed: 3, std: 0.3)
        let prompt: [Int32] = [3, 3, 8, 1], a: [Int32] = [4, 10, 11, 2], b: [Int32] = [7, 2]
        var tree = PackedBatch()
        let branches = tree.appendTree(prefix: prompt, branches: [a, b])
        var separate = PackedBatch()
        let ra = separate.appendSequence(prompt + a, scoreFrom: prompt.count)
        let rb = separate.appendSequence(prompt + b, scoreFrom: prompt.count)
        let model = Transformer(weights: weights)
        let treeLP = model.forward(tree)
        var g = (0..<treeLP.count).map { Float($0 % 3) - 0.7 }
        model.zeroGradients()
        model.backward(g)
        let treeGrad = Array(UnsafeBufferPointer(start: model.gradients, count: weights.count))
        let sepLP = model.forward(separate)
        #expect(Array(treeLP[branches[0]]).elementsEqual(sepLP[ra]) { abs($0 - $1) < 1e-5 })
        #expect(Array(treeLP[branches[1]]).elementsEqual(sepLP[rb]) { abs($0 - $1) < 1e-5 })
        g = Array(g[branches[0]]) + Array(g[branches[1]])
        model.zeroGradients()
        model.backward(g)
        let sepGrad = Array(UnsafeBufferPointer(start: model.gradients, count: weights.count))
        let scale = sepGrad.map(abs).max()!
        let diff = zip(treeGrad, sepGrad).map { abs($0 - $1) }.max()!
        #expect(diff / scale < 1e-5, "tree vs separate gradient relative difference \(diff / scale)")
    }
}

/// The training path's numbers must not depend on how many threads compute them.
@Suite struct ThreadIndependenceTests {
    @Test func forwardAndGradientsAreTheSameBitsAtAnyThreadCount() throws {
        let config = try LlamaConfig(vocabSize: 50, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2,
                                     numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128)
        let weights = ModelWeights.random(config: config, seed: 4)
        var rng = SplitMix64(seed: 1)
        var batch = PackedBatch()
        for len in [90, 33, 64] { batch.appendSequence((0..<len).map { _ in Int32(rng.next() % 50) }, scoreFrom: 1) }
        batch.appendTree(prefix: [1, 2, 3], branches: [[4, 5, 6], [7, 8]])
        func run(threads: Int) -> ([Float], [Float]) {
            let saved = ComputeThreads.count
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(saved) }
            let model = Transformer(weights: weights)
            let lp = model.forward(batch)
            model.zeroGradients()
            model.backward(lp.map { _ in -0.01 })
            return (lp, Array(UnsafeBufferPointer(start: model.gradients, count: weights.count)))
        }
        let one = run(threads: 1), two = run(threads: 2), three = run(threads: 3)
        #expect(one.0 == two.0 && one.0 == three.0)
        #expect(one.1 == two.1 && one.1 == three.1)
    }
}
