// How a packed panel (16 rows of W, column k of the panel holding W[16p ..< 16p+16, k]) keeps its
// weights, and how the decode kernels read them back as f32. Every format reads back exactly
// the f32 values it was packed from, so the kernels' chains, and so their bits, are the same
// whatever the format; only the bytes a decoded token streams change.

/// How a model's weight matrices are kept for decoding.
public enum WeightType: String, Sendable, CaseIterable {
    /// 4 bytes a weight.
    case f32
    /// 2 bytes a weight, rounded to nearest even (exact for a bf16 checkpoint's values).
    case bf16
    /// GGUF's Q4_0 and Q4_1 blocks as the file stores them: a 4-bit code a weight, and a scale
    /// and an offset for each 32 weights of a row.
    case q4
    /// GGUF's Q8_0 blocks as the file stores them: an 8-bit code a weight and a scale for each 32.
    case q8
    /// The K-quants whose scales go by 16 weights (Q2_K, Q3_K, Q6_K): an 8-bit code a weight and
    /// a scale and an offset for each 16.
    case q8s16

    /// Whether the type keeps a GGUF file's blocks (only packable from them, never from floats).
    public var isBlocks: Bool { self == .q4 || self == .q8 || self == .q8s16 }
}

/// A way a panel keeps its weights, read back as f32 by the decode kernels.
protocol PanelFormat {
    /// Bytes one panel of `k` columns takes.
    static func panelBytes(k: Int) -> Int
    /// Column `k` of the panel at `panel`: its 16 weights as f32, rows 0-7 then 8-15.
    static func column(_ panel: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>)
    /// The weight of row `lane` (0-15) in column `k` of the panel at `panel`.
    static func value(_ panel: UnsafeRawPointer, _ k: Int, _ lane: Int) -> Float
    /// What columns `k` ..< `k` + 4 (`k` a multiple of 4) share, loaded once for the four.
    associatedtype Group
    /// The part of columns `k` ..< `k` + 4 they share.
    static func group(_ panel: UnsafeRawPointer, _ k: Int) -> Group
    /// Column `k` + `j` (j in 0..<4) as `column` gives it, from its group.
    static func column(_ group: Group, _ panel: UnsafeRawPointer, _ k: Int, _ j: Int) -> (SIMD8<Float>, SIMD8<Float>)
}

extension PanelFormat {
    /// Whether the format's columns share a group: formats whose columns share nothing read one
    /// column at a time, which runs faster for them than the four-column order.
    static var readsInGroups: Bool { Group.self != Void.self }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, _ k: Int) {}
    @inline(__always) static func column(_ group: Void, _ panel: UnsafeRawPointer, _ k: Int, _ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        column(panel, k + j)
    }
    /// The panel at `panel` (`k` columns) as an f32 panel, into `out` (16·k floats). Not inlined:
    /// inside a product's closure the optimiser stopped inlining the integer-to-float conversions
    /// and called them, a call per column.
    @inline(never) static func widen(_ panel: UnsafeRawPointer, _ k: Int, into out: UnsafeMutablePointer<Float>) {
        @inline(__always) func store(_ kk: Int, _ column: (SIMD8<Float>, SIMD8<Float>)) {
            UnsafeMutableRawPointer(out + 16 * kk).storeBytes(of: column.0, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + 16 * kk + 8).storeBytes(of: column.1, as: SIMD8<Float>.self)
        }
        var kk = 0
        while readsInGroups && kk + 4 <= k {
            let shared = group(panel, kk)
            for j in 0..<4 { store(kk + j, column(shared, panel, kk, j)) }
            kk += 4
        }
        for kk in kk..<k { store(kk, column(panel, kk)) }
    }
}

