// ggml's tensor types and the dequantisation of the ones we read, to Float32 at load time.
//
// Block layouts (ggml-common.h), 32 values per block, fp16 fields little-endian:
//   Q8_0  d, then 32 int8 q                      value = q·d
//   Q4_0  d, then 16 bytes                       value = (q − 8)·d
//   Q4_1  d, m, then 16 bytes                    value = q·d + m
//   Q5_0  d, 4 bytes qh, then 16 bytes            value = (q − 16)·d
//   Q5_1  d, m, 4 bytes qh, then 16 bytes         value = q·d + m
// In the 4- and 5-bit types byte j holds element j in its low nibble and element j + 16 in its
// high one; a 5-bit code's fifth bit is bit j (element j) or bit j + 16 of qh, little-endian.
// The products are single roundings of float32 operands, as in ggml's reference dequantisers
// and gguf-py's, so every reader gets the same floats.

/// A ggml tensor type, by its number in the file; every type ggml defines has a name and block size.
struct GGMLType: Equatable, Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt32

    static let f32 = GGMLType(rawValue: 0)
    static let f16 = GGMLType(rawValue: 1)
    static let q4_0 = GGMLType(rawValue: 2)
    static let q4_1 = GGMLType(rawValue: 3)
    static let q5_0 = GGMLType(rawValue: 6)
    static let q5_1 = GGMLType(rawValue: 7)
    static let q8_0 = GGMLType(rawValue: 8)
    static let q2_K = GGMLType(rawValue: 10)
    static let q3_K = GGMLType(rawValue: 11)
    static let q4_K = GGMLType(rawValue: 12)
    static let q5_K = GGMLType(rawValue: 13)
    static let q6_K = GGMLType(rawValue: 14)
    static let bf16 = GGMLType(rawValue: 30)

    /// The types we dequantise, in the order messages list them.
    static let supported: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Name, values per block and bytes per block of every type in gguf-py's GGML_QUANT_SIZES.
    private static let known: [UInt32: (name: String, blockSize: Int, blockBytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
        30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18), 42: ("Q2_0", 64, 18),
    ]

    /// The type's name in ggml, nil for a number ggml does not define.
    var name: String? { Self.known[rawValue]?.name }

    /// Values per block and bytes per block, nil for a number ggml does not define.
    var layout: (blockSize: Int, blockBytes: Int)? {
        Self.known[rawValue].map { ($0.blockSize, $0.blockBytes) }
    }

    var isSupported: Bool { Self.supported.contains(self) }

    /// "Q4_K (12)", or "unknown (99)".
    var description: String { "\(name ?? "unknown") (\(rawValue))" }
}

