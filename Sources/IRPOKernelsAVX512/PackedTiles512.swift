// The AVX-512 form of IRPOCore's row-stable matrix product x · Wᵀ, for CPUs that have it
// (IRPOCore checks at run time and falls back to its AVX2 kernels otherwise). This module alone
// is compiled for skylake-avx512, so the rest of the project still runs on any AVX2 machine.
//
// Each output element is the same k-ordered chain of fused multiply-adds, starting from zero, as
// in the AVX2 kernels; a fused multiply-add rounds once whatever the vector width, so both
// produce the same bits and sampling output does not depend on the machine's vector width.
// The 32 zmm registers hold a 12-row × 32-column block (24 accumulators, two weight vectors and
// a broadcast), so each step of k is 24 multiply-adds against 14 loads: the FMA units, not the
// loads, set the pace.

/// Calls `body(row, height)` for the row blocks the register tiles take, 12, 8 or 4 rows at a
/// time; they cover the first R − R % 4 rows, and the rest go one by one.
@inline(__always)
func forEachRowBlock512(_ R: Int, _ body: (_ row: Int, _ height: Int) -> Void) {
    var next = 0
    while next + 12 <= R { body(next, 12); next += 12 }
    if R - next >= 8 { body(next, 8); next += 8 }
    if R - next >= 4 { body(next, 4) }
}

/// Floats `packRows512` writes for R rows of length K.
public func packedRowsCount512(rows R: Int, k K: Int) -> Int { (R - R % 4) * K }

/// Copies the rows of x (R, K) that the register blocks take into `into`, each block k-major as
/// (K, height) at offset row·K, so the broadcasts of one step of k are consecutive floats behind
/// one moving pointer: rows K apart would need an address computation per row and step beside
/// the FMAs. Done once per product, shared by threads.
public func packRows512(x: UnsafePointer<Float>, rows R: Int, k K: Int, into: UnsafeMutablePointer<Float>) {
    forEachRowBlock512(R) { row, height in
        let dst = into + row * K
        for r in 0..<height {
            let src = x + (row + r) * K
            for k in 0..<K { dst[k * height + r] = src[k] }
        }
    }
}

/// out (R, ldo) (+)= x (R, K) · Wᵀ over the columns of panel pairs `pairs` (32 columns each) of a
/// weight packed as 16-column panels of (K, 16), with a zero panel after an odd last one.
/// `packedX` holds x as `packRows512` leaves it; `n` is W's row count: columns past it are
/// computed from zero padding and not stored.
public func packedPairs512(out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>,
                           packedX: UnsafePointer<Float>, rows R: Int, panels: UnsafePointer<Float>, k K: Int,
                           n N: Int, pairs: Range<Int>, accumulate: Bool) {
    let pairSize = 32 * K
    // Four pairs (128 columns) at a time: their panels stay in L2 while all row blocks pass over
    // them, and a single row has 8 independent chains across them.
    var start = pairs.lowerBound
    while start < pairs.upperBound {
        let end = min(pairs.upperBound, start + 4)
        forEachRowBlock512(R) { row, height in
            let xb = packedX + row * K
            for p in start..<end {
                let w = panels + p * pairSize
                switch height {
                case 12: tile12x32(out, ldo, xb, K, w, row, p * 32, N, accumulate)
                case 8: tile8x32(out, ldo, xb, K, w, row, p * 32, N, accumulate)
                default: tile4x32(out, ldo, xb, K, w, row, p * 32, N, accumulate)
                }
            }
        }
        for i in (R - R % 4)..<R {
            if end - start == 4 {
                tile1x128(out, ldo, x + i * K, K, panels + start * pairSize, i, start * 32, N, accumulate)
            } else {
                for p in start..<end { tile1x32(out, ldo, x + i * K, K, panels + p * pairSize, i, p * 32, N, accumulate) }
            }
        }
        start = end
    }
}

