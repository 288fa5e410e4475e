// RMSNorm as HF LlamaRMSNorm computes it: out = weight * (x * rsqrt(mean(x²) + eps)).

/// out (N,C) = weight ⊙ x·rstd, rstd (N) saved for backward. inp (N,C), weight (C).
public func rmsnormForward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>?,
                           inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           rows: Int, channels C: Int, eps: Float) {
    parallelFor(rows, grain: 16) { range in
        for i in range {
            let xi = inp + i * C, oi = out + i * C
            let variance = sumOfSquares(xi, C) / Float(C)
            let s = 1 / (variance + eps).squareRoot()
            rstd?[i] = s
            for c in 0..<C { oi[c] = weight[c] * (xi[c] * s) }
        }
    }
}

/// Backward of `rmsnormForward`: dinp (N,C) += ∂L/∂x, dweight (C) += ∂L/∂w, given dout (N,C).
public func rmsnormBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                            dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            rstd: UnsafePointer<Float>, rows: Int, channels C: Int) {
    // y_c = w_c x_c s  ⇒  ∂L/∂x_c = s·w_c·dy_c − s³/C · x_c · Σ_j w_j dy_j x_j
    parallelFor(rows, grain: 16) { range in
        for i in range {
            let xi = inp + i * C, dyi = dout + i * C, dxi = dinp + i * C
            let s = rstd[i]
            var acc = SIMD8<Float>()
            var c = 0
            while c + 8 <= C { acc = acc.addingProduct(load8(weight, c) * load8(dyi, c), load8(xi, c)); c += 8 }
            var proj = acc.sum()
            while c < C { proj += weight[c] * dyi[c] * xi[c]; c += 1 }
            let k = s * s * s * proj / Float(C)
            for c in 0..<C { dxi[c] += s * weight[c] * dyi[c] - k * xi[c] }
        }
    }
    // ∂L/∂w_c = Σ_i dy_ic x_ic s_i, split by channel so every sum runs over rows in order.
    parallelFor(C, grain: 64) { range in
        for i in 0..<rows {
            let xi = inp + i * C, dyi = dout + i * C
            let s = rstd[i]
            for c in range { dweight[c] += dyi[c] * (xi[c] * s) }
        }
    }
}
