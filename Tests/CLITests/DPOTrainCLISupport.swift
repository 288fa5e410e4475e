import Foundation

/// Files for running dpo-train on a tiny model from scratch: a config.json, a byte-level
/// tokenizer.json (bytes 0...255 plus "<eos>" = 256, no merges) and toy data.
enum DPOTrainFixture {
    static let config = """
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":257,"hidden_size":32,\
        "intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,\
        "max_position_embeddings":128,"rms_norm_eps":1e-05,"rope_theta":10000.0,\
        "tie_word_embeddings":false,"eos_token_id":256}
        """

    /// GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the rest
    /// are shifted to U+0100 onwards in byte order.
    static func byteCharacters() -> [String] {
        var printable = Set(33...126)
        printable.formUnion(161...172)
        printable.formUnion(174...255)
        var shifted = 0
        return (0..<256).map { b in
            if printable.contains(b) { return String(UnicodeScalar(UInt8(b))) }
            defer { shifted += 1 }
            return String(UnicodeScalar(UInt32(256 + shifted))!)
        }
    }

    static func jsonString(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [s]), encoding: .utf8)!.dropFirst().dropLast().description
    }

    static var tokenizer: String {
        let vocab = byteCharacters().enumerated().map { "\(jsonString($0.element)): \($0.offset)" } + ["\"<eos>\": 256"]
        return """
        {"version": "1.0", "truncation": null, "padding": null,
         "added_tokens": [{"id": 256, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false,
                           "normalized": false, "special": true}],
         "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
         "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
         "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
         "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                   "vocab": {\(vocab.joined(separator: ", "))}, "merges": []}}
        """
    }

    /// Addition problems: the winner states the right sum, the loser a wrong one.
    static func records(count: Int, pairs: Bool) -> String {
        (0..<count).map { i in
            let a = i % 7, b = (i * 3) % 5
            let prompt = "Q: \(a)+\(b)=?\\nA:"
            if pairs {
                return #"{"id":\#(i),"prompt":"\#(prompt)","chosen":" \#(a + b)","rejected":" \#(a + b + 1)"}"#
            }
            return #"{"id":\#(i),"prompt":"\#(prompt)","completion":" \#(a + b)"}"#
        }.joined(separator: "\n") + "\n"
    }

    static var files: [String: String] {
        ["config.json": config, "tokenizer.json": tokenizer,
         "pairs.jsonl": records(count: 12, pairs: true), "sft.jsonl": records(count: 12, pairs: false)]
    }

    /// Makes m0 from scratch with --loss sft; scripts append their own commands.
    static let makeM0 = #""$BIN/dpo-train" --init config.json --tokenizer tokenizer.json --loss sft --lr 1e-3 --batch-size 4 --out m0 sft.jsonl"#
}
