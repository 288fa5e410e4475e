// The micro-kernels of `gemm` for AVX2 and for any CPU. Each keeps a tile of C in registers for
// `kc` steps of k and adds one rank-1 product per step, every element its own chain of fused
// multiply-adds; the AVX-512 one is in IRPOKernelsAVX512.

/// C (4, 24) chained over `kc` steps: A packed (kc, 4), B packed (kc, 24). Twelve accumulators
/// of 8 lanes, three B vectors and a broadcast fill the 16 ymm registers; each step is 12
/// multiply-adds against 7 loads, where a 6 × 16 tile needs 8 and leaves the loads, not the
/// FMA units, setting the pace on CPUs with two vector loads a cycle.
@inline(__always)
func gemmTile4x24(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) {
    gemmTile4x24(kc, a, 1, 4, b, c, ldc, load)
}

/// `gemmTile4x24` reading A where it lies, row r's step p at `a[r·lda + p]`, so that a row-major
/// A (scaled by 1) needs no packing: the same values, so the same chains.
@inline(__always)
func gemmTile4x24(_ kc: Int, rows a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) {
    gemmTile4x24(kc, a, lda, 1, b, c, ldc, load)
}

/// The 4 × 24 tile with row r's step p of A at `a[r·rowStride + p·step]`.
@inline(__always)
private func gemmTile4x24(_ kc: Int, _ a: UnsafePointer<Float>, _ rowStride: Int, _ step: Int, _ b: UnsafePointer<Float>,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c02 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>(), c12 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c22 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>(), c32 = SIMD8<Float>()
    let r0 = c, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc
    if load {
        c00 = load8(r0, 0); c01 = load8(r0, 8); c02 = load8(r0, 16)
        c10 = load8(r1, 0); c11 = load8(r1, 8); c12 = load8(r1, 16)
        c20 = load8(r2, 0); c21 = load8(r2, 8); c22 = load8(r2, 16)
        c30 = load8(r3, 0); c31 = load8(r3, 8); c32 = load8(r3, 16)
    }
    var a0 = a, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, bp = b
    for _ in 0..<kc {
        let b0 = load8(bp, 0), b1 = load8(bp, 8), b2 = load8(bp, 16)
        var x = SIMD8<Float>(repeating: a0[0])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1); c02 = c02.addingProduct(x, b2)
        x = SIMD8<Float>(repeating: a1[0])
        c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1); c12 = c12.addingProduct(x, b2)
        x = SIMD8<Float>(repeating: a2[0])
        c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1); c22 = c22.addingProduct(x, b2)
        x = SIMD8<Float>(repeating: a3[0])
        c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1); c32 = c32.addingProduct(x, b2)
        a0 += step; a1 += step; a2 += step; a3 += step; bp += 24
    }
    store8(c00, r0, 0); store8(c01, r0, 8); store8(c02, r0, 16)
    store8(c10, r1, 0); store8(c11, r1, 8); store8(c12, r1, 16)
    store8(c20, r2, 0); store8(c21, r2, 8); store8(c22, r2, 16)
    store8(c30, r3, 0); store8(c31, r3, 8); store8(c32, r3, 16)
}

/// C (mr, nr) chained over `kc` steps in scalar fused multiply-adds: the path for CPUs without
/// the vector kernels, and the plainest statement of what every path computes. The k loop is
/// outside so that the tile's chains advance together instead of one long dependency at a time.
func gemmTilePortable(mr: Int, nr: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tile in
        let acc = tile.baseAddress!
        for r in 0..<mr {
            for col in 0..<nr { acc[r * nr + col] = load ? c[r * ldc + col] : 0 }
        }
        for p in 0..<kc {
            let ap = a + p * mr, bp = b + p * nr
            for r in 0..<mr {
                let x = ap[r], row = acc + r * nr
                for col in 0..<nr { row[col] = row[col].addingProduct(x, bp[col]) }
            }
        }
        for r in 0..<mr { (c + r * ldc).update(from: acc + r * nr, count: nr) }
    }
}
