import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// The hand-written scanners against pieces worked out by hand from the regexes.
@Suite struct SplitPatternTests {
    let gpt2 = try! Tokenizer(json: Data(Support.byteLevelJSON().utf8))
    let llama3 = try! Tokenizer(json: Data(Support.byteLevelJSON(preTokenizer: Support.splitThenByteLevel(Support.llama3Split)).utf8))
    let qwen2 = try! Tokenizer(json: Data(Support.byteLevelJSON(preTokenizer: Support.splitThenByteLevel(Support.qwen2Split)).utf8))

    @Test(arguments: [
        ("Hello world", ["Hello", " world"]),
        ("I'm here", ["I", "'m", " here"]),
        ("don't", ["don", "'t"]),
        ("we'll've", ["we", "'ll", "'ve"]),
        ("I'M", ["I", "'", "M"]),
        ("a   b", ["a", "  ", " b"]),
        ("a \n b", ["a", " \n", " b"]),
        ("x  ", ["x", "  "]),
        ("12345 abc", ["12345", " abc"]),
        ("$5.00!!", ["$", "5", ".", "00", "!!"]),
        (" !?x", [" !?", "x"]),
        ("e\u{301}t\u{E9}", ["e", "\u{301}", "t\u{E9}"]),
        ("日本語 テキスト", ["日本語", " テキスト"]),
        ("😀😀 hi", ["😀😀", " hi"]),
        ("\r\n\r\n", ["\r\n\r\n"]),
        ("a\t\tb", ["a", "\t", "\t", "b"]),
        ("a\u{A0}b", ["a", "\u{A0}", "b"]),
        ("x '' y", ["x", " ''", " y"]),
    ])
    func gpt2Pieces(text: String, pieces: [String]) {
        #expect(gpt2.preTokenizedPieces(text) == pieces)
    }

    @Test(arguments: [
        ("Hello world", ["Hello", " world"]),
        ("12345", ["123", "45"]),
        ("I'M here", ["I", "'M", " here"]),
        ("it'S", ["it", "'S"]),
        ("(hello)", ["(hello", ")"]),
        ("a\n\nb", ["a", "\n\n", "b"]),
        ("a \n  b", ["a", " \n", " ", " b"]),
        ("x.\n\ny", ["x", ".\n\n", "y"]),
        (" 42", [" ", "42"]),
        ("\tword", ["\tword"]),
        ("\nword", ["\n", "word"]),
        ("a  ", ["a", "  "]),
        ("٣٤٥٦", ["٣٤٥", "٦"]),
        ("x!!\r\n", ["x", "!!\r\n"]),
    ])
    func llama3Pieces(text: String, pieces: [String]) {
        #expect(llama3.preTokenizedPieces(text) == pieces)
    }

    @Test func qwen2SplitsEveryDigit() {
        #expect(qwen2.preTokenizedPieces("x 12345") == ["x", " ", "1", "2", "3", "4", "5"])
    }

    @Test func specialsAreCutBeforeSplitting() throws {
        let t = try Tokenizer(json: Data(Support.byteLevelJSON(added: [("<|endoftext|>", true)]).utf8))
        #expect(t.preTokenizedPieces("Hi<|endoftext|> there") == ["Hi", "<|endoftext|>", " there"])
    }
}

/// Other pre-tokenizers and normalizers real files carry, and added-token options.
@Suite struct PipelinePieceTests {
    @Test func smolLMDigitsThenByteLevel() throws {
        let pre = """
        {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}
        """
        let t = try Tokenizer(json: Data(Support.byteLevelJSON(preTokenizer: pre).utf8))
        #expect(t.preTokenizedPieces("abc 123x") == ["abc", " ", "1", "2", "3", "x"])
    }

    @Test func byteLevelPrefixSpace() throws {
        let pre = #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#
        let t = try Tokenizer(json: Data(Support.byteLevelJSON(preTokenizer: pre).utf8))
        #expect(t.preTokenizedPieces("hi there") == [" hi", " there"])
        #expect(t.preTokenizedPieces(" hi") == [" hi"])
        #expect(t.encode("hi") == [32, 104, 105])
    }

    @Test func nfcNormalizerComposes() throws {
        var json = Support.byteLevelJSON(preTokenizer: Support.splitThenByteLevel(Support.qwen2Split))
        json = json.replacingOccurrences(of: #""normalizer": null"#, with: #""normalizer": {"type": "NFC"}"#)
        let t = try Tokenizer(json: Data(json.utf8))
        #expect(t.preTokenizedPieces("cafe\u{301}!").map { Array($0.utf8) } == [Array("caf\u{E9}".utf8), Array("!".utf8)])
        #expect(t.encode("e\u{301}") == [0xC3, 0xA9])
    }

    @Test func addedTokenStripAndSingleWord() throws {
        func added(_ flags: String) throws -> Tokenizer {
            var json = Support.byteLevelJSON(added: [("<m>", true)])
            json = json.replacingOccurrences(of: #""single_word": false, "lstrip": false, "rstrip": false"#, with: flags)
            return try Tokenizer(json: Data(json.utf8))
        }
        let lstrip = try added(#""single_word": false, "lstrip": true, "rstrip": false"#)
        #expect(lstrip.encode("a  <m> b") == [97, 256, 32, 98])
        let rstrip = try added(#""single_word": false, "lstrip": false, "rstrip": true"#)
        #expect(rstrip.encode("a <m>  b") == [97, 32, 256, 98])
        let single = try added(#""single_word": true, "lstrip": false, "rstrip": false"#)
        #expect(single.encode("x<m> <m>") == [120, 60, 109, 62, 32, 256])
    }
}
