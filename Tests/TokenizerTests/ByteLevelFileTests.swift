import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// The from-scratch byte-level tokenizer and the file it writes.
@Suite struct ByteLevelFileTests {
    @Test func idsAreBytesThenSpecials() {
        let t = Tokenizer.byteLevel(specials: ["<|endoftext|>", "<|im_start|>"])
        #expect(t.vocabSize == 258)
        #expect(t.encode("A é") == [65, 32, 0xC3, 0xA9])
        #expect(t.id(of: "<|endoftext|>") == 256)
        #expect(t.id(of: "<|im_start|>") == 257)
        #expect(t.bosTokenIdFromPostProcessor == nil)
        #expect(Tokenizer.byteLevel(specials: []).vocabSize == 256)
    }

    @Test func writesAFileThatLoadsBackIdentically() throws {
        let t = Tokenizer.byteLevel()
        let data = t.jsonData()
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let model = object["model"] as! [String: Any]
        #expect(model["type"] as? String == "BPE")
        #expect((model["vocab"] as! [String: Int]).count == 257)
        #expect((model["vocab"] as! [String: Int])["Ġ"] == 32)
        #expect((object["added_tokens"] as! [[String: Any]])[0]["special"] as? Bool == true)
        let back = try Tokenizer(json: data)
        #expect(back.jsonData() == data)
        #expect(back.encode("x<|endoftext|>\n") == t.encode("x<|endoftext|>\n"))
    }

    @Test func loadedFilesKeepTheirOriginalBytes() throws {
        let text = "  " + String(decoding: Tokenizer.byteLevel().jsonData(), as: UTF8.self) + "\n\n"
        #expect(try Tokenizer(json: Data(text.utf8)).jsonData() == Data(text.utf8))
    }

    @Test func trainedTokenizerIsDeterministic() {
        let texts = ["the cat sat on the mat", "the hat", "that cat"]
        let a = Tokenizer.trainByteLevel(texts: texts, merges: 10)
        let b = Tokenizer.trainByteLevel(texts: texts, merges: 10)
        #expect(a.jsonData() == b.jsonData())
        #expect(a.vocabSize == 257 + 10)
        // "at" is the most frequent pair (cat, sat, mat, hat, that, cat): merged first, id 257.
        #expect(a.id(of: "at") == 257)
    }
}
