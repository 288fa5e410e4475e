/// Turns ids into text one at a time, emitting only complete characters, so a character whose
/// bytes are spread over several tokens is printed once, whole.
///
/// It decodes a short window (the tokens that completed the last printed text, plus those not yet
/// printed) and emits what goes past the previously printed text. The context makes decoders that
/// look at the first token (Strip, Metaspace) treat later tokens as mid-text; keeping the whole
/// last group, not just its last token, keeps a run of <0xNN> tokens valid UTF-8 for ByteFallback.
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private var window: [Int32] = []
    /// Bytes of `decode(window)` already returned.
    private var printed = 0
    /// Ids at the end of `window` pushed since text was last returned.
    private var fresh = 0

    /// Starts an empty stream.
    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Adds one id; returns the newly completed text (possibly empty).
    public mutating func push(_ id: Int32) -> String {
        window.append(id)
        fresh += 1
        let text = Array(tokenizer.decode(window).utf8)
        // A trailing U+FFFD is most likely a character still waiting for its last bytes.
        if text.count <= printed || text.suffix(3).elementsEqual(StreamingDecoder.replacement) { return "" }
        let new = String(decoding: text[printed...], as: UTF8.self)
        window = Array(window.suffix(fresh))
        fresh = 0
        printed = tokenizer.decode(window).utf8.count
        return new
    }

    /// Ends the stream, returning whatever is left (incomplete bytes as U+FFFD).
    public mutating func finish() -> String {
        let text = Array(tokenizer.decode(window).utf8)
        let rest = text.count > printed ? String(decoding: text[printed...], as: UTF8.self) : ""
        window = []
        printed = 0
        fresh = 0
        return rest
    }
}
