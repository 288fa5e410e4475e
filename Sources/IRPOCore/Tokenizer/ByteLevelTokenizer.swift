import Foundation

extension Tokenizer {
    /// A tokenizer for models trained from scratch: ids 0...255 are the bytes, then `specials` in
    /// order. It is written as a real tokenizer.json (GPT-2 byte alphabet, ByteLevel
    /// pre-tokenizer and decoder, no merges), so HF tokenizers and transformers load it unchanged.
    public static func byteLevel(specials: [String] = ["<|endoftext|>"]) -> Tokenizer {
        let json = byteLevelJSON(specials: specials)
        do {
            return try Tokenizer(json: Data(json.utf8))
        } catch {
            // The text is generated right above; failing to read it back is a bug in this file.
            preconditionFailure("byte-level tokenizer.json does not load: \(error)")
        }
    }

    /// The tokenizer.json text for `byteLevel(specials:)`.
    static func byteLevelJSON(specials: [String]) -> String {
        let kept = distinctSpecials(specials)
        return byteLevelBPEJSON(vocab: ByteLevelAlphabet.utf8ForByte + kept.map { Array($0.utf8) },
                                specialCount: kept.count, merges: [])
    }

    /// `specials` without empty ones, repeats, or ones equal to a byte symbol, in order.
    package static func distinctSpecials(_ specials: [String]) -> [String] {
        var seen = Set<[UInt8]>(ByteLevelAlphabet.utf8ForByte)
        return specials.filter { !$0.isEmpty && seen.insert(Array($0.utf8)).inserted }
    }

    /// The tokenizer.json text of a byte-level BPE whose token texts are `vocab` in id order: the
    /// 256 byte symbols, then `specialCount` special tokens (also listed as added tokens), then
    /// merged tokens; `merges` name the merged pairs by id, in rank order.
    package static func byteLevelBPEJSON(vocab: [[UInt8]], specialCount: Int, merges: [(Int32, Int32)]) -> String {
        func quoted(_ bytes: [UInt8]) -> String {
            var out = ""
            appendJSONString(String(decoding: bytes, as: UTF8.self), to: &out)
            return out
        }
        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for i in 0..<specialCount {
            out += i == 0 ? "\n    " : ",\n    "
            out += "{\"id\": \(256 + i), \"content\": \(quoted(vocab[256 + i])), \"single_word\": false, "
                + "\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        out += specialCount == 0 ? "],\n" : "\n  ],\n"
        out += """
          "normalizer": null,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
          "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": false,
            "vocab": {
        """
        out += "\n"
        out += vocab.enumerated().map { id, text in "      \(quoted(text)): \(id)" }.joined(separator: ",\n")
        out += "\n    },\n    \"merges\": ["
        out += merges.map { "\n      [\(quoted(vocab[Int($0.0)])), \(quoted(vocab[Int($0.1)]))]" }.joined(separator: ",")
        out += merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }
}
