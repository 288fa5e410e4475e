import Foundation
import Testing
import IRPOCore

/// The row-stable product: each element is the k-ordered fused multiply-add chain, the same bits
/// for every row count, thread count and vector width (which is what keeps `sample`'s output
/// independent of the batch and of the machine).
@Suite struct PackedKernelTests {
    /// Odd widths, a single panel, tails of every size, and row counts that hit each row block.
    static let shapes: [(n: Int, k: Int)] = [(8, 5), (16, 7), (40, 33), (100, 64), (129, 17), (200, 40)]
    static let rowCounts = [1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 20, 24, 31, 32, 37]

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
    }

    /// The chain written out one element at a time.
    static func chain(_ x: [Float], _ w: [Float], row: Int, col: Int, k: Int) -> Float {
        var acc: Float = 0
        for kk in 0..<k { acc = acc.addingProduct(x[row * k + kk], w[col * k + kk]) }
        return acc
    }

    static func product(_ x: [Float], _ weight: PackedMatrix, rows: Int, kernel: KernelPath, initial: Float?) -> [Float] {
        var out = [Float](repeating: initial ?? 0, count: rows * weight.n)
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { xp in
                packedMatmul(out: o.baseAddress!, ldo: weight.n, x: xp.baseAddress!, rows: rows, weight: weight,
                             accumulate: initial != nil, kernel: kernel)
            }
        }
        return out
    }

    @Test(arguments: KernelPath.available)
    func everyElementIsTheOrderedChain(kernel: KernelPath) {
        for (n, k) in Self.shapes {
            let w = Self.random(n * k, seed: UInt64(n * 1000 + k))
            let packed = w.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k) }
            for rows in Self.rowCounts {
                let x = Self.random(rows * k, seed: UInt64(rows))
                let out = Self.product(x, packed, rows: rows, kernel: kernel, initial: nil)
                let added = Self.product(x, packed, rows: rows, kernel: kernel, initial: 0.5)
                var mismatches = 0
                for r in 0..<rows {
                    for c in 0..<n {
                        let expected = Self.chain(x, w, row: r, col: c, k: k)
                        if out[r * n + c].bitPattern != expected.bitPattern { mismatches += 1 }
                        if added[r * n + c].bitPattern != (0.5 + expected).bitPattern { mismatches += 1 }
                    }
                }
                #expect(mismatches == 0, "\(kernel) n \(n) k \(k) rows \(rows): \(mismatches) elements differ")
            }
        }
    }

    @Test func threadCountDoesNotChangeABit() {
        let (n, k, rows) = (260, 64, 32)
        let w = Self.random(n * k, seed: 9)
        let packed = w.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k) }
        let x = Self.random(rows * k, seed: 10)
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        var outputs: [[Float]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            outputs.append(Self.product(x, packed, rows: rows, kernel: .best, initial: nil))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
    }
}

/// The whole decode path (products and attention over a shared prompt) on every kernel path the
/// CPU has, against the portable one.
@Suite struct DecodeKernelTests {
    /// Head sizes 80 (a 64-column block and a 16-column scalar tail) and 32 (one 32-column block).
    @Test(arguments: KernelPath.available, [(160, 2), (64, 2)])
    func everyPathDecodesThePortableBits(path: KernelPath, shape: (hidden: Int, heads: Int)) throws {
        let (hidden, heads) = shape
        let config = try LlamaConfig(vocabSize: 37, hiddenSize: hidden, intermediateSize: 96, numHiddenLayers: 2,
                                     numAttentionHeads: heads, numKeyValueHeads: 1, maxPositionEmbeddings: 160)
        let weights = ModelWeights.random(config: config, seed: 5, std: 0.2)
        var rng = SplitMix64(seed: 6)
        let prompt = (0..<70).map { _ in Int32(rng.next() % 37) }
        func run(_ kernel: KernelPath) -> [Float] {
            let session = InferenceSession(weights: weights, slots: 4, capacity: 160, kernel: kernel)
            var all = session.step([(slot: 0, tokens: prompt)])
            for s in 1..<4 { session.share(slot: 0, with: s) }
            for t in 0..<40 {
                let logits = session.step((1..<4).map { (slot: $0, tokens: [Int32((t * 7 + $0 * 3) % 37)]) })
                all += logits
            }
            return all
        }
        let fast = run(path), plain = run(.portable)
        #expect(fast.count == plain.count)
        #expect(zip(fast, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(path)")
    }
}