/// Stores (or adds) the first `valid` lanes of `v` at o[at...].
@inline(__always)
private func put16(_ o: UnsafeMutablePointer<Float>, _ at: Int, _ v: SIMD16<Float>, _ valid: Int, _ accumulate: Bool) {
    if valid >= 16 {
        let p = UnsafeMutableRawPointer(o + at)
        p.storeBytes(of: accumulate ? p.loadUnaligned(as: SIMD16<Float>.self) + v : v, as: SIMD16<Float>.self)
    } else {
        for c in 0..<max(valid, 0) { o[at + c] = accumulate ? o[at + c] + v[c] : v[c] }
    }
}

/// Twelve rows, packed k-major as (K, 12), against one panel pair.
@inline(__always)
private func tile12x32(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                      _ w: UnsafePointer<Float>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var r0lo = SIMD16<Float>(), r0hi = SIMD16<Float>()
    var r1lo = SIMD16<Float>(), r1hi = SIMD16<Float>()
    var r2lo = SIMD16<Float>(), r2hi = SIMD16<Float>()
    var r3lo = SIMD16<Float>(), r3hi = SIMD16<Float>()
    var r4lo = SIMD16<Float>(), r4hi = SIMD16<Float>()
    var r5lo = SIMD16<Float>(), r5hi = SIMD16<Float>()
    var r6lo = SIMD16<Float>(), r6hi = SIMD16<Float>()
    var r7lo = SIMD16<Float>(), r7hi = SIMD16<Float>()
    var r8lo = SIMD16<Float>(), r8hi = SIMD16<Float>()
    var r9lo = SIMD16<Float>(), r9hi = SIMD16<Float>()
    var r10lo = SIMD16<Float>(), r10hi = SIMD16<Float>()
    var r11lo = SIMD16<Float>(), r11hi = SIMD16<Float>()
    var w0 = w, w1 = w + 16 * K
    var xk = x
    for _ in 0..<K {
        let v0 = load16(w0), v1 = load16(w1)
        var b = SIMD16<Float>(repeating: xk[0])
        r0lo = r0lo.addingProduct(b, v0); r0hi = r0hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[1])
        r1lo = r1lo.addingProduct(b, v0); r1hi = r1hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[2])
        r2lo = r2lo.addingProduct(b, v0); r2hi = r2hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[3])
        r3lo = r3lo.addingProduct(b, v0); r3hi = r3hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[4])
        r4lo = r4lo.addingProduct(b, v0); r4hi = r4hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[5])
        r5lo = r5lo.addingProduct(b, v0); r5hi = r5hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[6])
        r6lo = r6lo.addingProduct(b, v0); r6hi = r6hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[7])
        r7lo = r7lo.addingProduct(b, v0); r7hi = r7hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[8])
        r8lo = r8lo.addingProduct(b, v0); r8hi = r8hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[9])
        r9lo = r9lo.addingProduct(b, v0); r9hi = r9hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[10])
        r10lo = r10lo.addingProduct(b, v0); r10hi = r10hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[11])
        r11lo = r11lo.addingProduct(b, v0); r11hi = r11hi.addingProduct(b, v1)
        w0 += 16; w1 += 16; xk += 12
    }
    let valid = N - col
    var at = row * ldo + col
    put16(o, at, r0lo, valid, accumulate); put16(o, at + 16, r0hi, valid - 16, accumulate); at += ldo
    put16(o, at, r1lo, valid, accumulate); put16(o, at + 16, r1hi, valid - 16, accumulate); at += ldo
    put16(o, at, r2lo, valid, accumulate); put16(o, at + 16, r2hi, valid - 16, accumulate); at += ldo
    put16(o, at, r3lo, valid, accumulate); put16(o, at + 16, r3hi, valid - 16, accumulate); at += ldo
    put16(o, at, r4lo, valid, accumulate); put16(o, at + 16, r4hi, valid - 16, accumulate); at += ldo
    put16(o, at, r5lo, valid, accumulate); put16(o, at + 16, r5hi, valid - 16, accumulate); at += ldo
    put16(o, at, r6lo, valid, accumulate); put16(o, at + 16, r6hi, valid - 16, accumulate); at += ldo
    put16(o, at, r7lo, valid, accumulate); put16(o, at + 16, r7hi, valid - 16, accumulate); at += ldo
    put16(o, at, r8lo, valid, accumulate); put16(o, at + 16, r8hi, valid - 16, accumulate); at += ldo
    put16(o, at, r9lo, valid, accumulate); put16(o, at + 16, r9hi, valid - 16, accumulate); at += ldo
    put16(o, at, r10lo, valid, accumulate); put16(o, at + 16, r10hi, valid - 16, accumulate); at += ldo
    put16(o, at, r11lo, valid, accumulate); put16(o, at + 16, r11hi, valid - 16, accumulate)
}

