import Foundation
import Testing
@testable import IRPOCore
import IRPOTestSupport

/// bf16 weight panels: widened exactly as they are read, so every product keeps the bits of the
/// f32 product on the same (bf16) values, on every kernel path.
@Suite struct BF16WeightTests {
    /// `x` rounded to the nearest bf16 in Double arithmetic, ties to even: the oracle for `bf16Bits`.
    static func nearestBF16(_ x: Float) -> Float {
        let below = Float(bitPattern: x.bitPattern & 0xFFFF_0000)
        let above = Float(bitPattern: (x.bitPattern & 0xFFFF_0000) &+ 0x1_0000)
        // past the largest bf16 the next value up is 2¹²⁸, which bf16 writes as infinity
        let aboveValue = above.isInfinite ? Double(above.sign == .minus ? -1 : 1) * 0x1p128 : Double(above)
        let dBelow = abs(Double(x) - Double(below)), dAbove = abs(aboveValue - Double(x))
        if dBelow != dAbove { return dBelow < dAbove ? below : above }
        return (below.bitPattern >> 16) & 1 == 0 ? below : above
    }

    @Test func roundingIsToNearestEven() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF) * (rng.next() % 2 == 0 ? 1 : -1)
            #expect(Float(bitPattern: UInt32(bf16Bits(x)) << 16) == Self.nearestBF16(x), "\(x)")
        }
        // ties: 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷ and goes to the even one, 1
        #expect(bf16Bits(1 + 0x1p-8) == bf16Bits(1))
        #expect(bf16Bits(1 + 3 * 0x1p-8) == bf16Bits(1 + 0x1p-6))
        #expect(bf16Bits(.infinity) == 0x7F80 && bf16Bits(-.infinity) == 0xFF80)
        #expect(Float(bitPattern: UInt32(bf16Bits(.nan)) << 16).isNaN)
        #expect(bf16Bits(.greatestFiniteMagnitude) == 0x7F80, "rounds past the largest bf16")
    }

    @Test(arguments: KernelPath.available)
    func bf16PanelsGiveTheF32Bits(kernel: KernelPath) {
        for (n, k) in PackedKernelTests.shapes {
            let raw = PackedKernelTests.random(n * k, seed: UInt64(7 * n + k))
            let rounded = raw.map { Float(bitPattern: UInt32(bf16Bits($0)) << 16) }
            let f32 = rounded.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k) }
            // packing unrounded values as bf16 rounds them on the way in
            let bf16 = raw.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k, type: .bf16) }
            for rows in PackedKernelTests.rowCounts {
                let x = PackedKernelTests.random(rows * k, seed: UInt64(rows))
                for initial in [nil, Float(0.5)] {
                    let want = PackedKernelTests.product(x, f32, rows: rows, kernel: .portable, initial: initial)
                    let got = PackedKernelTests.product(x, bf16, rows: rows, kernel: kernel, initial: initial)
                    #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(kernel) n \(n) k \(k) rows \(rows)")
                }
            }
            var row = [Float](repeating: 0, count: k)
            bf16.row(n - 1, into: &row)
            #expect(row == Array(rounded[((n - 1) * k)...]))
        }
    }

    @Test func autoIsBF16ExactlyWhenNothingWouldBeLost() throws {
        let config = try LlamaConfig(vocabSize: 40, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2,
                                     numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 64)
        let weights = ModelWeights.random(config: config, seed: 2)
        let count = DecodeWeights.matrices(weights.layout).count
        #expect(DecodeWeights.types(.auto, for: weights) == Array(repeating: .f32, count: count))
        #expect(DecodeWeights.types(.bf16, for: weights) == Array(repeating: .bf16, count: count))
        for i in 0..<weights.count { weights.data[i] = Float(bitPattern: UInt32(bf16Bits(weights.data[i])) << 16) }
        #expect(DecodeWeights.types(.auto, for: weights) == Array(repeating: .bf16, count: count))
        #expect(DecodeWeights.types(.f32, for: weights) == Array(repeating: .f32, count: count))
        // half the bytes of every matrix; the norm gains and the untied embedding stay f32
        let f32 = DecodeWeights(weights, .f32), bf16 = DecodeWeights(weights, .bf16)
        #expect(f32.typeName == "f32" && bf16.typeName == "bf16")
        let matrices = DecodeWeights.matrices(weights.layout).reduce(0) { $0 + PackedMatrix.floats(n: $1.n, k: $1.k) }
        #expect(f32.bytes - bf16.bytes == 2 * matrices)
    }
}
