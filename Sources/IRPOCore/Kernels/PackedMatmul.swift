import Foundation
import IRPOKernelsAVX512

// The inference-side matrix product x · Wᵀ. OpenBLAS picks different kernels (so different
// rounding) for different M, which would make a sequence's logits depend on which other
// sequences share its decode step; sampling must not. Here every output element is one
// k-ordered chain of fused multiply-adds, whatever the tile it falls in, the number of rows
// or the thread count. W is re-laid out once into 16-column panels so that the micro-kernel
// is a register-blocked outer product (6 rows × 16 columns, 12 accumulators: no spills with
// the 16 AVX2 registers, no horizontal sums). IRPOKernelsAVX512 holds the same product for
// AVX-512 CPUs, with the same bits. Panels may hold bf16 weights or a GGUF file's 4- and 8-bit
// blocks, read back exactly to f32 as the kernel reads them, so such a panel gives the bits of
// an f32 panel of the same values.

/// A weight matrix W (N, K) stored as ⌈N/16⌉ panels of (K, 16): panel p, column k holds
/// W[16p ..< 16p+16, k] in the matrix's `type` (PanelFormats.swift), zero-padded past N (and by
/// a whole zero panel to an even count).
public final class PackedMatrix: @unchecked Sendable {
    public let n: Int, k: Int
    /// How the panels keep the weights.
    public let type: WeightType
    /// The first panel.
    let base: UnsafeMutableRawPointer
    /// Keeps the memory of the panels alive.
    private let storage: HugeBuffer
    var panelCount: Int { (n + 15) / 16 }
    /// The panels as floats, when they are f32.
    var panels: UnsafeMutablePointer<Float>? { type == .f32 ? base.assumingMemoryBound(to: Float.self) : nil }

    /// Floats of storage the packed form of an (n, k) matrix of `type` takes: an even number of
    /// panels, since the AVX-512 kernels read them in pairs (a multiple of 16 floats, so slices
    /// stay 64-byte aligned). Block types need k a multiple of 32.
    static func floats(n: Int, k: Int, type: WeightType = .f32) -> Int {
        let panels = (n + 31) / 32 * 2
        switch type {
        case .f32: return panels * F32Panel.panelBytes(k: k) / 4
        case .bf16: return panels * BF16Panel.panelBytes(k: k) / 4
        case .q4: return panels * Q4Panel.panelBytes(k: k) / 4
        case .q8: return panels * Q8Panel.panelBytes(k: k) / 4
        case .q8s16: return panels * Q8S16Panel.panelBytes(k: k) / 4
        }
    }

    /// Packs the row-major (n, k) matrix at `weight` into memory of its own.
    public convenience init(_ weight: UnsafePointer<Float>, n: Int, k: Int, type: WeightType = .f32) {
        self.init(weight, n: n, k: k, type: type, in: HugeBuffer(floats: Self.floats(n: n, k: k, type: type)), at: 0)
    }

    /// Memory of `type` for an (n, k) matrix in `storage` from float `offset` on.
    private init(n: Int, k: Int, type: WeightType, in storage: HugeBuffer, at offset: Int) {
        precondition(offset + Self.floats(n: n, k: k, type: type) <= storage.count, "packed matrix past its storage")
        precondition(!type.isBlocks || k % 32 == 0, "block panels need whole blocks of 32")
        self.n = n
        self.k = k
        self.type = type
        self.storage = storage
        base = UnsafeMutableRawPointer(storage.base + offset)
    }

