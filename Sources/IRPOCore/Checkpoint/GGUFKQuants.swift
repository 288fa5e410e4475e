// ggml's K-quants, dequantised to Float32 exactly as ggml's dequantize_row_q*_K do (ggml-quants.c):
// the same products in the same order, each a float32 operation, so our floats are ggml's bit for bit
// (ggml-base is built without FMA contraction: a·b − c there is two roundings, and here). An fp16
// times integers of at most 8 and 6 bits is exact in float32, so the products agree in any order;
// what must match is the subtraction after them, its rounding and the sign of a zero it gives.
//
// A super-block holds 256 values as 8 or 16 sub-blocks, each with its own small integer scale
// (and min) that the block's fp16 d (and dmin) multiply. Layouts (ggml-common.h), offsets in bytes:
//   Q2_K  84: scales[16] @0 (low nibble scale, high nibble min), qs[64] @16 (2 bits), d @80, dmin @82
//         value = (d·sc)·q − dmin·m,  16 sub-blocks of 16
//   Q3_K 110: hmask[32] @0 (third bit), qs[64] @32 (low 2 bits), scales[12] @96 (sixteen 6-bit), d @108
//         value = (d·(sc − 32))·(q − 4 if the hmask bit is clear),  16 sub-blocks of 16
//   Q4_K 144: d @0, dmin @2, scales[12] @4 (eight 6-bit scales, eight 6-bit mins), qs[128] @16 (4 bits)
//         value = (d·sc)·q − dmin·m,  8 sub-blocks of 32
//   Q5_K 176: as Q4_K, then qh[32] @16 (fifth bit), qs[128] @48
//   Q6_K 210: ql[128] @0 (low 4 bits), qh[64] @128 (high 2 bits), scales[16] @192 (int8), d @208
//         value = (d·sc)·(q − 32),  16 sub-blocks of 16
// Within a 2-bit byte the four codes of one byte go to four sub-blocks 32 values apart (shift 0, 2,
// 4, 6), and a 4-bit byte's two nibbles to sub-blocks 32 apart; the functions spell out each walk.

/// The K-quant dequantisers, one per type, over whole super-blocks of 256 values.
enum GGUFKQuants {
    /// Values per super-block (ggml's QK_K).
    static let blockValues = 256

