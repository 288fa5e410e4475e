import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// Id-level checks of byte-level BPE against ids worked out by hand from a tiny merge table.
///
/// Vocabulary: ids 0...255 are the bytes (so " " is 32, "h" 104), then the merged tokens below.
/// Ranks are the merge list order.
@Suite struct ByteLevelBPETests {
    static let merges: [(String, String)] = [
        ("Ġ", "t"),      // rank 0 -> 256 "Ġt"
        ("h", "e"),      // rank 1 -> 257 "he"
        ("Ġt", "he"),    // rank 2 -> 258 "Ġthe"
        ("i", "n"),      // rank 3 -> 259 "in"
        ("Ġ", "c"),      // rank 4 -> 260 "Ġc"
        ("a", "t"),      // rank 5 -> 261 "at"
        ("Ġc", "at"),    // rank 6 -> 262 "Ġcat"
        ("'", "s"),      // rank 7 -> 263 "'s"
        ("a", "a"),      // rank 8 -> 264 "aa"
    ]
    static let extra = ["Ġt", "he", "Ġthe", "in", "Ġc", "at", "Ġcat", "'s", "aa", "hat"]  // "hat" = 265, unreachable by merges

    func make(pairForm: Bool = false, ignoreMerges: Bool = false, post: String = "null") throws -> Tokenizer {
        try Tokenizer(json: Data(Support.byteLevelJSON(extra: Self.extra, merges: Self.merges, pairForm: pairForm,
                                                       added: [("<|endoftext|>", true)], postProcessor: post,
                                                       ignoreMerges: ignoreMerges).utf8))
    }

    @Test func mergesByRank() throws {
        let t = try make()
        // "the" -> t,h,e -> (h,e) rank 1 -> [t, he]; no (t, he) merge.
        // " cat" -> Ġ,c,a,t: (Ġ,c) rank 4 beats (a,t) rank 5 -> [Ġc,a,t] -> [Ġc,at] -> (Ġc,at) rank 6.
        // "'s" is its own piece -> rank 7. " hat" -> Ġ,h,a,t -> only (a,t) -> [32, 104, 261].
        #expect(t.encode("the cat's hat") == [116, 257, 262, 263, 32, 104, 261])
        // " the": (Ġ,t) rank 0 first, then (h,e), then (Ġt,he).
        #expect(t.encode(" the") == [258])
        // Equal ranks go leftmost first: "aaa" -> [aa, a].
        #expect(t.encode("aaa") == [264, 97])
        #expect(t.encode("aaaa") == [264, 264])
    }

    @Test func pairFormMergesGiveTheSameIds() throws {
        #expect(try make(pairForm: true).encode("the cat's hat aaa") == make().encode("the cat's hat aaa"))
    }

    @Test func ignoreMergesTakesWholeVocabularyWords() throws {
        #expect(try make().encode("hat") == [104, 261])
        #expect(try make(ignoreMerges: true).encode("hat") == [265])
    }

    @Test func specialTokensAreMatchedAndNeverSplit() throws {
        let t = try make()
        #expect(t.vocabSize == 267)
        #expect(t.id(of: "<|endoftext|>") == 266)
        #expect(t.encode("the<|endoftext|>the") == [116, 257, 266, 116, 257])
        #expect(t.encode("<|endoftext") == [60, 124, 101, 110, 100, 111, 102, 116, 101, 120, 116])
        #expect(t.decode([116, 257, 266, 258]) == "the<|endoftext|> the")
    }

    @Test func byteTableMatchesGPT2() throws {
        let t = try make()
        #expect(t.id(of: "Ġ") == 32)
        #expect(t.id(of: "Ċ") == 10)
        // The 68 moved bytes take U+0100... in byte order: 0...32, then 127 (ġ), 128...160, 173 (Ń).
        #expect(t.id(of: "Ā") == 0)
        #expect(t.id(of: "ġ") == 127)
        #expect(t.id(of: "ł") == 160)
        #expect(t.id(of: "Ń") == 173)
        #expect(t.encode("\n\u{7F}") == [10, 127])
        // "é" is C3 A9: both bytes printable Latin-1, so their characters are Ã and ©.
        #expect(t.id(of: "Ã") == 0xC3)
        #expect(t.encode("é") == [0xC3, 0xA9])
    }

    @Test func bosComesOnlyFromTemplateProcessing() throws {
        #expect(try make().bosTokenIdFromPostProcessor == nil)
        let template = """
        {"type": "Sequence", "processors": [
          {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
          {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
           "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [266], "tokens": ["<|endoftext|>"]}}}]}
        """
        let t = try make(post: template)
        #expect(t.bosTokenIdFromPostProcessor == 266)
        let pair = t.tokenizePair(prompt: "the", completion: " cat", eosTokenId: 266)
        #expect(pair.ids == [266, 116, 257, 262, 266])
        #expect(pair.completionStart == 3)
        #expect(t.tokenizePrompt("the") == [266, 116, 257])
        // A template whose single sequence starts with $A adds no BOS.
        let noBOS = template.replacingOccurrences(of: #"[{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence""#,
                                                  with: #"[{"Sequence""#)
        #expect(try make(post: noBOS).bosTokenIdFromPostProcessor == nil)
    }

    @Test func pairRuleEncodesPiecesSeparately() throws {
        let t = try make()
        // Joined, " c" + "at" would merge into " cat"; encoded apart, they cannot.
        let pair = t.tokenizePair(prompt: "the c", completion: "at", eosTokenId: 266)
        #expect(pair.ids == [116, 257, 260, 261, 266])
        #expect(pair.completionStart == 3)
        #expect(t.encode("the cat") == [116, 257, 262])
    }

    @Test func llama3StyleSplitWithByteLevel() throws {
        let t = try Tokenizer(json: Data(Support.byteLevelJSON(extra: Self.extra, merges: Self.merges,
                                                               preTokenizer: Support.splitThenByteLevel(Support.llama3Split)).utf8))
        // "(the" is one Llama-3 piece: (, t, h, e -> [40, 116, 257]; "12345" -> "123" + "45".
        #expect(t.encode("(the 12345") == [40, 116, 257, 32, 49, 50, 51, 52, 53])
        #expect(t.preTokenizedPieces("(the 12345") == ["(the", " ", "123", "45"])
    }
}
