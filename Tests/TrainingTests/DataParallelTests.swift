import Foundation
import Testing
import IRPOCore

/// P trainers on P threads of one test process, joined by an in-memory `ProcessGroup`, against
/// one trainer alone: the data-parallel arithmetic without MPI (the MPI test in CLITests runs
/// the same through `mpirun`).
@Suite struct DataParallelTests {
    /// Threads of one process standing in for ranks: each sum waits for every rank's values and
    /// adds them in rank order, as a deterministic allreduce would.
    final class ThreadGroup: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var parts: [[Double]]
        private var result: [Double] = []
        private var arrived = 0, generation = 0

        init(size: Int) {
            self.size = size
            parts = Array(repeating: [], count: size)
        }

        /// Every rank's `values` summed in rank order, with `add` doing the additions in the caller's precision.
        func sum(rank: Int, _ values: [Double], add: ([[Double]], Int) -> Double) -> [Double] {
            condition.lock()
            defer { condition.unlock() }
            let mine = generation
            parts[rank] = values
            arrived += 1
            if arrived == size {
                result = (0..<values.count).map { add(parts, $0) }
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
            return result
        }

        /// One rank's view of the group.
        final class Member: ProcessGroup {
            let group: ThreadGroup
            let rank: Int
            var size: Int { group.size }

            init(_ group: ThreadGroup, rank: Int) {
                self.group = group
                self.rank = rank
            }

            func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Float>) {
                // Floats widen to Double exactly and are added back in Float, like MPI_FLOAT.
                let total = group.sum(rank: rank, values.map(Double.init)) { parts, i in
                    Double(parts.reduce(Float(0)) { $0 + Float($1[i]) })
                }
                for i in values.indices { values[i] = Float(total[i]) }
            }

            func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {
                let total = group.sum(rank: rank, Array(values)) { parts, i in parts.reduce(0) { $0 + $1[i] } }
                for i in values.indices { values[i] = total[i] }
            }
        }
    }

    /// Results of one rank's run: its final weights and each step's metrics.
    final class RankResult: @unchecked Sendable {
        var weights: [Float] = []
        var metrics: [TrainingMetrics] = []
        var error: (any Error)?
    }

    /// Trains `steps` steps from `start` as `ranks` threads and returns each rank's result.
    static func train(ranks: Int, start: ModelWeights, examples: [TrainingExample], options: PreferenceTrainingOptions,
                      steps: Int) -> [RankResult] {
        let group = ThreadGroup(size: ranks)
        let results = (0..<ranks).map { _ in RankResult() }
        let done = DispatchSemaphore(value: 0)
        let startBits = Array(start.buffer), config = start.config
        for rank in 0..<ranks {
            // A Thread per rank: a pool might run them one after the other and deadlock the sums.
            let thread = Thread {
                let result = results[rank]
                do {
                    let w = ModelWeights.random(config: config, seed: 0)
                    w.data.update(from: startBits, count: startBits.count)
                    let trainer = try PreferenceTrainer(weights: w, examples: examples, options: options,
                                                        group: ThreadGroup.Member(group, rank: rank))
                    trainer.computeReference()
                    for _ in 0..<steps { result.metrics.append(try trainer.trainStep()) }
                    try trainer.checkProcessesAgree()
                    result.weights = Array(w.buffer)
                } catch {
                    result.error = error
                }
                done.signal()
            }
            thread.start()
        }
        for _ in 0..<ranks { done.wait() }
        return results
    }

    /// ‖a − b‖ / ‖b‖.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        var d = 0.0, n = 0.0
        for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); n += Double(y) * Double(y) }
        return (d / n).squareRoot()
    }

    @Test(arguments: [(2, 6, 1), (3, 5, 1), (2, 8, 2), (4, 3, 1)])
    func ranksTogetherTakeTheSingleProcessSteps(ranks: Int, batchSize: Int, gradientAccumulation: Int) throws {
        var options = PreferenceTrainingOptions()
        options.learningRate = 1e-2
        options.batchSize = batchSize
        options.gradientAccumulation = gradientAccumulation
        options.clip = 0.5  // small enough to clip: the global norm must be the one clipped
        options.seed = 3
        let start = ModelWeights.random(config: try TrainerTests.tinyConfig(), seed: 4)
        let examples = TrainerTests.toySet()
        let steps = 7  // more than an epoch of 24 pairs at batch 5 or less: the reshuffle is crossed

        let single = Self.train(ranks: 1, start: start, examples: examples, options: options, steps: steps)[0]
        let parallel = Self.train(ranks: ranks, start: start, examples: examples, options: options, steps: steps)
        #expect(single.error == nil && parallel.allSatisfy { $0.error == nil }, "\(String(describing: parallel.map(\.error)))")
        for r in parallel.dropFirst() {
            #expect(r.weights == parallel[0].weights, "rank weights differ")
            // Each rank times its own steps; everything else is the same.
            let untimed = { (ms: [TrainingMetrics]) in ms.map { m in var m = m; m.tokensPerSecond = 0; return m } }
            #expect(untimed(r.metrics) == untimed(parallel[0].metrics), "rank metrics differ")
        }
        let difference = Self.relativeDifference(parallel[0].weights, single.weights)
        print("\(ranks) ranks, batch \(batchSize): weights differ from one process by \(difference) (relative)")
        #expect(difference < 1e-6)
        #expect(single.metrics.contains { $0.gradNorm > Double(options.clip) }, "no step was clipped")
        for (a, b) in zip(parallel[0].metrics, single.metrics) {
            #expect(a.pairs == b.pairs && a.step == b.step)
            #expect(abs(a.loss - b.loss) <= 1e-5 * abs(b.loss))
            #expect(abs(a.gradNorm - b.gradNorm) <= 1e-5 * b.gradNorm)
            #expect(abs(a.rewardsAccuracies - b.rewardsAccuracies) < 1e-9)
        }
    }

    @Test func ranksWithDifferentDataRefuseToTrain() throws {
        let group = ThreadGroup(size: 2)
        let config = try TrainerTests.tinyConfig()
        let examples = TrainerTests.toySet()
        let results = (0..<2).map { _ in RankResult() }
        let done = DispatchSemaphore(value: 0)
        for rank in 0..<2 {
            let thread = Thread {
                do {
                    // Rank 1 lost its last pair.
                    let mine = rank == 0 ? examples : Array(examples.dropLast())
                    _ = try PreferenceTrainer(weights: .random(config: config, seed: 4), examples: mine, options: PreferenceTrainingOptions(),
                                              group: ThreadGroup.Member(group, rank: rank))
                } catch {
                    results[rank].error = error
                }
                done.signal()
            }
            thread.start()
        }
        done.wait(); done.wait()
        for r in results {
            #expect(r.error as? TrainingError == .ranksDisagree("data, flags or step"))
        }
    }

    @Test func sharesAreContiguousBalancedAndCoverTheBatch() {
        let items = Array(10..<17)
        let group = ThreadGroup(size: 3)
        let shares = (0..<3).map { ThreadGroup.Member(group, rank: $0).share(of: items) }
        #expect(shares.map(\.count) == [2, 2, 3])
        #expect(Array(shares.joined()) == items)
        #expect(ThreadGroup.Member(ThreadGroup(size: 4), rank: 0).share(of: [1, 2]).isEmpty)
    }
}
