/// One `grade --judge` run: each record's completion is judged by a model through the judge
/// prompt, `samples` times, and the record goes out, in input order, with `score` (the mean of
/// the judgements that have one, null when none has) and, on request, `judgement`.
public final class JudgeRun {
    /// The generator sampling the judgements (its counters feed progress).
    public let generator: Generator
    /// What the run has judged so far.
    public private(set) var tally = JudgeTally()
    private let prompt: JudgePrompt
    private let chat: ChatPrompt?
    private let tokenizer: Tokenizer
    /// Records waiting for their judgements, in input order (the generator answers in that order).
    private var pending = PendingQueue<JSONRecord>()

    /// A run judging with `weights` and `options` (its `samples` are the judgements per record),
    /// writing each record with `write` and calling `recordDone` after it; with `keepJudgement`
    /// the judge's text is written too: a string for one judgement, an array for several. With
    /// `chat` the prompt goes through the judge's chat template.
    public init(weights: ModelWeights, tokenizer: Tokenizer, prompt: JudgePrompt, chat: ChatPrompt? = nil,
                options: GenerationOptions, keepJudgement: Bool, releasingWeights: Bool = false,
                write: @escaping (JSONRecord) -> Void, recordDone: @escaping () -> Void = {}) {
        self.prompt = prompt
        self.chat = chat
        self.tokenizer = tokenizer
        var take: () -> JSONRecord = { preconditionFailure("no pending record") }
        var count: ([JudgeScore], Double?) -> Void = { _, _ in }
        generator = Generator(weights: weights, tokenizer: tokenizer, options: options,
                              releasingWeights: releasingWeights) { samples in
            var record = take()
            let readings = samples.map { JudgeScore.read($0.completion) }
            let score = JudgeScore.mean(readings)
            record["score"] = score.map(JudgeScore.json) ?? .null
            if keepJudgement {
                let texts = samples.map { JSONValue.string($0.completion) }
                record["judgement"] = texts.count == 1 ? texts[0] : .array(texts)
            }
            count(readings, score)
            write(record)
            recordDone()
        }
        take = { [unowned self] in self.pending.pop() }
        count = { [unowned self] in self.tally.add($0, score: $1) }
    }

    /// The judge's prompt for a record: its question (`question`, else `problem`, else the
    /// `prompt` it was sampled from) and its `completion`, through the chat template if any.
    public func judgePrompt(for record: JSONRecord) throws -> String {
        var question = try record.question()
        if question == nil { question = try record.prompt() }
        guard let question else {
            throw RecordFieldError(field: "question", reason: "missing field \"question\" (or \"prompt\")")
        }
        let text = prompt.prompt(question: question, completion: try record.requireString("completion"))
        return try chat?.wrap(text) ?? text
    }

    /// Queues one record; runs decode steps until it fits. Its judgements draw from streams
    /// keyed by the judge prompt's text, so they depend on what is judged, not on its position.
    public func add(_ record: JSONRecord) throws {
        let text = try judgePrompt(for: record)
        let ids = tokenizer.tokenizePrompt(text)
        try generator.validate(promptTokens: ids)
        pending.append(record)
        try! generator.submit(key: stableHash(text), promptTokens: ids)  // validated above
    }

    /// Runs every queued record to its end.
    public func finish() { generator.finish() }
}
