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

    /// An empty set for `tokenizer`, ending completions with `eos` and fitting `maxLength` tokens.
    public init(tokenizer: Tokenizer, eos: Int32, maxLength: Int, supervised: Bool) {
        self.tokenizer = tokenizer
        self.eos = eos
        self.maxLength = maxLength
        self.supervised = supervised
    }

    /// Adds a record: "prompt" with "chosen" and "rejected", or for SFT "chosen" or "completion".
    public mutating func add(_ record: JSONRecord) throws {
        let prompt = try record.requireString("prompt")
        let chosen: String, rejected: String?
        if supervised {
            chosen = try record.string("chosen") ?? record.requireString("completion")
            rejected = nil
        } else {
            chosen = try record.requireString("chosen")
            rejected = try record.requireString("rejected")
        }
        let example = TrainingExample.tokenize(prompt: prompt, chosen: chosen, rejected: rejected,
                                               tokenizer: tokenizer, eosTokenId: eos)
        if example.prompt.isEmpty { throw TrainingError.emptyPrompt }
        if example.packedTokens > 0, let fitted = example.fitted(maxLength: maxLength) {
            examples.append(fitted)
        } else {
            dropped += 1
        }
    }
}
