import Foundation
import IRPOCore

/// The real generation path of `sample` (Generator: shared prefill, batched decode, sampler,
/// streaming detokenizer) on the bench's random models: 32 samples and one stream of 192
/// tokens from a 64-token prompt, temperature 1, as bench/pytorch/gen_bench.py.
func sampleBenchLines(config: String) throws -> [String] {
    guard let bench = BenchConfig(rawValue: config) else {
        throw SampleBenchError(message: "unknown bench config \(config) (\(BenchConfig.names))")
    }
    let llama = bench.llama
    let weights = ModelWeights.random(config: llama, seed: 1)
    let tokenizer = Tokenizer.byteLevel(specials: [])
    var rng = SplitMix64(seed: 2)
    // Byte ids only, so the prompt is a real tokenizer's output; the vocabulary's other ids are never EOS.
    let prompt = (0..<64).map { _ in Int32(rng.next() % 256) }
    var lines: [String] = []
    for samples in [32, 1] {
        // One stream is `sample --batch 1`: a cache of one slot, as a single sequence's latency needs.
        var options = GenerationOptions(samples: samples, maxTokens: 192, sampling: SamplingParameters(temperature: 1),
                                        seed: 3, batchSize: samples == 1 ? 1 : 64)
        // A random model's ids rarely survive decode + re-encode (ids past the byte tokens decode
        // to nothing), so every sample would be scored twice, unlike real text; time generation alone.
        options.rescore = false
        var generated = 0
        // One generator for all runs, as `sample` keeps one for its whole input: the weights'
        // re-layout and the cache allocation happen in the warm-up run, once per process.
        let generator = Generator(weights: weights, tokenizer: tokenizer, options: options) { results in
            generated = results.reduce(0) { $0 + $1.generated }
        }
        func run(_ key: UInt64) {
            try! generator.submit(key: key, promptTokens: prompt)
            generator.finish()
        }
        run(0)
        let times = timedRuns(minimum: samples == 1 ? 5 : 3) { run(UInt64($0 + 1)) }
        let t = median(times)
        lines.append(String(format: "sample  %@  %2d sample%@ x %d tokens (64-token prompt)  %8.0f tok/s  (%.2f s a run, median of %d)",
                            bench.rawValue, samples, samples == 1 ? " " : "s", generated / samples,
                            Double(generated) / t, t, times.count))
    }
    return lines
}

/// A bench that cannot run as asked.
struct SampleBenchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
