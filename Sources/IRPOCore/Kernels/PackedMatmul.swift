import Foundation
import IRPOKernelsAVX512

// The inference-side matrix product x · Wᵀ. OpenBLAS picks different kernels (so different
// rounding) for different M, which would make a sequence's logits depend on which other
// sequences share its decode step; sampling must not. Here every output element is one
// k-ordered chain of fused multiply-adds, whatever the tile it falls in, the number of rows
// or the thread count. W is re-laid out once into 16-column panels so that the micro-kernel
// is a register-blocked outer product (6 rows × 16 columns, 12 accumulators: no spills with
// the 16 AVX2 registers, no horizontal sums). IRPOKernelsAVX512 holds the same product for
// AVX-512 CPUs, with the same bits. Panels may hold bf16 weights, widened exactly to f32 as the
// kernel reads them, so a bf16 panel gives the bits of an f32 panel of the same values.

/// How a model's weight matrices are kept for decoding.
public enum WeightType: String, Sendable, CaseIterable {
    /// 4 bytes a weight.
    case f32
    /// 2 bytes a weight, rounded to nearest even (exact for a bf16 checkpoint's values).
    case bf16

    /// Bytes one weight takes.
    public var bytes: Int { self == .f32 ? 4 : 2 }
}

/// A weight matrix W (N, K) stored as ⌈N/16⌉ panels of (K, 16): panel p, row k holds
/// W[16p ..< 16p+16, k], zero-padded past N (and by a whole zero panel to an even count).
public final class PackedMatrix: @unchecked Sendable {
    public let n: Int, k: Int
    /// The panels, f32 (`panels`) or bf16 (`halfPanels`): exactly one of the two is set.
    let panels: UnsafeMutablePointer<Float>?
    let halfPanels: UnsafeMutablePointer<UInt16>?
    /// What the panels hold.
    public var type: WeightType { panels == nil ? .bf16 : .f32 }
    /// Keeps the memory of the panels alive.
    private let storage: HugeBuffer
    var panelCount: Int { (n + 15) / 16 }

    /// Weights the packed form of an (n, k) matrix takes: an even number of panels, since the
    /// AVX-512 kernels read them in pairs (a multiple of 16 floats, so slices stay 64-byte aligned).
    static func elements(n: Int, k: Int) -> Int { ((n + 31) / 32) * 32 * k }

    /// Floats of storage the packed form of an (n, k) matrix of `type` takes.
    static func floats(n: Int, k: Int, type: WeightType = .f32) -> Int { elements(n: n, k: k) * type.bytes / 4 }

    /// Packs the row-major (n, k) matrix at `weight` into memory of its own.
    public convenience init(_ weight: UnsafePointer<Float>, n: Int, k: Int, type: WeightType = .f32) {
        self.init(weight, n: n, k: k, type: type, in: HugeBuffer(floats: Self.floats(n: n, k: k, type: type)), at: 0)
    }

    /// Packs the row-major (n, k) matrix at `weight` into `storage` from float `offset` on, which
    /// must hold `floats(n:k:type:)` zeroed floats there. `packed`, when given, hears of each
    /// block of source rows once it is packed (as a range of the source's floats), so the caller
    /// can let the source go a block at a time rather than hold two whole copies of a large matrix.
    init(_ weight: UnsafePointer<Float>, n: Int, k: Int, type: WeightType, in storage: HugeBuffer, at offset: Int,
         packed: ((Range<Int>) -> Void)? = nil) {
        precondition(offset + Self.floats(n: n, k: k, type: type) <= storage.count, "packed matrix past its storage")
        self.n = n
        self.k = k
        self.storage = storage
        switch type {
        case .f32:
            panels = storage.base + offset
            halfPanels = nil
        case .bf16:
            panels = nil
            halfPanels = UnsafeMutableRawPointer(storage.base + offset)
                .bindMemory(to: UInt16.self, capacity: Self.elements(n: n, k: k))
        }
        let block = 1024
        for first in stride(from: 0, to: n, by: block) {
            for row in first..<min(n, first + block) {
                let at = (row / 16) * 16 * k + row % 16
                let src = weight + row * k
                if let panels {
                    for kk in 0..<k { panels[at + kk * 16] = src[kk] }
                } else if let halfPanels {
                    for kk in 0..<k { halfPanels[at + kk * 16] = bf16Bits(src[kk]) }
                }
            }
            packed?((first * k)..<(min(n, first + block) * k))
        }
    }

