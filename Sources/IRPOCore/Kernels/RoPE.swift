import Foundation

/// cos and sin of every (position, frequency) pair, as HF LlamaRotaryEmbedding computes them in float32.
public final class RopeTable: @unchecked Sendable {
    public let headDim: Int
    public let positions: Int
    /// (positions, headDim/2) each.
    let cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>

    /// The table of `config`'s RoPE (its θ and scaling) for positions 0..<positions.
    public convenience init(config: LlamaConfig, positions: Int) {
        self.init(headDim: config.headDim, theta: config.ropeTheta, scaling: config.ropeScaling, positions: positions)
    }

    /// Precomputes the table for positions 0..<positions.
    public init(headDim: Int, theta: Float, scaling: RopeScaling? = nil, positions: Int) {
        self.headDim = headDim
        self.positions = positions
        let half = headDim / 2
        cos = .allocate(capacity: positions * half)
        sin = .allocate(capacity: positions * half)
        for j in 0..<half {
            let plain = Self.inverseFrequency(j, headDim: headDim, theta: theta)
            let invFreq = scaling?.scale(plain) ?? plain
            for p in 0..<positions {
                let angle = Float(p) * invFreq
                cos[p * half + j] = Foundation.cos(angle)
                sin[p * half + j] = Foundation.sin(angle)
            }
        }
    }

    /// Unscaled inverse frequency `j` of a head of `headDim`: 1 / θ^(2j/d), all in float32 like torch.
    static func inverseFrequency(_ j: Int, headDim: Int, theta: Float) -> Float {
        1 / Foundation.pow(theta, Float(2 * j) / Float(headDim))
    }

    deinit { cos.deallocate(); sin.deallocate() }
}

/// Rotates `heads` heads of each row in place, HF's half-split (`rotate_half`) layout:
/// x1' = x1·cos − x2·sin, x2' = x2·cos + x1·sin. x (N, rowStride), positions (N).
public func ropeForward(_ x: UnsafeMutablePointer<Float>, rowStride: Int, heads: Int,
                        positions: UnsafePointer<Int32>, rows: Int, table: RopeTable) {
    ropeApply(x, rowStride: rowStride, heads: heads, positions: positions, rows: rows, table: table, inverse: false)
}

/// Backward of `ropeForward` on the gradient, in place: the rotation's transpose.
public func ropeBackward(_ dx: UnsafeMutablePointer<Float>, rowStride: Int, heads: Int,
                         positions: UnsafePointer<Int32>, rows: Int, table: RopeTable) {
    ropeApply(dx, rowStride: rowStride, heads: heads, positions: positions, rows: rows, table: table, inverse: true)
}

private func ropeApply(_ x: UnsafeMutablePointer<Float>, rowStride: Int, heads: Int,
                       positions: UnsafePointer<Int32>, rows: Int, table: RopeTable, inverse: Bool) {
    let hs = table.headDim, half = hs / 2
    // Half a head per lane group: the same products and one rounding each as the scalar form
    // (multiplies, then the add or subtract; never fused), so vectors change no bit. The inverse
    // rotation is the forward one by −sin: negating a factor negates the product exactly, and
    // x − (−y) is x + y, so one formula serves both.
    let sign: Float = inverse ? -1 : 1
    parallelFor(rows * heads, grain: 64) { range in
        for task in range {
            let i = task / heads, h = task % heads
            let p = Int(positions[i])
            let c = UnsafePointer(table.cos + p * half), s = UnsafePointer(table.sin + p * half)
            let v = x + i * rowStride + h * hs
            var j = 0
            while j + 8 <= half {
                let a = load8(v, j), b = load8(v, j + half), cj = load8(c, j), sj = sign * load8(s, j)
                store8(a * cj - b * sj, v, j)
                store8(b * cj + a * sj, v, j + half)
                j += 8
            }
            while j < half {
                let a = v[j], b = v[j + half], sj = sign * s[j]
                v[j] = a * c[j] - b * sj
                v[j + half] = b * c[j] + a * sj
                j += 1
            }
        }
    }
}
