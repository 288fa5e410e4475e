import Foundation

/// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay decoupled
/// from the gradient, applied to matrices only (norm gains are not decayed).
public final class AdamW {
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Steps taken so far (the t of the bias correction).
    public private(set) var step: Int = 0
    /// First and second moments, laid out like the weights.
    public let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let count: Int
    private let decayMask: [Range<Int>]

    /// Zero moments for `layout`.
    public init(layout: ParameterLayout, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        count = layout.count
        m = HugePages.allocate(floats: count)
        v = HugePages.allocate(floats: count)
        decayMask = layout.slots.filter(\.decays).map { $0.offset..<($0.offset + $0.count) }
    }

    deinit { HugePages.free(m); HugePages.free(v) }

    /// Restores the moments and step count of a saved run.
    public func restore(step: Int, m: [Float], v: [Float]) {
        precondition(m.count == count && v.count == count, "moment sizes must match the model")
        self.step = step
        self.m.update(from: m, count: count)
        self.v.update(from: v, count: count)
    }

    /// θ ← θ − lr·(m̂ / (√v̂ + ε) + λ·θ) with one step of the moments from `gradients`.
    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate lr: Float) {
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = 1 - Float(Foundation.pow(Double(b1), Double(step)))
        let c2 = 1 - Float(Foundation.pow(Double(b2), Double(step)))
        let m = self.m, v = self.v
        parallelFor(count, grain: 4096) { range in
            for i in range {
                let gi = gradients[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mHat = m[i] / c1, vHat = v[i] / c2
                parameters[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        if weightDecay > 0 {
            // Decoupled decay, as torch.optim.AdamW: θ ← θ − lr·λ·θ (applied with the same lr).
            let factor = 1 - lr * weightDecay
            for r in decayMask { for i in r { parameters[i] *= factor } }
        }
    }
}

/// Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
    // Sum in Double over fixed chunks so the norm does not depend on the thread count.
    let chunk = 1 << 16
    let chunks = (count + chunk - 1) / chunk
    var partial = [Double](repeating: 0, count: chunks)
    partial.withUnsafeMutableBufferPointer { buf in
        let out = buf.baseAddress!
        parallelFor(chunks) { range in
            for c in range {
                let lo = c * chunk, hi = min(count, lo + chunk)
                out[c] = Double(sumOfSquares(gradients + lo, hi - lo))
            }
        }
    }
    let norm = Float(partial.reduce(0, +).squareRoot())
    if maxNorm > 0 && norm > maxNorm && norm.isFinite {
        let s = maxNorm / (norm + 1e-6)
        parallelFor(count, grain: 1 << 14) { range in for i in range { gradients[i] *= s } }
    }
    return norm
}