/// f32 weights, as they are.
enum F32Panel: PanelFormat {
    static func panelBytes(k: Int) -> Int { 64 * k }
    @inline(__always) static func column(_ panel: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let p = panel + 64 * k
        return (p.loadUnaligned(as: SIMD8<Float>.self), p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
    }
    @inline(__always) static func value(_ panel: UnsafeRawPointer, _ k: Int, _ lane: Int) -> Float {
        panel.load(fromByteOffset: 4 * (16 * k + lane), as: Float.self)
    }
}

/// bf16 weights: the high half of each f32, widened back by a shift.
enum BF16Panel: PanelFormat {
    static func panelBytes(k: Int) -> Int { 32 * k }
    @inline(__always) static func column(_ panel: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let p = panel + 32 * k
        return (widen(p.loadUnaligned(as: SIMD8<UInt16>.self)),
                widen(p.loadUnaligned(fromByteOffset: 16, as: SIMD8<UInt16>.self)))
    }
    @inline(__always) static func value(_ panel: UnsafeRawPointer, _ k: Int, _ lane: Int) -> Float {
        Float(bitPattern: UInt32(panel.load(fromByteOffset: 2 * (16 * k + lane), as: UInt16.self)) << 16)
    }
    @inline(__always) private static func widen(_ half: SIMD8<UInt16>) -> SIMD8<Float> {
        unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD8<Float>.self)
    }
}

/// The layout the block formats share: per block of 32 (or 16) columns, the 16 rows' scales,
/// their 16 offsets (f32), then the codes of the block's columns. A weight is
/// `fma(code, scale, offset)`: the code times the scale is exact in f32 (a code of at most 8 bits
/// times an fp16 times at most an 8-bit integer), so this is the single rounding of ggml's
/// dequantisation, and the value the f32 load of the file gives.
protocol BlockPanelFormat: PanelFormat {
    /// Columns one scale and offset cover (32 or 16), a multiple of 4.
    static var blockColumns: Int { get }
    /// Bytes of codes one column of 16 rows takes.
    static var codeBytes: Int { get }
    /// The codes of column `column` of a block, from `codes` (the block's codes), as f32, rows 0-7 and 8-15.
    static func codes(_ codes: UnsafeRawPointer, _ column: Int) -> (SIMD8<Float>, SIMD8<Float>)
    /// The code of row `lane` in column `column` of the block's codes.
    static func code(_ codes: UnsafeRawPointer, _ column: Int, _ lane: Int) -> Float
    /// Stores `code` for row `lane` in column `column` of the block's codes.
    static func setCode(_ codes: UnsafeMutableRawPointer, _ column: Int, _ lane: Int, _ code: Int)
}

/// A block's scales and offsets for rows 0-7 and 8-15.
typealias Scales = (scale0: SIMD8<Float>, scale1: SIMD8<Float>, offset0: SIMD8<Float>, offset1: SIMD8<Float>)

extension BlockPanelFormat {
    /// Bytes of one block: 16 scales, 16 offsets, the codes of its columns.
    static var blockBytes: Int { 128 + blockColumns * codeBytes }
    static func panelBytes(k: Int) -> Int { k / blockColumns * blockBytes }
    /// The block holding column `k` of the panel at `panel`.
    @inline(__always) static func block(_ panel: UnsafeRawPointer, _ k: Int) -> UnsafeRawPointer {
        panel + (k / blockColumns) * blockBytes
    }
    @inline(__always) static func column(_ panel: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let block = block(panel, k)
        let (c0, c1) = codes(block + 128, k % blockColumns), s = scales(block)
        return (s.offset0.addingProduct(c0, s.scale0), s.offset1.addingProduct(c1, s.scale1))
    }
    /// The scales and offsets of the block at `block`.
    @inline(__always) static func scales(_ block: UnsafeRawPointer) -> Scales {
        (block.loadUnaligned(as: SIMD8<Float>.self), block.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
         block.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self),
         block.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }
    @inline(__always) static func value(_ panel: UnsafeRawPointer, _ k: Int, _ lane: Int) -> Float {
        let block = block(panel, k)
        let scale = block.load(fromByteOffset: 4 * lane, as: Float.self)
        let offset = block.load(fromByteOffset: 64 + 4 * lane, as: Float.self)
        return offset.addingProduct(code(block + 128, k % blockColumns, lane), scale)
    }
}

