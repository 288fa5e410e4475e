import Foundation

/// A BPE tokenizer loaded from an HF tokenizer.json: byte-level (GPT-2, Llama 3, Qwen2, SmolLM)
/// or SentencePiece-style (Llama 2, TinyLlama, Mistral). Anything else is refused at load time.
public final class Tokenizer: Sendable {
    private let original: Data
    let model: BPEModel
    private let normalizer: [NormalizerStep]
    private let preTokenizer: [PreTokenizerStep]
    private let decoder: [DecoderStep]?
    /// Added tokens matched on the raw text (normalized: false), and those matched after normalizing.
    private let rawAdded: AddedTokenMatcher
    private let normalizedAdded: AddedTokenMatcher
    private let addedByContent: [[UInt8]: Int32]
    /// The vocabulary is in GPT-2's byte alphabet (a ByteLevel pre-tokenizer is present).
    private let byteMapped: Bool
    /// No merges and no rewriting: each byte is its own token and pre-tokenizing can be skipped.
    private let plainBytes: Bool
    /// Token text by id, added tokens taking precedence over the model's vocabulary (as in HF).
    private let tokenText: [[UInt8]?]

    /// Number of ids, added tokens included (one more than the largest id).
    public let vocabSize: Int
    /// The BOS id a TemplateProcessing post-processor puts before "$A", or nil when none does.
    public let bosTokenIdFromPostProcessor: Int32?

    /// Loads tokenizer.json contents; unsupported components throw an error naming the field.
    public init(json: Data) throws {
        original = json
        let root = try JSONValue.parseTokenizerJSON(json)
        guard root.objectValue != nil else { throw TokenizerError.invalid(field: "(root)", reason: "expected an object") }
        guard let modelJSON = root["model"] else { throw TokenizerError.invalid(field: "model", reason: "missing") }
        model = try BPEModel(json: modelJSON)
        normalizer = try NormalizerStep.parse(root["normalizer"], field: "normalizer")
        let pre = try PreTokenizerStep.parse(root["pre_tokenizer"], field: "pre_tokenizer")
        if let k = pre.firstIndex(where: { if case .byteLevel = $0 { return true } else { return false } }) {
            // Later steps would see byte characters (Ġ for space); we map bytes inside the model,
            // so such a chain would split differently. No real checkpoint has one.
            if k != pre.count - 1 {
                throw TokenizerError.unsupported(field: "pre_tokenizer", value: "a step after ByteLevel")
            }
            byteMapped = true
        } else {
            byteMapped = false
        }
        preTokenizer = pre
        decoder = try DecoderStep.parse(root["decoder"], field: "decoder")
        bosTokenIdFromPostProcessor = try Tokenizer.parseBOS(root["post_processor"], field: "post_processor")

        let added = try AddedToken.parse(root["added_tokens"])
        rawAdded = AddedTokenMatcher(added.filter { !$0.normalized })
        // HF matches normalized added tokens against normalized text, so their content is normalized too.
        let normalizerSteps = normalizer
        normalizedAdded = AddedTokenMatcher(added.filter { $0.normalized }.compactMap { t in
            let content = NormalizerStep.apply(normalizerSteps, to: t.content)
            if content.isEmpty { return nil }
            return AddedToken(id: t.id, content: content, singleWord: t.singleWord, lstrip: t.lstrip,
                              rstrip: t.rstrip, normalized: true, special: t.special)
        })
        var byContent: [[UInt8]: Int32] = [:]
        for t in added { byContent[t.content] = t.id }
        addedByContent = byContent

        let maxId = max(model.vocab.values.max() ?? -1, added.map(\.id).max() ?? -1)
        vocabSize = Int(maxId) + 1
        var text = [[UInt8]?](repeating: nil, count: vocabSize)
        for (token, id) in model.vocab { text[Int(id)] = token }
        for t in added { text[Int(t.id)] = t.content }
        tokenText = text

        // Splitting cannot change byte-per-token output, but adding or dropping text can.
        let rewrites = pre.contains { step in
            switch step {
            case .byteLevel(let addPrefixSpace, _): return addPrefixSpace
            case .metaspace: return true
            case .splitLiteral(_, let behavior): return behavior == .removed
            case .split, .digits: return false
            }
        }
        plainBytes = byteMapped && !rewrites && model.isPlainByteLevel
        if let bos = bosTokenIdFromPostProcessor, Int(bos) >= vocabSize {
            throw TokenizerError.invalid(field: "post_processor", reason: "BOS id \(bos) is outside the vocabulary")
        }
    }

