import Foundation
import IRPOCore

/// A tiny random byte-level model saved once per test run, for the `sample` CLI tests.
enum SampleFixture {
    static let modelDir: String = {
        let dir = NSTemporaryDirectory() + "irpo-sample-model-" + UUID().uuidString
        let config = try! LlamaConfig(vocabSize: 260, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 2,
                                      numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128,
                                      eosTokenIds: [256])
        let weights = ModelWeights.random(config: config, seed: 5, std: 0.1)
        let tokenizer = Tokenizer.byteLevel(specials: ["<|endoftext|>"])
        try! CheckpointIO.save(Checkpoint(weights: weights, tokenizerJSON: tokenizer.jsonData()), to: dir)
        return dir
    }()

    /// `count` GSM8K-like problems, one JSON object a line.
    static func problems(_ count: Int) -> String {
        (1...count).map { "{\"id\":\"q\($0)\",\"question\":\"What is \($0) plus \($0 * 3)?\",\"answer\":\"#### \($0 * 4)\"}" }
            .joined(separator: "\n") + "\n"
    }
}
