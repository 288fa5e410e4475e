import ArgumentParser
import IRPOCore

/// `grade --judge`: a model scores each completion through the LLM-as-a-Judge prompt, sampled
/// as `sample` samples (the same flags, seeded, batched).
public struct JudgeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Judge model directory, bundle or GGUF file: score each completion with the LLM-as-a-Judge prompt instead of a gold answer.",
                               valueName: "dir"))
    public var judge: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Judgements per completion; \"score\" is the mean of those that give one.", valueName: "n"))
    public var judgeSamples = 1

    @Option(help: ArgumentHelp("File holding the judge prompt, with {question} and {completion} (default: the paper's).", valueName: "file"))
    public var judgeTemplate: String?

    @Flag(help: "Also write the judge's text in \"judgement\" (an array of texts with --judge-samples above 1).")
    public var judgement = false

    @Flag(help: "Give the judge prompt as a user message through the judge's chat template.")
    public var judgeChat = false

    @OptionGroup public var sampling: SamplingOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Most judgements decoded together in one step (default 64), or records a reward model scores together (default 16).", valueName: "n"))
    public var batch: Int?

    @OptionGroup public var compute: ComputeOptions

    /// Defaults.
    public init() {}

    /// What `grade --help` says about judging.
    public static let discussion = """
        --judge DIR grades without a gold answer, as Self-Rewarding Language Models (Yuan et al. \
        2024) do: each completion is put with its question ("question", else "problem", else the \
        "prompt" it was sampled from) into the paper's LLM-as-a-Judge prompt, its additive \
        five-point rubric (--judge-template FILE replaces it; {question} and {completion} mark \
        where they go), and the judge model continues it as sample would: --temperature, \
        --top-p, --top-k, --max-tokens, --stop, --seed, --batch and --threads work as there (the \
        paper samples at 0.7 with top-p 0.9). Each completion is judged --judge-samples times; \
        "score" is the mean of the judgements that give one (the number after the last \
        "Score:", 0 to 5, "4/5" read as 4), null when none does; "pred", "gold" and "correct" \
        are not written. A judgement's random stream is keyed by its prompt's text, so the same \
        seed gives the same bytes at any --batch and --threads. --judge-chat gives a chat model \
        the prompt as a user message through its chat template. The summary counts the records \
        without a score and the judgements with none or with one off the scale.
        """

    public func validate() throws {
        if judgeSamples < 1 { throw ValidationError("--judge-samples must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let judgeTemplate { do { _ = try JudgePrompt.load(judgeTemplate) } catch { throw ValidationError("--judge-template \(error)") } }
        guard judge == nil else { return }
        let s = sampling, judgeOnly: [(String, Bool)] = [
            ("--judge-samples", judgeSamples != 1), ("--judge-template", judgeTemplate != nil), ("--judgement", judgement), ("--judge-chat", judgeChat),
            ("--temperature", s.temperature != nil), ("--top-p", s.topP != nil), ("--top-k", s.topK != nil),
            ("--max-tokens", s.maxTokens != nil), ("--seed", s.seed != 0), ("--stop", !s.stop.isEmpty),
        ]
        if let (flag, _) = judgeOnly.first(where: \.1) { throw ValidationError("\(flag) is only used with --judge") }
    }

    /// Refuses the gold-answer options beside --judge, which grades without a gold answer, a
    /// judge beside a reward model, and the engine's options when neither runs.
    public func check(goldOptions: Bool, rewardModel: Bool) throws {
        if judge != nil && rewardModel { throw ValidationError("--judge and --reward-model are two ways to score: give one") }
        if judge == nil && !rewardModel, let (flag, _) = [("--batch", batch != nil), ("--threads", compute.threads != 0),
                                                          ("--progress", compute.progress)].first(where: \.1) {
            throw ValidationError("\(flag) is only used with --judge or --reward-model")
        }
        if judge != nil && goldOptions {
            throw ValidationError("--gold-field, --flexible and --pattern grade against a gold answer; --judge does not")
        }
    }

    /// Judges every record of the input and writes it with its score: the command's whole run.
    public func run(input: InputOptions, quiet: Bool) throws {
        guard let judge else { preconditionFailure("--judge not given") }
        let diagnostics = Diagnostics(command: "grade")
        compute.apply()
        let prompt = try judgeTemplate.map(JudgePrompt.load) ?? .selfRewarding
        let loaded = try ModelLoader.load(judge, forDecoding: true, diagnostics: diagnostics)
        // irpo.json's max_tokens and stop apply to the judge as to sample; its template does not.
        let defaults = try loaded.promptSetup(template: "plain", display: judge, diagnostics: diagnostics).0
        let chat = try judgeChat ? loaded.chatPrompt(display: judge, flag: "--judge-chat", diagnostics: diagnostics) : nil
        let writer = LineWriter(command: "grade")
        let meter = ProgressMeter(enabled: compute.showsProgress, diagnostics: diagnostics, total: input.lineCount(),
                                  unit: "records")
        let options = sampling.generation(samples: judgeSamples, batchSize: batch ?? 64, defaults: defaults)
        var run: JudgeRun!
        run = JudgeRun(weights: loaded.checkpoint.weights, tokenizer: loaded.tokenizer, prompt: prompt, chat: chat,
                       options: options, keepJudgement: judgement, releasingWeights: true, write: writer.write) {
            writer.flush()
            meter.update(run.generator)
        }
        meter.watchMemory(of: run.generator, config: loaded.config)
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, _ in
            do {
                try run.add(record)
            } catch let e as GenerationError {
                throw LineError("judge prompt: \(e)")
            } catch let e as ChatTemplateError {
                throw LineError("judge chat template: \(e)")
            }
        }
        run.finish()
        meter.end(run.generator)
        if !quiet { diagnostics.note(run.tally.summary) }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}
