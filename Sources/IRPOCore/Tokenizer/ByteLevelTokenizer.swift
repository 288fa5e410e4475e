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
        var seen = Set<[UInt8]>(ByteLevelAlphabet.utf8ForByte)
        var kept: [String] = []
        for s in specials where !s.isEmpty && seen.insert(Array(s.utf8)).inserted { kept.append(s) }

        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (i, s) in kept.enumerated() {
            out += i == 0 ? "\n    " : ",\n    "
            out += "{\"id\": \(256 + i), \"content\": "
            appendJSONString(s, to: &out)
            out += ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        out += kept.isEmpty ? "],\n" : "\n  ],\n"
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
        var entries: [String] = []
        for b in 0..<256 {
            var e = "      "
            appendJSONString(String(ByteLevelAlphabet.scalarForByte[b]), to: &e)
            entries.append(e + ": \(b)")
        }
        for (i, s) in kept.enumerated() {
            var e = "      "
            appendJSONString(s, to: &e)
            entries.append(e + ": \(256 + i)")
        }
        out += entries.joined(separator: ",\n")
        out += "\n    },\n    \"merges\": []\n  }\n}\n"
        return out
    }
}
