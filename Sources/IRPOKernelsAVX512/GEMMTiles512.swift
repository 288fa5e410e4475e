// The AVX-512 micro-kernel of IRPOCore's `gemm`: the same chain per element as the AVX2 and
// portable ones, 16 lanes at a time.

/// C (12, 32) chained over `kc` steps: A packed (kc, 12), B packed (kc, 32), from C's values when
/// `load`, else from zero. Twenty-four accumulators, two B vectors and a broadcast fill the 32 zmm
/// registers, so each step is 24 multiply-adds against 14 loads.
public func gemmTile12x32(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) {
    var c0l = SIMD16<Float>(), c0h = SIMD16<Float>(), c1l = SIMD16<Float>(), c1h = SIMD16<Float>()
    var c2l = SIMD16<Float>(), c2h = SIMD16<Float>(), c3l = SIMD16<Float>(), c3h = SIMD16<Float>()
    var c4l = SIMD16<Float>(), c4h = SIMD16<Float>(), c5l = SIMD16<Float>(), c5h = SIMD16<Float>()
    var c6l = SIMD16<Float>(), c6h = SIMD16<Float>(), c7l = SIMD16<Float>(), c7h = SIMD16<Float>()
    var c8l = SIMD16<Float>(), c8h = SIMD16<Float>(), c9l = SIMD16<Float>(), c9h = SIMD16<Float>()
    var cal = SIMD16<Float>(), cah = SIMD16<Float>(), cbl = SIMD16<Float>(), cbh = SIMD16<Float>()
    if load {
        c0l = load16(c); c0h = load16(c + 16); c1l = load16(c + ldc); c1h = load16(c + ldc + 16)
        c2l = load16(c + 2 * ldc); c2h = load16(c + 2 * ldc + 16); c3l = load16(c + 3 * ldc); c3h = load16(c + 3 * ldc + 16)
        c4l = load16(c + 4 * ldc); c4h = load16(c + 4 * ldc + 16); c5l = load16(c + 5 * ldc); c5h = load16(c + 5 * ldc + 16)
        c6l = load16(c + 6 * ldc); c6h = load16(c + 6 * ldc + 16); c7l = load16(c + 7 * ldc); c7h = load16(c + 7 * ldc + 16)
        c8l = load16(c + 8 * ldc); c8h = load16(c + 8 * ldc + 16); c9l = load16(c + 9 * ldc); c9h = load16(c + 9 * ldc + 16)
        cal = load16(c + 10 * ldc); cah = load16(c + 10 * ldc + 16); cbl = load16(c + 11 * ldc); cbh = load16(c + 11 * ldc + 16)
    }
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load16(bp), b1 = load16(bp + 16)
        var x = SIMD16<Float>(repeating: ap[0])
        c0l = c0l.addingProduct(x, b0); c0h = c0h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[1])
        c1l = c1l.addingProduct(x, b0); c1h = c1h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[2])
        c2l = c2l.addingProduct(x, b0); c2h = c2h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[3])
        c3l = c3l.addingProduct(x, b0); c3h = c3h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[4])
        c4l = c4l.addingProduct(x, b0); c4h = c4h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[5])
        c5l = c5l.addingProduct(x, b0); c5h = c5h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[6])
        c6l = c6l.addingProduct(x, b0); c6h = c6h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[7])
        c7l = c7l.addingProduct(x, b0); c7h = c7h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[8])
        c8l = c8l.addingProduct(x, b0); c8h = c8h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[9])
        c9l = c9l.addingProduct(x, b0); c9h = c9h.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[10])
        cal = cal.addingProduct(x, b0); cah = cah.addingProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[11])
        cbl = cbl.addingProduct(x, b0); cbh = cbh.addingProduct(x, b1)
        ap += 12; bp += 32
    }
    store16(c0l, c); store16(c0h, c + 16); store16(c1l, c + ldc); store16(c1h, c + ldc + 16)
    store16(c2l, c + 2 * ldc); store16(c2h, c + 2 * ldc + 16); store16(c3l, c + 3 * ldc); store16(c3h, c + 3 * ldc + 16)
    store16(c4l, c + 4 * ldc); store16(c4h, c + 4 * ldc + 16); store16(c5l, c + 5 * ldc); store16(c5h, c + 5 * ldc + 16)
    store16(c6l, c + 6 * ldc); store16(c6h, c + 6 * ldc + 16); store16(c7l, c + 7 * ldc); store16(c7h, c + 7 * ldc + 16)
    store16(c8l, c + 8 * ldc); store16(c8h, c + 8 * ldc + 16); store16(c9l, c + 9 * ldc); store16(c9h, c + 9 * ldc + 16)
    store16(cal, c + 10 * ldc); store16(cah, c + 10 * ldc + 16); store16(cbl, c + 11 * ldc); store16(cbh, c + 11 * ldc + 16)
}
