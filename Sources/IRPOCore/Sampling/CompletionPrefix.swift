/// The start every sample of a problem continues from (`sample`'s "prefix" field): its text and
/// the ids `encode(text)` gives, the ids a completion starting with it begins with when no merge
/// crosses the prefix's end.
public struct CompletionPrefix: Sendable {
    /// The prefix's text.
    public let text: String
    /// encode(text), without special tokens.
    public let tokens: [Int32]
    /// The text's length in UTF-8 bytes.
    let byteCount: Int

    /// The prefix `text`, encoded by `tokenizer` as a completion's start is.
    public init(_ text: String, tokenizer: Tokenizer) {
        self.text = text
        tokens = tokenizer.encode(text)
        byteCount = text.utf8.count
    }

    private init() {
        text = ""
        tokens = []
        byteCount = 0
    }

    /// No prefix: the samples start from the prompt.
    public static let none = CompletionPrefix()

    /// The text's UTF-8 bytes.
    var bytes: [UInt8] { Array(text.utf8) }
}
