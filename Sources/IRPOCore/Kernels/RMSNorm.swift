// RMSNorm as HF LlamaRMSNorm computes it: out = weight * (x * rsqrt(mean(x²) + eps)).

/// out (N,C) = weight ⊙ x·rstd, rstd (N) saved for backward. inp (N,C), weight (C).
public func rmsnormForward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>?,
                           inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           rows: Int, channels C: Int, eps: Float) {
    let o = SendablePointer(out), r = rstd.map(SendablePointer.init)
    let x = SendablePointer(UnsafeMutablePointer(mutating: inp))
    let w = SendablePointer(UnsafeMutablePointer(mutating: weight))
    parallelFor(rows, grain: 16) { range in
        for i in range {
            let xi = x + i * C, oi = o + i * C
            let variance = sumOfSquares(xi, C) / Float(C)
            let s = 1 / (variance + eps).squareRoot()
            r?[i] = s
            for c in 0..<C { oi[c] = w[c] * (xi[c] * s) }
        }
    }
}

/// Backward of `rmsnormForward`: dinp (N,C) += ∂L/∂x, dweight (C) += ∂L/∂w, given dout (N,C).
public func rmsnormBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                            dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            rstd: UnsafePointer<Float>, rows: Int, channels C: Int) {
    let dx = SendablePointer(dinp), dw = SendablePointer(dweight)
    let dy = SendablePointer(UnsafeMutablePointer(mutating: dout))
    let x = SendablePointer(UnsafeMutablePointer(mutating: inp))
    let w = SendablePointer(UnsafeMutablePointer(mutating: weight))
    let r = SendablePointer(UnsafeMutablePointer(mutating: rstd))
    // y_c = w_c x_c s  ⇒  ∂L/∂x_c = s·w_c·dy_c − s³/C · x_c · Σ_j w_j dy_j x_j
    parallelFor(rows, grain: 16) { range in
        for i in range {
            let xi = x + i * C, dyi = dy + i * C, dxi = dx + i * C
            let s = r[i]
            var acc = SIMD8<Float>()
            var c = 0
            while c + 8 <= C { acc = acc.addingProduct(load8(w.base, c) * load8(dyi, c), load8(xi, c)); c += 8 }
            var proj = acc.sum()
            while c < C { proj += w[c] * dyi[c] * xi[c]; c += 1 }
            let k = s * s * s * proj / Float(C)
            for c in 0..<C { dxi[c] += s * w[c] * dyi[c] - k * xi[c] }
        }
    }
    // ∂L/∂w_c = Σ_i dy_ic x_ic s_i, split by channel so every sum runs over rows in order.
    parallelFor(C, grain: 64) { range in
        for i in 0..<rows {
            let xi = x + i * C, dyi = dy + i * C
            let s = r[i]
            for c in range { dw[c] += dyi[c] * (xi[c] * s) }
        }
    }
}
