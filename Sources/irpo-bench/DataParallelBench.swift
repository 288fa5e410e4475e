import Dispatch
import IRPOCore

/// dpo-train's optimizer step as PreferenceTrainer takes it, the reference log-probs computed
/// once beforehand as dpo-train does, by this process alone or as one rank of `mpirun`: the
/// pairs per second of the whole group. Rank 0's step ends after the sums, which wait for the
/// slowest rank, so its time is the group's.
func dataParallelBenchLines(config: String, group: any ProcessGroup, steps: Int) throws -> [String] {
    guard let bench = BenchConfig(rawValue: config) else { throw UnknownBenchConfig(name: config) }
    let batch = 8, promptLength = 64, completionLength = 192
    var rng = SplitMix64(seed: 1)
    func ids(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(3 + rng.next() % UInt64(bench.llama.vocabSize - 3)) } }
    let examples = (0..<4 * batch).map { _ in
        TrainingExample(prompt: ids(promptLength), chosen: ids(completionLength), rejected: ids(completionLength))
    }
    var options = PreferenceTrainingOptions()
    options.batchSize = batch
    options.learningRate = 1e-5
    options.maxSteps = steps + 2
    let trainer = try PreferenceTrainer(weights: .random(config: bench.llama, seed: 1), examples: examples,
                                        options: options, group: group)
    trainer.computeReference()
    for _ in 0..<2 { try trainer.trainStep() }
    var times: [Double] = []
    for _ in 0..<steps {
        let start = DispatchTime.now().uptimeNanoseconds
        try trainer.trainStep()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    guard group.rank == 0 else { return [] }
    let t = median(times)
    return [String(format: "dpo-ranks %@  %d rank(s) x %d thread(s), %d pairs 64+2x192 a step  %6.2f pairs/s  step %6.1f ms  (median of %d, reference precomputed as in dpo-train)",
                   bench.rawValue, group.size, ComputeThreads.count, batch, Double(batch) / t, t * 1e3, steps)]
}
