/// The records of a training file turned into examples by the project's one tokenizing rule:
/// each prompt cut from the left to fit the length limit, and the records that cannot fit counted.
public struct TrainingData: Sendable {
    /// The examples, in input order.
    public private(set) var examples: [TrainingExample] = []
    /// Records whose completion alone does not fit `maxLength` (or that have no tokens at all).
    public private(set) var dropped = 0
    /// Whether records are SFT examples (a winner only) rather than preference pairs.
    public let supervised: Bool
    let tokenizer: Tokenizer
    let eos: Int32
    let maxLength: Int
    /// The model's chat template for conversational records, or why there is none.
    let chat: Result<ChatPrompt, RecordFieldError>

    /// An empty set for `tokenizer`, ending completions with `eos` and fitting `maxLength` tokens;
    /// conversational records go through `chat`, which may say why the model has none.
    public init(tokenizer: Tokenizer, eos: Int32, maxLength: Int, supervised: Bool,
                chat: Result<ChatPrompt, RecordFieldError> = .failure(RecordFieldError(field: "prompt", reason: "no chat template"))) {
        self.tokenizer = tokenizer
        self.eos = eos
        self.maxLength = maxLength
        self.supervised = supervised
        self.chat = chat
    }

    /// Adds a record: "prompt" with "chosen" and "rejected", or for SFT "chosen" or "completion";
    /// as text, or in TRL's conversational form (see `conversation`).
    public mutating func add(_ record: JSONRecord) throws {
        let (prompt, chosen, rejected) = try record["prompt"]?.arrayValue != nil ? conversation(record) : texts(record)
        let example = TrainingExample.tokenize(prompt: prompt, chosen: chosen, rejected: rejected,
                                               tokenizer: tokenizer, eosTokenId: eos)
        if example.prompt.isEmpty { throw TrainingError.emptyPrompt }
        if example.packedTokens > 0, let fitted = example.fitted(maxLength: maxLength) {
            examples.append(fitted)
        } else {
            dropped += 1
        }
    }

    /// The plain form: strings.
    private func texts(_ record: JSONRecord) throws -> (String, String, String?) {
        let prompt = try record.requireString("prompt")
        if supervised { return (prompt, try record.string("chosen") ?? record.requireString("completion"), nil) }
        return (prompt, try record.requireString("chosen"), try record.requireString("rejected"))
    }

    /// TRL's conversational form: "prompt" a list of messages, "chosen" and "rejected" (or for SFT
    /// "chosen" or "completion") one assistant message each, as a list of one or an object,
    /// rendered by the model's chat template as `ChatPrompt.completion` says.
    private func conversation(_ record: JSONRecord) throws -> (String, String, String?) {
        let chat = try self.chat.get()
        guard let prompt = try record.messages("prompt") else { throw RecordFieldError.missing("prompt") }
        func reply(_ key: String) throws -> ChatMessage {
            let messages = try record[key].flatMap(ChatMessage.init).map { [$0] } ?? record.messages(key)
            guard let messages, messages.count == 1, messages[0].role == "assistant" else {
                throw RecordFieldError(field: key, reason: "\"\(key)\" must be one assistant message in a conversational pair")
            }
            return messages[0]
        }
        do {
            let opened = try chat.render(prompt)
            if supervised {
                let key = record["chosen"] == nil ? "completion" : "chosen"
                return (opened, try chat.completion(after: prompt, reply: try reply(key)), nil)
            }
            return (opened, try chat.completion(after: prompt, reply: try reply("chosen")),
                    try chat.completion(after: prompt, reply: try reply("rejected")))
        } catch let error as ChatTemplateError {
            throw RecordFieldError(field: "prompt", reason: "\(error)")
        }
    }
}
