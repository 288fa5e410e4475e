import Foundation
import IRPOCore

/// An unknown bench configuration name.
struct UnknownBenchConfig: Error, CustomStringConvertible {
    let name: String
    var description: String { "unknown config \(name) (\(BenchConfig.names))" }
}

/// One IRPO step on the pairs bench/pytorch/dpo_bench.py uses: 8 pairs of a 64-token prompt and
/// two 192-token completions, DPO(β = 0.1) + NLL(chosen)/|yw|, AdamW, run by `PreferenceTrainer`
/// exactly as dpo-train runs it: the reference log-probs computed once before training (timed
/// apart, one forward per pair, which PyTorch repeats every step), each prompt packed once.
/// Tokens/s counts PyTorch's 16 × 256 = 4,096 tokens a step, so the two rates compare the same work.
/// Returns the lines and the pairs/s without and with the reference forward.
func dpoBench(config: String, steps: Int = 5) throws -> (lines: [String], pairsPerSecond: Double, withReference: Double) {
    guard let bench = BenchConfig(rawValue: config) else { throw UnknownBenchConfig(name: config) }
    let c = bench.llama
    let pairs = 8, promptLength = 64, completionLength = 192, batches = 3
    let policyWeights = ModelWeights.random(config: c, seed: 1)
    var rng = SplitMix64(seed: 1)
    func ids(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(3 + rng.next() % UInt64(c.vocabSize - 3)) } }
    let examples = (0..<(pairs * batches)).map { _ in
        TrainingExample(prompt: ids(promptLength), chosen: ids(completionLength), rejected: ids(completionLength))
    }
    var options = PreferenceTrainingOptions()
    options.loss = PreferenceLossParameters(kind: .irpo, alpha: 1, beta: 0.1)
    options.batchSize = pairs
    options.learningRate = 1e-5
    options.maxSteps = 1_000_000
    let trainer = try PreferenceTrainer(weights: policyWeights, examples: examples, options: options)
    let referenceSeconds = seconds { trainer.computeReference() } / Double(batches)
    _ = try trainer.trainStep()

    let timing = timeAgainstGEMMs(runs: steps) { _ in _ = try? trainer.trainStep() }
    let t = timing.step
    let torchTokens = Double(2 * pairs * (promptLength + completionLength))
    return ([
        String(format: "dpo     %@  8 pairs 64+2x192  %6.2f pairs/s  %8.0f tok/s  step %6.1f ms  (median of %d; reference precomputed as dpo-train does)",
               bench.rawValue, Double(pairs) / t, torchTokens / t, t * 1e3, steps),
        String(format: "dpo     %@  the same with its reference forward (%.1f ms a step's pairs)  %6.2f pairs/s  %8.0f tok/s",
               bench.rawValue, referenceSeconds * 1e3, Double(pairs) / (t + referenceSeconds), torchTokens / (t + referenceSeconds)),
        String(format: "gemm    %@  the DPO step's %d products alone: %6.1f GFLOP/s (%.2f GFLOP)  -> DPO step at %.0f%% of that (median of per-step ratios)",
               bench.rawValue, timing.shapes.count, timing.gemmRate, timing.flops / 1e9, 100 * timing.fractionOfGEMMRate),
    ], Double(pairs) / t, Double(pairs) / (t + referenceSeconds))
}