    /// Packs the row-major (n, k) matrix at `weight` as f32 or bf16 into `storage` from float
    /// `offset` on, which must hold `floats(n:k:type:)` zeroed floats there. `packed`, when given,
    /// hears of each block of source rows once it is packed (as a range of the source's floats),
    /// so the caller can let the source go a block at a time rather than hold two whole copies.
    convenience init(_ weight: UnsafePointer<Float>, n: Int, k: Int, type: WeightType, in storage: HugeBuffer,
                     at offset: Int, packed: ((Range<Int>) -> Void)? = nil) {
        precondition(!type.isBlocks, "block panels are packed from a file's blocks")
        self.init(n: n, k: k, type: type, in: storage, at: offset)
        let block = 1024
        for first in stride(from: 0, to: n, by: block) {
            for row in first..<min(n, first + block) {
                let at = (row / 16) * 16 * k + row % 16
                let src = weight + row * k
                if type == .f32 {
                    let panels = base.assumingMemoryBound(to: Float.self)
                    for kk in 0..<k { panels[at + kk * 16] = src[kk] }
                } else {
                    let halves = base.assumingMemoryBound(to: UInt16.self)
                    for kk in 0..<k { halves[at + kk * 16] = bf16Bits(src[kk]) }
                }
            }
            packed?((first * k)..<(min(n, first + block) * k))
        }
    }

    /// Packs a matrix whose rows are GGUF blocks (`rows[r]`: row r's type and first block) as
    /// `type` (`GGUFBlockRows.panelTypes` says which, `GGUFBlockRows.wider` which for rows of two
    /// types) into `storage` from float `offset` on.
    convenience init(blockRows rows: [(type: GGMLType, bytes: UnsafeRawPointer)], k: Int, type: WeightType,
                     in storage: HugeBuffer, at offset: Int) {
        self.init(n: rows.count, k: k, type: type, in: storage, at: offset)
        switch type {
        case .q4: packBlocks(Q4Panel.self, rows)
        case .q8: packBlocks(Q8Panel.self, rows)
        case .q8s16: packBlocks(Q8S16Panel.self, rows)
        case .f32, .bf16: preconditionFailure("\(type) panels are packed from floats")
        }
    }

