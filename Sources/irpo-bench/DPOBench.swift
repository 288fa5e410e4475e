import Foundation
import IRPOCore

/// An unknown bench configuration name.
struct UnknownBenchConfig: Error, CustomStringConvertible {
    let name: String
    var description: String { "unknown config \(name) (S or M)" }
}

/// One IRPO step as ../shared/bench/dpo_bench.py measures it: 8 pairs of a 64-token prompt and
/// two 192-token completions; the frozen reference's forward on both, the policy's forward and
/// backward, DPO(β = 0.1) + NLL(chosen)/|yw|, AdamW. Our step packs each prompt once (3,584
/// tokens against PyTorch's 16 × 256 = 4,096); tokens/s counts PyTorch's 4,096 so the two
/// rates compare the same work.
func dpoBenchLines(config: String, steps: Int = 5) throws -> [String] {
    guard let bench = BenchConfig(rawValue: config) else { throw UnknownBenchConfig(name: config) }
    let c = bench.llama
    let pairs = 8, promptLength = 64, completionLength = 192
    let policyWeights = ModelWeights.random(config: c, seed: 1)
    let policy = Transformer(weights: policyWeights)
    let reference = Transformer(weights: policyWeights.copy())
    let optimizer = AdamW(layout: policyWeights.layout)
    let loss = PreferenceLossParameters(kind: .irpo, alpha: 1, beta: 0.1)

    var rng = SplitMix64(seed: 1)
    func ids(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(3 + rng.next() % UInt64(c.vocabSize - 3)) } }
    let batches: [(PackedBatch, [PackedExample])] = (0..<3).map { _ in
        var batch = PackedBatch()
        let packed = (0..<pairs).map { _ in
            batch.append(TrainingExample(prompt: ids(promptLength), chosen: ids(completionLength), rejected: ids(completionLength)))
        }
        return (batch, packed)
    }

    func step(_ i: Int) {
        let (batch, packed) = batches[i % batches.count]
        let ref = reference.forward(batch)
        policy.zeroGradients()
        let lp = policy.forward(batch)
        var d = [Float](repeating: 0, count: lp.count)
        for p in packed {
            let sums = { (values: [Float], r: Range<Int>) in r.reduce(0.0) { $0 + Double(values[$1]) } }
            let l = pairLoss(PairLogProbs(policyChosen: sums(lp, p.chosen), policyRejected: sums(lp, p.rejected!),
                                          referenceChosen: sums(ref, p.chosen), referenceRejected: sums(ref, p.rejected!),
                                          chosenLength: completionLength, rejectedLength: completionLength), loss)
            for t in p.chosen { d[t] = Float(l.dPolicyChosen / Double(pairs)) }
            for t in p.rejected! { d[t] = Float(l.dPolicyRejected / Double(pairs)) }
        }
        policy.backward(d)
        optimizer.update(parameters: policyWeights.data, gradients: policy.gradients, learningRate: 1e-5)
    }

    // Each step next to its own GEMMs replayed alone: the BLAS rate this work could reach.
    let timing = timeAgainstGEMMs(runs: steps, step)
    let t = timing.step, gemmFlops = timing.flops
    let achieved = gemmFlops / t / 1e9
    let torchTokens = Double(2 * pairs * (promptLength + completionLength))
    let packedTokens = Double(batches[0].0.count)
    return [
        String(format: "dpo     %@  8 pairs 64+2x192  %6.2f pairs/s  %8.0f tok/s (%.0f packed tok/s)  %6.1f GFLOP/s  step %6.1f ms  (median of %d, reference pass included)",
               bench.rawValue, Double(pairs) / t, torchTokens / t, packedTokens / t, achieved, t * 1e3, steps),
        String(format: "sgemm   %@  the DPO step's %d GEMMs alone: %6.1f GFLOP/s (%.2f GFLOP)  -> DPO step at %.0f%% of sgemm (median of per-step ratios)",
               bench.rawValue, timing.shapes.count, timing.gemmRate, gemmFlops / 1e9, 100 * timing.fractionOfGEMMRate),
    ]
}
