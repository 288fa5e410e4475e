import Foundation
import IRPOCore

/// Test-side helpers: an independent copy of GPT-2's byte table and small tokenizer.json builders.
enum Support {
    /// GPT-2's byte -> character table, written out again from its definition as a test oracle.
    static let byteChar: [String] = {
        var table = [String](repeating: "", count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            let v = printable ? UInt32(b) : 256 + n
            if !printable { n += 1 }
            table[b] = String(Character(Unicode.Scalar(v)!))
        }
        return table
    }()

    /// A token's byte-level spelling: each UTF-8 byte replaced by its character ("Ġ" for space).
    static func spell(_ text: String) -> String { text.utf8.map { byteChar[Int($0)] }.joined() }

    static func quote(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let arr = String(decoding: data, as: UTF8.self)
        return String(arr.dropFirst().dropLast())
    }

    /// A byte-level tokenizer.json: ids 0...255 are bytes, then `extra` tokens (byte-level
    /// spelling given), then `added`; `merges` in "a b" form unless `pairForm`.
    static func byteLevelJSON(extra: [String] = [], merges: [(String, String)] = [], pairForm: Bool = false,
                              added: [(String, Bool)] = [], preTokenizer: String? = nil,
                              postProcessor: String = "null", ignoreMerges: Bool = false) -> String {
        var vocab: [String] = (0..<256).map { "\(quote(byteChar[$0])): \($0)" }
        for (i, t) in extra.enumerated() { vocab.append("\(quote(t)): \(256 + i)") }
        var addedJSON: [String] = []
        for (i, (content, special)) in added.enumerated() {
            let id = 256 + extra.count + i
            vocab.append("\(quote(content)): \(id)")
            addedJSON.append("""
            {"id": \(id), "content": \(quote(content)), "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": \(special)}
            """)
        }
        let mergeJSON = merges.map { pairForm ? "[\(quote($0.0)), \(quote($0.1))]" : quote("\($0.0) \($0.1)") }
        let pre = preTokenizer ?? #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
        return """
        {"version": "1.0", "truncation": null, "padding": null,
         "added_tokens": [\(addedJSON.joined(separator: ", "))],
         "normalizer": null,
         "pre_tokenizer": \(pre),
         "post_processor": \(postProcessor),
         "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
         "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": \(ignoreMerges),
                   "vocab": {\(vocab.joined(separator: ", "))},
                   "merges": [\(mergeJSON.joined(separator: ", "))]}}
        """
    }

    static let llama3Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Llama 3's pre-tokenizer: Split on its regex, then ByteLevel without its own regex.
    static func splitThenByteLevel(_ regex: String) -> String {
        """
        {"type": "Sequence", "pretokenizers": [
          {"type": "Split", "pattern": {"Regex": \(quote(regex))}, "behavior": "Isolated", "invert": false},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
        """
    }

    /// <package root>/data/gsm8k, found from this file's path.
    static var gsm8kDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/gsm8k")
    }

    /// Every "question" and "answer" string of a GSM8K JSONL file.
    static func gsm8kTexts(_ name: String) throws -> [String] {
        let data = try Data(contentsOf: gsm8kDirectory.appendingPathComponent(name))
        var texts: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let obj = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            texts.append(obj["question"] as! String)
            texts.append(obj["answer"] as! String)
        }
        return texts
    }

    /// Hand-made texts that stress the splitters, byte handling and added-token matching.
    static let edgeCases: [String] = [
        "", " ", "  ", "\t", "\n", "\r\n", "a", "😀", "👩‍👩‍👧‍👦 family", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈",
        "日本語のテキスト、中文文本。", "한국어 텍스트", "e\u{301}te\u{301} (decomposed) vs été",
        "Zalgo: Z\u{36B}\u{343}a\u{36A}\u{302}l\u{334}g\u{350}o", "line one\r\nline two\r\n", "tab\tseparated\t\tvalues",
        "runs   of    spaces", "   leading spaces", "trailing spaces   ", " \n \n  mixed \t\n",
        "1234567890123456789012345678901234567890", "3.14159 + 2,718 = 5.85959", "$1,000,000.00!!!",
        "don't I'll we've they're she'd it's I'M DON'T", "'s 's'' '' '",
        "<|endoftext|>", "before<|endoftext|>after", "<|endoftext|><|endoftext|>", "<|endoftext", "a <|endoftext|> b",
        "\u{0}\u{1}\u{7F}\u{80}\u{A0}\u{AD}\u{FEFF}\u{200B}\u{2028}\u{3000}", "ÿþýüûú", "Ελληνικά και Кириллица",
        "مرحبا بالعالم", "עִבְרִית", "emoji 🎉🎉 + flags 🇫🇷🇯🇵 + skin 👍🏽", "math ∑∫√∞ ≤ ≥ ≠",
        "Final answer: 42\n#### 42", "x\u{1F600}y\u{10FFFF}z",
    ]
}