/// Eight rows, packed k-major as (K, 8), against one panel pair.
@inline(__always)
private func tile8x32(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                      _ w: UnsafePointer<Float>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var r0lo = SIMD16<Float>(), r0hi = SIMD16<Float>()
    var r1lo = SIMD16<Float>(), r1hi = SIMD16<Float>()
    var r2lo = SIMD16<Float>(), r2hi = SIMD16<Float>()
    var r3lo = SIMD16<Float>(), r3hi = SIMD16<Float>()
    var r4lo = SIMD16<Float>(), r4hi = SIMD16<Float>()
    var r5lo = SIMD16<Float>(), r5hi = SIMD16<Float>()
    var r6lo = SIMD16<Float>(), r6hi = SIMD16<Float>()
    var r7lo = SIMD16<Float>(), r7hi = SIMD16<Float>()
    var w0 = w, w1 = w + 16 * K
    var xk = x
    for _ in 0..<K {
        let v0 = load16(w0), v1 = load16(w1)
        var b = SIMD16<Float>(repeating: xk[0])
        r0lo = r0lo.addingProduct(b, v0); r0hi = r0hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[1])
        r1lo = r1lo.addingProduct(b, v0); r1hi = r1hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[2])
        r2lo = r2lo.addingProduct(b, v0); r2hi = r2hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[3])
        r3lo = r3lo.addingProduct(b, v0); r3hi = r3hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[4])
        r4lo = r4lo.addingProduct(b, v0); r4hi = r4hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[5])
        r5lo = r5lo.addingProduct(b, v0); r5hi = r5hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[6])
        r6lo = r6lo.addingProduct(b, v0); r6hi = r6hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[7])
        r7lo = r7lo.addingProduct(b, v0); r7hi = r7hi.addingProduct(b, v1)
        w0 += 16; w1 += 16; xk += 8
    }
    let valid = N - col
    var at = row * ldo + col
    put16(o, at, r0lo, valid, accumulate); put16(o, at + 16, r0hi, valid - 16, accumulate); at += ldo
    put16(o, at, r1lo, valid, accumulate); put16(o, at + 16, r1hi, valid - 16, accumulate); at += ldo
    put16(o, at, r2lo, valid, accumulate); put16(o, at + 16, r2hi, valid - 16, accumulate); at += ldo
    put16(o, at, r3lo, valid, accumulate); put16(o, at + 16, r3hi, valid - 16, accumulate); at += ldo
    put16(o, at, r4lo, valid, accumulate); put16(o, at + 16, r4hi, valid - 16, accumulate); at += ldo
    put16(o, at, r5lo, valid, accumulate); put16(o, at + 16, r5hi, valid - 16, accumulate); at += ldo
    put16(o, at, r6lo, valid, accumulate); put16(o, at + 16, r6hi, valid - 16, accumulate); at += ldo
    put16(o, at, r7lo, valid, accumulate); put16(o, at + 16, r7hi, valid - 16, accumulate)
}

