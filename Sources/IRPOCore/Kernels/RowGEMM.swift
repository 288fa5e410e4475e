// A matrix product whose every output element is computed by the same instructions in the
// same order however many rows, columns or threads the call has. OpenBLAS picks different
// kernels (and so different rounding) for different M, so a sequence's logits would depend on
// which other sequences share its decode step; sampling must not. Each element is one
// k-ordered fused multiply-add chain per SIMD lane, then a fixed lane reduction.

/// Σ_k x[k]·w[k] in the canonical order every path below reproduces.
@inline(__always)
private func canonicalDot(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ K: Int) -> Float {
    var acc = SIMD8<Float>()
    var k = 0
    while k + 8 <= K { acc = acc.addingProduct(load8(x, k), load8(w, k)); k += 8 }
    return finish(acc, x, w, k, K)
}

/// Reduces the lanes in a fixed order, then adds the k-tail one fused step at a time.
@inline(__always)
private func finish(_ acc: SIMD8<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k0: Int, _ K: Int) -> Float {
    var s = acc.sum()
    var k = k0
    while k < K { s = s.addingProduct(x[k], w[k]); k += 1 }
    return s
}

/// out (R, ldo) (+)= x (R, K) · Wᵀ with W (N, K) row-major, bit-identical per element whatever R,
/// the other rows, or the thread count. Columns are split across threads.
public func rowStableMatmul(out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>, rows R: Int,
                            weight: UnsafePointer<Float>, n N: Int, k K: Int, accumulate: Bool) {
    let po = SendablePointer(out), px = SendablePointer(UnsafeMutablePointer(mutating: x))
    let pw = SendablePointer(UnsafeMutablePointer(mutating: weight))
    let blocks = (N + 3) / 4
    parallelFor(blocks, grain: max(1, 8192 / max(1, R * K / 64))) { range in
        // Row chunks keep the x rows in cache while a 4-column block of W streams through.
        var r0 = 0
        while r0 < R {
            let r1 = min(R, r0 + 64)
            for block in range {
                let j = block * 4
                if j + 4 <= N {
                    var i = r0
                    while i + 4 <= r1 { tile4x4(po, ldo, px.base, i, pw.base, j, K, accumulate); i += 4 }
                    while i < r1 { tile1x4(po, ldo, px.base, i, pw.base, j, K, accumulate); i += 1 }
                } else {
                    for i in r0..<r1 {
                        for jj in j..<N {
                            let v = canonicalDot(px + i * K, pw + jj * K, K)
                            po[i * ldo + jj] = accumulate ? po[i * ldo + jj] + v : v
                        }
                    }
                }
            }
            r0 = r1
        }
    }
}

@inline(__always)
private func store(_ o: SendablePointer<Float>, _ at: Int, _ v: Float, _ accumulate: Bool) {
    o[at] = accumulate ? o[at] + v : v
}

/// Four rows of x against four rows of W: 16 accumulators, 8 loads per 16 fused multiply-adds.
@inline(__always)
private func tile4x4(_ o: SendablePointer<Float>, _ ldo: Int, _ x: UnsafeMutablePointer<Float>, _ i: Int,
                     _ w: UnsafeMutablePointer<Float>, _ j: Int, _ K: Int, _ accumulate: Bool) {
    let x0 = UnsafePointer(x + i * K), x1 = x0 + K, x2 = x1 + K, x3 = x2 + K
    let w0 = UnsafePointer(w + j * K), w1 = w0 + K, w2 = w1 + K, w3 = w2 + K
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c02 = SIMD8<Float>(), c03 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>(), c12 = SIMD8<Float>(), c13 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c22 = SIMD8<Float>(), c23 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>(), c32 = SIMD8<Float>(), c33 = SIMD8<Float>()
    var k = 0
    while k + 8 <= K {
        let a0 = load8(x0, k), a1 = load8(x1, k), a2 = load8(x2, k), a3 = load8(x3, k)
        let b0 = load8(w0, k), b1 = load8(w1, k), b2 = load8(w2, k), b3 = load8(w3, k)
        c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
        c02 = c02.addingProduct(a0, b2); c03 = c03.addingProduct(a0, b3)
        c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
        c12 = c12.addingProduct(a1, b2); c13 = c13.addingProduct(a1, b3)
        c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
        c22 = c22.addingProduct(a2, b2); c23 = c23.addingProduct(a2, b3)
        c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
        c32 = c32.addingProduct(a3, b2); c33 = c33.addingProduct(a3, b3)
        k += 8
    }
    let r0 = i * ldo + j, r1 = r0 + ldo, r2 = r1 + ldo, r3 = r2 + ldo
    store(o, r0, finish(c00, x0, w0, k, K), accumulate); store(o, r0 + 1, finish(c01, x0, w1, k, K), accumulate)
    store(o, r0 + 2, finish(c02, x0, w2, k, K), accumulate); store(o, r0 + 3, finish(c03, x0, w3, k, K), accumulate)
    store(o, r1, finish(c10, x1, w0, k, K), accumulate); store(o, r1 + 1, finish(c11, x1, w1, k, K), accumulate)
    store(o, r1 + 2, finish(c12, x1, w2, k, K), accumulate); store(o, r1 + 3, finish(c13, x1, w3, k, K), accumulate)
    store(o, r2, finish(c20, x2, w0, k, K), accumulate); store(o, r2 + 1, finish(c21, x2, w1, k, K), accumulate)
    store(o, r2 + 2, finish(c22, x2, w2, k, K), accumulate); store(o, r2 + 3, finish(c23, x2, w3, k, K), accumulate)
    store(o, r3, finish(c30, x3, w0, k, K), accumulate); store(o, r3 + 1, finish(c31, x3, w1, k, K), accumulate)
    store(o, r3 + 2, finish(c32, x3, w2, k, K), accumulate); store(o, r3 + 3, finish(c33, x3, w3, k, K), accumulate)
}

/// One row of x against four rows of W (the batch-1 decode path): x is loaded once per k-step.
@inline(__always)
private func tile1x4(_ o: SendablePointer<Float>, _ ldo: Int, _ x: UnsafeMutablePointer<Float>, _ i: Int,
                     _ w: UnsafeMutablePointer<Float>, _ j: Int, _ K: Int, _ accumulate: Bool) {
    let x0 = UnsafePointer(x + i * K)
    let w0 = UnsafePointer(w + j * K), w1 = w0 + K, w2 = w1 + K, w3 = w2 + K
    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
    var k = 0
    while k + 8 <= K {
        let a = load8(x0, k)
        c0 = c0.addingProduct(a, load8(w0, k)); c1 = c1.addingProduct(a, load8(w1, k))
        c2 = c2.addingProduct(a, load8(w2, k)); c3 = c3.addingProduct(a, load8(w3, k))
        k += 8
    }
    let r = i * ldo + j
    store(o, r, finish(c0, x0, w0, k, K), accumulate); store(o, r + 1, finish(c1, x0, w1, k, K), accumulate)
    store(o, r + 2, finish(c2, x0, w2, k, K), accumulate); store(o, r + 3, finish(c3, x0, w3, k, K), accumulate)
}
