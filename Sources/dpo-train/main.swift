import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore
import IRPOMPI

/// `dpo-train`: one iteration's pairs in, the next model out.
struct DPOTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo-train", abstract: "Train the next model on preference pairs (DPO + NLL, the IRPO loss).",
        discussion: dpoTrainDiscussion, version: IRPOVersion.string)

    @Option(help: ArgumentHelp("Starting policy: a checkpoint directory or bundle, or a GGUF file.", valueName: "dir"))
    var model: String?

    @Option(help: ArgumentHelp("Frozen reference checkpoint or GGUF file (default: --model).", valueName: "dir"))
    var ref: String?

    @OptionGroup var output: TrainingOutputOptions

    @Option(name: .customLong("init"),
            help: ArgumentHelp("Start from a seeded random init of this config.json instead of --model.", valueName: "config.json"))
    var initConfig: String?

    @Option(help: ArgumentHelp("tokenizer.json to use (required with --init; default: the model's).", valueName: "file"))
    var tokenizer: String?

    @OptionGroup var training: TrainingOptions

    @Flag(help: "Skip and count bad input lines instead of refusing to train.")
    var skipBad = false

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var input: InputOptions

    func validate() throws {
        if (model == nil) == (initConfig == nil) { throw ValidationError("give exactly one of --model and --init") }
        if initConfig != nil && tokenizer == nil { throw ValidationError("--init needs --tokenizer") }
    }

    func run() throws {
        try ParallelJob.run(command: "dpo-train") { job, diagnostics in try train(job, diagnostics) }
    }

    func train(_ job: ParallelJob, _ diagnostics: Diagnostics) throws {
        job.setThreads(compute.threads)
        try job.requireFiles(input.files, diagnostics: diagnostics)
        let lead = job.group.rank == 0  // rank 0 speaks for the run
        let progress = TrainingProgress(enabled: compute.showsProgress && lead, asked: compute.progress, diagnostics: diagnostics)
        // Where the results go is checked before any work, not after the training.
        try CheckpointIO.checkCanWrite(output.out, overwrite: output.overwrite, inputs: [model, ref].compactMap { $0 })
        let metrics = try MetricsFile(output.metrics, append: output.resume, opened: lead)
        let start = try model.map { try ModelLoader.load($0, tokenizerFile: tokenizer, diagnostics: diagnostics) }
            ?? ModelLoader.initialise(initConfig!, seed: training.seed, tokenizerFile: tokenizer!, diagnostics: diagnostics)
        guard let eos = start.config.eosTokenIds.first else {
            throw LineError("the model's config.json names no eos_token_id (needed to end completions)")
        }
        let maxLength = min(training.maxLength ?? start.config.maxPositionEmbeddings, start.config.maxPositionEmbeddings)
        progress.note("reading and tokenising \(input.files.isEmpty ? "standard input" : input.files.joined(separator: ", "))")
        Interrupts.farewell = "dpo-train: interrupted while reading the pairs; nothing saved"
        var data = TrainingData(tokenizer: start.tokenizer, eos: Int32(eos), maxLength: maxLength, supervised: training.loss == .sft,
                                chat: start.chatPromptIfAny(display: model ?? "the --init model"))
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, _ in try data.add(record) }
        try diagnostics.refuseBadInput(skipping: skipBad, noting: lead, action: "training")
        if data.dropped > 0 && lead { diagnostics.note("dropped \(data.dropped) pair(s) whose completion does not fit --max-length \(maxLength)") }

        let run = try TrainingRun(start: start.checkpoint, tokenizerJSON: start.tokenizerJSON, examples: data.examples,
                                  options: training.preference, group: job.group, destination: output.destination(writes: lead))
        let trainer = run.trainer, needsReference = training.loss.needsReference, unit = data.supervised ? "examples" : "pairs"
        progress.note("\(data.examples.count) \(unit), \(trainer.totalSteps) steps of \(training.batchSize)"
                      + (needsReference ? "; reference log-probs first" : ""))
        progress.note("memory: at most \(MemoryEstimate.text(trainer.memoryEstimate)) (the model, its gradients, "
                      + "AdamW's moments and the largest micro-batch's activations)")
        Interrupts.farewell = "dpo-train: interrupted before the first step; nothing saved"
        if needsReference {
            // A separate reference is loaded only for this and then released.
            let separate = try ref.flatMap { $0 == model ? nil : try CheckpointIO.load($0).weights }
            try run.computeReference(separate: separate, named: ref ?? "")
        }
        if output.resume { try run.resume(); progress.note("resuming from step \(trainer.step) of \(trainer.totalSteps)") }
        if needsReference { progress.note("reference log-probs done (\(progress.elapsedText))") }
        progress.stepsBegin(at: trainer.step)
        let finished = try run.run(beforeStep: {
            Interrupts.farewell = output.farewell(nextStep: trainer.step + 1, savedStep: run.savedStep)
        }, onStep: { m in
            try Interrupts.uninterrupted { try metrics.append(m) }
            progress.step(m, step: trainer.step, lastStep: run.lastStep, totalSteps: trainer.totalSteps)
        }, critical: { try Interrupts.uninterrupted($0) })
        let seconds = progress.stepsEnd()
        if finished {
            let rate = String(format: "%.1f", Double(run.pairsTrained) / max(seconds, 1e-9))
            progress.note("\(data.examples.count) \(unit), \(trainer.totalSteps) steps, \(rate) pairs/s on \(job.group.size) rank(s) "
                          + "of \(ComputeThreads.count) thread(s); wrote \(output.out) in \(progress.elapsedText)")
        } else {
            progress.note("stopped after step \(trainer.step) (\(progress.elapsedText)); resume with --resume")
        }
    }
}

DPOTrain.main()
