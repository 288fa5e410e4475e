/// Adds a numeric "reward" to records, scoring them a batch at a time through a `RewardModel`;
/// records leave through `write` in the order they came.
///
/// The reward model reads the ids dpo-train would score for the record: `Tokenizer.tokenizePair`
/// of the prompt (the record's "prompt", else the template filled from its question) and its
/// "completion", EOS included.
public struct RewardScorer {
    public let model: RewardModel
    let tokenizer: Tokenizer
    let eos: Int32
    let template: PromptTemplate
    let write: (JSONRecord) -> Void
    private var pending: [(record: JSONRecord, ids: [Int32])] = []

    /// A scorer that ends each completion with `eos` and hands scored records to `write`.
    public init(model: RewardModel, tokenizer: Tokenizer, eos: Int32, template: PromptTemplate,
                write: @escaping (JSONRecord) -> Void) {
        self.model = model
        self.tokenizer = tokenizer
        self.eos = eos
        self.template = template
        self.write = write
    }

    /// The ids the reward model reads for `record`; throws for a missing field or a sequence
    /// longer than the model's context.
    public func tokens(for record: JSONRecord) throws -> [Int32] {
        let prompt = try template.prompt(for: record)
        let completion = try record.requireString("completion")
        let ids = tokenizer.tokenizePair(prompt: prompt, completion: completion, eosTokenId: eos).ids
        if ids.count > model.context { throw RewardError.tooLong(tokens: ids.count, context: model.context) }
        return ids
    }

    /// Queues `record` (checked first, so a bad one is thrown and never queued) and scores the
    /// queue when it holds a batch.
    public mutating func add(_ record: JSONRecord) throws {
        pending.append((record, try tokens(for: record)))
        if pending.count >= model.batch { flush() }
    }

    /// Scores and writes every queued record.
    public mutating func flush() {
        guard !pending.isEmpty else { return }
        let rewards = model.rewards(pending.map(\.ids))
        for (item, reward) in zip(pending, rewards) {
            var record = item.record
            record["reward"] = JSONValue(Double(reward))
            write(record)
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// A record the reward model cannot score.
public enum RewardError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLong(tokens: Int, context: Int)

    /// What is wrong.
    public var description: String {
        switch self {
        case let .tooLong(tokens, context):
            return "prompt and completion are \(tokens) tokens, more than the reward model's context of \(context)"
        }
    }
}
