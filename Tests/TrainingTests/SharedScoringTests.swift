import Foundation
import Testing
import IRPOCore

/// Round-robin pairs reuse a problem's prompt, winners and losers: a step scores each distinct
/// (prompt, completion) once and adds the pairs' gradients into it, which must equal scoring
/// every pair on its own.
@Suite struct SharedScoringTests {
    /// Two problems' round-robin pairs: winners w1 w2 against losers l1 l2 l3, and a second
    /// prompt whose one winner meets both its losers.
    static let pairs: [TrainingExample] = {
        let p1: [Int32] = [1, 5, 7], p2: [Int32] = [3, 3, 8, 9]
        let w1: [Int32] = [4, 10, 11, 2], w2: [Int32] = [4, 6, 2], l1: [Int32] = [7, 2], l2: [Int32] = [9, 9, 2], l3: [Int32] = [12, 2]
        return [TrainingExample(prompt: p1, chosen: w1, rejected: l1), TrainingExample(prompt: p2, chosen: w2, rejected: l1),
                TrainingExample(prompt: p1, chosen: w2, rejected: l2), TrainingExample(prompt: p1, chosen: w1, rejected: l3),
                TrainingExample(prompt: p2, chosen: w2, rejected: l3), TrainingExample(prompt: p1, chosen: w2, rejected: l1)]
    }()

    @Test func aBatchScoresEachPromptAndCompletionOnce() {
        var shared = PackedBatch()
        let placed = shared.appendSharing(Self.pairs)
        // p1 (3) + w1 w2 l1 l2 l3 (4 + 3 + 2 + 3 + 2), p2 (4) + w2 l1 l3 (3 + 2 + 2)
        #expect(shared.count == 3 + 14 + 4 + 7)
        #expect(placed[0].chosen == placed[3].chosen && placed[2].chosen == placed[5].chosen)
        #expect(placed[0].rejected == placed[5].rejected && placed[1].rejected != placed[0].rejected)
    }

    @Test func sharedScoringEqualsEveryPairOnItsOwn() throws {
        let policy = try TrainerTests.weights(seed: 7), ref = try TrainerTests.weights(seed: 8)
        var options = PreferenceTrainingOptions()
        options.loss = PreferenceLossParameters(kind: .irpo, alpha: 0.7, beta: 0.5)
        options.batchSize = Self.pairs.count
        let trainer = try PreferenceTrainer(weights: policy, examples: Self.pairs, options: options)
        trainer.computeReference(weights: ref)
        let all = Array(0..<Self.pairs.count)
        trainer.model.zeroGradients()
        let together = trainer.accumulate(all)
        let sharedGradient = Array(UnsafeBufferPointer(start: trainer.model.gradients, count: policy.count))

        // One pair per forward: nothing to share.
        trainer.model.zeroGradients()
        var alone = [Double](repeating: 0, count: 3)
        for i in all {
            let m = trainer.accumulate([i], batchPairs: all.count)
            alone[0] += m.loss; alone[1] += m.logpsChosen; alone[2] += m.logpsRejected
        }
        let separate = Array(UnsafeBufferPointer(start: trainer.model.gradients, count: policy.count))
        // The log-probs are the same bits either way; only the order of the sums differs.
        #expect(abs(together.loss - alone[0]) < 1e-12 && abs(together.logpsChosen - alone[1]) < 1e-9
                && abs(together.logpsRejected - alone[2]) < 1e-9, "\(together) against \(alone)")
        // Gradient entries are sums of a few hundred float terms of magnitude ≤ max|g|: float
        // rounding in another order moves them by well under 1e-5 of the largest.
        let scale = separate.map { abs($0) }.max()!
        let worst = zip(sharedGradient, separate).map { abs($0 - $1) }.max()!
        #expect(scale > 0 && worst <= 1e-5 * scale, "gradients differ by \(worst) (largest \(scale))")
    }
}