    /// Packs each row-major (n, k) matrix of `shapes` one after another in one allocation.
    static func packAll(_ shapes: [(weight: UnsafePointer<Float>, n: Int, k: Int)], type: WeightType = .f32) -> [PackedMatrix] {
        let storage = HugeBuffer(floats: shapes.reduce(0) { $0 + floats(n: $1.n, k: $1.k, type: type) })
        var offset = 0
        return shapes.map { shape in
            defer { offset += floats(n: shape.n, k: shape.k, type: type) }
            return PackedMatrix(shape.weight, n: shape.n, k: shape.k, type: type, in: storage, at: offset)
        }
    }

    /// Row `row` of W (k floats) into `into`.
    func row(_ row: Int, into: UnsafeMutablePointer<Float>) {
        let at = (row / 16) * 16 * k + row % 16
        if let panels {
            for kk in 0..<k { into[kk] = panels[at + kk * 16] }
        } else if let halfPanels {
            for kk in 0..<k { into[kk] = UInt16.float(halfPanels, at + kk * 16) }
        }
    }
}

/// The bf16 nearest to `x` (ties to even), as its bits; a NaN stays a NaN.
@inline(__always)
func bf16Bits(_ x: Float) -> UInt16 {
    if x.isNaN { return 0x7FC0 }
    let bits = x.bitPattern
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}

/// Whether every value is a bf16 value (its low 16 bits zero): packing them as bf16 loses nothing.
func allBF16(_ values: UnsafePointer<Float>, count: Int) -> Bool {
    let bits = UnsafeRawPointer(values).assumingMemoryBound(to: UInt32.self)
    var low: UInt32 = 0
    for i in 0..<count { low |= bits[i] }
    return low & 0xFFFF == 0
}

/// A scalar a panel may hold, read as f32: Float as it is, UInt16 as the bits of a bf16.
protocol PanelScalar {
    /// Eight consecutive values from `p + i`, as f32.
    static func vector(_ p: UnsafePointer<Self>, _ i: Int) -> SIMD8<Float>
    /// The value at `p + i`, as f32.
    static func float(_ p: UnsafePointer<Self>, _ i: Int) -> Float
}

