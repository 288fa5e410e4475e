import Dispatch
import Foundation

/// The optimisation settings of one `dpo-train` run.
public struct PreferenceTrainingOptions: Sendable, Equatable {
    public var loss = PreferenceLossParameters()
    public var learningRate: Float = 1e-6
    /// Pairs per optimizer step.
    public var batchSize = 16
    /// Micro-batches a step is split into; the step's gradient is the same up to rounding.
    public var gradientAccumulation = 1
    public var epochs = 1
    /// Overrides `epochs` when set; the data wraps into further epochs as needed.
    public var maxSteps: Int?
    public var warmupSteps = 0
    public var schedule = LearningRateSchedule.Shape.constant
    public var weightDecay: Float = 0
    /// Global gradient-norm clip; 0 turns clipping off.
    public var clip: Float = 1
    /// Seeds the per-epoch shuffles.
    public var seed: UInt64 = 0

    /// The defaults of `dpo-train`.
    public init() {}
}

/// Errors that stop a training run.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    case nonFinite(step: Int, what: String)
    case noExamples
    case badState(String)
    /// The processes of a data-parallel run hold different data or weights.
    case ranksDisagree(String)
    /// A model or state that does not fit the run, in a sentence naming it.
    case mismatch(String)
    /// A record whose prompt has no tokens: its first completion token is predicted from nothing.
    case emptyPrompt

    public var description: String {
        switch self {
        case let .nonFinite(step, what): return "step \(step): \(what) is not finite; stopped (the last checkpoint is intact)"
        case .noExamples: return "no training examples"
        case let .badState(why): return "cannot resume: \(why)"
        case let .ranksDisagree(what): return "the ranks hold different \(what) (every rank must read the same files)"
        case let .mismatch(what): return what
        case .emptyPrompt: return "empty prompt: the first completion token has nothing to be predicted from"
        }
    }
}

/// The training loop: reference log-probs once, then shuffled batches of pairs, each step's
/// loss and gradient from one packed forward/backward per micro-batch, clipping and AdamW.
///
/// Everything a step depends on is a function of (options, examples, weights, moments, step),
/// which is what makes `trainingState` + `restore` resume bit-exactly.
///
/// Data-parallel over a `ProcessGroup` of P processes, each holding all examples and the same
/// weights: each takes its contiguous share of the step's batch, scales its pairs' losses by
/// 1/(the whole batch) rather than 1/(its share), and the gradients and metrics are summed
/// across the processes, so every process has the single-process gradient (up to the order
/// of the additions) and takes the same clipped AdamW step.
public final class PreferenceTrainer {
    public let model: Transformer
    public let optimizer: AdamW
    public let examples: [TrainingExample]
    public let options: PreferenceTrainingOptions
    /// Summed log πref of each example's chosen and rejected completion (empty for SFT).
    public private(set) var reference: [(chosen: Double, rejected: Double)] = []
    /// Steps completed.
    public private(set) var step = 0
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    /// The processes sharing each batch (one, unless run under MPI).
    public let group: any ProcessGroup
    let schedule: LearningRateSchedule
    private var orderEpoch = -1
    private var order: [Int] = []

