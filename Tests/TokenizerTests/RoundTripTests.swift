import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// encode -> decode must give back the exact bytes, over all of GSM8K and hand-made edge cases.
@Suite struct RoundTripTests {
    static let trained: Tokenizer = {
        let texts = (try? Support.gsm8kTexts("test.jsonl")) ?? []
        return Tokenizer.trainByteLevel(texts: Array(texts.prefix(400)), merges: 300)
    }()

    static let llama3Style: Tokenizer = {
        // The trained vocabulary and merges under Llama 3's Split + ByteLevel(use_regex: false).
        var json = String(decoding: trained.jsonData(), as: UTF8.self)
        json = json.replacingOccurrences(
            of: #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#,
            with: "\"pre_tokenizer\": " + Support.splitThenByteLevel(Support.llama3Split))
        return try! Tokenizer(json: Data(json.utf8))
    }()

    static var tokenizers: [(String, Tokenizer)] {
        [("byte-level", Tokenizer.byteLevel()), ("trained BPE", trained), ("llama3-style", llama3Style)]
    }

    func check(_ t: Tokenizer, _ texts: [String], _ name: String) {
        var failures = 0
        for text in texts {
            let back = t.decode(t.encode(text))
            if Array(back.utf8) != Array(text.utf8) {
                failures += 1
                if failures <= 3 { Issue.record("\(name): \(text.debugDescription) -> \(back.debugDescription)") }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(texts.count) texts did not round-trip")
    }

    @Test func edgeCases() {
        for (name, t) in Self.tokenizers { check(t, Support.edgeCases, name) }
    }

    @Test(arguments: ["train.jsonl", "test.jsonl"])
    func gsm8k(file: String) throws {
        let texts = try Support.gsm8kTexts(file)
        #expect(texts.count > 2000)
        for (name, t) in Self.tokenizers { check(t, texts, name) }
        let sp = try SentencePieceBPETests.make(SentencePieceBPETests.json())
        check(sp, texts, "sentencepiece-style")
    }

    @Test func trainedMergesShortenText() throws {
        let text = try Support.gsm8kTexts("test.jsonl")[0]
        #expect(Self.trained.encode(text).count * 2 < text.utf8.count)
        #expect(Self.llama3Style.encode(text).count * 2 < text.utf8.count)
    }

    @Test func specialsInsideTextDecodeToTheirContent() {
        let t = Tokenizer.byteLevel(specials: ["<|endoftext|>", "<|pad|>"])
        #expect(t.encode("a<|pad|>b<|endoftext|>") == [97, 257, 98, 256])
        #expect(t.decode([97, 257, 98, 256]) == "a<|pad|>b<|endoftext|>")
    }
}
