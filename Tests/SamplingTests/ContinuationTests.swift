import Foundation
import IRPOCore
import IRPOTestSupport
import Testing

/// Continuing a completion prefix (`sample`'s "prefix" field): every completion starts with the
/// prefix, and its tokens and logprob are what dpo-train scores for (prompt, completion), even
/// when a BPE merge crosses the prefix's end.
@Suite(.serialized) struct ContinuationTests {
    /// A byte-level BPE with merges, so that a completion's ids are not always the prefix's ids
    /// followed by the generated ones ("Hello " + "x" encodes as "Hello", " x").
    static let tokenizer = Tokenizer.trainByteLevel(texts: Array(repeating: "Hello world, the quick brown fox.\n\n12 + 30 = 42\n", count: 4)
                                                    + ["The queen quietly quit. Hello there, hello world!\n"], merges: 60)
    static var vocabSize: Int { (256...).first { tokenizer.token(of: Int32($0)) == nil }! }
    static let eos: Int32 = 256

    /// Random weights; `favouring` a token makes it most samples' next token: every embedding
    /// gets a large first coordinate, which the final norm keeps positive, and only that token's
    /// output row reads it.
    static func weights(seed: UInt64 = 3, favouring token: Int32? = nil) -> ModelWeights {
        let h = 64
        let config = try! LlamaConfig(vocabSize: vocabSize, hiddenSize: h, intermediateSize: 128, numHiddenLayers: 2,
                                      numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128,
                                      eosTokenIds: [Int(eos)])
        let w = ModelWeights.random(config: config, seed: seed, std: 0.1)
        if let token {
            let embedding = w.tensor(named: "model.embed_tokens.weight")!, head = w.tensor(named: "lm_head.weight")!
            for t in 0..<vocabSize { embedding[t * h] = 20 }
            for t in 0..<vocabSize { head[t * h] = 0 }
            head[Int(token) * h] = 1
        }
        return w
    }

    /// "w": after the prefix "Hello " it joins the space (" w..." is one GPT-2 piece).
    static var w: Int32 { tokenizer.id(of: "w")! }

    static let problems: [(prompt: String, prefix: String)] = [
        ("Question: greet\nAnswer:", "Hello "), ("Q: 12 + 30?\n", "12 + 30 = "), ("The", " qu"),
        ("Tell me", "\n"), ("Story:", "The quick brown fox.\n\n"), ("No prefix:", ""),
    ]

    /// Each problem's samples, continued from its prefix.
    static func generate(_ weights: ModelWeights, options: GenerationOptions) -> [[GeneratedSample]] {
        var out: [[GeneratedSample]] = []
        let g = Generator(weights: weights, tokenizer: tokenizer, options: options) { out.append($0) }
        for (i, p) in problems.enumerated() {
            try! g.submit(key: stableHash(String(i)), promptTokens: tokenizer.tokenizePrompt(p.prompt),
                          prefix: CompletionPrefix(p.prefix, tokenizer: tokenizer))
        }
        g.finish()
        return out
    }

    /// Σ log p of the completion's ids (+ EOS) after the prompt's, through the training forward,
    /// tokenized as dpo-train tokenizes a pair.
    static func dpoTrainScore(_ model: Transformer, prompt: String, completion: String, withEOS: Bool) -> (Int, Double) {
        let pair = tokenizer.tokenizePair(prompt: prompt, completion: completion, eosTokenId: eos)
        let ids = withEOS ? pair.ids : Array(pair.ids.dropLast())
        var batch = PackedBatch()
        batch.appendSequence(ids, scoreFrom: pair.completionStart)
        let lp = model.forward(batch)
        return (lp.count, lp.reduce(0) { $0 + Double($1) })
    }

    /// With random weights most completions keep the prefix's ids at their start (the scores
    /// generation already has); favouring "w" after "Hello " makes a merge cross the prefix's end
    /// (the completion scored again).
    @Test(arguments: [false, true]) func continuationsAreScoredAsDPOTrainScoresThem(favouringW: Bool) {
        let weights = Self.weights(favouring: favouringW ? Self.w : nil)
        let model = Transformer(weights: weights)
        let options = GenerationOptions(samples: 8, maxTokens: 24, sampling: .init(temperature: 1), seed: 5, batchSize: 8)
        let results = Self.generate(weights, options: options)
        var merged = 0, kept = 0
        for (p, samples) in zip(Self.problems, results) {
            let prefixIds = Self.tokenizer.encode(p.prefix)
            for s in samples {
                #expect(s.completion.hasPrefix(p.prefix), "\(s.completion.debugDescription) lost \(p.prefix.debugDescription)")
                let (n, score) = Self.dpoTrainScore(model, prompt: p.prompt, completion: s.completion, withEOS: s.finish == .stop)
                #expect(s.tokens == n)
                #expect(abs(s.logprob - score) < 1e-3 * max(1, abs(score)), "\(s.logprob) vs \(score)")
                if Self.tokenizer.encode(s.completion).starts(with: prefixIds) { kept += 1 } else { merged += 1 }
            }
        }
        #expect(favouringW ? merged >= 1 : kept >= 1, "merged \(merged), kept \(kept)")
    }

    /// Continuations are the same bits at any batch size, as samples are.
    @Test(arguments: [1, 5]) func continuationsDoNotDependOnBatching(batch: Int) {
        let weights = Self.weights()
        let base = GenerationOptions(samples: 3, maxTokens: 16, sampling: .init(temperature: 1), seed: 9, batchSize: 16)
        var other = base
        other.batchSize = batch
        #expect(Self.generate(weights, options: base) == Self.generate(weights, options: other))
    }

    /// The limit counts the tokens generated after the prefix; a prefix that fills the context
    /// is refused by name.
    @Test func prefixLeavesTheLimitToTheContinuation() {
        let weights = Self.weights()
        let g = Generator(weights: weights, tokenizer: Self.tokenizer, options: GenerationOptions(maxTokens: 10)) { _ in }
        #expect(g.completionLimit(promptTokens: 5, prefixTokens: 40) == 10)
        #expect(g.completionLimit(promptTokens: 5, prefixTokens: 118) == 5)
        let long = CompletionPrefix(String(repeating: "z", count: 20), tokenizer: Self.tokenizer)
        #expect(throws: Never.self) { try g.validate(promptTokens: [1, 2], prefix: long) }
        #expect(throws: GenerationError.prefixTooLong(tokens: 120 + long.tokens.count, context: 128)) {
            try g.validate(promptTokens: [Int32](repeating: 65, count: 120), prefix: long)
        }
        let options = GenerationOptions(samples: 2, maxTokens: 6, sampling: .init(temperature: 1), seed: 1)
        for s in Self.generate(weights, options: options).joined() { #expect(s.generated <= 6) }
    }
}
