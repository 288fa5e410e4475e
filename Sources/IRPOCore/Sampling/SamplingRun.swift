/// A problem `SamplingRun` could not take, naming the problem's id.
public struct SamplingError: Error, Sendable, CustomStringConvertible {
    /// The problem's id as the output writes it.
    public let id: String
    /// Why.
    public let reason: GenerationError

    /// "id 7: prompt of 9000 tokens leaves no room ...".
    public var description: String { "id \(id): \(reason)" }
}

/// One `sample` run: problem records in, -n sample records out per problem, in input order,
/// each the input's fields plus prompt, completion, sample, model, tokens, logprob and finish.
/// A record's "prefix" starts each of its completions (step-controlled continuations).
public final class SamplingRun {
    /// The generator doing the work (its counters feed progress).
    public let generator: Generator
    private let template: PromptTemplate
    private let chat: ChatPrompt?
    private let tokenizer: Tokenizer
    /// Records waiting for their samples, in input order (the generator answers in that order).
    private var pending = PendingQueue<(record: JSONRecord, prompt: String)>()

    /// A run of `options` over `weights`, writing each sample record with `write` and calling
    /// `problemDone` after each problem's last. With `chat`, prompts go through the model's chat
    /// template (see `prompt(for:)`). With `releasingWeights` the run is the weights' last user
    /// (see `Generator`).
    public init(weights: ModelWeights, tokenizer: Tokenizer, template: PromptTemplate, chat: ChatPrompt? = nil,
                options: GenerationOptions, modelName: String, releasingWeights: Bool = false,
                write: @escaping (JSONRecord) -> Void, problemDone: @escaping () -> Void = {}) {
        self.template = template
        self.chat = chat
        self.tokenizer = tokenizer
        var take: () -> (record: JSONRecord, prompt: String) = { preconditionFailure("no pending problem") }
        generator = Generator(weights: weights, tokenizer: tokenizer, options: options,
                              releasingWeights: releasingWeights) { samples in
            let (record, prompt) = take()
            for s in samples {
                var out = record
                out["prompt"] = .string(prompt)
                out["completion"] = .string(s.completion)
                out["sample"] = JSONValue(s.sample)
                out["model"] = .string(modelName)
                out["tokens"] = JSONValue(s.tokens)
                out["logprob"] = JSONValue(s.logprob)
                out["finish"] = .string(s.finish.rawValue)
                write(out)
            }
            problemDone()
        }
        take = { [unowned self] in self.pending.pop() }
    }

    /// Queues one problem; a record without "id" gets `line`. Runs decode steps until it fits.
    /// A record with a non-empty "prefix" is continued from it (see `Generator.submit`); its
    /// samples draw from streams keyed by the id and the prefix, so each prefix of one problem
    /// gets its own.
    public func add(_ record: JSONRecord, line: Int) throws {
        var record = record
        let prompt = try self.prompt(for: record)
        if try record.id == nil { record["id"] = JSONValue(line) }
        let id = try record.idKey!
        let ids = tokenizer.tokenizePrompt(prompt)
        let prefixText = try record.string("prefix") ?? ""
        let prefix = prefixText.isEmpty ? CompletionPrefix.none : CompletionPrefix(prefixText, tokenizer: tokenizer)
        do {
            try generator.validate(promptTokens: ids, prefix: prefix)
        } catch {
            throw SamplingError(id: id, reason: error)
        }
        pending.append((record, prompt))
        // A canonical JSON id never holds a raw NUL, so no prefixed key equals a plain one.
        let key = prefixText.isEmpty ? stableHash(id) : stableHash(id + "\u{0}" + prefixText)
        try! generator.submit(key: key, promptTokens: ids, prefix: prefix)  // validated above
    }

    /// The text the model continues. A ready `prompt` is used as it is; otherwise, with a chat
    /// template, the record's `messages` or else the filled template as one user message, the
    /// assistant's turn opened; without one, the filled template.
    public func prompt(for record: JSONRecord) throws -> String {
        guard let chat, try record.prompt() == nil else { return try template.prompt(for: record) }
        do {
            if let messages = try record.messages() { return try chat.render(messages) }
            return try chat.wrap(try template.prompt(for: record))
        } catch let error as ChatTemplateError {
            throw RecordFieldError(field: "messages", reason: "\(error)")
        }
    }

    /// Runs every queued problem to its end.
    public func finish() { generator.finish() }
}
