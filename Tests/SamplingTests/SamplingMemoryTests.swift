import Foundation
import Testing
@testable import IRPOCore

/// What sampling holds, by the engine's own accounting: no logits for prompt positions, cache
/// slots as sequences join, the model once when the generator is its last user.
@Suite struct SamplingMemoryTests {
    /// A large vocabulary over a tiny body, so that a logit row per prompt token would dominate.
    static let config = try! LlamaConfig(vocabSize: 32_768, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
                                         numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 1024,
                                         eosTokenIds: [256])

    static func prompt(_ n: Int) -> [Int32] { (0..<n).map { Int32(($0 * 7919) % 255) } }

    @Test func prefillKeepsNoLogitsForPromptPositions() {
        let weights = ModelWeights.random(config: Self.config, seed: 2, std: 0.2)
        let session = InferenceSession(weights: weights, slots: 1, capacity: 512)
        let logits = session.step([(slot: 0, tokens: Self.prompt(400))])
        #expect(logits.count == Self.config.vocabSize)
        let kv = 2 * InferenceSession.slotFloats(config: Self.config, capacity: 512) * 4
        let oneLogitRowPerToken = 400 * Self.config.vocabSize * 4
        // what is beyond the cache is the step's buffers, a few rows of hidden width per token
        #expect(session.allocatedBytes - kv < oneLogitRowPerToken / 20, "\(session.allocatedBytes - kv) bytes of step buffers")
    }

    @Test func slotsAreAllocatedAsSequencesJoin() {
        let weights = ModelWeights.random(config: Self.config, seed: 2, std: 0.2)
        let one = Self.run(weights, prompts: 1, samples: 1, batch: 64)
        #expect(one.slots == 1)
        let four = Self.run(weights, prompts: 1, samples: 4, batch: 64)
        #expect(four.slots == 4)  // the prompt's slot is the last sample's
        let many = Self.run(weights, prompts: 20, samples: 3, batch: 8)
        #expect(many.slots <= 9, "bounded by --batch plus a prompt: \(many.slots)")
    }

    /// Slots allocated and bytes held after sampling `prompts` problems.
    static func run(_ weights: ModelWeights, prompts: Int, samples: Int, batch: Int) -> (slots: Int, bytes: Int) {
        let options = GenerationOptions(samples: samples, maxTokens: 8, seed: 1, batchSize: batch)
        let tokenizer = Tokenizer.byteLevel(specials: ["<|endoftext|>"])
        var slots = 0
        let g = Generator(weights: weights, tokenizer: tokenizer, options: options) { _ in }
        for i in 0..<prompts { try! g.submit(key: UInt64(i), promptTokens: Self.prompt(10 + i)) }
        g.finish()
        slots = g.allocatedSlots
        return (slots, g.allocatedBytes)
    }

    @Test func releasingTheSourceKeepsTheBitsAndTheEstimateHolds() {
        let original = ModelWeights.random(config: Self.config, seed: 2, std: 0.2)
        let kept = DecodeWeights(original)
        let given = original.copy()
        let released = DecodeWeights(given, releasingSource: true)
        #expect(given.matricesReleased && !original.matricesReleased)
        // the released weights' matrices read as zero where whole pages were given back
        let layer = given.layout.layers[1]
        #expect(given.data[layer.gateUp + 2048] == 0 && original.data[layer.gateUp + 2048] != 0)
        let a = InferenceSession(model: kept, slots: 1, capacity: 64)
        let b = InferenceSession(model: released, slots: 1, capacity: 64)
        var x = a.step([(slot: 0, tokens: Self.prompt(30))]), y = b.step([(slot: 0, tokens: Self.prompt(30))])
        #expect(x == y)
        x = a.step([(slot: 0, tokens: [5])]); y = b.step([(slot: 0, tokens: [5])])
        #expect(x == y)
        // the formula --progress prints is what the engine holds, step buffers aside
        let estimate = MemoryEstimate.sampling(config: Self.config, sequences: 1, capacity: 64)
        let held = released.bytes + b.allocatedBytes
        // the estimate's step buffers are sized for a full prefill, these for one 30-token prompt
        let fullStep = MemoryEstimate.stepBytes(config: Self.config, rows: 1, capacity: 64)
        #expect(held <= estimate && estimate - held <= fullStep, "held \(held), estimated \(estimate)")
    }
}
