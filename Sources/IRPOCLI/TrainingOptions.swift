import ArgumentParser
import IRPOCore

extension PreferenceLossKind: ExpressibleByArgument {}
extension LearningRateSchedule.Shape: ExpressibleByArgument {}

/// The objective and optimiser flags of `dpo-train`.
public struct TrainingOptions: ParsableArguments {
    @Option(help: "The objective (see above).")
    public var loss: PreferenceLossKind = .irpo

    @Option(parsing: .unconditional, help: "Weight of the winner's length-normalised NLL (irpo).")
    public var alpha: Double = 1.0

    @Option(parsing: .unconditional, help: "Beta of DPO, DPOP and IPO.")
    public var beta: Double = 0.1

    @Option(parsing: .unconditional, help: "Lambda of DPOP.")
    public var lambda: Double = 50

    @Option(parsing: .unconditional, help: "Peak learning rate.")
    public var lr: Float = 1e-6

    @Option(parsing: .unconditional, help: ArgumentHelp("Pairs per optimizer step.", valueName: "n"))
    public var batchSize = 16

    @Option(parsing: .unconditional, help: ArgumentHelp("Micro-batches each step is split into (same gradient, less memory).", valueName: "n"))
    public var gradAccum = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the data.", valueName: "n"))
    public var epochs = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of steps, overriding --epochs (the data wraps around).", valueName: "n"))
    public var maxSteps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Linear warmup steps.", valueName: "n"))
    public var warmup = 0

    @Option(help: "Learning-rate shape after warmup: constant or cosine (to 0 at the last step).")
    public var schedule: LearningRateSchedule.Shape = .constant

    @Option(parsing: .unconditional, help: "AdamW decoupled weight decay (matrices only).")
    public var weightDecay: Float = 0

    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this (0: no clipping).")
    public var clip: Float = 1.0

    @Option(parsing: .unconditional, help: "Seed of the per-epoch shuffles (and of --init's weights).")
    public var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Most tokens of prompt + longer completion (default: the model's max_position_embeddings).", valueName: "n"))
    public var maxLength: Int?

    /// Defaults.
    public init() {}

    public func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if gradAccum < 1 || gradAccum > batchSize { throw ValidationError("--grad-accum must be between 1 and --batch-size") }
        if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
        if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if !(beta > 0) { throw ValidationError("--beta must be positive") }
        if !(lr >= 0) || !(clip >= 0) || !(weightDecay >= 0) || !(alpha >= 0) || !(lambda >= 0) {
            throw ValidationError("--lr, --clip, --weight-decay, --alpha and --lambda must not be negative")
        }
    }

    /// The trainer's options from these flags.
    public var preference: PreferenceTrainingOptions {
        var o = PreferenceTrainingOptions()
        o.loss = PreferenceLossParameters(kind: loss, alpha: alpha, beta: beta, lambda: lambda)
        o.learningRate = lr; o.batchSize = batchSize; o.gradientAccumulation = gradAccum
        o.epochs = epochs; o.maxSteps = maxSteps; o.warmupSteps = warmup
        o.schedule = schedule; o.weightDecay = weightDecay; o.clip = clip; o.seed = seed
        return o
    }
}