extension Float: PanelScalar {
    @inline(__always) static func vector(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> { load8(p, i) }
    @inline(__always) static func float(_ p: UnsafePointer<Float>, _ i: Int) -> Float { p[i] }
}

extension UInt16: PanelScalar {
    @inline(__always) static func vector(_ p: UnsafePointer<UInt16>, _ i: Int) -> SIMD8<Float> {
        let half = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always) static func float(_ p: UnsafePointer<UInt16>, _ i: Int) -> Float {
        Float(bitPattern: UInt32(p[i]) << 16)
    }
}

/// Floats of scratch `packedMatmul` needs for `rows` rows of length `k`.
public func packedMatmulScratch(rows: Int, k: Int) -> Int { packedRowsCount512(rows: rows, k: k) }

/// out (R, ldo) (+)= x (R, K) · Wᵀ, bit-identical per element whatever R, the other rows, the
/// thread count or the kernel. Column panels are split across threads. `scratch`, when given,
/// holds at least `packedMatmulScratch(rows:k:)` floats (the AVX-512 kernel's copy of x);
/// without it the product allocates its own.
public func packedMatmul(out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>, rows R: Int,
                         weight: PackedMatrix, accumulate: Bool, kernel: KernelPath = .best,
                         scratch: UnsafeMutablePointer<Float>? = nil) {
    guard let f32 = weight.panels else {
        // bf16 panels: the AVX2 kernels (which every AVX-512 CPU runs too) or the portable one
        packedMatmul(out: out, ldo: ldo, x: x, rows: R, panels: UnsafePointer(weight.halfPanels!), k: weight.k,
                     n: weight.n, accumulate: accumulate, vector: kernel != .portable)
        return
    }
    let panelBase = UnsafePointer(f32)
    let K = weight.k, N = weight.n, panels = weight.panelCount
    if kernel == .avx512 {
        func run(_ packed: UnsafeMutablePointer<Float>) {
            packRows512(x: x, rows: R, k: K, into: packed)
            // a thread is worth its hand-off for about 32k multiply-adds (a pair is 32 columns)
            parallelFor((panels + 1) / 2, grain: max(1, 32_768 / max(1, R * K * 32))) { pairs in
                packedPairs512(out: out, ldo: ldo, x: x, packedX: packed, rows: R, panels: panelBase, k: K,
                               n: N, pairs: pairs, accumulate: accumulate)
            }
        }
        if let scratch { run(scratch) } else {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(packedMatmulScratch(rows: R, k: K), 1)) {
                run($0.baseAddress!)
            }
        }
        return
    }
    packedMatmul(out: out, ldo: ldo, x: x, rows: R, panels: panelBase, k: K, n: N, accumulate: accumulate,
                 vector: kernel != .portable)
}

/// `packedMatmul` on panels of f32 or bf16, with the AVX2 kernels (`vector`) or the portable one.
@inline(__always)
private func packedMatmul<W: PanelScalar>(out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>, rows R: Int,
                                          panels panelBase: UnsafePointer<W>, k K: Int, n N: Int, accumulate: Bool,
                                          vector: Bool) {
    let panels = (N + 15) / 16
    if !vector {
        parallelFor(R) { rows in
            for i in rows { panelsPortable(out: out + i * ldo, x: x + i * K, panels: panelBase, k: K, n: N, accumulate: accumulate) }
        }
        return
    }
    // Groups of 4 panels: the one-row kernel needs 8 independent chains to keep both FMA units busy.
    let groups = (panels + 3) / 4
    // a thread is worth waking for about 64k multiply-adds (a group is 64 columns)
    parallelFor(groups, grain: max(1, 65_536 / max(1, R * K * 64))) { range in
        for group in range {
            let p0 = group * 4, p1 = min(panels, p0 + 4)
            var i = 0
            while i + 6 <= R {
                for p in p0..<p1 { tile6x16(out, ldo, x + i * K, K, panelBase + p * 16 * K, i, p * 16, N, accumulate) }
                i += 6
            }
            while i < R {
                if p1 - p0 == 4 {
                    tile1x64(out, ldo, x + i * K, panelBase + p0 * 16 * K, K, i, p0 * 16, N, accumulate)
                } else {
                    for p in p0..<p1 { tile1x16(out, ldo, x + i * K, panelBase + p * 16 * K, K, i, p * 16, N, accumulate) }
                }
                i += 1
            }
        }
    }
}

@inline(__always)
private func put(_ o: UnsafeMutablePointer<Float>, _ at: Int, _ v: SIMD8<Float>, _ valid: Int, _ accumulate: Bool) {
    if valid >= 8 {
        let p = o + at
        store8(accumulate ? load8(p, 0) + v : v, p, 0)
    } else {
        for c in 0..<max(valid, 0) { o[at + c] = accumulate ? o[at + c] + v[c] : v[c] }
    }
}