/// Four rows, packed k-major as (K, 4), against one panel pair.
@inline(__always)
private func tile4x32(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                      _ w: UnsafePointer<Float>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var r0lo = SIMD16<Float>(), r0hi = SIMD16<Float>()
    var r1lo = SIMD16<Float>(), r1hi = SIMD16<Float>()
    var r2lo = SIMD16<Float>(), r2hi = SIMD16<Float>()
    var r3lo = SIMD16<Float>(), r3hi = SIMD16<Float>()
    var w0 = w, w1 = w + 16 * K
    var xk = x
    for _ in 0..<K {
        let v0 = load16(w0), v1 = load16(w1)
        var b = SIMD16<Float>(repeating: xk[0])
        r0lo = r0lo.addingProduct(b, v0); r0hi = r0hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[1])
        r1lo = r1lo.addingProduct(b, v0); r1hi = r1hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[2])
        r2lo = r2lo.addingProduct(b, v0); r2hi = r2hi.addingProduct(b, v1)
        b = SIMD16<Float>(repeating: xk[3])
        r3lo = r3lo.addingProduct(b, v0); r3hi = r3hi.addingProduct(b, v1)
        w0 += 16; w1 += 16; xk += 4
    }
    let valid = N - col
    var at = row * ldo + col
    put16(o, at, r0lo, valid, accumulate); put16(o, at + 16, r0hi, valid - 16, accumulate); at += ldo
    put16(o, at, r1lo, valid, accumulate); put16(o, at + 16, r1hi, valid - 16, accumulate); at += ldo
    put16(o, at, r2lo, valid, accumulate); put16(o, at + 16, r2hi, valid - 16, accumulate); at += ldo
    put16(o, at, r3lo, valid, accumulate); put16(o, at + 16, r3hi, valid - 16, accumulate)
}

/// One row against one panel pair (the last, partial group of pairs).
@inline(__always)
private func tile1x32(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                      _ w: UnsafePointer<Float>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var r0lo = SIMD16<Float>(), r0hi = SIMD16<Float>()
    let x0 = x
    var w0 = w, w1 = w + 16 * K
    for k in 0..<K {
        let v0 = load16(w0), v1 = load16(w1)
        let b = SIMD16<Float>(repeating: x0[k])
        r0lo = r0lo.addingProduct(b, v0); r0hi = r0hi.addingProduct(b, v1)
        w0 += 16; w1 += 16
    }
    let valid = N - col
    let at = row * ldo + col
    put16(o, at, r0lo, valid, accumulate); put16(o, at + 16, r0hi, valid - 16, accumulate)
}

/// One row against four panel pairs (128 columns): 8 independent chains hide the FMA latency.
@inline(__always)
private func tile1x128(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                       _ w: UnsafePointer<Float>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var a4 = SIMD16<Float>(), a5 = SIMD16<Float>(), a6 = SIMD16<Float>(), a7 = SIMD16<Float>()
    let panel = 16 * K
    let w0 = w, w1 = w0 + panel, w2 = w1 + panel, w3 = w2 + panel
    let w4 = w3 + panel, w5 = w4 + panel, w6 = w5 + panel, w7 = w6 + panel
    for k in 0..<K {
        let b = SIMD16<Float>(repeating: x[k]), at = k * 16
        a0 = a0.addingProduct(b, load16(w0 + at)); a1 = a1.addingProduct(b, load16(w1 + at))
        a2 = a2.addingProduct(b, load16(w2 + at)); a3 = a3.addingProduct(b, load16(w3 + at))
        a4 = a4.addingProduct(b, load16(w4 + at)); a5 = a5.addingProduct(b, load16(w5 + at))
        a6 = a6.addingProduct(b, load16(w6 + at)); a7 = a7.addingProduct(b, load16(w7 + at))
    }
    let at = row * ldo + col, valid = N - col
    put16(o, at, a0, valid, accumulate); put16(o, at + 16, a1, valid - 16, accumulate)
    put16(o, at + 32, a2, valid - 32, accumulate); put16(o, at + 48, a3, valid - 48, accumulate)
    put16(o, at + 64, a4, valid - 64, accumulate); put16(o, at + 80, a5, valid - 80, accumulate)
    put16(o, at + 96, a6, valid - 96, accumulate); put16(o, at + 112, a7, valid - 112, accumulate)
}
