import Foundation
@testable import IRPOCore
import Testing

@Suite(.serialized) struct GeneratorTests {
    let prompts = ["Question: 2+2?\nAnswer:", "Hello", "The quick brown fox", "x", "Once upon a time, in a land far away"]

    /// Greedy decoding through the KV cache equals a step-by-step decode through the training
    /// forward, and logprob equals the forward's score of tokenize(completion) + EOS.
    @Test func greedyMatchesTheReferenceDecode() {
        let weights = TinyModel.weights(std: 0.15)
        let model = Transformer(weights: weights)
        let options = GenerationOptions(samples: 1, maxTokens: 24, sampling: .init(temperature: 0), batchSize: 8)
        let results = TinyModel.generate(weights, prompts: prompts, options: options)
        #expect(results.count == prompts.count)
        var maxDiff = 0.0
        for (prompt, samples) in zip(prompts, results) {
            var ids = TinyModel.tokenizer.tokenizePrompt(prompt)
            var generated: [Int32] = []
            for _ in 0..<24 {
                let lp = TinyModel.referenceLogprobs(model, prefix: ids)
                let next = lp.withUnsafeBufferPointer { Sampler.argmax($0) }
                generated.append(next)
                if next == TinyModel.eos { break }
                ids.append(next)
            }
            let endedByEOS = generated.last == TinyModel.eos
            let text = TinyModel.tokenizer.decode(endedByEOS ? generated.dropLast() : generated)
            let s = samples[0]
            #expect(s.completion == text)
            #expect(s.finish == (endedByEOS ? .stop : .length))
            let (n, score) = TinyModel.referenceScore(model, prompt: prompt, completion: s.completion, withEOS: endedByEOS)
            #expect(s.tokens == n)
            maxDiff = max(maxDiff, abs(s.logprob - score))
            #expect(abs(s.logprob - score) < 1e-3 * max(1, abs(score)), "\(s.logprob) vs \(score)")
        }
        print("greedy vs reference: max |logprob diff| \(maxDiff)")
    }

    /// A step's draws and log-normalisers, run as tasks on the threads, are each row's own, as
    /// drawing the rows one after another gives them.
    @Test(arguments: [1, 2, 5]) func drawsAreEachRowsOwn(rows: Int) {
        let V = 1000
        var rng = SplitMix64(seed: UInt64(rows))
        let logits = (0..<(rows * V)).map { _ in Float(rng.nextUnitDouble() * 20 - 10) }
        func samplers() -> [Sampler] {
            (0..<rows).map { Sampler(parameters: .init(temperature: 0.8, topP: 0.9), rng: SplitMix64(seed: 7, keys: UInt64($0))) }
        }
        var sequential = samplers(), parallel = samplers()
        let drawn = logits.withUnsafeBufferPointer { all in
            parallel.withUnsafeMutableBufferPointer { own in
                Generator.draws(rows: rows, logits: all, vocabulary: V) { row, z in own[row].next(z) }
            }
        }
        logits.withUnsafeBufferPointer { all in
            for row in 0..<rows {
                let z = UnsafeBufferPointer(rebasing: all[(row * V)..<((row + 1) * V)])
                #expect(drawn[row].token == sequential[row].next(z), "row \(row)")
                #expect(drawn[row].logNormaliser.bitPattern == logSumExp(z).bitPattern, "row \(row)")
            }
        }
    }

    /// Sampled output is the same bits whatever the batch size and thread count.
    @Test(arguments: [1, 3, 64]) func samplesDoNotDependOnBatching(batch: Int) {
        let weights = TinyModel.weights()
        let base = GenerationOptions(samples: 4, maxTokens: 20, sampling: .init(temperature: 1), seed: 11, batchSize: 16)
        let reference = TinyModel.generate(weights, prompts: prompts, options: base)
        var options = base
        options.batchSize = batch
        let other = TinyModel.generate(weights, prompts: prompts, options: options)
        for (p, (a, b)) in zip(reference, other).enumerated() {
            for (x, y) in zip(a, b) {
                #expect(x == y, "problem \(p) sample \(x.sample): batch 16 vs \(batch)")
            }
        }
    }

    @Test func samplesDoNotDependOnThreads() {
        let weights = TinyModel.weights()
        let options = GenerationOptions(samples: 3, maxTokens: 20, sampling: .init(temperature: 0.9, topP: 0.95), seed: 2)
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(1)
        let one = TinyModel.generate(weights, prompts: prompts, options: options)
        ComputeThreads.set(2)
        let two = TinyModel.generate(weights, prompts: prompts, options: options)
        #expect(one == two)
    }

    /// Samples of a problem differ from each other, and a different seed changes them.
    @Test func samplesAreIndependentStreams() {
        let weights = TinyModel.weights()
        let o = GenerationOptions(samples: 6, maxTokens: 16, sampling: .init(temperature: 1), seed: 1)
        let a = TinyModel.generate(weights, prompts: ["Hi"], options: o)[0]
        #expect(Set(a.map(\.completion)).count > 1)
        #expect(a.map(\.sample) == Array(0..<6))
        var o2 = o
        o2.seed = 2
        #expect(TinyModel.generate(weights, prompts: ["Hi"], options: o2)[0].map(\.completion) != a.map(\.completion))
    }

    /// A stop string cuts the completion before it; tokens and logprob then describe
    /// tokenize(cut completion) + EOS exactly.
    @Test func stopStringCutsAndRescores() throws {
        let weights = TinyModel.weights(std: 0.15)
        let model = Transformer(weights: weights)
        let greedy = GenerationOptions(samples: 1, maxTokens: 30, sampling: .init(temperature: 0))
        let plain = TinyModel.generate(weights, prompts: prompts, options: greedy)
        var checked = 0
        for (prompt, samples) in zip(prompts, plain) {
            let text = Array(samples[0].completion.unicodeScalars)
            guard text.count >= 6 else { continue }
            let stop = String(String.UnicodeScalarView(text[4..<6]))
            var o = greedy
            o.stops = [stop]
            let cut = TinyModel.generate(weights, prompts: [prompt], options: o)[0][0]
            let expected = samples[0].completion.components(separatedBy: stop)[0]
            #expect(cut.completion == expected)
            #expect(cut.finish == .stop)
            let (n, score) = TinyModel.referenceScore(model, prompt: prompt, completion: cut.completion)
            #expect(cut.tokens == n)
            #expect(abs(cut.logprob - score) < 1e-3 * max(1, abs(score)), "\(cut.logprob) vs \(score)")
            checked += 1
        }
        #expect(checked >= 2)
    }

    @Test func limitsAndErrors() throws {
        let weights = TinyModel.weights(maxPositions: 32)
        let g = Generator(weights: weights, tokenizer: TinyModel.tokenizer, options: GenerationOptions(maxTokens: 100)) { _ in }
        #expect(g.completionLimit(promptTokens: 20) == 12)
        #expect(throws: GenerationError.promptTooLong(tokens: 32, context: 32)) {
            try g.validate(promptTokens: [Int32](repeating: 65, count: 32))
        }
        #expect(throws: GenerationError.emptyPrompt) { try g.validate(promptTokens: []) }
        // A prompt near the end of the context gets the tokens that are left.
        let out = TinyModel.generate(weights, prompts: [String(repeating: "a", count: 29)],
                                     options: GenerationOptions(samples: 2, maxTokens: 100, sampling: .init(temperature: 0)))
        #expect(out[0].allSatisfy { $0.generated <= 3 })
    }
}
