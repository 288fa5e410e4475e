// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, written out as the
// tokenizer.json an HF checkpoint of the same model carries, so that one Tokenizer reads both
// and a model trained from a GGUF file is saved with an ordinary tokenizer.json.
//
// llama.cpp's converter stores the vocabulary in id order with a type per token (1 normal,
// 2 unknown, 3 control, 4 user-defined, 5 unused padding, 6 byte), the BPE merges as "a b"
// strings in rank order, and names the pre-tokenizer (`tokenizer.ggml.pre`) rather than storing
// it; the names we know map to the pre-tokenizer of the HF tokenizer.json they were made from.
import Foundation

enum GGUFTokenizer {
    /// llama.cpp's token types.
    enum TokenType: Int {
        case normal = 1, unknown, control, userDefined, unused, byte
    }

    /// How a byte-level vocabulary cuts text before BPE, by `tokenizer.ggml.pre`.
    enum ByteLevelSplit {
        /// GPT-2's own regex inside ByteLevel.
        case gpt2
        /// Each digit on its own, then GPT-2's regex (StarCoder, SmolLM).
        case digitsThenGPT2
        /// A recognised regex split, then ByteLevel without its regex.
        case regex(String)
    }

    /// The pre-tokenizer names we reproduce, with their split, whether BPE first looks up the
    /// whole piece (HF's ignore_merges), and whether llama.cpp adds BOS unless the file says.
    static let byteLevelPres: [String: (split: ByteLevelSplit, ignoreMerges: Bool, addBOS: Bool)] = [
        "gpt-2": (.gpt2, false, false),
        "phi-2": (.gpt2, false, false),
        "smollm": (.digitsThenGPT2, false, false),
        "starcoder": (.digitsThenGPT2, false, false),
        "llama3": (.regex(SplitPattern.llama3Regex), true, true),
        "llama-v3": (.regex(SplitPattern.llama3Regex), true, true),
        "llama-bpe": (.regex(SplitPattern.llama3Regex), true, true),
        "qwen2": (.regex(SplitPattern.qwen2Regex), false, false),
        "deepseek-r1-qwen": (.regex(SplitPattern.qwen2Regex), false, false),
    ]

    /// The tokenizer.json text, or nil when the file has no tokenizer; throws, naming the key,
    /// for a tokenizer we cannot reproduce exactly.
    static func json(of file: GGUFFile) throws -> Data? {
        let meta = GGUFMetadata(file)
        guard let model = try meta.optionalString("tokenizer.ggml.model") else { return nil }
        let text: String
        switch model {
        case "gpt2":
            text = try byteLevel(file, meta)
        case "llama":
            throw CheckpointError(file: file.display, "unsupported GGUF tokenizer model 'llama' (SentencePiece; only 'gpt2', byte-level BPE, is read)")
        default:
            throw CheckpointError(file: file.display, "unsupported GGUF tokenizer model '\(model)' (only 'gpt2', byte-level BPE, is read)")
        }
        let data = Data(text.utf8)
        do {
            _ = try Tokenizer(json: data)
        } catch {
            throw CheckpointError(file: file.display, "the tokenizer metadata does not make a tokenizer: \(error)")
        }
        return data
    }

    /// The token texts and types, checked to be as long as each other.
    static func vocabulary(_ file: GGUFFile, _ meta: GGUFMetadata) throws -> (tokens: [String], types: [TokenType]) {
        let key = "tokenizer.ggml.tokens"
        guard let value = file.metadata[key] else { throw CheckpointError(file: file.display, "missing metadata key '\(key)'") }
        guard case .array(.string, let items) = value else {
            throw CheckpointError(file: file.display, "metadata key '\(key)' is \(value.typeDescription), expected ARRAY of STRING")
        }
        let tokens = items.map { $0.stringValue! }
        guard let typeValue = file.metadata["tokenizer.ggml.token_type"] else {
            return (tokens, Array(repeating: .normal, count: tokens.count))
        }
        guard let list = typeValue.arrayValue, list.count == tokens.count else {
            throw CheckpointError(file: file.display, "metadata key 'tokenizer.ggml.token_type' must be an array of \(tokens.count) integers, one per token")
        }
        let types = try list.enumerated().map { i, v in
            guard let n = v.intValue, let t = TokenType(rawValue: n) else {
                throw CheckpointError(file: file.display, "tokenizer.ggml.token_type[\(i)] is not a token type (1 to 6)")
            }
            return t
        }
        return (tokens, types)
    }

    // MARK: byte-level BPE