/// Six rows of x against one 16-column panel.
@inline(__always)
private func tile6x16<W: PanelScalar>(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>, _ K: Int,
                                      _ w: UnsafePointer<W>, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
    var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
    var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
    let x0 = x, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K, x4 = x3 + K, x5 = x4 + K
    var wk = w
    for k in 0..<K {
        let w0 = W.vector(wk, 0), w1 = W.vector(wk, 8)
        var b = SIMD8<Float>(repeating: x0[k])
        a00 = a00.addingProduct(b, w0); a01 = a01.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x1[k])
        a10 = a10.addingProduct(b, w0); a11 = a11.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x2[k])
        a20 = a20.addingProduct(b, w0); a21 = a21.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x3[k])
        a30 = a30.addingProduct(b, w0); a31 = a31.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x4[k])
        a40 = a40.addingProduct(b, w0); a41 = a41.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x5[k])
        a50 = a50.addingProduct(b, w0); a51 = a51.addingProduct(b, w1)
        wk += 16
    }
    let valid = N - col
    var at = row * ldo + col
    put(o, at, a00, valid, accumulate); put(o, at + 8, a01, valid - 8, accumulate); at += ldo
    put(o, at, a10, valid, accumulate); put(o, at + 8, a11, valid - 8, accumulate); at += ldo
    put(o, at, a20, valid, accumulate); put(o, at + 8, a21, valid - 8, accumulate); at += ldo
    put(o, at, a30, valid, accumulate); put(o, at + 8, a31, valid - 8, accumulate); at += ldo
    put(o, at, a40, valid, accumulate); put(o, at + 8, a41, valid - 8, accumulate); at += ldo
    put(o, at, a50, valid, accumulate); put(o, at + 8, a51, valid - 8, accumulate)
}

/// One row of x against four consecutive panels (64 columns): 8 independent chains.
@inline(__always)
private func tile1x64<W: PanelScalar>(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>,
                                      _ w: UnsafePointer<W>, _ K: Int, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
    let w0 = w, w1 = w0 + 16 * K, w2 = w1 + 16 * K, w3 = w2 + 16 * K
    for k in 0..<K {
        let b = SIMD8<Float>(repeating: x[k])
        let o = k * 16
        a0 = a0.addingProduct(b, W.vector(w0, o)); a1 = a1.addingProduct(b, W.vector(w0, o + 8))
        a2 = a2.addingProduct(b, W.vector(w1, o)); a3 = a3.addingProduct(b, W.vector(w1, o + 8))
        a4 = a4.addingProduct(b, W.vector(w2, o)); a5 = a5.addingProduct(b, W.vector(w2, o + 8))
        a6 = a6.addingProduct(b, W.vector(w3, o)); a7 = a7.addingProduct(b, W.vector(w3, o + 8))
    }
    let at = row * ldo + col, valid = N - col
    put(o, at, a0, valid, accumulate); put(o, at + 8, a1, valid - 8, accumulate)
    put(o, at + 16, a2, valid - 16, accumulate); put(o, at + 24, a3, valid - 24, accumulate)
    put(o, at + 32, a4, valid - 32, accumulate); put(o, at + 40, a5, valid - 40, accumulate)
    put(o, at + 48, a6, valid - 48, accumulate); put(o, at + 56, a7, valid - 56, accumulate)
}

/// One row of x against one panel.
@inline(__always)
private func tile1x16<W: PanelScalar>(_ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ x: UnsafePointer<Float>,
                                      _ w: UnsafePointer<W>, _ K: Int, _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
    let w0 = w
    for k in 0..<K {
        let b = SIMD8<Float>(repeating: x[k])
        a0 = a0.addingProduct(b, W.vector(w0, k * 16)); a1 = a1.addingProduct(b, W.vector(w0, k * 16 + 8))
    }
    let at = row * ldo + col, valid = N - col
    put(o, at, a0, valid, accumulate); put(o, at + 8, a1, valid - 8, accumulate)
}

/// One row of out (+)= x · Wᵀ in scalar fused multiply-adds, each element the same chain.
private func panelsPortable<W: PanelScalar>(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panels: UnsafePointer<W>,
                                            k K: Int, n N: Int, accumulate: Bool) {
    for col in 0..<N {
        let w = panels + (col / 16) * 16 * K + col % 16
        var acc: Float = 0
        for kk in 0..<K { acc = acc.addingProduct(x[kk], W.float(w, kk * 16)) }
        out[col] = accumulate ? out[col] + acc : acc
    }
}
