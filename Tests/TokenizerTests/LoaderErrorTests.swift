import Foundation
import Testing
import IRPOCore

/// Files the loader does not support fail with an error that names the field.
@Suite struct LoaderErrorTests {
    func error(_ json: String) -> String {
        do {
            _ = try Tokenizer(json: Data(json.utf8))
            return "(loaded)"
        } catch {
            return "\(error)"
        }
    }

    let base = Support.byteLevelJSON()

    @Test func otherModelTypes() {
        let wordPiece = base.replacingOccurrences(of: #""type": "BPE""#, with: #""type": "WordPiece""#)
        #expect(error(wordPiece).contains("model.type"))
        #expect(error(wordPiece).contains("WordPiece"))
    }

    @Test func unknownPreTokenizer() {
        let json = Support.byteLevelJSON(preTokenizer: #"{"type": "Whitespace"}"#)
        #expect(error(json).contains("pre_tokenizer.type"))
        #expect(error(json).contains("Whitespace"))
    }

    @Test func unrecognisedRegexIsNamed() {
        let json = Support.byteLevelJSON(preTokenizer: Support.splitThenByteLevel(#"\w+|[^\w\s]+"#))
        let e = error(json)
        #expect(e.contains("pre_tokenizer.pretokenizers[0].pattern.Regex"))
        #expect(e.contains(#"\w+|[^\w\s]+"#))
    }

    @Test func unknownDecoderAndNormalizer() {
        let decoder = base.replacingOccurrences(of: #""decoder": {"type": "ByteLevel""#, with: #""decoder": {"type": "WordPiece""#)
        #expect(error(decoder).contains("decoder.type"))
        let normalizer = base.replacingOccurrences(of: #""normalizer": null"#, with: #""normalizer": {"type": "BertNormalizer"}"#)
        #expect(error(normalizer).contains("normalizer.type"))
    }

    @Test func mergeOutsideTheVocabulary() {
        let json = Support.byteLevelJSON(merges: [("a", "b")])
        #expect(error(json).contains("model.merges[0]"))
    }

    @Test func malformedJSON() {
        #expect(error("{\"model\": ").contains("malformed"))
    }

    @Test func subwordPrefixesOfOtherModels() {
        let json = base.replacingOccurrences(of: #""continuing_subword_prefix": null"#, with: "\"continuing_subword_prefix\": \"##\"")
        #expect(error(json).contains("model.continuing_subword_prefix"))
    }
}