    private static func byteLevel(_ file: GGUFFile, _ meta: GGUFMetadata) throws -> String {
        let preKey = "tokenizer.ggml.pre"
        guard let pre = try meta.optionalString(preKey) else {
            throw CheckpointError(file: file.display, "missing metadata key '\(preKey)': the pre-tokenizer is unknown")
        }
        guard let rule = byteLevelPres[pre] else {
            throw CheckpointError(file: file.display, "unsupported GGUF pre-tokenizer '\(pre)' (\(preKey); known: \(byteLevelPres.keys.sorted().joined(separator: ", ")))")
        }
        let (tokens, types) = try vocabulary(file, meta)
        let mergesKey = "tokenizer.ggml.merges"
        guard let mergesValue = file.metadata[mergesKey] else { throw CheckpointError(file: file.display, "missing metadata key '\(mergesKey)'") }
        guard case .array(.string, let mergeItems) = mergesValue else {
            throw CheckpointError(file: file.display, "metadata key '\(mergesKey)' is \(mergesValue.typeDescription), expected ARRAY of STRING")
        }

        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        // Control tokens are HF's special added tokens and user-defined ones its plain added
        // tokens; llama.cpp matches both whole in the text, as HF does with normalized false.
        var first = true
        for (id, type) in types.enumerated() where type == .control || type == .userDefined {
            guard !tokens[id].isEmpty else { continue }
            out += first ? "\n    " : ",\n    "
            first = false
            out += "{\"id\": \(id), \"content\": \(quoted(tokens[id])), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": \(type == .control)}"
        }
        out += first ? "],\n" : "\n  ],\n"
        out += "  \"normalizer\": null,\n  \"pre_tokenizer\": "
        switch rule.split {
        case .gpt2:
            out += #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
        case .digitsThenGPT2:
            out += #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, "#
                + #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}"#
        case .regex(let regex):
            out += #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "#
                + quoted(regex) + #"}, "behavior": "Isolated", "invert": false}, "#
                + #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}"#
        }
        out += ",\n  \"post_processor\": " + (try postProcessor(file, meta, tokens: tokens, addBOSByDefault: rule.addBOS)
            ?? #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}"#)
        out += ",\n  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
            + "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
            + "    \"byte_fallback\": false,\n    \"ignore_merges\": \(rule.ignoreMerges),\n    \"vocab\": {"

        // The model's vocabulary is spelled in GPT-2's byte alphabet. Padding entries the
        // converter invented for ids the HF vocabulary lacked stay out, as they were.
        var spelled: [String: Int] = [:]
        var firstEntry = true
        for (id, token) in tokens.enumerated() where types[id] != .unused && !token.isEmpty {
            let spelling: String
            switch types[id] {
            case .control, .userDefined:
                // Kept whole by the added-token list; spelled into the alphabet (transformers does
                // the same) so that the vocabulary holds every id.
                spelling = isByteLevelSpelled(token) ? token : byteLevelSpelling(token)
            default:
                guard isByteLevelSpelled(token) else {
                    throw CheckpointError(file: file.display, "tokenizer.ggml.tokens[\(id)] \(quoted(token)) is not spelled in the byte-level alphabet")
                }
                spelling = token
            }
            if let earlier = spelled[spelling] {
                if types[id] == .control || types[id] == .userDefined { continue }
                throw CheckpointError(file: file.display, "tokenizer.ggml.tokens[\(id)] repeats token \(earlier) (\(quoted(token)))")
            }
            spelled[spelling] = id
            out += (firstEntry ? "\n      " : ",\n      ") + quoted(spelling) + ": \(id)"
            firstEntry = false
        }
        out += "\n    },\n    \"merges\": ["
        for (rank, item) in mergeItems.enumerated() {
            let merge = item.stringValue!
            // Byte-level tokens never hold a space (it is Ġ), so the one space separates the pair.
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CheckpointError(file: file.display, "tokenizer.ggml.merges[\(rank)] \(quoted(merge)) is not two tokens separated by a space")
            }
            out += (rank == 0 ? "\n      " : ",\n      ") + quoted(merge)
        }
        out += mergeItems.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }

    /// A TemplateProcessing that puts BOS before the text when the file (or llama.cpp's default
    /// for its pre-tokenizer) adds one; nil when none is added. EOS is never added here: the
    /// toolkit ends completions with EOS itself.
    private static func postProcessor(_ file: GGUFFile, _ meta: GGUFMetadata, tokens: [String], addBOSByDefault: Bool) throws -> String? {
        guard try meta.optionalBool("tokenizer.ggml.add_bos_token") ?? addBOSByDefault else { return nil }
        guard let bos = try meta.optionalInt("tokenizer.ggml.bos_token_id") else {
            throw CheckpointError(file: file.display, "tokenizer.ggml.add_bos_token is true but there is no tokenizer.ggml.bos_token_id")
        }
        guard bos >= 0, bos < tokens.count else {
            throw CheckpointError(file: file.display, "tokenizer.ggml.bos_token_id \(bos) is outside the vocabulary of \(tokens.count) tokens")
        }
        let name = quoted(tokens[bos])
        return #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "# + name + #", "type_id": 0}}, "#
            + #"{"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "# + name + #", "type_id": 0}}, "#
            + #"{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "# + name + #", "type_id": 1}}, "#
            + #"{"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"# + name + #": {"id": "# + name
            + #", "ids": [\#(bos)], "tokens": ["# + name + "]}}}"
    }

    /// Whether every character of `token` stands for a byte in GPT-2's alphabet.
    static func isByteLevelSpelled(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { ByteLevelAlphabet.byte(for: $0) != nil }
    }

    /// The text's UTF-8 bytes, each written as its GPT-2 character.
    static func byteLevelSpelling(_ text: String) -> String {
        String(decoding: text.utf8.flatMap { ByteLevelAlphabet.utf8ForByte[Int($0)] }, as: UTF8.self)
    }

    private static func quoted(_ s: String) -> String {
        var out = ""
        appendJSONString(s, to: &out)
        return out
    }
}
