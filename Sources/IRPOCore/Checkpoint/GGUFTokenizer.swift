// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, written out as the
// tokenizer.json an HF checkpoint of the same model carries, so that one Tokenizer reads both
// and a model trained from a GGUF file is saved with an ordinary tokenizer.json.
//
// llama.cpp's converter stores the vocabulary in id order with a type per token (1 normal,
// 2 unknown, 3 control, 4 user-defined, 5 unused padding, 6 byte), the BPE merges as "a b"
// strings in rank order, and names the pre-tokenizer (`tokenizer.ggml.pre`) rather than storing
// it; the names we know map to the pre-tokenizer of the HF tokenizer.json they were made from.
// A SentencePiece vocabulary (model "llama") comes with a score per token instead of merges.
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
            text = try sentencePiece(file, meta)
        default:
            throw CheckpointError(file: file.display, "unsupported GGUF tokenizer model '\(model)' (only 'gpt2', byte-level BPE, and 'llama', SentencePiece BPE)")
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

        out += try byteLevelVocabulary(file, tokens: tokens, types: types)
        out += "\n    },\n    \"merges\": ["
        out += try byteLevelMerges(file, mergeItems)
        out += mergeItems.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }

    /// The "vocab" entries of tokenizer.json, spelled in GPT-2's byte alphabet. Padding entries
    /// the converter invented for ids the HF vocabulary lacked stay out, as they were.
    private static func byteLevelVocabulary(_ file: GGUFFile, tokens: [String], types: [TokenType]) throws -> String {
        var out = ""
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
        return out
    }

    /// The "merges" entries of tokenizer.json, each checked to be two tokens.
    private static func byteLevelMerges(_ file: GGUFFile, _ mergeItems: [GGUFValue]) throws -> String {
        var out = ""
        for (rank, item) in mergeItems.enumerated() {
            let merge = item.stringValue!
            // Byte-level tokens never hold a space (it is Ġ), so the one space separates the pair.
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CheckpointError(file: file.display, "tokenizer.ggml.merges[\(rank)] \(quoted(merge)) is not two tokens separated by a space")
            }
            out += (rank == 0 ? "\n      " : ",\n      ") + quoted(merge)
        }
        return out
    }

    // MARK: SentencePiece BPE

    /// Llama 2's tokenizer.json shape: ▁ for spaces (and before each piece of text, as llama.cpp
    /// does at the start and after every special token), <0xNN> byte fallback, merges ranked by
    /// the score of the token they make.
    private static func sentencePiece(_ file: GGUFFile, _ meta: GGUFMetadata) throws -> String {
        let (tokens, types) = try vocabulary(file, meta)
        var index: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            if let earlier = index[token] {
                throw CheckpointError(file: file.display, "tokenizer.ggml.tokens[\(id)] repeats token \(earlier) (\(quoted(token)))")
            }
            index[token] = id
        }
        let merges: [(String, String)]
        if file.metadata["tokenizer.ggml.merges"] != nil {
            merges = try fileMerges(file)
        } else {
            merges = derivedMerges(tokens, scores: try scores(file, count: tokens.count), index: index)
        }
        let prefix = try meta.optionalBool("tokenizer.ggml.add_space_prefix") ?? true
        var unk = "null"
        if let id = try meta.optionalInt("tokenizer.ggml.unknown_token_id") {
            guard id >= 0, id < tokens.count else {
                throw CheckpointError(file: file.display, "tokenizer.ggml.unknown_token_id \(id) is outside the vocabulary of \(tokens.count) tokens")
            }
            unk = quoted(tokens[id])
        }

        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        // <unk>, <s> and </s> are HF's special added tokens; user-defined pieces are matched whole.
        var first = true
        for (id, type) in types.enumerated() where [.unknown, .control, .userDefined].contains(type) && !tokens[id].isEmpty {
            out += first ? "\n    " : ",\n    "
            first = false
            out += "{\"id\": \(id), \"content\": \(quoted(tokens[id])), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": \(type != .userDefined)}"
        }
        out += first ? "],\n" : "\n  ],\n"
        let replace = #"{"type": "Replace", "pattern": {"String": " "}, "content": "\#u{2581}"}"#
        out += "  \"normalizer\": " + (prefix
            ? #"{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\#u{2581}"}, "# + replace + "]}"
            : replace)
        out += ",\n  \"pre_tokenizer\": null"
        out += ",\n  \"post_processor\": " + (try postProcessor(file, meta, tokens: tokens, addBOSByDefault: true) ?? "null")
        out += ",\n  \"decoder\": {\"type\": \"Sequence\", \"decoders\": ["
            + #"{"type": "Replace", "pattern": {"String": "\#u{2581}"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}"#
            + (prefix ? #", {"type": "Strip", "content": " ", "start": 1, "stop": 0}"# : "") + "]},\n"
        let byteFallback = types.contains(.byte)
        out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": \(unk),\n"
            + "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": true,\n"
            + "    \"byte_fallback\": \(byteFallback),\n    \"ignore_merges\": false,\n    \"vocab\": {"
        var firstEntry = true
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            out += (firstEntry ? "\n      " : ",\n      ") + quoted(token) + ": \(id)"
            firstEntry = false
        }
        out += "\n    },\n    \"merges\": ["
        for (rank, (l, r)) in merges.enumerated() {
            out += (rank == 0 ? "\n      [" : ",\n      [") + quoted(l) + ", " + quoted(r) + "]"
        }
        out += merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }

    /// `tokenizer.ggml.scores`, one FLOAT32 per token.
    private static func scores(_ file: GGUFFile, count: Int) throws -> [Float] {
        let key = "tokenizer.ggml.scores"
        guard let value = file.metadata[key] else {
            throw CheckpointError(file: file.display, "missing metadata key '\(key)' (a SentencePiece vocabulary without merges needs them)")
        }
        guard case .array(.float32, let items) = value, items.count == count else {
            throw CheckpointError(file: file.display, "metadata key '\(key)' must be an ARRAY of \(count) FLOAT32, one per token")
        }
        return items.map { Float($0.doubleValue!) }
    }

    /// The merges a file lists, "a b" each.
    private static func fileMerges(_ file: GGUFFile) throws -> [(String, String)] {
        let key = "tokenizer.ggml.merges"
        guard case .array(.string, let items) = file.metadata[key]! else {
            throw CheckpointError(file: file.display, "metadata key '\(key)' is \(file.metadata[key]!.typeDescription), expected ARRAY of STRING")
        }
        return try items.enumerated().map { rank, item in
            let merge = item.stringValue!
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CheckpointError(file: file.display, "tokenizer.ggml.merges[\(rank)] \(quoted(merge)) is not two tokens separated by a space")
            }
            return (String(parts[0]), String(parts[1]))
        }
    }

    /// SentencePiece merges any two adjacent pieces whose concatenation is a token, best score
    /// first. As BPE merges: every split of every token into two tokens, ranked by the whole
    /// token's score, ties going to the longer left then the longer right piece, then to token
    /// and piece order (the order transformers' generate_merges gives, so both read a file alike).
    static func derivedMerges(_ tokens: [String], scores: [Float], index: [String: Int]) -> [(String, String)] {
        var candidates: [(score: Float, left: Int, right: Int, l: Int, r: Int)] = []
        for (id, token) in tokens.enumerated() {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count > 1 else { continue }
            var local: [(l: Int, r: Int, ln: Int, rn: Int)] = []
            for k in 1..<scalars.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<k])
                right.append(contentsOf: scalars[k...])
                if let l = index[String(left)], let r = index[String(right)] { local.append((l, r, k, scalars.count - k)) }
            }
            local.sort { ($0.l, $0.r) < ($1.l, $1.r) }
            candidates += local.map { (scores[id], $0.ln, $0.rn, $0.l, $0.r) }
        }
        let ranked = candidates.enumerated().sorted { a, b in
            if a.element.score != b.element.score { return a.element.score > b.element.score }
            if a.element.left != b.element.left { return a.element.left > b.element.left }
            if a.element.right != b.element.right { return a.element.right > b.element.right }
            return a.offset < b.offset
        }
        return ranked.map { (tokens[$0.element.l], tokens[$0.element.r]) }
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
