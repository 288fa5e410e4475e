// The two halves of decode attention around the softmax, in AVX-512, for IRPOCore's
// `attendOne`. Each score is the same d-ordered chain of fused multiply-adds as in the AVX2
// form, and each output element the same j-ordered chain, so the bits do not change with the
// vector width; only the number of instructions (and registers for independent chains) does.

/// scores[j] = scale · (q · K_j) for the `tiles` 32-position key tiles at `keyTiles`, each tile
/// (HS, 32) with position in the fast index; writes 32 scores per tile.
public func tileScores512(scores: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>,
                          keyTiles: UnsafePointer<Float>, tiles: Int, headDim HS: Int, scale: Float) {
    let sv = SIMD16<Float>(repeating: scale)
    var t = 0
    // Two tiles at a time: four independent chains instead of two.
    while t + 2 <= tiles {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), b0 = SIMD16<Float>(), b1 = SIMD16<Float>()
        var row = keyTiles + t * 32 * HS
        let next = 32 * HS
        for d in 0..<HS {
            let q = SIMD16<Float>(repeating: query[d])
            a0 = a0.addingProduct(q, load16(row)); a1 = a1.addingProduct(q, load16(row + 16))
            b0 = b0.addingProduct(q, load16(row + next)); b1 = b1.addingProduct(q, load16(row + next + 16))
            row += 32
        }
        let at = scores + t * 32
        store16(a0 * sv, at); store16(a1 * sv, at + 16); store16(b0 * sv, at + 32); store16(b1 * sv, at + 48)
        t += 2
    }
    if t < tiles {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var row = keyTiles + t * 32 * HS
        for d in 0..<HS {
            let q = SIMD16<Float>(repeating: query[d])
            a0 = a0.addingProduct(q, load16(row)); a1 = a1.addingProduct(q, load16(row + 16))
            row += 32
        }
        let at = scores + t * 32
        store16(a0 * sv, at); store16(a1 * sv, at + 16)
    }
}

/// acc[c] += Σ_j p[j] · V[j][c] over `count` value rows of width `HS`, for the columns below
/// HS rounded down to 32, continuing the chains in `acc` (zero at the start).
public func weightedValues512(acc: UnsafeMutablePointer<Float>, weights p: UnsafePointer<Float>,
                              values: UnsafePointer<Float>, count: Int, headDim HS: Int) {
    var c = 0
    while c + 64 <= HS {
        var a0 = load16(acc + c), a1 = load16(acc + c + 16), a2 = load16(acc + c + 32), a3 = load16(acc + c + 48)
        var v = values + c
        for j in 0..<count {
            let w = SIMD16<Float>(repeating: p[j])
            a0 = a0.addingProduct(w, load16(v)); a1 = a1.addingProduct(w, load16(v + 16))
            a2 = a2.addingProduct(w, load16(v + 32)); a3 = a3.addingProduct(w, load16(v + 48))
            v += HS
        }
        store16(a0, acc + c); store16(a1, acc + c + 16); store16(a2, acc + c + 32); store16(a3, acc + c + 48)
        c += 64
    }
    if c + 32 <= HS {
        var a0 = load16(acc + c), a1 = load16(acc + c + 16)
        var v = values + c
        for j in 0..<count {
            let w = SIMD16<Float>(repeating: p[j])
            a0 = a0.addingProduct(w, load16(v)); a1 = a1.addingProduct(w, load16(v + 16))
            v += HS
        }
        store16(a0, acc + c); store16(a1, acc + c + 16)
    }
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
