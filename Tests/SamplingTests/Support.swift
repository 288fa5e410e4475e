import Foundation
import IRPOCore

/// A tiny byte-level model: ids 0–255 are bytes, 256 is <|endoftext|> (EOS), 257–259 unused.
enum TinyModel {
    static let eos: Int32 = 256

    static func config(maxPositions: Int = 128) -> LlamaConfig {
        try! LlamaConfig(vocabSize: 260, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 2,
                         numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: maxPositions,
                         eosTokenIds: [Int(eos)])
    }

    static func weights(seed: UInt64 = 7, std: Double = 0.1, maxPositions: Int = 128) -> ModelWeights {
        ModelWeights.random(config: config(maxPositions: maxPositions), seed: seed, std: std)
    }

    static let tokenizer = Tokenizer.byteLevel(specials: ["<|endoftext|>"])

    /// Runs a generator over prompts and returns each problem's samples.
    static func generate(_ weights: ModelWeights, prompts: [String], options: GenerationOptions) -> [[GeneratedSample]] {
        var out: [[GeneratedSample]] = []
        let g = Generator(weights: weights, tokenizer: tokenizer, options: options) { out.append($0) }
        for (i, p) in prompts.enumerated() {
            try! g.submit(key: stableHash(String(i)), promptTokens: tokenizer.tokenizePrompt(p))
        }
        g.finish()
        return out
    }

    /// log p(v | prefix) for every v, through the training forward (one scored branch per token).
    static func referenceLogprobs(_ model: Transformer, prefix: [Int32]) -> [Float] {
        var batch = PackedBatch()
        batch.appendTree(prefix: prefix, branches: (0..<Int32(model.config.vocabSize)).map { [$0] })
        return model.forward(batch)
    }

    /// Σ log p of tokenize(prompt, completion) + EOS's completion tokens, as dpo-train scores a pair.
    static func referenceScore(_ model: Transformer, prompt: String, completion: String, withEOS: Bool = true) -> (Int, Double) {
        let pair = tokenizer.tokenizePair(prompt: prompt, completion: completion, eosTokenId: eos)
        var ids = pair.ids
        if !withEOS { ids.removeLast() }
        if ids.count == pair.completionStart { return (0, 0) }
        var batch = PackedBatch()
        batch.appendSequence(ids, scoreFrom: pair.completionStart)
        let lp = model.forward(batch)
        return (lp.count, lp.reduce(0) { $0 + Double($1) })
    }
}
