import Dispatch
import IRPOCore

/// A group that times its sums: with more than one rank they are the cost of data parallelism
/// (the transfer, plus waiting for the slowest rank).
final class TimedGroup: ProcessGroup {
    let inner: any ProcessGroup
    var seconds = 0.0
    var rank: Int { inner.rank }
    var size: Int { inner.size }

    init(_ inner: any ProcessGroup) { self.inner = inner }

    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Float>) { timed { inner.sumAcrossProcesses(values) } }
    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) { timed { inner.sumAcrossProcesses(values) } }

    private func timed(_ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

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
    let timed = TimedGroup(group)
    var options = PreferenceTrainingOptions()
    options.batchSize = batch
    options.learningRate = 1e-5
    options.maxSteps = steps + 2
    let trainer = try PreferenceTrainer(weights: .random(config: bench.llama, seed: 1), examples: examples,
                                        options: options, group: timed)
    trainer.computeReference()
    for _ in 0..<2 { try trainer.trainStep() }
    var times: [Double] = [], sums: [Double] = []
    for _ in 0..<steps {
        let start = DispatchTime.now().uptimeNanoseconds
        timed.seconds = 0
        try trainer.trainStep()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        sums.append(timed.seconds)
    }
    guard group.rank == 0 else { return [] }
    let t = median(times)
    return [String(format: "dpo-ranks %@  %d rank(s) x %d thread(s), %d pairs 64+2x192 a step  %6.2f pairs/s  step %6.1f ms, sums %5.1f ms  (medians of %d; reference precomputed as in dpo-train)",
                   bench.rawValue, group.size, ComputeThreads.count, batch, Double(batch) / t, t * 1e3, median(sums) * 1e3, steps)]
}
