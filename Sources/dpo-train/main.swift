import ArgumentParser
import Dispatch
import Foundation
import IRPOCLI
import IRPOCore
import IRPOMPI
#if canImport(Glibc)
import Glibc
#endif

/// `--loss irpo|dpo|sft|ipo|dpop`.
extension PreferenceLossKind: ExpressibleByArgument {}
/// `--schedule constant|cosine`.
extension LearningRateSchedule.Shape: ExpressibleByArgument {}

/// `dpo-train`: one iteration's pairs in, the next model out.
struct DPOTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo-train",
        abstract: "Train the next model on preference pairs (DPO + NLL, the IRPO loss).",
        discussion: """
        Reads pairs as JSONL ("prompt", "chosen", "rejected", TRL's DPO format, as pair writes \
        them) from the files given or standard input, and trains --model on them against the frozen \
        reference --ref (by default the same checkpoint: the paper's reference of iteration t+1 is \
        M(t), which is also its starting point). Per pair, with log-probs summed over completion \
        tokens only (EOS included, the prompt never scored) and |yw| the winner's token count:

          irpo  -log sigmoid(beta*(dw - dl)) + alpha * (-log p(yw|x)) / |yw|
          dpo   the same with alpha = 0 (the paper's ablation)
          dpop  -log sigmoid(beta*(dw - dl) - beta*lambda*max(0, -dw)) (DPO-Positive)
          ipo   (dw/|yw| - dl/|yl| - 1/(2*beta))^2 (per-token log-ratios, as TRL)
          sft   -log p(yw|x) / |yw|; also reads "prompt" + "completion" records

        where dw = log p(yw|x) - log pref(yw|x) and dl likewise for the loser; the step's loss is \
        the mean over its pairs. The reference log-probs are computed once before training and \
        the reference weights released; with --ref equal to --model no second copy is loaded. \
        Each pair's prompt is computed once, both completions attending to it.

        The whole input is read and tokenized before training (it is shuffled each epoch). Memory: \
        16 bytes a parameter (weights, gradients, two AdamW moments) plus one micro-batch's \
        activations: about 4 x (layers + 1) x (4 hidden + 2 q_width + 2 kv_width + 3 ffn) bytes a \
        token, 4 x layers x heads x T^2 for each packed sequence of T tokens (a pair's prompt with \
        both completions is one), and at most 16 MB of logits whatever the vocabulary; plus the data, and a separate --ref's weights while the \
        reference log-probs are computed. --progress prints this for the largest micro-batch. \
        The prompt is cut from the left to fit --max-length; a pair whose completion alone does \
        not fit is dropped and counted. A line that is not JSON or lacks a field is reported as \
        "dpo-train: FILE:LINE: reason" and nothing is trained, unless --skip-bad.

        The final model is written atomically to --out (a directory, or a .tar/.tar.gz bundle). \
        --save-every writes a resumable state (weights, AdamW moments, step; the data order is a \
        function of --seed and the epoch) to OUT.state, a checkpoint directory beside --out; \
        --resume continues from it and ends with the same weights as an uninterrupted run with \
        the same flags. A non-finite loss or gradient stops the run with status 1, naming the step; \
        the last state written stays intact.

        Built with IRPO_MPI=1 and started by mpirun (or srun), the ranks train data-parallel: every \
        rank reads the whole input (give it as files: mpirun feeds standard input to rank 0 only), \
        takes its contiguous share of each step's pairs, and the gradients, loss and metrics are \
        summed across the ranks before clipping, so each rank takes the single-process step. The \
        reference log-probs are split between the ranks the same way. Rank 0 alone writes --out, \
        OUT.state and --metrics and shows progress; --threads 0 divides a machine's cores among \
        its ranks. If a rank fails or dies the whole run stops; --resume continues from the last \
        OUT.state.
        """,
        version: IRPOVersion.string)

    @Option(help: ArgumentHelp("Starting policy: a checkpoint directory or bundle.", valueName: "dir"))
    var model: String?

    @Option(help: ArgumentHelp("Frozen reference checkpoint (default: --model).", valueName: "dir"))
    var ref: String?

    @Option(help: ArgumentHelp("Where to write the trained model (directory, or .tar/.tar.gz bundle).", valueName: "dir"))
    var out: String

    @Flag(help: "Replace a model that already exists at --out.")
    var overwrite = false

    @Option(name: .customLong("init"),
            help: ArgumentHelp("Start from a seeded random init of this config.json instead of --model.", valueName: "config.json"))
    var initConfig: String?

    @Option(help: ArgumentHelp("tokenizer.json to use (required with --init; default: the model's).", valueName: "file"))
    var tokenizer: String?

    @Option(help: "The objective (see above).")
    var loss: PreferenceLossKind = .irpo

    @Option(parsing: .unconditional, help: "Weight of the winner's length-normalised NLL (irpo).")
    var alpha: Double = 1.0

    @Option(parsing: .unconditional, help: "Beta of DPO, DPOP and IPO.")
    var beta: Double = 0.1

    @Option(parsing: .unconditional, help: "Lambda of DPOP.")
    var lambda: Double = 50

    @Option(parsing: .unconditional, help: "Peak learning rate.")
    var lr: Float = 1e-6

    @Option(parsing: .unconditional, help: ArgumentHelp("Pairs per optimizer step.", valueName: "n"))
    var batchSize = 16

    @Option(parsing: .unconditional, help: ArgumentHelp("Micro-batches each step is split into (same gradient, less memory).", valueName: "n"))
    var gradAccum = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Passes over the data.", valueName: "n"))
    var epochs = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of steps, overriding --epochs (the data wraps around).", valueName: "n"))
    var maxSteps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Linear warmup steps.", valueName: "n"))
    var warmup = 0

    @Option(help: "Learning-rate shape after warmup: constant or cosine (to 0 at the last step).")
    var schedule: LearningRateSchedule.Shape = .constant

    @Option(parsing: .unconditional, help: "AdamW decoupled weight decay (matrices only).")
    var weightDecay: Float = 0

    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this (0: no clipping).")
    var clip: Float = 1.0

    @Option(parsing: .unconditional, help: "Seed of the per-epoch shuffles (and of --init's weights).")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Most tokens of prompt + longer completion (default: the model's max_position_embeddings).", valueName: "n"))
    var maxLength: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Write a resumable state to OUT.state every n steps.", valueName: "n"))
    var saveEvery: Int?

    @Flag(help: "Continue from OUT.state.")
    var resume = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after step n, writing OUT.state but not --out (for time-limited jobs).", valueName: "n"))
    var stopAfter: Int?

    @Option(help: ArgumentHelp("Write each step's metrics as JSONL to this file (appended to with --resume).", valueName: "file"))
    var metrics: String?

    @Flag(help: "Show progress on standard error even when it is not a terminal.")
    var progress = false

    @Flag(help: "Skip and count bad input lines instead of refusing to train.")
    var skipBad = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads (0: all cores).", valueName: "n"))
    var threads = 0

    @OptionGroup var input: InputOptions

    func validate() throws {
        if (model == nil) == (initConfig == nil) { throw ValidationError("give exactly one of --model and --init") }
        if initConfig != nil && tokenizer == nil { throw ValidationError("--init needs --tokenizer") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if gradAccum < 1 || gradAccum > batchSize { throw ValidationError("--grad-accum must be between 1 and --batch-size") }
        if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
        if let saveEvery, saveEvery < 1 { throw ValidationError("--save-every must be at least 1") }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1") }
        if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2") }
        if warmup < 0 || threads < 0 { throw ValidationError("--warmup and --threads must not be negative") }
        if !(beta > 0) { throw ValidationError("--beta must be positive") }
        if !(lr >= 0) || !(clip >= 0) || !(weightDecay >= 0) || !(alpha >= 0) || !(lambda >= 0) {
            throw ValidationError("--lr, --clip, --weight-decay, --alpha and --lambda must not be negative")
        }
    }

    func run() throws {
        // Ctrl-C waits for a checkpoint or metrics line being written, so none is left half done.
        Interrupts.install()
        let job = try ParallelJob.start()
        let rank = job.group.rank
        // Every rank reads the same data: other ranks' messages say which rank they come from.
        let diagnostics = Diagnostics(command: rank == 0 ? "dpo-train" : "dpo-train: rank \(rank)")
        do {
            try train(diagnostics, job)
            job.finish()
        } catch let e as ExitCode {
            job.fail(status: e.rawValue)
            throw e
        } catch {
            diagnostics.error("\(error)")
            job.fail(status: ExitStatus.failure)
            throw ExitCode(ExitStatus.failure)
        }
    }

    var statePath: String { (out.hasSuffix("/") ? String(out.dropLast()) : out) + ".state" }

    func train(_ diagnostics: Diagnostics, _ job: ParallelJob) throws {
        let group = job.group
        if threads > 0 {
            ComputeThreads.set(threads)
        } else if job.localSize > 1 {
            ComputeThreads.set(job.defaultThreads)
        }
        if group.size > 1 && (input.files.isEmpty || input.files.contains("-")) {
            diagnostics.error("with \(group.size) ranks the pairs must be files: mpirun gives standard input to rank 0 only")
            throw ExitCode(ExitStatus.usage)
        }
        // Rank 0 speaks for the run.
        let lead = group.rank == 0
        let showProgress = (progress || isatty(2) == 1) && lead
        if showProgress { diagnostics.note(MachineDescription.line()) }
        // Where the results go is checked before any work, not after the training.
        try CheckpointIO.checkCanWrite(out, overwrite: overwrite, inputs: [model, ref].compactMap { $0 })
        let metricsFile: UnsafeMutablePointer<FILE>?
        if let metrics, lead {
            guard let f = fopen(metrics, resume ? "a" : "w") else { throw LineError("\(metrics): cannot open for writing") }
            metricsFile = f
        } else {
            metricsFile = nil
        }
        defer { if let metricsFile { fclose(metricsFile) } }

        // The starting policy and its tokenizer.
        let start: Checkpoint
        if let model {
            start = try CheckpointIO.load(model)
        } else {
            start = Checkpoint(weights: .random(config: try CheckpointIO.loadConfigFile(initConfig!), seed: seed))
        }
        let tokenizerJSON: Data
        if let tokenizer {
            tokenizerJSON = try CheckpointIO.readFile(tokenizer)
        } else if let t = start.tokenizerJSON {
            tokenizerJSON = t
        } else {
            throw ValidationError("\(model!) has no tokenizer.json; give --tokenizer")
        }
        let config = start.config
        let tok: Tokenizer
        do {
            tok = try Tokenizer(json: tokenizerJSON)
            try tok.checkFits(config)
        } catch {
            // The error starts "tokenizer.json: ": inside the model, or the file given.
            throw LineError(tokenizer.map { "\($0): \(error)" } ?? "\(model!)/\(error)")
        }
        guard let eos = config.eosTokenIds.first else {
            throw LineError("the model's config.json names no eos_token_id (needed to end completions)")
        }
        let maxLength = min(self.maxLength ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings)

        // The whole data set, tokenized; nothing trains unless every line was good (or --skip-bad).
        let began = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        if showProgress { diagnostics.note("reading and tokenising \(input.files.isEmpty ? "standard input" : input.files.joined(separator: ", "))") }
        Interrupts.farewell = "dpo-train: interrupted while reading the pairs; nothing saved"
        var examples: [TrainingExample] = []
        var dropped = 0
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, _ in
            let prompt = try record.requireString("prompt")
            let chosen: String, rejected: String?
            if loss == .sft {
                chosen = try record.string("chosen") ?? record.requireString("completion")
                rejected = nil
            } else {
                chosen = try record.requireString("chosen")
                rejected = try record.requireString("rejected")
            }
            let ex = TrainingExample.tokenize(prompt: prompt, chosen: chosen, rejected: rejected, tokenizer: tok,
                                              eosTokenId: Int32(eos))
            if ex.prompt.isEmpty { throw LineError("empty prompt: the first completion token has nothing to be predicted from") }
            if ex.packedTokens > 0, let fitted = ex.fitted(maxLength: maxLength) { examples.append(fitted) } else { dropped += 1 }
        }
        if diagnostics.unreadableInputs > 0 {
            diagnostics.note("\(diagnostics.unreadableInputs) input(s) could not be read; not training")
            throw ExitCode(ExitStatus.failure)
        }
        if diagnostics.failed {
            if !skipBad {
                diagnostics.note("\(diagnostics.badLineCount) bad input line(s); not training (--skip-bad skips them)")
                throw ExitCode(ExitStatus.failure)
            }
            if lead { diagnostics.note("skipped \(diagnostics.badLineCount) bad input line(s)") }
        }
        if dropped > 0 && lead { diagnostics.note("dropped \(dropped) pair(s) whose completion does not fit --max-length \(maxLength)") }

        var options = PreferenceTrainingOptions()
        options.loss = PreferenceLossParameters(kind: loss, alpha: alpha, beta: beta, lambda: lambda)
        options.learningRate = lr; options.batchSize = batchSize; options.gradientAccumulation = gradAccum
        options.epochs = epochs; options.maxSteps = maxSteps; options.warmupSteps = warmup
        options.schedule = schedule; options.weightDecay = weightDecay; options.clip = clip; options.seed = seed
        let trainer = try PreferenceTrainer(weights: start.weights, examples: examples, options: options, group: group)
        if showProgress {
            diagnostics.note("\(examples.count) \(loss == .sft ? "examples" : "pairs"), \(trainer.totalSteps) steps of \(batchSize)"
                             + (loss.needsReference ? "; reference log-probs first" : ""))
            diagnostics.note("memory: at most \(MemoryEstimate.text(trainer.memoryEstimate)) (the model, its gradients, "
                             + "AdamW's moments and the largest micro-batch's activations)")
        }
        Interrupts.farewell = "dpo-train: interrupted before the first step; nothing saved"

        // Reference log-probs once; a separate reference is loaded only for this and then released.
        if let ref, ref != model, loss.needsReference {
            let refWeights = try CheckpointIO.load(ref).weights
            guard refWeights.config == config else { throw LineError("--ref \(ref) has a different config.json from the policy") }
            trainer.computeReference(weights: refWeights)
        } else {
            trainer.computeReference()
        }

        if resume {
            let (saved, state) = try CheckpointIO.loadWithTrainingState(statePath)
            guard let state else { throw LineError("\(statePath) has no training state to resume") }
            guard saved.config == config else { throw LineError("\(statePath) has a different config.json from the policy") }
            start.weights.data.update(from: saved.weights.data, count: start.weights.count)
            try trainer.restore(state)
            if showProgress { diagnostics.note("resuming from step \(trainer.step) of \(trainer.totalSteps)") }
        }
        if showProgress && loss.needsReference { diagnostics.note("reference log-probs done (\(TrainingMetrics.duration(elapsed())))") }

        // What killed runs left half written beside the outputs goes now, whether or not this
        // run saves the state again.
        CheckpointIO.removeStaleTemporaries(of: out)
        CheckpointIO.removeStaleTemporaries(of: statePath)
        let output = Checkpoint(weights: start.weights, tokenizerJSON: tokenizerJSON, extraFiles: start.extraFiles)
        let lastStep = min(trainer.totalSteps, stopAfter ?? Int.max)
        let trainingBegan = elapsed(), firstStep = trainer.step
        var savedStep: Int? = resume ? trainer.step : nil
        // On a terminal one line is rewritten in place; with --progress each step gets its own.
        let inPlace = showProgress && !progress
        var pairsTrained = 0
        while trainer.step < lastStep {
            Interrupts.farewell = "dpo-train: interrupted at step \(trainer.step + 1); "
                + (savedStep.map { "state from step \($0) saved in \(statePath); run again with --resume" }
                   ?? "no state saved; use --save-every N to keep one")
            let m = try trainer.trainStep()
            pairsTrained += m.pairs
            if let metricsFile {
                Interrupts.uninterrupted {
                    fputs(m.jsonLine + "\n", metricsFile)
                    fflush(metricsFile)
                }
            }
            if showProgress {
                let done = Double(trainer.step - firstStep), spent = elapsed() - trainingBegan
                let eta = spent / max(done, 1) * Double(lastStep - trainer.step)
                let line = "dpo-train: " + m.progressLine(totalSteps: trainer.totalSteps)
                    + "  elapsed \(TrainingMetrics.duration(elapsed()))  eta \(TrainingMetrics.duration(eta))"
                if inPlace { diagnostics.send("\r\u{1B}[K" + line) } else { diagnostics.emit(line) }
            }
            let step = trainer.step
            if (saveEvery.map { step % $0 == 0 } ?? false) || step == stopAfter, step < trainer.totalSteps, lead {
                try Interrupts.uninterrupted { try CheckpointIO.save(output, to: statePath, trainingState: trainer.trainingState()) }
                savedStep = step
            }
        }
        if inPlace { diagnostics.send("\n") }
        let seconds = elapsed() - trainingBegan
        // Ranks that drifted apart must not leave a model behind.
        try trainer.checkProcessesAgree()
        if trainer.finished {
            if lead { try Interrupts.uninterrupted { try CheckpointIO.save(output, to: out) } }
            if showProgress {
                let rate = String(format: "%.1f", Double(pairsTrained) / max(seconds, 1e-9))
                diagnostics.note("\(examples.count) pairs, \(trainer.totalSteps) steps, \(rate) pairs/s on \(group.size) rank(s) "
                                 + "of \(ComputeThreads.count) thread(s); wrote \(out) in \(TrainingMetrics.duration(elapsed()))")
            }
        } else if showProgress {
            diagnostics.note("stopped after step \(trainer.step) (\(TrainingMetrics.duration(elapsed()))); resume with --resume")
        }
    }
}

DPOTrain.main()