    /// Loads a tokenizer.json file.
    public convenience init(contentsOf path: String) throws {
        try self.init(json: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The tokenizer.json text: the bytes it was loaded from, unchanged.
    public func jsonData() -> Data { original }

    /// The id of a token, written as in the vocabulary (byte-level tokens use Ġ for space);
    /// added tokens first, as HF's token_to_id does.
    public func id(of token: String) -> Int32? {
        let key = Array(token.utf8)
        return addedByContent[key] ?? model.vocab[key]
    }

    /// The vocabulary text of an id (nil outside the vocabulary).
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < tokenText.count, let t = tokenText[Int(id)] else { return nil }
        return String(decoding: t, as: UTF8.self)
    }

    /// Encodes text without adding BOS or EOS; added and special tokens written in the text are matched.
    public func encode(_ text: String) -> [Int32] {
        let bytes = Array(text.utf8)
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        for segment in rawAdded.split(bytes) {
            switch segment {
            case .token(let id): out.append(id)
            case .text(let r): encodeRaw(Array(bytes[r]), atTextStart: r.lowerBound == 0, into: &out)
            }
        }
        return out
    }

    private func encodeRaw(_ text: [UInt8], atTextStart: Bool, into out: inout [Int32]) {
        let normalized = normalizer.isEmpty ? text : NormalizerStep.apply(normalizer, to: text)
        if normalizedAdded.isEmpty {
            encodeNormalized(normalized, atTextStart: atTextStart, into: &out)
            return
        }
        for segment in normalizedAdded.split(normalized) {
            switch segment {
            case .token(let id): out.append(id)
            case .text(let r):
                encodeNormalized(Array(normalized[r]), atTextStart: atTextStart && r.lowerBound == 0, into: &out)
            }
        }
    }

    private func encodeNormalized(_ text: [UInt8], atTextStart: Bool, into out: inout [Int32]) {
        if plainBytes {
            for b in text { out.append(model.byteIds[Int(b)]) }
            return
        }
        let (buffer, pieces) = PreTokenizerStep.apply(preTokenizer, text, atTextStart: atTextStart)
        buffer.withUnsafeBufferPointer { p in
            for r in pieces { model.encode(p, r, byteMapped: byteMapped, into: &out) }
        }
    }

    /// Cuts the added tokens out of `bytes`, as encoding does first.
    package func addedSplitForInspection(_ bytes: [UInt8]) -> [AddedSegment] { rawAdded.split(bytes) }

    /// Normalizes (cutting out normalized added tokens is skipped here) and pre-tokenizes.
    package func preTokenizeForInspection(_ text: [UInt8], atTextStart: Bool) -> ([UInt8], [Range<Int>]) {
        let normalized = normalizer.isEmpty ? text : NormalizerStep.apply(normalizer, to: text)
        return PreTokenizerStep.apply(preTokenizer, normalized, atTextStart: atTextStart)
    }

    /// Decodes ids through the file's decoder chain. Special tokens are kept (as their content);
    /// ids outside the vocabulary are skipped, as HF does.
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The decoded UTF-8 before invalid sequences are replaced.
    func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids where id >= 0 && Int(id) < tokenText.count {
            if let t = tokenText[Int(id)] { tokens.append(t) }
        }
        return DecoderStep.decode(decoder, tokens)
    }

    /// Reads the BOS the post-processor prepends to a single sequence, if it prepends one.
    private static func parseBOS(_ json: JSONValue?, field: String) throws -> Int32? {
        guard let json, !json.isNull else { return nil }
        let type = try requireType(json, field: field)
        switch type {
        case "ByteLevel":
            return nil
        case "Sequence":
            guard let list = json["processors"]?.arrayValue else {
                throw TokenizerError.invalid(field: "\(field).processors", reason: "expected an array")
            }
            var found: Int32?
            for (i, item) in list.enumerated() {
                if let bos = try parseBOS(item, field: "\(field).processors[\(i)]") {
                    if found != nil { throw TokenizerError.unsupported(field: "\(field).processors", value: "two processors adding tokens") }
                    found = bos
                }
            }
            return found
        case "TemplateProcessing":
            guard let single = json["single"]?.arrayValue else {
                throw TokenizerError.invalid(field: "\(field).single", reason: "expected an array")
            }
            guard let first = single.first, let special = first["SpecialToken"] else { return nil }
            if single.count > 1, single[1]["SpecialToken"] != nil {
                throw TokenizerError.unsupported(field: "\(field).single", value: "more than one token before $A")
            }
            guard let name = special["id"]?.stringValue else {
                throw TokenizerError.invalid(field: "\(field).single[0].SpecialToken.id", reason: "expected a string")
            }
            guard let ids = json["special_tokens"]?[name]?["ids"]?.arrayValue else {
                throw TokenizerError.invalid(field: "\(field).special_tokens[\(name)].ids", reason: "missing")
            }
            guard ids.count == 1, let id = ids[0].wholeNumber, id >= 0, id < Int(Int32.max) else {
                throw TokenizerError.unsupported(field: "\(field).special_tokens[\(name)].ids", value: "\(ids.count) ids")
            }
            return Int32(id)
        case "RobertaProcessing", "BertProcessing":
            guard let cls = json["cls"]?.arrayValue, cls.count == 2, let id = cls[1].wholeNumber else {
                throw TokenizerError.invalid(field: "\(field).cls", reason: "expected [token, id]")
            }
            return Int32(id)
        default:
            throw TokenizerError.unsupported(field: "\(field).type", value: type)
        }
    }
}

extension Tokenizer {
    /// Throws when this tokenizer can produce an id the model has no embedding row for, the sign
    /// of another model's tokenizer.json (a model may have more rows than the tokenizer has ids).
    public func checkFits(_ config: LlamaConfig) throws(TokenizerError) {
        guard vocabSize <= config.vocabSize else {
            throw .invalid(field: "model.vocab",
                           reason: "ids up to \(vocabSize - 1), but config.json has vocab_size \(config.vocabSize): not this model's tokenizer")
        }
    }
}
