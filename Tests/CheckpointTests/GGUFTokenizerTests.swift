import Foundation
import Testing
@testable import IRPOCore

/// The tokenizers GGUF files describe, rebuilt as tokenizer.json and compared with HF's ids.
@Suite struct GGUFTokenizerTests {
    static func tokenizer(_ path: String) throws -> Tokenizer {
        let json = try #require(try GGUFTokenizer.json(of: try GGUFFile(path: path, display: path)))
        return try Tokenizer(json: json)
    }

    /// SentencePiece BPE (model "llama"): merges derived from the scores, ▁ before each piece of
    /// text as llama.cpp puts it (also after special tokens, and before text that starts with a
    /// space), byte fallback for characters the vocabulary lacks.
    @Test func sentencePieceIdsMatchHF() throws {
        let spm = try Self.tokenizer(GGUFFixtures.directory.appendingPathComponent("spm-vocab.gguf").path)
        #expect(spm.bosTokenIdFromPostProcessor == 1)
        #expect(spm.vocabSize == 421 && spm.token(of: 0) == "<unk>" && spm.token(of: 3) == "<0x00>")
        let expected = GGUFFixtures.expected.spm
        #expect(expected.count == 11)
        for entry in expected {
            let ids = spm.encode(entry.text)
            #expect(ids == entry.ids, "\(entry.text.debugDescription)")
            // Special tokens decode as their text, and a ▁ in the text comes back as a space.
            if !entry.text.contains("<") && !entry.text.contains("\u{2581}") { #expect(spm.decode(ids) == entry.text) }
        }
        #expect(spm.encode("tab\there").contains(3 + 9), "a tab falls back to <0x09>")
    }

    /// Derived merges rank whole tokens by score, and a token's splits longer-left first.
    @Test func derivedMergesFollowScores() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"]
        let index = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($0.element, $0.offset) })
        let merges = GGUFTokenizer.derivedMerges(tokens, scores: [0, 0, 0, -1, -2, -3], index: index)
        #expect(merges.map { "\($0.0) \($0.1)" } == ["a b", "b c", "ab c", "a bc"])
    }

    @Test func byteLevelSpellingOfAddedTokens() {
        #expect(GGUFTokenizer.isByteLevelSpelled("Ġthe") && !GGUFTokenizer.isByteLevelSpelled(" the"))
        #expect(GGUFTokenizer.byteLevelSpelling(" é\n") == "ĠÃ©Ċ")
    }
}