enum GGUFDequantize {
    /// Converts one tensor's bytes to Float into `out` (which holds exactly its element count);
    /// the caller has checked the type is supported and the byte count matches.
    static func floats(_ type: GGMLType, _ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        switch type {
        case .f32:
            precondition(raw.count == 4 * out.count)
            if out.count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        case .f16:
            precondition(raw.count == 2 * out.count)
            for i in 0..<out.count { out[i] = floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            precondition(raw.count == 2 * out.count)
            for i in 0..<out.count { out[i] = floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .q8_0:
            blocks(raw, out, bytes: 34) { b, y in
                let d = half(b, 0)
                for j in 0..<32 { y[j] = Float(Int8(bitPattern: b[2 + j])) * d }
            }
        case .q4_0:
            blocks(raw, out, bytes: 18) { b, y in
                let d = half(b, 0)
                for j in 0..<16 {
                    let q = b[2 + j]
                    y[j] = Float(Int(q & 0x0F) - 8) * d
                    y[j + 16] = Float(Int(q >> 4) - 8) * d
                }
            }
        case .q4_1:
            blocks(raw, out, bytes: 20) { b, y in
                let d = half(b, 0), m = half(b, 2)
                for j in 0..<16 {
                    let q = b[4 + j]
                    y[j] = Float(q & 0x0F) * d + m
                    y[j + 16] = Float(q >> 4) * d + m
                }
            }
        case .q5_0, .q5_1:
            let offset = type == .q5_0 ? 6 : 8
            blocks(raw, out, bytes: offset + 16) { b, y in
                let d = half(b, 0), m = type == .q5_1 ? half(b, 2) : 0
                let high = (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[offset - 4 + $1]) << (8 * $1) }
                for j in 0..<16 {
                    let q = b[offset + j]
                    let low = Int(q & 0x0F) | Int(high >> j & 1) << 4, upper = Int(q >> 4) | Int(high >> (j + 16) & 1) << 4
                    // Q5_0's (q − 16)·d is exact; Q5_1 rounds q·d + m once, as ggml does
                    if type == .q5_0 {
                        y[j] = Float(low - 16) * d
                        y[j + 16] = Float(upper - 16) * d
                    } else {
                        y[j] = Float(low) * d + m
                        y[j + 16] = Float(upper) * d + m
                    }
                }
            }
        case .q2_K: GGUFKQuants.q2K(raw, into: out)
        case .q3_K: GGUFKQuants.q3K(raw, into: out)
        case .q4_K: GGUFKQuants.q4K(raw, into: out)
        case .q5_K: GGUFKQuants.q5K(raw, into: out)
        case .q6_K: GGUFKQuants.q6K(raw, into: out)
        default:
            preconditionFailure("dequantising unsupported ggml type \(type)")
        }
    }

    /// Values one scale and offset of `type` cover as `codes(_:row:index:into:)` gives them: 16
    /// for the K-quants of 16-value scales (Q2_K, Q3_K, Q6_K), else 32.
    static func codeCount(_ type: GGMLType) -> Int {
        type == .q2_K || type == .q3_K || type == .q6_K ? 16 : 32
    }

    /// The `codeCount(type)` integer codes of values n·`index` ..< n·`index` + n of the row at
    /// `row` into `codes`, with the scale and offset that make value j `fma(codes[j], scale, offset)`:
    /// the code times the scale is exact in f32, so that is the one rounding `floats` makes, and
    /// the same value. For Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (a block each), Q4_K, Q5_K (an eighth of a
    /// super-block each: its scale and minimum, each a 6-bit code times an fp16, are exact too) and
    /// Q2_K, Q3_K, Q6_K (a sixteenth: an fp16 times a scale of at most 8 bits, times a code of at
    /// most 6, is at most 24 bits).
    @inline(__always)
    static func codes(_ type: GGMLType, row: UnsafeRawPointer, index: Int, into codes: UnsafeMutablePointer<Int32>)
        -> (scale: Float, offset: Float) {
        let layout = type.layout!
        if layout.blockSize == 32 { return self.codes(type, row + index * layout.blockBytes, into: codes) }
        let perSuperBlock = layout.blockSize / codeCount(type)
        let superBlock = UnsafeRawPointer(row + (index / perSuperBlock) * layout.blockBytes).assumingMemoryBound(to: UInt8.self)
        return GGUFKQuants.codes(type, superBlock, subBlock: index % perSuperBlock, into: codes)
    }

    /// The 32 integer codes of the 32-value block at `block` (Q8_0, Q4_0, Q4_1, Q5_0 or Q5_1),
    /// as `codes(_:row:index:into:)` gives them.
    @inline(__always)
    static func codes(_ type: GGMLType, _ block: UnsafeRawPointer, into codes: UnsafeMutablePointer<Int32>)
        -> (scale: Float, offset: Float) {
        let d = floatFromHalf(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        switch type {
        case .q5_0, .q5_1:
            let first = type == .q5_0 ? 6 : 8
            let high = (0..<4).reduce(UInt32(0)) { $0 | UInt32(block.load(fromByteOffset: first - 4 + $1, as: UInt8.self)) << (8 * $1) }
            for j in 0..<16 {
                let q = block.load(fromByteOffset: first + j, as: UInt8.self)
                codes[j] = Int32(q & 0x0F) | Int32(high >> j & 1) << 4
                codes[j + 16] = Int32(q >> 4) | Int32(high >> (j + 16) & 1) << 4
            }
            // (q − 16)·d = q·d − 16d, and 16d is exact
            if type == .q5_0 { return (d, -16 * d) }
            return (d, floatFromHalf(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))))
        case .q8_0:
            for j in 0..<32 { codes[j] = Int32(block.load(fromByteOffset: 2 + j, as: Int8.self)) }
            return (d, 0)
        case .q4_0, .q4_1:
            let first = type == .q4_0 ? 2 : 4
            for j in 0..<16 {
                let q = block.load(fromByteOffset: first + j, as: UInt8.self)
                codes[j] = Int32(q & 0x0F)
                codes[j + 16] = Int32(q >> 4)
            }
            // (q − 8)·d = q·d − 8d, and 8d is exact
            if type == .q4_0 { return (d, -8 * d) }
            return (d, floatFromHalf(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))))
        default:
            preconditionFailure("no codes in ggml type \(type)")
        }
    }

    /// Walks 32-value blocks of `bytes` bytes each, handing each block and its 32 outputs to `body`.
    @inline(__always)
    private static func blocks(_ raw: UnsafeRawBufferPointer, _ out: UnsafeMutableBufferPointer<Float>, bytes: Int,
                               _ body: (UnsafeBufferPointer<UInt8>, UnsafeMutablePointer<Float>) -> Void) {
        let n = out.count / 32
        precondition(out.count % 32 == 0 && raw.count == n * bytes)
        let base = raw.bindMemory(to: UInt8.self)
        for i in 0..<n {
            body(UnsafeBufferPointer(rebasing: base[(i * bytes)..<((i + 1) * bytes)]), out.baseAddress! + 32 * i)
        }
    }

    @inline(__always)
    private static func half(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Float {
        floatFromHalf(UInt16(b[at]) | UInt16(b[at + 1]) << 8)
    }
}