    /// A trainer updating `weights` in place, as one process of `group`; throws when the
    /// processes of the group hold different examples, flags or weights.
    public init(weights: ModelWeights, examples: [TrainingExample], options: PreferenceTrainingOptions,
                group: any ProcessGroup = SingleProcess()) throws {
        guard !examples.isEmpty else { throw TrainingError.noExamples }
        self.group = group
        model = Transformer(weights: weights)
        optimizer = AdamW(layout: weights.layout, weightDecay: options.weightDecay)
        self.examples = examples
        self.options = options
        stepsPerEpoch = (examples.count + options.batchSize - 1) / options.batchSize
        totalSteps = options.maxSteps ?? stepsPerEpoch * options.epochs
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: totalSteps, shape: options.schedule)
        // Before the first sum, whose length depends on the data: mismatched sums would end the job unexplained.
        try checkProcessesAgree()
    }

    /// Pairs per forward/backward.
    public var microBatchSize: Int {
        let parts = max(1, options.gradientAccumulation)
        return max(1, (options.batchSize + parts - 1) / parts)
    }

    /// Bytes training holds at most: `MemoryEstimate.training` for a micro-batch of the longest
    /// examples, the largest any step can pack.
    public var memoryEstimate: Int {
        let longest = examples.sorted { $0.packedTokens > $1.packedTokens }.prefix(microBatchSize)
        var batch = PackedBatch()
        _ = batch.appendSharing(Array(longest))
        return MemoryEstimate.training(config: model.config, batch: batch)
    }

    /// Computes the reference log-probs with `weights`, or with the policy's own current weights
    /// when nil (the reference is the starting model: no second copy is made).
    ///
    /// The micro-batches are dealt out to the processes in turn, each scoring its own, and the
    /// results summed across them (into zeros elsewhere, which is exact): every process ends
    /// with the values one process would compute, for 1/P of the work.
    public func computeReference(weights: ModelWeights? = nil) {
        guard options.loss.kind.needsReference else { reference = []; return }
        let scorer = weights.map { Transformer(weights: $0) } ?? model
        // chosen, rejected of example i at 2i, 2i + 1
        var out = [Double](repeating: 0, count: 2 * examples.count)
        var start = 0, chunkNumber = 0
        while start < examples.count {
            let chunk = start..<min(examples.count, start + microBatchSize)
            if chunkNumber % group.size == group.rank {
                var batch = PackedBatch()
                let packed = batch.appendSharing(chunk.map { examples[$0] })
                let lp = scorer.forward(batch)
                for (i, p) in zip(chunk, packed) {
                    out[2 * i] = sum(lp, p.chosen)
                    out[2 * i + 1] = p.rejected.map { sum(lp, $0) } ?? 0
                }
            }
            start = chunk.upperBound
            chunkNumber += 1
        }
        group.sumAcrossProcesses(&out)
        reference = (0..<examples.count).map { (out[2 * $0], out[2 * $0 + 1]) }
    }

    /// The example indices of 0-based step `s`: the epoch's seeded shuffle, cut into batches.
    public func batchIndices(step s: Int) -> [Int] {
        let epoch = s / stepsPerEpoch, k = s % stepsPerEpoch
        if epoch != orderEpoch {
            order = Self.shuffledOrder(count: examples.count, seed: options.seed, epoch: epoch)
            orderEpoch = epoch
        }
        return Array(order[(k * options.batchSize)..<min(examples.count, (k + 1) * options.batchSize)])
    }

    /// Fisher–Yates with a generator keyed by (seed, epoch), so any step's data is known without replay.
    public static func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: seed, keys: UInt64(epoch))
        return rng.shuffled(Array(0..<count))
    }

    /// Loss and gradient of `indices`, each pair weighted 1/`batchPairs` (by default the mean
    /// over `indices`; a process's share of a batch passes the whole batch's size), accumulated
    /// into `model.gradients`, which the caller zeroes; returns the metrics without the step's
    /// norm, rate and timing.
    public func accumulate(_ indices: [Int], batchPairs: Int? = nil) -> TrainingMetrics {
        let kind = options.loss.kind
        let scale = 1 / Double(batchPairs ?? indices.count)
        var m = TrainingMetrics(step: step + 1, epoch: 0, pairs: batchPairs ?? indices.count, loss: 0, nll: 0, rewardsChosen: 0,
                                rewardsRejected: 0, rewardsAccuracies: 0, logpsChosen: 0, logpsRejected: 0,
                                gradNorm: 0, learningRate: 0, tokensPerSecond: 0, preference: kind.needsReference)
        var start = 0
        while start < indices.count {
            let chunk = Array(indices[start..<min(indices.count, start + microBatchSize)])
            var batch = PackedBatch()
            let packed = batch.appendSharing(chunk.map { examples[$0] })
            let lp = model.forward(batch)
            var d = [Float](repeating: 0, count: lp.count)
            for (i, p) in zip(chunk, packed) {
                let ex = examples[i]
                var logps = PairLogProbs(policyChosen: sum(lp, p.chosen), chosenLength: ex.chosen.count)
                if let r = p.rejected, kind.needsReference {
                    logps.policyRejected = sum(lp, r)
                    logps.rejectedLength = ex.rejected!.count
                    logps.referenceChosen = reference[i].chosen
                    logps.referenceRejected = reference[i].rejected
                }
                let l = pairLoss(logps, options.loss)
                let dw = Float(l.dPolicyChosen * scale), dl = Float(l.dPolicyRejected * scale)
                // a completion shared by several pairs gets the sum of their gradients
                for t in p.chosen { d[t] += dw }
                if let r = p.rejected { for t in r { d[t] += dl } }
                m.loss += l.loss * scale
                m.nll += l.nll * scale
                m.rewardsChosen += l.rewardChosen * scale
                m.rewardsRejected += l.rewardRejected * scale
                m.rewardsAccuracies += (l.rewardChosen > l.rewardRejected ? 1 : 0) * scale
                m.logpsChosen += logps.policyChosen * scale
                m.logpsRejected += logps.policyRejected * scale
            }
            model.backward(d)
            start += chunk.count
        }
        return m
    }

    /// One optimizer step; throws (before touching the weights) when the loss or gradient is not finite.
    @discardableResult
    public func trainStep() throws -> TrainingMetrics {
        let began = DispatchTime.now().uptimeNanoseconds
        let indices = batchIndices(step: step)
        model.zeroGradients()
        var m = accumulate(Array(group.share(of: indices)), batchPairs: indices.count)
        if group.size > 1 {
            // The global gradient and metrics on every process, before the finiteness checks and
            // the clipping, so all processes stop or step alike.
            group.sumAcrossProcesses(UnsafeMutableBufferPointer(start: model.gradients, count: model.weights.count))
            var sums = [m.loss, m.nll, m.rewardsChosen, m.rewardsRejected, m.rewardsAccuracies, m.logpsChosen, m.logpsRejected]
            group.sumAcrossProcesses(&sums)
            (m.loss, m.nll, m.rewardsChosen, m.rewardsRejected) = (sums[0], sums[1], sums[2], sums[3])
            (m.rewardsAccuracies, m.logpsChosen, m.logpsRejected) = (sums[4], sums[5], sums[6])
        }
        guard m.loss.isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the loss") }
        let norm = clipGradientNorm(model.gradients, count: model.weights.count, maxNorm: options.clip)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: step + 1, what: "the gradient norm") }
        let lr = schedule.rate(at: step)
        optimizer.update(parameters: model.weights.data, gradients: model.gradients, learningRate: lr)
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        m.gradNorm = Double(norm)
        m.learningRate = Double(lr)
        m.epoch = Double(step - 1) / Double(stepsPerEpoch)
            + Double(indices.count) / Double(examples.count)
        m.tokensPerSecond = Double(indices.map { examples[$0].packedTokens }.reduce(0, +)) / max(seconds, 1e-9)
        return m
    }

    /// Whether every step has been taken.
    public var finished: Bool { step >= totalSteps }

    // MARK: resumable state

    /// AdamW moments and the step with what must match on resume; the weights travel in the checkpoint.
    public func trainingState() -> TrainingStateFile {
        let n = model.weights.count
        return TrainingStateFile(
            tensors: [.init(name: "optimizer.exp_avg", values: Array(UnsafeBufferPointer(start: optimizer.m, count: n))),
                      .init(name: "optimizer.exp_avg_sq", values: Array(UnsafeBufferPointer(start: optimizer.v, count: n)))],
            metadata: ["step": "\(step)", "optimizer_step": "\(optimizer.step)", "seed": "\(options.seed)",
                       "examples": "\(examples.count)", "examples_hash": "\(examplesHash)",
                       "total_steps": "\(totalSteps)", "batch_size": "\(options.batchSize)",
                       "loss": options.loss.kind.rawValue])
    }

    /// Continues a saved run: the weights must already be the saved ones; checks that data and
    /// flags that decide the batches are the same, then restores the moments and the step.
    public func restore(_ state: TrainingStateFile) throws {
        let expected = trainingState().metadata
        for key in ["seed", "examples", "examples_hash", "total_steps", "batch_size", "loss"] where state.metadata[key] != expected[key] {
            throw TrainingError.badState("\(key) was \(state.metadata[key] ?? "missing"), now \(expected[key]!) (same data and flags needed)")
        }
        guard let s = state.metadata["step"].flatMap(Int.init), let os = state.metadata["optimizer_step"].flatMap(Int.init),
              let m = state.tensor(named: "optimizer.exp_avg"), let v = state.tensor(named: "optimizer.exp_avg_sq"),
              m.values.count == model.weights.count, v.values.count == model.weights.count else {
            throw TrainingError.badState("missing or mis-sized step or optimizer moments")
        }
        optimizer.restore(step: os, m: m.values, v: v.values)
        step = s
        try checkProcessesAgree()
    }

    /// Throws unless every process of the group holds the same examples, flags, step and
    /// weights: checked on creation and restore, and by `dpo-train` before the model is
    /// written, so ranks that read different files, or drifted apart, never produce a model.
    public func checkProcessesAgree() throws {
        guard group.size > 1 else { return }
        var h = FNV1a()
        for x in [examplesHash, UInt64(step), UInt64(totalSteps), UInt64(options.batchSize), options.seed] { h.mix(x) }
        guard group.allAgree(on: h.value) else { throw TrainingError.ranksDisagree("data, flags or step") }
        guard group.allAgree(on: weightsHash) else { throw TrainingError.ranksDisagree("weights") }
    }

    /// FNV-1a over the weights' bit patterns.
    var weightsHash: UInt64 {
        var h = FNV1a()
        for x in model.weights.buffer { h.mix(UInt64(x.bitPattern)) }
        return h.value
    }

    /// FNV-1a over every token id and boundary, so a resume on different data is refused.
    var examplesHash: UInt64 {
        var h = FNV1a()
        func mix(_ x: Int32) { h.mix(UInt64(UInt32(bitPattern: x))) }
        for e in examples {
            for part in [e.prompt, e.chosen, e.rejected ?? []] { part.forEach(mix); mix(-1) }
        }
        return h.value
    }
}
