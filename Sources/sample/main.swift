import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore

/// `sample`: writes N completions per problem.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample completions from a model for each problem.",
        discussion: """
        Reads problems as JSONL, each with a "question" (or "problem"), or a ready "prompt" that \
        is used as it is, and writes -n lines per problem: the input's fields plus "prompt", \
        "completion" (the text up to, not including, the stop string or EOS), "sample" (0-based), \
        "model" (the --model argument as given), "tokens", "logprob" and "finish" ("stop" or \
        "length"). With --chat the prompt is the model's chat template around the filled \
        template as one user message, or around the record's "messages" (a list of {"role", \
        "content"}), the assistant's turn opened. A record without "id" gets one: its 1-based line number in its file. \
        "tokens" and "logprob" describe tokenize(completion), plus the EOS when finish is \
        "stop", exactly as dpo-train scores the completion: "logprob" is their summed, \
        untempered log-probability under the model. A record with a "prefix" (pair --prefixes) is \
        continued from it: each completion is the prefix plus what follows, scored whole.

        The samples of a problem share one prompt prefill; all live sequences, from several \
        problems, are decoded together as one batch. Sample s of the problem with id k draws from \
        a random stream seeded by (--seed, k, s), so the same seed gives the same bytes at any \
        --batch, --shard split or --threads. Lines come out in input order as problems finish. \
        Memory: the model once (4 bytes a parameter packed for decoding, 2 with bf16, 0.75 or 1.25 with a GGUF file's Q4 or Q8 blocks: see --dtype), plus a KV cache of \
        8 x layers x kv_width x (longest prompt + max-tokens, rounded up to 64) bytes for each \
        sequence decoded at once: at most --batch, plus one prompt's when -n > 1, each allocated \
        as a sequence first needs it. --progress prints this estimate before decoding starts.

        A line that is not a JSON object or has neither "question" nor "prompt", and a prompt \
        that does not fit the model's context, are reported as "sample: FILE:LINE: reason", \
        skipped, and make the exit status 1.
        """,
        version: IRPOVersion.string)

    @Option(help: ArgumentHelp("Model directory or .tar/.tar.gz bundle (config.json, model.safetensors, tokenizer.json), or a GGUF file.",
                               valueName: "dir"))
    var model: String

    @Option(name: .short, parsing: .unconditional, help: ArgumentHelp("Samples per problem.", valueName: "n"))
    var n = 1

    @OptionGroup var sampling: SamplingOptions

    @Option(help: ArgumentHelp("Prompt template: gsm8k, arc, plain, or a file with a {question} placeholder (default: the model's irpo.json, else gsm8k).",
                               valueName: "name|file"))
    var template: String?

    @Flag(help: "Put each prompt through the model's chat template (chat_template.jinja, else tokenizer_config.json's).")
    var chat = false

    @Option(help: ArgumentHelp("Keep only the problems whose 0-based input index modulo N is I.", valueName: "I/N"))
    var shard: Shard = .all

    @Option(parsing: .unconditional, help: ArgumentHelp("Most sequences decoded together in one step.", valueName: "n"))
    var batch = 64

    @OptionGroup var compute: ComputeOptions

    @OptionGroup var input: InputOptions

    func validate() throws {
        if n < 1 { throw ValidationError("-n must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let template { do { _ = try PromptTemplate.resolve(template) } catch { throw ValidationError("--template \(error)") } }
    }

    func run() throws {
        let diagnostics = Diagnostics(command: "sample")
        compute.apply()
        let loaded = try ModelLoader.load(model, forDecoding: true, diagnostics: diagnostics)
        let (defaults, promptTemplate) = try loaded.promptSetup(template: template, display: model, diagnostics: diagnostics)
        let chatPrompt = try chat ? loaded.chatPrompt(display: model, flag: "--chat", diagnostics: diagnostics) : nil
        let writer = LineWriter(command: "sample")
        let meter = ProgressMeter(enabled: compute.showsProgress, diagnostics: diagnostics,
                                  total: input.lineCount().map(shard.share))
        let options = sampling.generation(samples: n, batchSize: batch, defaults: defaults)
        var run: SamplingRun!
        run = SamplingRun(weights: loaded.checkpoint.weights, tokenizer: loaded.tokenizer, template: promptTemplate,
                          chat: chatPrompt, options: options, modelName: model, releasingWeights: true, write: writer.write) {
            // Each problem's lines leave at once, so `| head` ends the work early.
            writer.flush()
            meter.update(run.generator)
        }
        meter.watchMemory(of: run.generator, config: loaded.config)
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord(selecting: shard.contains) { record, at in
            try run.add(record, line: at.line)
        }
        run.finish()
        meter.end(run.generator)
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}

Sample.main()
