// Vectorised exp for the softmax, log-softmax and SiLU loops: eight lanes per call instead of
// eight libm calls. Cephes-style: e^x = 2^n · e^r with n = round(x / ln 2), r reduced with a
// two-part ln 2, and a degree-6 polynomial for e^r; within 2 ulp of expf over the float range.

/// e^x lane by lane; inputs below about −87.3 (where e^x is subnormal) give 0, above 88.72 give +∞.
@inline(__always)
public func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    // Clamping by masked blends: `clamped` and `pointwiseMin` are generic calls that do not inline.
    let low = SIMD8<Float>(repeating: -87.33654), high = SIMD8<Float>(repeating: 88.72283)
    let x = v.replacing(with: low, where: v .< low).replacing(with: high, where: v .> high)
    // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves the integer in the low
    // mantissa bits, so both n and its integer form come from plain vector adds (no conversions).
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let t = x * 1.44269504088896341 + magic
    let n = t - magic
    var r = x - n * 0.693359375
    r = r + n * 2.12194440e-4
    let r2 = r * r
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r2 + r + 1
    // 2^n as 2^(n/2)·2^(n − n/2) so that n = 128 (x near 88.7) does not overflow the exponent field
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = ni &>> 1
    let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scaleB = unsafeBitCast((ni &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let result = y * scaleA * scaleB
    return result.replacing(with: 0, where: v .< low).replacing(with: .infinity, where: v .> 88.72284)
}

/// e^x for one float, through the same lanes so scalar tails round exactly like vector bodies.
@inline(__always)
public func exp1(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }

@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
}

/// The last `n` (< 8) elements of a row for a kernel that takes whole 8-float vectors: `body`
/// gets a scratch holding one 8-float vector per output (first) and per input (after them),
/// the inputs' `n` floats copied in and zero-padded; the outputs' first `n` floats are copied back.
func vectorTail(_ n: Int, inputs: [UnsafePointer<Float>], outputs: [UnsafeMutablePointer<Float>],
                _ body: (_ scratch: UnsafeMutablePointer<Float>) -> Void) {
    let lanes = 8 * (outputs.count + inputs.count)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: lanes) { t in
        let scratch = t.baseAddress!
        scratch.initialize(repeating: 0, count: lanes)
        for (i, p) in inputs.enumerated() { (scratch + 8 * (outputs.count + i)).update(from: p, count: n) }
        body(scratch)
        for (i, p) in outputs.enumerated() { p.update(from: scratch + 8 * i, count: n) }
    }
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// p[j] = e^(p[j] − shift) for j in 0..<n; returns Σ p[j].
@inline(__always)
func expShiftedInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = SIMD8<Float>()
    var j = 0
    let s = SIMD8<Float>(repeating: shift)
    while j + 8 <= n {
        let e = exp8(load8(p, j) - s)
        store8(e, p, j)
        acc += e
        j += 8
    }
    var sum = acc.sum()
    while j < n { let e = exp1(p[j] - shift); p[j] = e; sum += e; j += 1 }
    return sum
}

/// max of p[0..<n] (−∞ when empty).
@inline(__always)
func maxOf(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    while j + 8 <= n { let v = load8(p, j); m = m.replacing(with: v, where: v .> m); j += 8 }
    var r = m.max()
    while j < n { r = max(r, p[j]); j += 1 }
    return r
}

/// p[j] *= s for j in 0..<n.
@inline(__always)
func scaleInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
    var j = 0
    let v = SIMD8<Float>(repeating: s)
    while j + 8 <= n { store8(load8(p, j) * v, p, j); j += 8 }
    while j < n { p[j] *= s; j += 1 }
}
