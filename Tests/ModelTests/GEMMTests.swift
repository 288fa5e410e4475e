import Foundation
import Testing
@testable import IRPOCore

/// The training product `gemm`: every element is the k-ordered chain of fused multiply-adds its
/// documentation defines, on every kernel path, tile geometry, blocking and thread count; that
/// chain is within the floating-point error bound of the exact product, and so is OpenBLAS.
@Suite struct GEMMTests {
    /// One product to check: op(A) (m, k) · op(B) (k, n), leading dimensions padded past the
    /// rows so that a kernel reading the wrong stride shows.
    struct Case: CustomStringConvertible, Sendable {
        let transA: Transpose, transB: Transpose
        let m: Int, n: Int, k: Int
        var alpha: Float = 1
        var accumulate = false
        var lda: Int { (transA == .none ? k : m) + 3 }
        var ldb: Int { (transB == .none ? n : k) + 5 }
        var ldc: Int { n + 2 }
        var description: String {
            "\(transA == .none ? "N" : "T")\(transB == .none ? "N" : "T") m \(m) n \(n) k \(k) alpha \(alpha)\(accumulate ? " +=" : "")"
        }

        /// A[i, p] as op(A) sees it in `a`.
        func aAt(_ a: [Float], _ i: Int, _ p: Int) -> Float { transA == .none ? a[i * lda + p] : a[p * lda + i] }
        /// B[p, j] as op(B) sees it in `b`.
        func bAt(_ b: [Float], _ p: Int, _ j: Int) -> Float { transB == .none ? b[p * ldb + j] : b[j * ldb + p] }
    }

    /// Operands of `c` with values in [-1, 1) and C's starting values.
    static func operands(_ c: Case, seed: UInt64) -> (a: [Float], b: [Float], c: [Float]) {
        let aCount = (c.transA == .none ? c.m : c.k) * c.lda, bCount = (c.transB == .none ? c.k : c.n) * c.ldb
        return (PackedKernelTests.random(aCount, seed: seed), PackedKernelTests.random(bCount, seed: seed + 1),
                PackedKernelTests.random(c.m * c.ldc, seed: seed + 2))
    }

    /// `gemm` on `operands`, through a path or an explicit tiling.
    static func run(_ c: Case, _ ops: (a: [Float], b: [Float], c: [Float]), path: KernelPath? = nil,
                    tiles: GEMMTiling? = nil) -> [Float] {
        var out = ops.c
        out.withUnsafeMutableBufferPointer { o in
            ops.a.withUnsafeBufferPointer { a in
                ops.b.withUnsafeBufferPointer { b in
                    gemm(c.transA, c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a.baseAddress!, lda: c.lda,
                         b: b.baseAddress!, ldb: c.ldb, accumulate: c.accumulate, c: o.baseAddress!, ldc: c.ldc,
                         tiles: tiles ?? GEMMTiling(path ?? .best))
                }
            }
        }
        return out
    }

    /// The definition, one element at a time.
    static func chain(_ c: Case, _ ops: (a: [Float], b: [Float], c: [Float]), _ i: Int, _ j: Int) -> Float {
        var acc: Float = c.accumulate ? ops.c[i * c.ldc + j] : 0
        for p in 0..<c.k { acc = acc.addingProduct(c.alpha * c.aAt(ops.a, i, p), c.bAt(ops.b, p, j)) }
        return acc
    }

    /// Elements of `out` that are not the chain, plus any write outside C's columns.
    static func mismatches(_ c: Case, _ ops: (a: [Float], b: [Float], c: [Float]), _ out: [Float]) -> Int {
        var bad = 0
        for i in 0..<c.m {
            for j in 0..<c.ldc {
                let expected = j < c.n ? chain(c, ops, i, j) : ops.c[i * c.ldc + j]
                if out[i * c.ldc + j].bitPattern != expected.bitPattern { bad += 1 }
            }
        }
        return bad
    }