/// 4-bit codes (0-15) in groups of 4 columns: byte `c % 4` of 32-bit word j of group `c / 4`
/// holds column c's row j in its low nibble and row j + 8 in its high one. One load of a group's
/// 8 words serves 4 columns, each taken out by a shift and a mask in the 32-bit lanes the
/// conversion to f32 needs, with no widening shuffle.
enum Q4Panel: BlockPanelFormat {
    static var blockColumns: Int { 32 }
    static var codeBytes: Int { 8 }
    @inline(__always) static func codes(_ codes: UnsafeRawPointer, _ column: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let words = codes.loadUnaligned(fromByteOffset: 32 * (column >> 2), as: SIMD8<UInt32>.self)
        return nibbles(words &>> UInt32(8 * (column & 3)))
    }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, _ k: Int) -> (SIMD8<UInt32>, Scales) {
        let block = block(panel, k)
        return (block.loadUnaligned(fromByteOffset: 128 + 8 * (k % blockColumns), as: SIMD8<UInt32>.self), scales(block))
    }
    @inline(__always) static func column(_ group: (SIMD8<UInt32>, Scales), _ panel: UnsafeRawPointer, _ k: Int,
                                          _ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let (low, high) = nibbles(group.0 &>> UInt32(8 * j)), s = group.1
        return (s.offset0.addingProduct(low, s.scale0), s.offset1.addingProduct(high, s.scale1))
    }
    /// The low and high nibbles of each word's low byte, as f32.
    @inline(__always) static func nibbles(_ words: SIMD8<UInt32>) -> (SIMD8<Float>, SIMD8<Float>) {
        let low = SIMD8<Int32>(truncatingIfNeeded: words & 15), high = SIMD8<Int32>(truncatingIfNeeded: (words &>> 4) & 15)
        return (SIMD8<Float>(low), SIMD8<Float>(high))
    }
    @inline(__always) static func code(_ codes: UnsafeRawPointer, _ column: Int, _ lane: Int) -> Float {
        let byte = codes.load(fromByteOffset: byteOffset(column, lane), as: UInt8.self)
        return Float(lane < 8 ? byte & 15 : byte >> 4)
    }
    static func setCode(_ codes: UnsafeMutableRawPointer, _ column: Int, _ lane: Int, _ code: Int) {
        let at = byteOffset(column, lane)
        let byte = codes.load(fromByteOffset: at, as: UInt8.self)
        let nibble = UInt8(code & 15)
        codes.storeBytes(of: lane < 8 ? (byte & 0xF0) | nibble : (byte & 0x0F) | nibble << 4, toByteOffset: at, as: UInt8.self)
    }
    @inline(__always) private static func byteOffset(_ column: Int, _ lane: Int) -> Int {
        32 * (column >> 2) + 4 * (lane % 8) + (column & 3)
    }
}

/// 8-bit signed codes: column c's byte j holds row j.
protocol BytePanelFormat: BlockPanelFormat {}

extension BytePanelFormat {
    static var codeBytes: Int { 16 }
    @inline(__always) static func codes(_ codes: UnsafeRawPointer, _ column: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let p = codes + 16 * column
        return (SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: p.loadUnaligned(as: SIMD8<Int8>.self))),
                SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 8, as: SIMD8<Int8>.self))))
    }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, _ k: Int) -> Scales {
        scales(block(panel, k))
    }
    @inline(__always) static func column(_ group: Scales, _ panel: UnsafeRawPointer, _ k: Int, _ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let (c0, c1) = codes(block(panel, k) + 128, k % blockColumns + j)
        return (group.offset0.addingProduct(c0, group.scale0), group.offset1.addingProduct(c1, group.scale1))
    }
    @inline(__always) static func code(_ codes: UnsafeRawPointer, _ column: Int, _ lane: Int) -> Float {
        Float(codes.load(fromByteOffset: 16 * column + lane, as: Int8.self))
    }
    static func setCode(_ codes: UnsafeMutableRawPointer, _ column: Int, _ lane: Int, _ code: Int) {
        codes.storeBytes(of: Int8(code), toByteOffset: 16 * column + lane, as: Int8.self)
    }
}

/// Byte codes with a scale and an offset per 32 columns: Q8_0, and the 5-bit types.
enum Q8Panel: BytePanelFormat {
    static var blockColumns: Int { 32 }
}

/// Byte codes with a scale and an offset per 16 columns: the K-quants with 16-weight scales.
enum Q8S16Panel: BytePanelFormat {
    static var blockColumns: Int { 16 }
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