    /// Q2_K blocks (84 bytes each) to floats, as ggml's dequantize_row_q2_K.
    static func q2K(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        superBlocks(raw, out, bytes: 84) { b, y in
            let d = half(b, 80), dmin = half(b, 82)
            let scales = b, qs = b + 16
            for part in 0..<2 {
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for side in 0..<2 {
                        let sc = scales[8 * part + 2 * j + side]
                        let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                        let q = qs + 32 * part + 16 * side, to = y + 128 * part + 32 * j + 16 * side
                        for l in 0..<16 { to[l] = dl * Float((q[l] >> shift) & 3) - ml }
                    }
                }
            }
        }
    }

    /// Q3_K blocks (110 bytes each) to floats, as ggml's dequantize_row_q3_K.
    static func q3K(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        superBlocks(raw, out, bytes: 110) { b, y in
            let d = half(b, 108)
            let hmask = b, qs = b + 32, packed = b + 96
            for part in 0..<2 {
                for j in 0..<4 {
                    let shift = UInt8(2 * j), bit = UInt8(1) << (4 * part + j)
                    for side in 0..<2 {
                        let dl = d * Float(q3KScale(packed, 8 * part + 2 * j + side) - 32)
                        let q = qs + 32 * part + 16 * side, high = hmask + 16 * side
                        let to = y + 128 * part + 32 * j + 16 * side
                        for l in 0..<16 {
                            let code = Int((q[l] >> shift) & 3) - (high[l] & bit != 0 ? 0 : 4)
                            to[l] = dl * Float(code)
                        }
                    }
                }
            }
        }
    }

    /// Q4_K blocks (144 bytes each) to floats, as ggml's dequantize_row_q4_K.
    static func q4K(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        superBlocks(raw, out, bytes: 144) { b, y in
            let d = half(b, 0), dmin = half(b, 2)
            let scales = b + 4, qs = b + 16
            for chunk in 0..<4 {
                let (d1, m1) = scaleAndMin(scales, 2 * chunk, d: d, dmin: dmin)
                let (d2, m2) = scaleAndMin(scales, 2 * chunk + 1, d: d, dmin: dmin)
                let q = qs + 32 * chunk, to = y + 64 * chunk
                for l in 0..<32 { to[l] = d1 * Float(q[l] & 0xF) - m1 }
                for l in 0..<32 { to[32 + l] = d2 * Float(q[l] >> 4) - m2 }
            }
        }
    }

    /// Q5_K blocks (176 bytes each) to floats, as ggml's dequantize_row_q5_K.
    static func q5K(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        superBlocks(raw, out, bytes: 176) { b, y in
            let d = half(b, 0), dmin = half(b, 2)
            let scales = b + 4, qh = b + 16, qs = b + 48
            for chunk in 0..<4 {
                let (d1, m1) = scaleAndMin(scales, 2 * chunk, d: d, dmin: dmin)
                let (d2, m2) = scaleAndMin(scales, 2 * chunk + 1, d: d, dmin: dmin)
                let lowBit = UInt8(1) << (2 * chunk), highBit = UInt8(2) << (2 * chunk)
                let q = qs + 32 * chunk, to = y + 64 * chunk
                for l in 0..<32 { to[l] = d1 * Float((q[l] & 0xF) + (qh[l] & lowBit != 0 ? 16 : 0)) - m1 }
                for l in 0..<32 { to[32 + l] = d2 * Float((q[l] >> 4) + (qh[l] & highBit != 0 ? 16 : 0)) - m2 }
            }
        }
    }

    /// Q6_K blocks (210 bytes each) to floats, as ggml's dequantize_row_q6_K.
    static func q6K(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        superBlocks(raw, out, bytes: 210) { b, y in
            let d = half(b, 208)
            for part in 0..<2 {
                let ql = b + 64 * part, qh = b + 128 + 32 * part, to = y + 128 * part
                let sc = { (i: Int) in Float(Int8(bitPattern: b[192 + 8 * part + i])) }
                for l in 0..<32 {
                    let s = l / 16
                    let q1 = Int((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32
                    let q2 = Int((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32
                    let q3 = Int((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
                    let q4 = Int((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
                    // (d·sc)·q, left to right as C evaluates d * sc[is] * q
                    to[l] = d * sc(s) * Float(q1)
                    to[l + 32] = d * sc(s + 2) * Float(q2)
                    to[l + 64] = d * sc(s + 4) * Float(q3)
                    to[l + 96] = d * sc(s + 6) * Float(q4)
                }
            }
        }
    }

    /// The codes of sub-block `s` of a super-block (values 32s ..< 32s + 32 of Q4_K and Q5_K,
    /// 16s ..< 16s + 16 of Q2_K, Q3_K and Q6_K), with the scale and offset that make value l
    /// `fma(codes[l], scale, offset)`, the float the dequantiser above gives (the walks are theirs:
    /// a Q4_K or Q5_K sub-block s is chunk s / 2, nibble s % 2 there; a 16-value sub-block s is
    /// part s / 8, j (s % 8) / 2, side s % 2): Q4_K and Q5_K (d·sc)·q − dmin·m, Q2_K
    /// (d·sc)·q − dmin·m, Q3_K (d·(sc − 32))·q, Q6_K (d·sc)·(q − 32).
    static func codes(_ type: GGMLType, _ b: UnsafePointer<UInt8>, subBlock s: Int, into codes: UnsafeMutablePointer<Int32>)
        -> (scale: Float, offset: Float) {
        let part = s / 8, j = (s % 8) / 2, side = s % 2
        switch type {
        case .q4_K, .q5_K:
            let chunk = s / 2, shift = UInt8(4 * (s % 2))
            let qs = b + (type == .q4_K ? 16 : 48) + 32 * chunk, qh = b + 16, bit = UInt8(1) << UInt8(s)
            for l in 0..<32 {
                codes[l] = Int32((qs[l] >> shift) & 0xF) + (type == .q5_K && qh[l] & bit != 0 ? 16 : 0)
            }
            // ggml's d·sc·q − dmin·m: d·sc and dmin·m are exact, so is their product with q
            let (scale, minimum) = scaleAndMin(b + 4, s, d: half(b, 0), dmin: half(b, 2))
            return (scale, -minimum)
        case .q2_K:
            let sc = b[s], q = b + 16 + 32 * part + 16 * side, shift = UInt8(2 * j)
            for l in 0..<16 { codes[l] = Int32((q[l] >> shift) & 3) }
            return (half(b, 80) * Float(sc & 0xF), -(half(b, 82) * Float(sc >> 4)))
        case .q3_K:
            let q = b + 32 + 32 * part + 16 * side, high = b + 16 * side
            let shift = UInt8(2 * j), bit = UInt8(1) << (4 * part + j)
            for l in 0..<16 { codes[l] = Int32((q[l] >> shift) & 3) - (high[l] & bit != 0 ? 0 : 4) }
            return (half(b, 108) * Float(q3KScale(b + 96, s) - 32), 0)
        case .q6_K:
            // value 16s + l is q_m of column l + 16·side of the part, m = j: its low nibble from ql
            // (byte l or l + 32, low or high nibble), its high 2 bits from qh
            let ql = b + 64 * part + 32 * (j % 2), qh = b + 128 + 32 * part, nibbleShift = UInt8(4 * (j / 2))
            for l in (16 * side)..<(16 * side + 16) {
                let low = (ql[l] >> nibbleShift) & 0xF, high = (qh[l] >> UInt8(2 * j)) & 3
                codes[l - 16 * side] = Int32(low | high << 4) - 32
            }
            return (half(b, 208) * Float(Int8(bitPattern: b[192 + s])), 0)
        default:
            preconditionFailure("no 16-value sub-blocks in ggml type \(type)")
        }
    }

    /// Scale `index` (0..<16) of Q3_K's 12 packed bytes, 0...63: its low 4 bits are a nibble of
    /// bytes 0–7 (bytes 0–3, then 4–7, low nibbles for the first 8 scales, high for the last 8),
    /// its high 2 bits a pair of bits of bytes 8–11, as ggml's kmask1/kmask2 shuffle leaves them.
    @inline(__always)
    static func q3KScale(_ packed: UnsafePointer<UInt8>, _ index: Int) -> Int {
        let group = index / 4, byte = index % 4
        let low = (packed[4 * (group % 2) + byte] >> (4 * (group / 2))) & 0xF
        let high = (packed[8 + byte] >> (2 * group)) & 3
        return Int(low | high << 4)
    }

    /// Scale and min `index` (0..<8) of Q4_K's and Q5_K's 12 packed bytes, as ggml's
    /// get_scale_min_k4: the first four are 6-bit fields of bytes 0–7, the last four take their
    /// low 4 bits from bytes 8–11 and their top 2 bits from the spare bits of bytes 0–7.
    @inline(__always)
    private static func scaleAndMinCodes(_ packed: UnsafePointer<UInt8>, _ index: Int) -> (scale: UInt8, min: UInt8) {
        if index < 4 { return (packed[index] & 63, packed[index + 4] & 63) }
        let scale = (packed[index + 4] & 0xF) | (packed[index - 4] >> 6) << 4
        let min = (packed[index + 4] >> 4) | (packed[index] >> 6) << 4
        return (scale, min)
    }

    /// The sub-block's multiplier d·sc and subtrahend dmin·m, each one float32 rounding as in ggml.
    @inline(__always)
    private static func scaleAndMin(_ packed: UnsafePointer<UInt8>, _ index: Int, d: Float, dmin: Float) -> (Float, Float) {
        let (sc, m) = scaleAndMinCodes(packed, index)
        return (d * Float(sc), dmin * Float(m))
    }

    /// Walks super-blocks of `bytes` bytes each, handing each block and its 256 outputs to `body`.
    @inline(__always)
    private static func superBlocks(_ raw: UnsafeRawBufferPointer, _ out: UnsafeMutableBufferPointer<Float>, bytes: Int,
                                    _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<Float>) -> Void) {
        let n = out.count / blockValues
        precondition(out.count % blockValues == 0 && raw.count == n * bytes)
        guard n > 0 else { return }
        let base = raw.bindMemory(to: UInt8.self).baseAddress!
        for i in 0..<n { body(base + i * bytes, out.baseAddress! + blockValues * i) }
    }

    /// The little-endian fp16 at byte `at` of a block, as float.
    @inline(__always)
    private static func half(_ b: UnsafePointer<UInt8>, _ at: Int) -> Float {
        floatFromHalf(UInt16(b[at]) | UInt16(b[at + 1]) << 8)
    }
}