    /// Every transpose pair, 1, 7 and 33 rows, widths around the tiles, k not a multiple of any
    /// block and longer than one (kc = 256), alpha, and accumulation into C (with alpha 1, where
    /// a row-major A is not packed, with and without edge tiles).
    static let cases: [Case] = {
        var list: [Case] = []
        let trans: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)]
        for (ta, tb) in trans {
            for (m, n, k) in [(1, 1, 1), (7, 5, 3), (33, 17, 40), (1, 40, 300), (33, 33, 257), (13, 65, 600), (50, 7, 513)] {
                list.append(Case(transA: ta, transB: tb, m: m, n: n, k: k))
            }
            list.append(Case(transA: ta, transB: tb, m: 19, n: 37, k: 270, alpha: 0.125, accumulate: true))
            // alpha 1 into C: a row-major A is read where it lies, on whole tiles and at the edges
            list.append(Case(transA: ta, transB: tb, m: 21, n: 50, k: 300, accumulate: true))
            list.append(Case(transA: ta, transB: tb, m: 40, n: 48, k: 20, accumulate: true))
            list.append(Case(transA: ta, transB: tb, m: 12, n: 32, k: 11, alpha: 0.3, accumulate: false))
            list.append(Case(transA: ta, transB: tb, m: 6, n: 16, k: 0, accumulate: false))
        }
        return list
    }()

    @Test(arguments: KernelPath.available)
    func everyElementIsTheChain(path: KernelPath) {
        for (index, c) in Self.cases.enumerated() {
            let ops = Self.operands(c, seed: UInt64(index * 10))
            let bad = Self.mismatches(c, ops, Self.run(c, ops, path: path))
            #expect(bad == 0, "\(path) \(c): \(bad) elements are not the chain")
        }
    }

    /// The AVX-512 and AVX2 tiles and blockings as small as they go, through the portable kernel:
    /// the packing, the k pieces and the edges that the vector kernels rely on, on any CPU.
    @Test(arguments: [(12, 32), (4, 24), (4, 8), (1, 1)])
    func anyTilingGivesTheChain(mr: Int, nr: Int) {
        for blocking in [(mc: mr, kc: 1, nc: nr), (mc: 2 * mr, kc: 7, nc: 3 * nr), (mc: 5 * mr, kc: 256, nc: 64 * nr)] {
            let tiles = GEMMTiling(portableTile: mr, nr, mc: blocking.mc, kc: blocking.kc, nc: blocking.nc)
            for (index, c) in Self.cases.enumerated() where c.m * c.n * c.k < 300_000 {
                let ops = Self.operands(c, seed: UInt64(index * 10 + 1))
                let bad = Self.mismatches(c, ops, Self.run(c, ops, tiles: tiles))
                #expect(bad == 0, "tile \(mr)x\(nr) \(blocking) \(c): \(bad) elements are not the chain")
            }
        }
    }

    /// |chain − exact| ≤ γ(k+1)·(|C₀| + Σ|α·a·b|) with γ(j) = j·u/(1 − j·u), u = 2⁻²⁴: k + 1
    /// roundings (α·a first, then one per fused multiply-add), each of at most u of the running
    /// magnitude (Higham, Accuracy and Stability, §3.1). OpenBLAS sums in another order and
    /// without fusing, so its bound is twice that (a rounded product, then an addition, per term).
    @Test(arguments: KernelPath.available)
    func chainIsWithinTheErrorBoundAsIsOpenBLAS(path: KernelPath) {
        let u = 0x1p-24
        for (index, c) in Self.cases.enumerated() where c.k > 0 {
            let ops = Self.operands(c, seed: UInt64(index * 10 + 2))
            let ours = Self.run(c, ops, path: path)
            var blas = ops.c
            blas.withUnsafeMutableBufferPointer { o in
                ops.a.withUnsafeBufferPointer { a in
                    ops.b.withUnsafeBufferPointer { b in
                        openBLASGEMMSerial(c.transA, c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a.baseAddress!,
                                           lda: c.lda, b: b.baseAddress!, ldb: c.ldb, beta: c.accumulate ? 1 : 0,
                                           c: o.baseAddress!, ldc: c.ldc)
                    }
                }
            }
            let j = Double(c.k + 1), gamma = j * u / (1 - j * u)
            var worstOurs = 0.0, worstBLAS = 0.0
            for i in 0..<c.m {
                for col in 0..<c.n {
                    var exact = c.accumulate ? Double(ops.c[i * c.ldc + col]) : 0, magnitude = abs(exact)
                    for p in 0..<c.k {
                        let term = Double(c.alpha) * Double(c.aAt(ops.a, i, p)) * Double(c.bAt(ops.b, p, col))
                        exact += term
                        magnitude += abs(term)
                    }
                    let bound = gamma * magnitude
                    worstOurs = max(worstOurs, abs(Double(ours[i * c.ldc + col]) - exact) / bound)
                    worstBLAS = max(worstBLAS, abs(Double(blas[i * c.ldc + col]) - exact) / (2 * bound))
                }
            }
            #expect(worstOurs <= 1, "\(path) \(c): error at \(worstOurs) of the bound")
            #expect(worstBLAS <= 1, "OpenBLAS \(c): error at \(worstBLAS) of the bound")
        }
    }

    @Test(arguments: KernelPath.available)
    func threadCountDoesNotChangeABit(path: KernelPath) {
        let c = Case(transA: .transposed, transB: .none, m: 300, n: 200, k: 700, accumulate: true)
        let ops = Self.operands(c, seed: 77)
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        var outputs: [[Float]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            outputs.append(Self.run(c, ops, path: path))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        #expect(Self.mismatches(c, ops, outputs[0]) == 0)
    }
}
