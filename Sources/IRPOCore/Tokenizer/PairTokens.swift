/// A prompt and completion tokenized by the project's one rule (DESIGN.md, "Tokenizing a prompt
/// and a completion"): [BOS if the post-processor asks] + encode(prompt) + encode(completion) + [EOS].
public struct PairTokens: Sendable, Equatable {
    /// All ids, prompt first.
    public let ids: [Int32]
    /// Index of the first completion id; `ids[completionStart...]` (EOS included) are scored.
    public let completionStart: Int

    /// Wraps ids already built by the rule; callers normally use `Tokenizer.tokenizePair`.
    public init(ids: [Int32], completionStart: Int) {
        self.ids = ids
        self.completionStart = completionStart
    }
}

extension Tokenizer {
    /// Tokenizes a pair. Encoding the two texts separately keeps the prompt's ids identical to
    /// what `sample` fed the model, so no merge crosses the prompt/completion boundary (trl#2054).
    public func tokenizePair(prompt: String, completion: String, eosTokenId: Int32) -> PairTokens {
        var ids = tokenizePrompt(prompt)
        let start = ids.count
        ids += encode(completion)
        ids.append(eosTokenId)
        return PairTokens(ids: ids, completionStart: start)
    }

    /// The ids a model is conditioned on for a prompt: BOS (if the post-processor adds one) + encode(prompt).
    public func tokenizePrompt(_ prompt: String) -> [Int32] {
        var ids: [Int32] = []
        if let bos = bosTokenIdFromPostProcessor { ids.append(bos) }
        ids += encode(prompt)
        return ids
    }
}
