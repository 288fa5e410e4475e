import Foundation
import Testing
@testable import IRPOCore

/// Training gives the same bits on every CPU: a step's log-probs and gradients do not change
/// with the kernel path or the thread count, and the products of the benchmark models' training
/// steps are the same on every path.
@Suite struct KernelPathTrainingTests {
    /// Log-probs and every gradient of one forward and backward on `path` with `threads` threads.
    static func step(_ weights: ModelWeights, _ batch: PackedBatch, path: KernelPath, threads: Int) -> [Float] {
        let saved = ComputeThreads.count
        ComputeThreads.set(threads)
        defer { ComputeThreads.set(saved) }
        let model = Transformer(weights: weights, kernel: path)
        model.zeroGradients()
        let logprobs = model.forward(batch)
        // a different weight per scored token, so every row of every product carries signal
        model.backward((0..<logprobs.count).map { Float($0 % 7) / 7 - 0.4 })
        return logprobs + Array(UnsafeBufferPointer(start: model.gradients, count: weights.count))
    }

    @Test func aTrainingStepIsTheSameBitsOnEveryPathAndThreadCount() throws {
        // Widths that leave partial tiles on every path (hidden 72, ffn 200, vocab 61), grouped
        // key/value heads, and a batch of plain sequences and a prompt shared by two completions.
        let config = try LlamaConfig(vocabSize: 61, hiddenSize: 72, intermediateSize: 200, numHiddenLayers: 2,
                                     numAttentionHeads: 6, numKeyValueHeads: 2, maxPositionEmbeddings: 128)
        let weights = ModelWeights.random(config: config, seed: 3, std: 0.2)
        var rng = SplitMix64(seed: 4)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(rng.next() % 61) } }
        var batch = PackedBatch()
        batch.appendSequence(tokens(70), scoreFrom: 5)
        batch.appendSequence(tokens(9), scoreFrom: 1)
        batch.appendTree(prefix: tokens(30), branches: [tokens(40), tokens(13)])
        let reference = Self.step(weights, batch, path: .portable, threads: 1)
        for path in KernelPath.available {
            for threads in [1, 2, 3] {
                let result = Self.step(weights, batch, path: path, threads: threads)
                let differing = zip(result, reference).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(path), \(threads) threads: \(differing) of \(result.count) values differ")
            }
        }
    }

    /// The products of a training step of bench/pytorch's S and M models (8 × 256 tokens): the
    /// forward's x·Wᵀ, the backward's dY·W and dYᵀ·X, the lm_head's, and one head's attention.
    static func benchShapes(hidden C: Int, ffn F: Int) -> [GEMMTests.Case] {
        let N = 2048, V = 512, T = 256, HS = 64
        var shapes: [GEMMTests.Case] = []
        for (out, inp) in [(3 * C, C), (C, C), (2 * F, C), (C, F), (V, C)] {
            shapes.append(GEMMTests.Case(transA: .none, transB: .transposed, m: N, n: out, k: inp))
            shapes.append(GEMMTests.Case(transA: .none, transB: .none, m: N, n: inp, k: out))
            shapes.append(GEMMTests.Case(transA: .transposed, transB: .none, m: out, n: inp, k: N, accumulate: true))
        }
        shapes.append(GEMMTests.Case(transA: .none, transB: .transposed, m: T, n: T, k: HS, alpha: 0.125))
        shapes.append(GEMMTests.Case(transA: .none, transB: .none, m: T, n: HS, k: T))
        shapes.append(GEMMTests.Case(transA: .transposed, transB: .none, m: T, n: HS, k: T, alpha: 0.125, accumulate: true))
        return shapes
    }

    /// The vector paths on whole shapes; the portable path (scalar, slow) on the first rows and
    /// columns, whose elements it must give exactly, since no element depends on another.
    @Test(arguments: [(256, 768), (512, 1536)])
    func benchTrainingProductsAreTheSameOnEveryPath(hidden: Int, ffn: Int) {
        for (index, c) in Self.benchShapes(hidden: hidden, ffn: ffn).enumerated() {
            let ops = GEMMTests.operands(c, seed: UInt64(index * 3 + hidden))
            let best = GEMMTests.run(c, ops, path: .best)
            for path in KernelPath.available where path != .best && path != .portable {
                #expect(GEMMTests.run(c, ops, path: path) == best, "\(path) against \(KernelPath.best): \(c)")
            }
            let corner = GEMMTests.Case(transA: c.transA, transB: c.transB, m: min(c.m, 13), n: min(c.n, 40), k: c.k,
                                        alpha: c.alpha, accumulate: c.accumulate)
            // the corner's operands are the full ones read with the full leading dimensions
            var plain = ops.c
            plain.withUnsafeMutableBufferPointer { o in
                ops.a.withUnsafeBufferPointer { a in
                    ops.b.withUnsafeBufferPointer { b in
                        gemm(c.transA, c.transB, m: corner.m, n: corner.n, k: c.k, alpha: c.alpha, a: a.baseAddress!,
                             lda: c.lda, b: b.baseAddress!, ldb: c.ldb, accumulate: c.accumulate, c: o.baseAddress!,
                             ldc: c.ldc, path: .portable)
                    }
                }
            }
            var differing = 0
            for i in 0..<corner.m {
                for j in 0..<corner.n where plain[i * c.ldc + j].bitPattern != best[i * c.ldc + j].bitPattern { differing += 1 }
            }
            #expect(differing == 0, "portable against \(KernelPath.best): \(c): \(differing) elements differ")
        }
    }
}
