import Foundation
import Testing
@testable import IRPOCore

/// Panels that keep a GGUF file's Q4_0, Q4_1 and Q8_0 blocks read back exactly the floats the
/// loader makes of those blocks, so every product keeps the bits of the f32 panels, on every path.
@Suite struct BlockPanelTests {
    /// Odd row counts (partial panels), one block and several along k.
    static let shapes: [(n: Int, k: Int)] = [(1, 32), (17, 64), (40, 96), (100, 32)]

    /// `n` rows of random blocks of `type`, k values a row. Scales are random fp16 of either
    /// sign (ggml's Q4_0 scales are mostly negative), with some zero, tiny and large ones.
    static func blocks(_ type: GGMLType, n: Int, k: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let count = n * k / 32, size = type.layout!.blockBytes
        var bytes = [UInt8](repeating: 0, count: count * size)
        for b in 0..<count {
            for i in 0..<size { bytes[b * size + i] = UInt8(truncatingIfNeeded: rng.next()) }
            // an fp16 with a random sign and an exponent from subnormal to 2⁵, never inf or NaN
            func half() -> UInt16 {
                let pick = rng.next() % 16
                if pick == 0 { return 0 }
                return UInt16(truncatingIfNeeded: rng.next()) & 0x83FF | UInt16(pick == 1 ? 0 : 1 + rng.next() % 19) << 10
            }
            for field in 0..<(type == .q4_1 ? 2 : 1) {
                let h = half()
                bytes[b * size + 2 * field] = UInt8(h & 0xFF)
                bytes[b * size + 2 * field + 1] = UInt8(h >> 8)
            }
        }
        return bytes
    }

    /// The blocks as the loader reads them: f32 values.
    static func floats(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { GGUFDequantize.floats(type, raw, into: $0) }
        }
        return out
    }

    @Test(arguments: KernelPath.available, [GGMLType.q4_0, .q4_1, .q8_0])
    func blockPanelsGiveTheF32Bits(kernel: KernelPath, type: GGMLType) {
        for (n, k) in Self.shapes {
            let bytes = Self.blocks(type, n: n, k: k, seed: UInt64(3 * n + k))
            let values = Self.floats(type, bytes, count: n * k)
            let f32 = values.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k) }
            let panelType = GGUFBlockRows.panelTypes[type]!
            let blocks = bytes.withUnsafeBytes { raw in
                let rowBytes = k / 32 * type.layout!.blockBytes
                let rows = (0..<n).map { (type: type, bytes: UnsafeRawPointer(raw.baseAddress! + $0 * rowBytes)) }
                for r in 0..<n {
                    #expect(values.withUnsafeBufferPointer { GGUFBlockRows.matches(rows[r], values: $0.baseAddress! + r * k, k: k) })
                }
                var changed = values
                changed[(n - 1) * k + k / 2] = changed[(n - 1) * k + k / 2].nextUp
                #expect(!changed.withUnsafeBufferPointer { GGUFBlockRows.matches(rows[n - 1], values: $0.baseAddress! + (n - 1) * k, k: k) })
                let storage = HugeBuffer(floats: PackedMatrix.floats(n: n, k: k, type: panelType))
                return PackedMatrix(blockRows: rows, k: k, type: panelType, in: storage, at: 0)
            }
            // 1 row, tiles of 6 and their tails, and the counts at which a panel is widened first
            // (then covered by tiles of 6, 5 and 4: 7 = 6 + 1, 9 = 5 + 4, 10 = 6 + 4, 11 = 6 + 5, 13 = 5 + 4 + 4)
            for rows in [1, 2, 5, 6, 7, 9, 10, 11, 12, 13, 32] {
                let x = PackedKernelTests.random(rows * k, seed: UInt64(rows))
                for initial in [nil, Float(0.5)] {
                    let want = PackedKernelTests.product(x, f32, rows: rows, kernel: .portable, initial: initial)
                    let got = PackedKernelTests.product(x, blocks, rows: rows, kernel: kernel, initial: initial)
                    #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(kernel) \(type) n \(n) k \(k) rows \(rows)")
                }
            }
            for r in [0, n - 1] {
                var row = [Float](repeating: 0, count: k)
                blocks.row(r, into: &row)
                #expect(row == Array(values[(r * k)..<((r + 1) * k)]))
            }
        }
    }

    /// The widened path's row tiles cover every row once, in tiles of 4 to 6 but for R = 7's last row.
    @Test func rowTilesCoverTheRows() {
        for R in 6...200 {
            let tiles = rowTiles(R)
            #expect(tiles.reduce(0, +) == R, "R \(R)")
            #expect(tiles.allSatisfy { (4...6).contains($0) || (R == 7 && $0 == 1) }, "R \(R): \(tiles)")
        }
    }

    @Test func blockBytesAreWhatThePanelsTake() {
        // per 32 weights of a row: a scale and an offset (8 bytes) and the codes
        #expect(PackedMatrix.floats(n: 32, k: 64, type: .q4) * 4 == 32 * 2 * (8 + 16))
        #expect(PackedMatrix.floats(n: 32, k: 64, type: .q8) * 4 == 32 * 2 * (8 + 32))
        // per 16: a scale and an offset and 16 byte codes
        #expect(PackedMatrix.floats(n: 32, k: 64, type: .q8s16) * 4 == 32 * 4 * (8 + 16))
        #expect(PackedMatrix.floats(n: 32, k: 64, type: .f32) * 4 == 32 * 64 * 4)
    }
}
