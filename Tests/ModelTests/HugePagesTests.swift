import Foundation
import Testing
@testable import IRPOCore

/// The big-buffer allocator: zeroed memory of the asked size on either side of the 2 MB line,
/// aligned to it above, and packed matrices sharing one allocation read what was packed.
@Suite struct HugePagesTests {
    @Test(arguments: [0, 1, 1000, HugePages.size / 4 - 1, HugePages.size / 4, 3 * HugePages.size / 4 + 5])
    func buffersAreZeroedAndLargeOnesAligned(floats: Int) {
        let p = HugePages.allocate(floats: floats)
        defer { HugePages.free(p) }
        var nonzero = 0
        for i in 0..<max(floats, 1) where p[i] != 0 { nonzero += 1 }
        #expect(nonzero == 0)
        if floats * MemoryLayout<Float>.stride >= HugePages.size {
            #expect(Int(bitPattern: p) % HugePages.size == 0)
        }
        // every float is writable
        for i in 0..<max(floats, 1) { p[i] = Float(i % 7) }
        #expect(p[max(floats, 1) - 1] == Float((max(floats, 1) - 1) % 7))
    }

    @Test func matricesPackedTogetherEqualMatricesPackedAlone() {
        let shapes = [(n: 40, k: 33), (n: 16, k: 7), (n: 129, k: 17)]
        let weights = shapes.map { s in (0..<(s.n * s.k)).map { Float($0 % 13) - 6 } }
        let x = (0..<(5 * 33)).map { Float($0 % 5) * 0.5 }
        weights.withUnsafeBufferPointers { pointers in
            let together = PackedMatrix.packAll(zip(pointers, shapes).map { ($0, $1.n, $1.k) })
            for (i, shape) in shapes.enumerated() {
                let alone = PackedMatrix(pointers[i], n: shape.n, k: shape.k)
                var a = [Float](repeating: 0, count: 5 * shape.n), b = a
                packedMatmul(out: &a, ldo: shape.n, x: x, rows: 5, weight: together[i], accumulate: false)
                packedMatmul(out: &b, ldo: shape.n, x: x, rows: 5, weight: alone, accumulate: false)
                #expect(a == b, "matrix \(i)")
                #expect(a.contains { $0 != 0 })
            }
        }
    }
}

private extension Array where Element == [Float] {
    /// Calls `body` with a base pointer of each inner array, all valid for the call.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafePointer<Float>]) -> R) -> R {
        func go(_ index: Int, _ acc: [UnsafePointer<Float>]) -> R {
            guard index < count else { return body(acc) }
            return self[index].withUnsafeBufferPointer { go(index + 1, acc + [$0.baseAddress!]) }
        }
        return go(0, [])
    }
}
