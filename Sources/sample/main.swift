import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore

/// `--shard I/N`.
extension Shard: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    /// `--help` shows the default as it is typed, "0/1", not as Swift prints the struct.
    public var defaultValueDescription: String { "\(index)/\(count)" }
}

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
        "length"). A record without "id" gets one: its 1-based line number in its file. \
        "tokens" and "logprob" describe tokenize(completion), plus the EOS when finish is \
        "stop", exactly as dpo-train scores the completion: "logprob" is their summed, \
        untempered log-probability under the model.

        The samples of a problem share one prompt prefill; all live sequences, from several \
        problems, are decoded together as one batch. Sample s of the problem with id k draws from \
        a random stream seeded by (--seed, k, s), so the same seed gives the same bytes at any \
        --batch, --shard split or --threads. Lines come out in input order as problems finish. \
        Memory: the model once (4 bytes a parameter, packed for decoding), plus a KV cache of \
        8 x layers x kv_width x (longest prompt + max-tokens, rounded up to 64) bytes for each \
        sequence decoded at once: at most --batch, plus one prompt's when -n > 1, each allocated \
        as a sequence first needs it. --progress prints this estimate before decoding starts.

        A line that is not a JSON object or has neither "question" nor "prompt", and a prompt \
        that does not fit the model's context, are reported as "sample: FILE:LINE: reason", \
        skipped, and make the exit status 1.
        """,
        version: IRPOVersion.string)

    @Option(help: ArgumentHelp("Model directory or .tar/.tar.gz bundle (config.json, model.safetensors, tokenizer.json).",
                               valueName: "dir"))
    var model: String

    @Option(name: .short, parsing: .unconditional, help: ArgumentHelp("Samples per problem.", valueName: "n"))
    var n = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Sampling temperature; 0 is greedy decoding.", valueName: "t"))
    var temperature: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the most likely tokens whose probability reaches p (1 keeps all).", valueName: "p"))
    var topP: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the k most likely tokens (0 keeps all).", valueName: "k"))
    var topK = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Most completion tokens per sample, the EOS included (default: the model's irpo.json, else 512).", valueName: "n"))
    var maxTokens: Int?

    @Option(parsing: .unconditional, help: "Seed of the random streams; the same seed gives the same output.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Text that ends a completion, cut before it (repeatable; default: the model's irpo.json); EOS always ends one.",
                               valueName: "string"))
    var stop: [String] = []

    @Option(help: ArgumentHelp("Prompt template: gsm8k, arc, plain, or a file with a {question} placeholder (default: the model's irpo.json, else gsm8k).",
                               valueName: "name|file"))
    var template: String?

    @Option(help: ArgumentHelp("Keep only the problems whose 0-based input index modulo N is I.", valueName: "I/N"))
    var shard: Shard = .all

    @Option(parsing: .unconditional, help: ArgumentHelp("Most sequences decoded together in one step.", valueName: "n"))
    var batch = 64

    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads (0: all cores).", valueName: "n"))
    var threads = 0

    @Flag(help: "Show progress on standard error even when it is not a terminal.")
    var progress = false

    @OptionGroup var input: InputOptions

    func validate() throws {
        if n < 1 { throw ValidationError("-n must be at least 1") }
        if !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if topK < 0 { throw ValidationError("--top-k must be 0 or more") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if threads < 0 { throw ValidationError("--threads must not be negative") }
        if stop.contains("") { throw ValidationError("--stop needs a non-empty string") }
        if let template { _ = try resolvedTemplate(template) }
    }

    /// The built-in template of that name, else the file's text.
    func resolvedTemplate(_ template: String) throws -> PromptTemplate {
        if let t = PromptTemplate.named(template) { return t }
        guard let text = try? String(contentsOfFile: template, encoding: .utf8) else {
            throw ValidationError("--template \(template): not gsm8k, arc or plain, and not a readable file")
        }
        do { return try PromptTemplate(text: text) } catch { throw ValidationError("--template \(template): \(error)") }
    }

    func run() throws {
        let diagnostics = Diagnostics(command: "sample")
        if threads > 0 { ComputeThreads.set(threads) }
        let (weights, tokenizer, defaults) = try loadModel(diagnostics)
        // Flags first, then the model's irpo.json, then the built-in defaults.
        let promptTemplate = try template.map(resolvedTemplate) ?? defaultTemplate(defaults, diagnostics)
        let writer = LineWriter(command: "sample")
        let queue = PendingRecords()
        let showProgress = progress || isatty(2) != 0
        let meter = ProgressMeter(enabled: showProgress, diagnostics: diagnostics, total: totalProblems())
        if showProgress { diagnostics.note(MachineDescription.line()) }
        let options = GenerationOptions(samples: n, maxTokens: maxTokens ?? defaults.maxTokens ?? 512,
                                        sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP),
                                        seed: seed, stops: stop.isEmpty ? defaults.stop ?? [] : stop, batchSize: batch)
        let modelName = model
        var generator: Generator!
        generator = Generator(weights: weights, tokenizer: tokenizer, options: options, releasingWeights: true) { samples in
            let (record, prompt) = queue.pop()
            for s in samples {
                var out = record
                out["prompt"] = .string(prompt)
                out["completion"] = .string(s.completion)
                out["sample"] = JSONValue(s.sample)
                out["model"] = .string(modelName)
                out["tokens"] = JSONValue(s.tokens)
                out["logprob"] = JSONValue(s.logprob)
                out["finish"] = .string(s.finish.rawValue)
                writer.write(out)
            }
            // Each problem's lines leave at once, so `| head` ends the work early.
            writer.flush()
            meter.update(done: generator.finishedProblems, tokens: generator.generatedTokens)
        }

        if showProgress {
            let config = weights.config
            generator.onCacheSized = { capacity, slots in
                let most = MemoryEstimate.sampling(config: config, sequences: slots, capacity: capacity)
                diagnostics.note("memory: at most \(MemoryEstimate.text(most)) (the model and the caches of "
                    + "\(slots) sequences of \(capacity) tokens)")
            }
        }
        let problems = JSONLInput(paths: input.files, diagnostics: diagnostics)
        try problems.forEachRecord(selecting: shard.contains) { record, position in
            let prompt = try promptTemplate.prompt(for: record)
            if try record.id == nil { record["id"] = JSONValue(position.line) }
            let idKey = try record.idKey!
            let ids = tokenizer.tokenizePrompt(prompt)
            do {
                try generator.validate(promptTokens: ids)
            } catch {
                throw LineError("id \(idKey): \(error)")
            }
            queue.push(record, prompt)
            try generator.submit(key: stableHash(idKey), promptTokens: ids)
        }
        generator.finish()
        meter.end(done: generator.finishedProblems, tokens: generator.generatedTokens)
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }

    /// The template irpo.json names (a built-in name or the template's text), else gsm8k.
    func defaultTemplate(_ defaults: ModelDefaults, _ diagnostics: Diagnostics) throws -> PromptTemplate {
        guard let text = defaults.template else { return PromptTemplate.named("gsm8k")! }
        do { return try PromptTemplate.named(text) ?? PromptTemplate(text: text) } catch {
            diagnostics.error("\(model)/\(ModelDefaults.fileName): template: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// The weights, tokenizer and irpo.json defaults, or a clear error before any output.
    func loadModel(_ diagnostics: Diagnostics) throws -> (ModelWeights, Tokenizer, ModelDefaults) {
        do {
            let checkpoint = try CheckpointIO.load(model)
            guard let json = checkpoint.tokenizerJSON else {
                diagnostics.error("\(model): no tokenizer.json")
                throw ExitCode(ExitStatus.failure)
            }
            let tokenizer = try Tokenizer(json: json)
            try tokenizer.checkFits(checkpoint.config)
            if checkpoint.config.eosTokenIds.isEmpty {
                diagnostics.note("\(model): config.json names no eos_token_id; only --stop and --max-tokens end samples")
            }
            return (checkpoint.weights, tokenizer, try ModelDefaults(of: checkpoint, display: model))
        } catch let e as ExitCode {
            throw e
        } catch let e as CheckpointError {
            diagnostics.error("\(e)")  // it names the file
            throw ExitCode(ExitStatus.failure)
        } catch let e as TokenizerError {
            diagnostics.error("\(model)/\(e)")  // "tokenizer.json: ...", inside the model
            throw ExitCode(ExitStatus.failure)
        } catch {
            diagnostics.error("\(model): \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// This shard's share of the input lines when every input is a plain regular file, else nil.
    func totalProblems() -> Int? {
        let paths = input.files.isEmpty ? ["-"] : input.files
        var lines = 0
        for path in paths {
            guard path != "-", !([".gz", ".xz", ".zst"].contains { path.hasSuffix($0) }),
                  let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
        }
        return shard.share(of: lines)
    }
}

/// Records waiting for their samples, in input order (the generator answers in that order).
final class PendingRecords {
    private var items: [(JSONRecord, String)] = []
    private var head = 0

    func push(_ record: JSONRecord, _ prompt: String) { items.append((record, prompt)) }

    func pop() -> (JSONRecord, String) {
        let item = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}

/// The progress line on standard error: rewritten in place on a terminal, a line every few
/// seconds otherwise.
final class ProgressMeter {
    let enabled: Bool
    let diagnostics: Diagnostics
    let total: Int?
    let terminal = isatty(2) != 0
    let start = Date()
    var last = Date.distantPast

    init(enabled: Bool, diagnostics: Diagnostics, total: Int?) {
        self.enabled = enabled
        self.diagnostics = diagnostics
        self.total = total
    }

    func update(done: Int, tokens: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= (terminal ? 0.25 : 5) else { return }
        last = now
        show(done: done, tokens: tokens, final: false)
    }

    func end(done: Int, tokens: Int) {
        guard enabled else { return }
        show(done: done, tokens: tokens, final: true)
    }

    private func show(done: Int, tokens: Int, final: Bool) {
        let text = "sample: " + progressLine(problemsDone: done, totalProblems: total, tokens: tokens,
                                             seconds: Date().timeIntervalSince(start))
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K" + (final ? "\n" : "")).utf8))
        } else {
            diagnostics.emit(text)
        }
    }
}

Sample.main()