    /// Panels of 16 rows at a time, in parallel: each writes only its own panel's bytes.
    private func packBlocks<F: BlockPanelFormat>(_: F.Type, _ rows: [(type: GGMLType, bytes: UnsafeRawPointer)]) {
        let base = self.base, k = self.k
        parallelFor(panelCount, grain: 8) { panels in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { codes in
                for r in (panels.lowerBound * 16)..<min(rows.count, panels.upperBound * 16) {
                    let panel = base + (r / 16) * F.panelBytes(k: k), lane = r % 16
                    // a scale per 32 values of the file fills two blocks of a panel with a scale per 16
                    let n = GGUFDequantize.codeCount(rows[r].type), perCodes = n / F.blockColumns
                    precondition(n % F.blockColumns == 0, "\(rows[r].type) blocks do not pack into \(F.self)")
                    for c in 0..<(k / n) {
                        let (scale, offset) = GGUFDequantize.codes(rows[r].type, row: rows[r].bytes, index: c,
                                                                   into: codes.baseAddress!)
                        for half in 0..<perCodes {
                            let block = panel + (c * perCodes + half) * F.blockBytes
                            block.storeBytes(of: scale, toByteOffset: 4 * lane, as: Float.self)
                            block.storeBytes(of: offset, toByteOffset: 64 + 4 * lane, as: Float.self)
                            for j in 0..<F.blockColumns {
                                F.setCode(block + 128, j, lane, Int(codes[half * F.blockColumns + j]))
                            }
                        }
                    }
                }
            }
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
        func read<F: PanelFormat>(_: F.Type) {
            let panel = UnsafeRawPointer(base + (row / 16) * F.panelBytes(k: k))
            for kk in 0..<k { into[kk] = F.value(panel, kk, row % 16) }
        }
        switch type {
        case .f32: read(F32Panel.self)
        case .bf16: read(BF16Panel.self)
        case .q4: read(Q4Panel.self)
        case .q8: read(Q8Panel.self)
        case .q8s16: read(Q8S16Panel.self)
        }
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
    func run<F: PanelFormat>(_ format: F.Type) {
        packedMatmul(format, out: out, ldo: ldo, x: x, rows: R, panels: UnsafeRawPointer(weight.base), k: weight.k,
                     n: weight.n, accumulate: accumulate, vector: kernel != .portable)
    }
    switch weight.type {
    case .f32 where kernel == .avx512:
        packedMatmul512(out: out, ldo: ldo, x: x, rows: R, weight: weight, accumulate: accumulate, scratch: scratch)
    // the other types run the AVX2 kernels (which every AVX-512 CPU runs too) or the portable one
    case .f32: run(F32Panel.self)
    case .bf16: run(BF16Panel.self)
    case .q4: run(Q4Panel.self)
    case .q8: run(Q8Panel.self)
    case .q8s16: run(Q8S16Panel.self)
    }
}

/// `packedMatmul` on f32 panels with the AVX-512 kernels, which read the panels in pairs.
private func packedMatmul512(out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>, rows R: Int,
                             weight: PackedMatrix, accumulate: Bool, scratch: UnsafeMutablePointer<Float>?) {
    let panelBase = UnsafePointer(weight.panels!)
    let K = weight.k, N = weight.n, panels = weight.panelCount
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
}

/// `packedMatmul` on panels of format `F`, with the AVX2 kernels (`vector`) or the portable one.
@inline(__always)
private func packedMatmul<F: PanelFormat>(_: F.Type, out: UnsafeMutablePointer<Float>, ldo: Int, x: UnsafePointer<Float>,
                                          rows R: Int, panels base: UnsafeRawPointer, k K: Int, n N: Int,
                                          accumulate: Bool, vector: Bool) {
    let panels = (N + 15) / 16, stride = F.panelBytes(k: K)
    if !vector {
        parallelFor(R) { rows in
            for i in rows {
                panelsPortable(F.self, out: out + i * ldo, x: x + i * K, panels: base, k: K, n: N, accumulate: accumulate)
            }
        }
        return
    }
    if R < 6 {
        // Each thread takes an equal count of panels: the one-row kernel needs 8 independent chains
        // to keep both FMA units busy, and a single stream's products are too few groups of four
        // to split evenly.
        parallelFor(panels, grain: max(1, 65_536 / max(1, R * K * 16))) { range in
            // four panels at a time, the rest in one tile: a panel alone has 2 chains, a quarter of the rate
            for p in Swift.stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                let end = min(p + 4, range.upperBound)
                for i in 0..<R {
                    tile1xPanels(end - p, F.self, out, ldo, x + i * K, base + p * stride, stride, K, i, p * 16, N, accumulate)
                }
            }
        }
        return
    }
    // Groups of 4 panels for the rows past the tiles of 6.
    let groups = (panels + 3) / 4
    // With a tile of rows or more, a panel not in f32 is widened once into f32 for all of them
    // rather than once per tile: the same values, so the same bits.
    let widenFirst = F.self != F32Panel.self && R >= 6
    // a thread is worth waking for about 64k multiply-adds (a group is 64 columns)
    // tiles of 4 to 6 rows, 8 to 12 chains each: one row alone has 2, too few to keep the FMA units busy
    let tiles = widenFirst ? rowTiles(R) : []
    parallelFor(groups, grain: max(1, 65_536 / max(1, R * K * 64))) { range in
        if widenFirst {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * K) { buffer in
                let wide = UnsafeRawPointer(buffer.baseAddress!)
                for p in (range.lowerBound * 4)..<min(panels, range.upperBound * 4) {
                    F.widen(base + p * stride, K, into: buffer.baseAddress!)
                    var i = 0
                    for rows in tiles {
                        switch rows {
                        case 6: tileRowsx16(6, F32Panel.self, out, ldo, x + i * K, K, wide, i, p * 16, N, accumulate)
                        case 5: tileRowsx16(5, F32Panel.self, out, ldo, x + i * K, K, wide, i, p * 16, N, accumulate)
                        case 4: tileRowsx16(4, F32Panel.self, out, ldo, x + i * K, K, wide, i, p * 16, N, accumulate)
                        default: tile1xPanels(1, F32Panel.self, out, ldo, x + i * K, wide, 0, K, i, p * 16, N, accumulate)
                        }
                        i += rows
                    }
                }
            }
            return
        }
        for group in range {
            let p0 = group * 4, p1 = min(panels, p0 + 4)
            var i = 0
            while i + 6 <= R {
                for p in p0..<p1 { tileRowsx16(6, F.self, out, ldo, x + i * K, K, base + p * stride, i, p * 16, N, accumulate) }
                i += 6
            }
            while i < R {
                tile1xPanels(p1 - p0, F.self, out, ldo, x + i * K, base + p0 * stride, stride, K, i, p0 * 16, N, accumulate)
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

/// How the widened path covers `R` (6 or more) rows: tiles of 6, with the rest in tiles of 4 or 5
/// (taking a tile of 6 apart where needed), so that at most one row, and only for R = 7, runs alone.
func rowTiles(_ R: Int) -> [Int] {
    var tiles = [Int](repeating: 6, count: R / 6)
    switch R % 6 {
    case 0: break
    case 1 where tiles.count >= 2: tiles.removeLast(2); tiles += [5, 4, 4]
    case 1: tiles.append(1)
    case 2: tiles.removeLast(); tiles += [4, 4]
    case 3: tiles.removeLast(); tiles += [5, 4]
    default: tiles.append(R % 6)
    }
    return tiles
}

/// `rows` (4, 5 or 6, a constant where it is inlined) rows of x against one 16-column panel.
@inline(__always)
private func tileRowsx16<F: PanelFormat>(_ rows: Int, _: F.Type, _ o: UnsafeMutablePointer<Float>, _ ldo: Int,
                                         _ x: UnsafePointer<Float>, _ K: Int, _ w: UnsafeRawPointer, _ row: Int,
                                         _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
    var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
    var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
    // absent rows read row 0 and are never stored
    let x0 = x, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K, x4 = rows > 4 ? x3 + K : x0, x5 = rows > 5 ? x4 + K : x0
    for k in 0..<K {
        let (w0, w1) = F.column(w, k)
        var b = SIMD8<Float>(repeating: x0[k])
        a00 = a00.addingProduct(b, w0); a01 = a01.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x1[k])
        a10 = a10.addingProduct(b, w0); a11 = a11.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x2[k])
        a20 = a20.addingProduct(b, w0); a21 = a21.addingProduct(b, w1)
        b = SIMD8<Float>(repeating: x3[k])
        a30 = a30.addingProduct(b, w0); a31 = a31.addingProduct(b, w1)
        if rows > 4 {
            b = SIMD8<Float>(repeating: x4[k])
            a40 = a40.addingProduct(b, w0); a41 = a41.addingProduct(b, w1)
        }
        if rows > 5 {
            b = SIMD8<Float>(repeating: x5[k])
            a50 = a50.addingProduct(b, w0); a51 = a51.addingProduct(b, w1)
        }
    }
    let valid = N - col
    var at = row * ldo + col
    put(o, at, a00, valid, accumulate); put(o, at + 8, a01, valid - 8, accumulate); at += ldo
    put(o, at, a10, valid, accumulate); put(o, at + 8, a11, valid - 8, accumulate); at += ldo
    put(o, at, a20, valid, accumulate); put(o, at + 8, a21, valid - 8, accumulate); at += ldo
    put(o, at, a30, valid, accumulate); put(o, at + 8, a31, valid - 8, accumulate); at += ldo
    if rows > 4 { put(o, at, a40, valid, accumulate); put(o, at + 8, a41, valid - 8, accumulate); at += ldo }
    if rows > 5 { put(o, at, a50, valid, accumulate); put(o, at + 8, a51, valid - 8, accumulate) }
}

/// One row of x against `count` (1 to 4) consecutive panels (`stride` bytes apart): 2 independent
/// chains a panel, so 8 for four. `count` stays a run-time value, tested inside the loop: those
/// tests keep the optimiser from hoisting all four panels' loads ahead, which copies with a
/// constant count did, spilling registers.
@inline(__always)
private func tile1xPanels<F: PanelFormat>(_ count: Int, _: F.Type, _ o: UnsafeMutablePointer<Float>, _ ldo: Int,
                                          _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, _ stride: Int, _ K: Int,
                                          _ row: Int, _ col: Int, _ N: Int, _ accumulate: Bool) {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
    // absent panels are never read
    let w0 = w, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
    var k = 0
    while F.readsInGroups && k + 4 <= K {
        fourColumns(F.self, x, w0, k, &a0, &a1)
        if count > 1 { fourColumns(F.self, x, w1, k, &a2, &a3) }
        if count > 2 { fourColumns(F.self, x, w2, k, &a4, &a5) }
        if count > 3 { fourColumns(F.self, x, w3, k, &a6, &a7) }
        k += 4
    }
    for k in k..<K {
        let b = SIMD8<Float>(repeating: x[k])
        let (c0, c1) = F.column(w0, k)
        a0 = a0.addingProduct(b, c0); a1 = a1.addingProduct(b, c1)
        if count > 1 { let (c2, c3) = F.column(w1, k); a2 = a2.addingProduct(b, c2); a3 = a3.addingProduct(b, c3) }
        if count > 2 { let (c4, c5) = F.column(w2, k); a4 = a4.addingProduct(b, c4); a5 = a5.addingProduct(b, c5) }
        if count > 3 { let (c6, c7) = F.column(w3, k); a6 = a6.addingProduct(b, c6); a7 = a7.addingProduct(b, c7) }
    }
    let at = row * ldo + col, valid = N - col
    put(o, at, a0, valid, accumulate); put(o, at + 8, a1, valid - 8, accumulate)
    if count > 1 { put(o, at + 16, a2, valid - 16, accumulate); put(o, at + 24, a3, valid - 24, accumulate) }
    if count > 2 { put(o, at + 32, a4, valid - 32, accumulate); put(o, at + 40, a5, valid - 40, accumulate) }
    if count > 3 { put(o, at + 48, a6, valid - 48, accumulate); put(o, at + 56, a7, valid - 56, accumulate) }
}

/// Columns `k` ..< `k` + 4 of one panel into its two chains, reading what they share once.
@inline(__always)
private func fourColumns<F: PanelFormat>(_: F.Type, _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, _ k: Int,
                                         _ low: inout SIMD8<Float>, _ high: inout SIMD8<Float>) {
    let group = F.group(w, k)
    for j in 0..<4 {
        let b = SIMD8<Float>(repeating: x[k + j])
        let (c0, c1) = F.column(group, w, k, j)
        low = low.addingProduct(b, c0); high = high.addingProduct(b, c1)
    }
}

/// One row of out (+)= x · Wᵀ in scalar fused multiply-adds, each element the same chain.
private func panelsPortable<F: PanelFormat>(_: F.Type, out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                            panels: UnsafeRawPointer, k K: Int, n N: Int, accumulate: Bool) {
    let stride = F.panelBytes(k: K)
    for col in 0..<N {
        let panel = panels + (col / 16) * stride, lane = col % 16
        var acc: Float = 0
        for kk in 0..<K { acc = acc.addingProduct(x[kk], F.value(panel, kk, lane)) }
        out[col] = accumulate ? out[col] + acc : acc
    }
}

extension PackedMatrix {
    /// An (n, k) matrix of random GGUF blocks (Q4_1 for `.q4`, Q8_0 for `.q8`; k a multiple of
    /// 32) packed as `type`: what the benchmarks multiply to time the block kernels without a file.
    public static func randomBlocks(_ type: WeightType, n: Int, k: Int, seed: UInt64) -> PackedMatrix {
        precondition(type.isBlocks && k % 32 == 0, "random blocks are q4 or q8 with whole blocks along k")
        let ggml: GGMLType = type == .q4 ? .q4_1 : .q8_0
        let size = ggml.layout!.blockBytes, perRow = k / 32 * size
        var rng = SplitMix64(seed: seed)
        var bytes = (0..<(n * perRow)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        // scales and offsets: fp16 of either sign in [2⁻⁸, 2⁻⁷), so no value is inf or NaN
        for block in stride(from: 0, to: bytes.count, by: size) {
            for field in 0..<(ggml == .q4_1 ? 2 : 1) {
                bytes[block + 2 * field + 1] = bytes[block + 2 * field + 1] & 0x83 | 0x1C
            }
        }
        let storage = HugeBuffer(floats: floats(n: n, k: k, type: type))
        return bytes.withUnsafeBytes { raw in
            let rows = (0..<n).map { (type: ggml, bytes: UnsafeRawPointer(raw.baseAddress! + $0 * perRow)) }
            return PackedMatrix(blockRows: rows, k: k, type: type, in: storage, at: 0)
        }
    }
}
