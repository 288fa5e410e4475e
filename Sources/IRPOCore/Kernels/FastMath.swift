// Vectorised exp for the softmax, log-softmax and SiLU loops: eight lanes per call instead of
// eight libm calls. Cephes-style: e^x = 2^n · e^r with n = round(x / ln 2), r reduced with a
// two-part ln 2, and a degree-6 polynomial for e^r; within 2 ulp of expf over the float range.

/// e^x lane by lane; inputs below about −87.3 give 0, above 88.37 give the largest finite e^x.
@inline(__always)
public func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    let x = v.clamped(lowerBound: SIMD8(repeating: -87.33654), upperBound: SIMD8(repeating: 88.37626))
    let n = (x * 1.44269504088896341 + 0.5).rounded(.down)
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
    let bits = (SIMD8<Int32>(n) &+ 127) &<< 23
    let result = y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    return result.replacing(with: 0, where: v .< -87.33654)
}

/// e^x for one float, through the same lanes so scalar tails round exactly like vector bodies.
@inline(__always)
public func exp1(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }

@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
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
    while j + 8 <= n { m = pointwiseMax(m, load8(p, j)); j += 8 }
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
