import Foundation
import Testing
import IRPOCore

/// The KV-cache path must give the training forward's numbers, whatever way tokens arrive.
@Suite struct InferenceTests {
    static func model(tied: Bool = false, kvHeads: Int = 2) throws -> ModelWeights {
        let config = try LlamaConfig(vocabSize: 37, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2,
                                     numAttentionHeads: 4, numKeyValueHeads: kvHeads, maxPositionEmbeddings: 128,
                                     tieWordEmbeddings: tied)
        return ModelWeights.random(config: config, seed: 11, std: 0.2)
    }

    static func logSoftmax(_ logits: ArraySlice<Float>, at target: Int32) -> Float {
        let m = logits.max()!
        let lse = m + log(logits.map { exp($0 - m) }.reduce(0, +))
        return logits[logits.startIndex + Int(target)] - lse
    }

    static func tokens(_ n: Int, seed: UInt64) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int32(rng.next() % 37) }
    }

    /// max |a−b| / max |b|: the error relative to the size of the values compared.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    @Test(arguments: [(false, 2), (true, 4)])
    func prefillThenDecodeEqualsTrainingForward(tied: Bool, kvHeads: Int) throws {
        let weights = try Self.model(tied: tied, kvHeads: kvHeads)
        let seq = Self.tokens(40, seed: 1)
        var batch = PackedBatch()
        batch.appendSequence(seq, scoreFrom: 1)
        let expected = Transformer(weights: weights).forward(batch)

        let session = InferenceSession(weights: weights, slots: 1, capacity: 64)
        let V = weights.config.vocabSize
        var got: [Float] = []
        let prefill = session.step([(slot: 0, tokens: Array(seq[0..<10]))], allLogits: true)
        for t in 0..<10 where t + 1 < seq.count {
            got.append(Self.logSoftmax(prefill[t * V..<(t + 1) * V], at: seq[t + 1]))
        }
        for t in 10..<(seq.count - 1) {
            let logits = session.step([(slot: 0, tokens: [seq[t]])])
            got.append(Self.logSoftmax(logits[0..<V], at: seq[t + 1]))
        }
        #expect(session.lengths[0] == seq.count - 1)
        let err = Self.relativeError(got, expected)
        // Same float32 math in another order (dot loops vs BLAS): a few ulps; 1e-4 is the bar.
        #expect(err <= 1e-4, "KV-cache vs training forward relative error \(err)")
    }

    @Test func batchedSlotsAtDifferentPositionsEqualEachAlone() throws {
        let weights = try Self.model()
        let V = weights.config.vocabSize
        let seqs = [Self.tokens(30, seed: 2), Self.tokens(17, seed: 3), Self.tokens(25, seed: 4)]
        // Alone: each sequence in its own session, one token at a time.
        var alone: [[Float]] = []
        for s in seqs {
            let session = InferenceSession(weights: weights, slots: 1, capacity: 32)
            var rows: [Float] = []
            for t in s { rows += session.step([(slot: 0, tokens: [t])]) }
            alone.append(rows)
        }
        // Together: different prompt lengths, then decode steps where slots join and leave.
        let session = InferenceSession(weights: weights, slots: 3, capacity: 32)
        var together: [[Float]] = [[], [], []]
        let prefillLengths = [5, 9, 1]
        let first = session.step([(slot: 0, tokens: Array(seqs[0][0..<5])), (slot: 1, tokens: Array(seqs[1][0..<9]))],
                                 allLogits: true)
        together[0] += first[0..<(5 * V)]
        together[1] += first[(5 * V)...]
        var next = [5, 9, 0]
        var step = 0
        while next.indices.contains(where: { next[$0] < seqs[$0].count }) {
            // slot 2 joins late; the others leave when done
            let live = (0..<3).filter { next[$0] < seqs[$0].count && ($0 != 2 || step >= 3) }
            step += 1
            if live.isEmpty { continue }
            let logits = session.step(live.map { (slot: $0, tokens: [seqs[$0][next[$0]]]) })
            for (i, s) in live.enumerated() {
                together[s] += logits[(i * V)..<((i + 1) * V)]
                next[s] += 1
            }
        }
        _ = prefillLengths
        // Bit for bit: sampling with a seed must not depend on which sequences share a step.
        for s in 0..<3 {
            #expect(together[s] == alone[s], "slot \(s) differs from running alone: \(Self.relativeError(together[s], alone[s]))")
        }
    }

    @Test func copiedSlotContinuesLikeTheOriginal() throws {
        let weights = try Self.model()
        let V = weights.config.vocabSize
        let prompt = Self.tokens(12, seed: 5)
        let session = InferenceSession(weights: weights, slots: 4, capacity: 32)
        _ = session.step([(slot: 0, tokens: prompt)])
        for s in 1..<4 { session.copy(slot: 0, to: s) }
        let tails: [Int32] = [3, 3, 7, 30]
        let logits = session.step((0..<4).map { (slot: $0, tokens: [tails[$0]]) })
        let reference = InferenceSession(weights: weights, slots: 1, capacity: 32)
        for s in 0..<4 {
            reference.reset(slot: 0)
            let expected = reference.step([(slot: 0, tokens: prompt + [tails[s]])])
            #expect(Array(logits[(s * V)..<((s + 1) * V)]) == expected)
        }
    }

    /// Slots that read the prompt's tiles in place (share) give the bits of slots holding a copy,
    /// with the prompt ending inside a tile (70 = 2 whole tiles + 6) so both paths are exercised.
    @Test func sharedPromptDecodesLikeACopy() throws {
        let weights = try Self.model()
        let V = weights.config.vocabSize
        let prompt = Self.tokens(70, seed: 8)
        let session = InferenceSession(weights: weights, slots: 5, capacity: 96)
        _ = session.step([(slot: 0, tokens: prompt)])
        session.copy(slot: 0, to: 1); session.copy(slot: 0, to: 2)
        session.share(slot: 0, with: 3); session.share(slot: 0, with: 4)
        var rng = SplitMix64(seed: 3)
        for _ in 0..<5 {
            let a = Int32(rng.next() % UInt64(V)), b = Int32(rng.next() % UInt64(V))
            let logits = session.step([(slot: 1, tokens: [a]), (slot: 2, tokens: [b]), (slot: 3, tokens: [a]), (slot: 4, tokens: [b])])
            #expect(Array(logits[0..<V]) == Array(logits[(2 * V)..<(3 * V)]))
            #expect(Array(logits[V..<(2 * V)]) == Array(logits[(3 * V)..<(4 * V)]))
        }
        // The prompt slot comes free only with the last slot reading it.
        #expect(session.release(slot: 0).isEmpty)
        #expect(session.release(slot: 3) == [3])
        #expect(session.release(slot: 4) == [4, 0])
        #expect(session.release(slot: 1) == [1])
    }

    @Test func logitsDoNotDependOnTheThreadCount() throws {
        let weights = try Self.model()
        let prompt = Self.tokens(20, seed: 6)
        func run(threads: Int) -> [Float] {
            let saved = ComputeThreads.count
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(saved) }
            let session = InferenceSession(weights: weights, slots: 5, capacity: 32)
            var out = session.step([(slot: 0, tokens: prompt)], allLogits: true)
            for s in 1..<5 { session.copy(slot: 0, to: s) }
            out += session.step((0..<5).map { (slot: $0, tokens: [Int32($0)]) })
            return out
        }
        #expect(run(threads: 1) == run(threads: 2))
        #expect(run(threads: 1) == run(threads: 3))
    }
}
