import Foundation
import IRPOCore

/// Training and decoding throughput of the engine, and the BLAS rate on the same shapes.
enum EngineBench {
    /// Random tokens for `sequences` sequences of `length`.
    static func randomBatch(config: LlamaConfig, sequences: Int, length: Int, seed: UInt64) -> PackedBatch {
        var rng = SplitMix64(seed: seed)
        var batch = PackedBatch()
        for _ in 0..<sequences {
            batch.appendSequence((0..<length).map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }, scoreFrom: 1)
        }
        return batch
    }

    /// One training step: forward, backward with the mean-NLL gradient, AdamW.
    static func trainStep(_ model: Transformer, _ optimizer: AdamW, _ batch: PackedBatch) {
        model.zeroGradients()
        let lp = model.forward(batch)
        model.backward([Float](repeating: -1 / Float(lp.count), count: lp.count))
        optimizer.update(parameters: model.weights.data, gradients: model.gradients, learningRate: 1e-4)
    }

    /// fwd+bwd+AdamW on 8 × 256 tokens: tokens/s, GFLOP/s, and the GFLOP/s of the same GEMMs alone;
    /// the lines and the tokens/s.
    static func training(_ bench: BenchConfig, steps: Int) -> (lines: [String], tokensPerSecond: Double) {
        let config = bench.llama
        let weights = ModelWeights.random(config: config, seed: 1)
        let model = Transformer(weights: weights)
        let optimizer = AdamW(layout: weights.layout)
        let batches = (0..<3).map { randomBatch(config: config, sequences: 8, length: 256, seed: UInt64($0)) }
        trainStep(model, optimizer, batches[2])
        // Each step next to the same GEMMs replayed alone: the rate BLAS reaches on exactly this step's shapes.
        let timing = timeAgainstGEMMs(runs: steps) { trainStep(model, optimizer, batches[$0 % 3]) }
        let step = timing.step
        let tokens = 8.0 * 256
        let gflops = bench.trainFlopsPerToken * tokens / step / 1e9
        let formulaFlops = bench.trainFlopsPerToken * tokens
        return ([
            String(format: "train   %@  batch 8x256  %8.0f tok/s  %6.1f GFLOP/s  step %6.1f ms  (median of %d)",
                   bench.rawValue, tokens / step, gflops, step * 1e3, steps),
            String(format: "gemm    %@  the step's %d products alone: %6.1f GFLOP/s (%.2f GFLOP, formula %.2f)  -> training at %.0f%% of that (median of per-step ratios)",
                   bench.rawValue, timing.shapes.count, timing.gemmRate, timing.flops / 1e9, formulaFlops / 1e9,
                   100 * timing.fractionOfGEMMRate * formulaFlops / timing.flops),
        ], tokens / step)
    }

    /// Sampling with the KV cache: a 64-token prompt prefilled once and shared by `streams` slots
    /// (as `sample` shares a problem's prompt with its samples), then 192 multinomial decode steps
    /// (temperature 1, as the PyTorch reference).
    static func decoding(_ bench: BenchConfig, streams: Int, runs: Int) -> String {
        let config = bench.llama
        let weights = ModelWeights.random(config: config, seed: 1)
        let session = InferenceSession(weights: weights, slots: streams, capacity: 256)
        var rng = SplitMix64(seed: 2)
        let prompt = (0..<64).map { _ in Int32(3 + rng.next() % UInt64(config.vocabSize - 3)) }
        let V = config.vocabSize
        func run() {
            for s in (0..<streams).reversed() { _ = session.release(slot: s) }
            var logits = session.step([(slot: 0, tokens: prompt)])
            for s in 1..<max(streams, 1) { session.share(slot: 0, with: s) }
            var next = [Int32](repeating: 0, count: streams)
            for _ in 0..<192 {
                for s in 0..<streams {
                    let row = s < logits.count / V ? s : 0
                    next[s] = sample(logits[(row * V)..<((row + 1) * V)], &rng)
                }
                logits = session.step((0..<streams).map { (slot: $0, tokens: [next[$0]]) })
            }
        }
        run()
        let times = timedRuns(minimum: runs) { _ in run() }
        let t = median(times)
        let tokens = Double(streams * 192)
        return String(format: "decode  %@  %2d stream%@ x 192 tokens (64-token prompt)  %8.0f tok/s  (%.2f s a run, median of %d)",
                      bench.rawValue, streams, streams == 1 ? " " : "s", tokens / t, t, times.count)
    }

    /// A multinomial draw from softmax(logits).
    static func sample(_ logits: ArraySlice<Float>, _ rng: inout SplitMix64) -> Int32 {
        let m = logits.max()!
        var total: Float = 0
        for z in logits { total += Foundation.exp(z - m) }
        var u = rng.nextUnitFloat() * total
        for (i, z) in logits.enumerated() {
            u -= Foundation.exp(z - m)
            if u <= 0 { return Int32(i) }
        }
        return Int32(logits.count - 1)
    }

    /// GFLOP/s of our `gemm` beside OpenBLAS's sgemm for the shapes of bench/pytorch/matmul_bench.py
    /// and the training step's three product forms (forward NT, backward to inputs NN, to weights TN).
    static func gemmShapes() -> [String] {
        var lines: [String] = []
        let shapes: [(Transpose, Transpose, Int, Int, Int)] = [
            (.none, .none, 1024, 1024, 1024), (.none, .transposed, 1024, 1024, 1024),
            (.none, .transposed, 2048, 768, 256), (.none, .none, 2048, 256, 768), (.transposed, .none, 768, 256, 2048),
            (.none, .transposed, 2048, 1536, 512), (.none, .none, 2048, 512, 1536), (.transposed, .none, 1536, 512, 2048),
            (.none, .transposed, 32, 256, 256),
        ]
        for (ta, tb, m, n, k) in shapes {
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            let lda = ta == .none ? k : m, ldb = tb == .none ? n : k
            func rate(_ once: () -> Void) -> Double {
                for _ in 0..<3 { once() }
                let reps = max(1, Int(0.02 / max(seconds(once), 1e-7)))
                let times = (0..<11).map { _ in seconds { for _ in 0..<reps { once() } } / Double(reps) }
                return 2 * Double(m * n * k) / median(times) / 1e9
            }
            let ours = rate { gemm(ta, tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: n) }
            let blas = rate { openBLASGEMM(ta, tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: n) }
            let form = (ta == .none ? "N" : "T") + (tb == .none ? "N" : "T")
            lines.append(String(format: "gemm    %@ M=%4d N=%4d K=%4d  ours %6.1f GFLOP/s  OpenBLAS %6.1f GFLOP/s  (%.2fx, medians of 11)",
                                form, m, n, k, ours, blas, ours / blas))
        }
        return lines
    }

    /// The decode-time product (x · Wᵀ for a few rows) through the packed row-stable kernel and through
    /// OpenBLAS, on the weight shapes of `bench`, at 32 rows and 1 row.
    static func decodeMatmul(_ bench: BenchConfig) -> [String] {
        let c = bench.llama
        let C = c.hiddenSize, F = c.intermediateSize, QKV = c.qkvWidth
        let shapes = [(QKV, C), (C, c.queryWidth), (2 * F, C), (C, F), (c.vocabSize, C)]
        let blocks = shapes.allSatisfy { $0.1 % 32 == 0 }
        var lines: [String] = []
        for rows in [32, 1] {
            var packed = 0.0, blas = 0.0, q4 = 0.0, q8 = 0.0, flops = 0.0
            for (n, k) in shapes {
                let x = [Float](repeating: 0.5, count: rows * k), w = [Float](repeating: 0.25, count: n * k)
                var o = [Float](repeating: 0, count: rows * n)
                func best(_ f: () -> Void) -> Double {
                    for _ in 0..<3 { f() }
                    return (0..<15).map { _ in seconds(f) }.min()!
                }
                func time(_ pm: PackedMatrix) -> Double {
                    best { packedMatmul(out: &o, ldo: n, x: x, rows: rows, weight: pm, accumulate: false) }
                }
                packed += time(PackedMatrix(w, n: n, k: k))
                blas += best { openBLASGEMM(.none, .transposed, m: rows, n: n, k: k, a: x, lda: k, b: w, ldb: k, c: &o, ldc: n) }
                if blocks {
                    q4 += time(.randomBlocks(.q4, n: n, k: k, seed: UInt64(n + k)))
                    q8 += time(.randomBlocks(.q8, n: n, k: k, seed: UInt64(n + k)))
                }
                flops += 2 * Double(rows * n * k)
            }
            let quantized = blocks ? String(format: ", q4 panels %6.1f, q8 panels %6.1f", flops / q4 / 1e9, flops / q8 / 1e9) : ""
            lines.append(String(format: "matmul  %@  decode shapes, %2d row%@: packed row-stable kernel %6.1f GFLOP/s%@, OpenBLAS sgemm %6.1f GFLOP/s",
                                bench.rawValue, rows, rows == 1 ? " " : "s", flops / packed / 1e9, quantized, flops / blas / 1e9))
        }
        return lines
    }
}
