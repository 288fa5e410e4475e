import Foundation

/// Where a training run writes and when: the final model, the resumable state beside it, how
/// often the state is saved, and where the run stops early.
public struct TrainingDestination: Sendable {
    /// The final model: a directory or a .tar/.tar.gz bundle.
    public var out: String
    /// Steps between saves of the resumable state (nil: never).
    public var saveEvery: Int?
    /// The step after which the run stops, state saved, final model not written.
    public var stopAfter: Int?
    /// Whether this process writes (rank 0 of a data-parallel run; the others train alone).
    public var writes: Bool

    /// A destination; by default the state is never saved and the run goes to its end.
    public init(out: String, saveEvery: Int? = nil, stopAfter: Int? = nil, writes: Bool = true) {
        self.out = out
        self.saveEvery = saveEvery
        self.stopAfter = stopAfter
        self.writes = writes
    }

    /// OUT.state: the resumable state, a checkpoint directory beside `out`.
    public var statePath: String { (out.hasSuffix("/") ? String(out.dropLast()) : out) + ".state" }
}

/// One `dpo-train` run after the data is read: reference log-probs, resume, the step loop and
/// the saves. The caller sees each step through `onStep` and wraps every write in `critical`,
/// so that an interrupt never leaves a half-written file.
public final class TrainingRun {
    /// The trainer, updating the starting checkpoint's weights in place.
    public let trainer: PreferenceTrainer
    /// What is saved: the trained weights with the starting checkpoint's tokenizer and files.
    public let output: Checkpoint
    /// Where and when it writes.
    public let destination: TrainingDestination
    /// The last step whose state is on disk (nil: none from this run or the one it resumes).
    public private(set) var savedStep: Int?
    /// Pairs trained by this process since it started.
    public private(set) var pairsTrained = 0

    /// A run training `start`'s weights on `examples`, saving `tokenizerJSON` beside them.
    public init(start: Checkpoint, tokenizerJSON: Data, examples: [TrainingExample], options: PreferenceTrainingOptions,
                group: any ProcessGroup = SingleProcess(), destination: TrainingDestination) throws {
        trainer = try PreferenceTrainer(weights: start.weights, examples: examples, options: options, group: group)
        output = Checkpoint(weights: start.weights, tokenizerJSON: tokenizerJSON, extraFiles: start.extraFiles)
        self.destination = destination
    }

    /// The reference log-probs, from `reference` (named `name` in errors) when it is a separate
    /// model, released after; else from the starting weights themselves.
    public func computeReference(separate reference: ModelWeights? = nil, named name: String = "") throws {
        if let reference, reference.config != output.weights.config {
            throw TrainingError.mismatch("--ref \(name) has a different config.json from the policy")
        }
        trainer.computeReference(weights: reference)
    }

    /// Continues from OUT.state: its weights, AdamW moments and step.
    public func resume() throws {
        let path = destination.statePath
        let (saved, state) = try CheckpointIO.loadWithTrainingState(path)
        guard let state else { throw TrainingError.mismatch("\(path) has no training state to resume") }
        guard saved.config == output.weights.config else {
            throw TrainingError.mismatch("\(path) has a different config.json from the policy")
        }
        output.weights.data.update(from: saved.weights.data, count: output.weights.count)
        try trainer.restore(state)
        savedStep = trainer.step
    }

    /// The step the loop ends after: the last, or `stopAfter`.
    public var lastStep: Int { min(trainer.totalSteps, destination.stopAfter ?? Int.max) }

    /// Trains to `lastStep`, calling `beforeStep` before and `onStep` after each step and saving the state when due;
    /// then checks that the ranks agree and writes the final model when training is finished.
    /// Returns whether it finished (false: stopped early at `stopAfter`).
    public func run(beforeStep: () -> Void = {}, onStep: (TrainingMetrics) throws -> Void,
                    critical: (() throws -> Void) throws -> Void) throws -> Bool {
        // What killed runs left half written beside the outputs goes now, whether or not this
        // run saves the state again.
        CheckpointIO.removeStaleTemporaries(of: destination.out)
        CheckpointIO.removeStaleTemporaries(of: destination.statePath)
        while trainer.step < lastStep {
            beforeStep()
            let metrics = try trainer.trainStep()
            pairsTrained += metrics.pairs
            try onStep(metrics)
            let step = trainer.step
            let due = (destination.saveEvery.map { step % $0 == 0 } ?? false) || step == destination.stopAfter
            if due, step < trainer.totalSteps, destination.writes {
                try critical { try CheckpointIO.save(output, to: destination.statePath, trainingState: trainer.trainingState()) }
                savedStep = step
            }
        }
        // Ranks that drifted apart must not leave a model behind.
        try trainer.checkProcessesAgree()
        guard trainer.finished else { return false }
        if destination.writes { try critical { try CheckpointIO.save(output, to: destination.out) } }
        return true
    }
}
