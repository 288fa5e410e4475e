import IRPOKernelsAVX512

/// out (HS) = softmax(scale · q·Kᵀ) V over `count` cached positions of one head. The first
/// `prefix.count` positions (a multiple of 32) are read from `prefix` (a shared prompt), the rest
/// from `keyTiles`/`values`, which start at position `prefix.count`. Keys are tiles of (HS, 32),
/// values (positions, HS) rows. Every score is the same d-ordered chain of fused multiply-adds,
/// in whichever lane it falls, and the weighted sum runs over positions in order, so where a
/// position is stored, and the vector width of `kernel`, never change a bit of the result.
@inline(__always)
func attendOne(out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>,
               prefix: (keyTiles: UnsafePointer<Float>, values: UnsafePointer<Float>, count: Int),
               keyTiles: UnsafePointer<Float>, values: UnsafePointer<Float>, count n: Int, headDim HS: Int,
               scale: Float, scores: UnsafeMutablePointer<Float>, kernel: KernelPath) {
    // whole 32-position tiles: the cache is padded to them
    let tiles = (n + 31) / 32, prefixTiles = min(prefix.count / 32, tiles), split = prefixTiles * 32
    let head = min(split, n)
    let vectorColumns = HS / 32 * 32
    // Σ_j p_j·V_j accumulates into `out`, the prompt's positions first, then the sample's own.
    out.update(repeating: 0, count: vectorColumns)
    if kernel == .avx512 {
        tileScores512(scores: scores, query: query, keyTiles: prefix.keyTiles, tiles: prefixTiles, headDim: HS, scale: scale)
        tileScores512(scores: scores + split, query: query, keyTiles: keyTiles, tiles: tiles - prefixTiles, headDim: HS,
                      scale: scale)
    } else {
        tileScores8(scores: scores, query: query, keyTiles: prefix.keyTiles, tiles: prefixTiles, headDim: HS, scale: scale)
        tileScores8(scores: scores + split, query: query, keyTiles: keyTiles, tiles: tiles - prefixTiles, headDim: HS,
                    scale: scale)
    }
    let inv = 1 / expShiftedInPlace(scores, n, shift: maxOf(scores, n))
    if kernel == .avx512 {
        weightedValues512(acc: out, weights: scores, values: prefix.values, count: head, headDim: HS)
        weightedValues512(acc: out, weights: scores + head, values: values, count: n - head, headDim: HS)
    } else {
        weightedValues8(acc: out, weights: scores, values: prefix.values, count: head, headDim: HS)
        weightedValues8(acc: out, weights: scores + head, values: values, count: n - head, headDim: HS)
    }
    scaleInPlace(out, vectorColumns, by: inv)
    for c in vectorColumns..<HS {
        var a: Float = 0
        for j in 0..<head { a = a.addingProduct(scores[j], prefix.values[j * HS + c]) }
        for j in head..<n { a = a.addingProduct(scores[j], values[(j - split) * HS + c]) }
        out[c] = a * inv
    }
}

/// scores[j] = scale · (q · K_j) for `tiles` 32-position key tiles of (HS, 32), in AVX2: the
/// same chains as IRPOKernelsAVX512's `tileScores512`.
@inline(__always)
func tileScores8(scores: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>, keyTiles: UnsafePointer<Float>,
                 tiles: Int, headDim HS: Int, scale: Float) {
    let sv = SIMD8<Float>(repeating: scale)
    for t in 0..<tiles {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var row = keyTiles + t * 32 * HS
        for d in 0..<HS {
            let q = SIMD8<Float>(repeating: query[d])
            a0 = a0.addingProduct(q, load8(row, 0)); a1 = a1.addingProduct(q, load8(row, 8))
            a2 = a2.addingProduct(q, load8(row, 16)); a3 = a3.addingProduct(q, load8(row, 24))
            row += 32
        }
        let j = t * 32
        store8(a0 * sv, scores, j); store8(a1 * sv, scores, j + 8)
        store8(a2 * sv, scores, j + 16); store8(a3 * sv, scores, j + 24)
    }
}

/// acc[c] += Σ_j p[j] · V[j][c] for the columns below HS rounded down to 32, continuing the
/// chains in `acc`, 32 columns at a time held in registers across all positions, in AVX2.
@inline(__always)
func weightedValues8(acc: UnsafeMutablePointer<Float>, weights p: UnsafePointer<Float>, values: UnsafePointer<Float>,
                     count: Int, headDim HS: Int) {
    var c = 0
    while c + 32 <= HS {
        var a0 = load8(acc, c), a1 = load8(acc, c + 8), a2 = load8(acc, c + 16), a3 = load8(acc, c + 24)
        var v = values + c
        for j in 0..<count {
            let w = SIMD8<Float>(repeating: p[j])
            a0 = a0.addingProduct(w, load8(v, 0)); a1 = a1.addingProduct(w, load8(v, 8))
            a2 = a2.addingProduct(w, load8(v, 16)); a3 = a3.addingProduct(w, load8(v, 24))
            v += HS
        }
        store8(a0, acc, c); store8(a1, acc, c + 8); store8(a2, acc, c + 16); store8(a3, acc, c + 24)
        c += 32
    }
}
