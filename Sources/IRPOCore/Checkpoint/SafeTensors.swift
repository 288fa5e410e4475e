// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {dtype, shape, data_offsets: [begin, end)} (offsets relative to the byte after
// the header) plus an optional "__metadata__" string map, then the data. Reading trusts nothing
// in the header until it has been checked against the file's real size.
import Foundation

#if _endian(big)
#error("safetensors data is little-endian; this reader copies it as host floats")
#endif

/// One tensor as the header describes it, after validation.
struct SafeTensorsEntry {
    let name: String
    let dtype: String
    let shape: [Int]
    /// Byte range inside the data section.
    let begin: Int
    let end: Int

    var count: Int { shape.reduce(1, *) }
}

/// A validated, memory-mapped safetensors file.
final class SafeTensorsReader {
    /// The file as named in errors.
    let display: String
    /// The tensors in the order their bytes appear.
    let entries: [SafeTensorsEntry]
    /// The `__metadata__` map, empty when absent.
    let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// HF refuses headers above 100 MB; so do we, long before allocating anything that size.
    static let maxHeaderSize = 100_000_000

    /// Byte width of every dtype the format defines, so that offsets can be checked even for
    /// tensors we will refuse to convert.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// Maps and validates `path`; `display` names it in errors.
    init(path: String, display: String) throws {
        self.display = display
        file = try MappedFile(path: path, display: display)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw CheckpointError(file: display, "truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let headerSize = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerSize <= UInt64(Self.maxHeaderSize) else {
            throw CheckpointError(file: display, "header length \(headerSize) is larger than the 100 MB limit")
        }
        guard headerSize <= UInt64(bytes.count - 8) else {
            throw CheckpointError(file: display, "truncated: header length \(headerSize) but only \(bytes.count - 8) bytes follow")
        }
        let n = Int(headerSize)
        dataStart = 8 + n
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw CheckpointError(file: display, "header is not a JSON object")
        }
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: Data(headerBytes))
        } catch let e as CheckpointError {
            throw CheckpointError(file: display, tensor: e.tensor, e.problem)
        } catch let e as DecodingError {
            throw CheckpointError(file: display, "bad header JSON: \(CheckpointError.describe(e))")
        }
        metadata = header.metadata
        entries = try Self.validate(header.tensors, dataSize: bytes.count - dataStart, display: display)
    }

    /// Checks every entry and that the entries tile the data section exactly, as HF's loader does.
    private static func validate(_ raw: [(String, RawEntry)], dataSize: Int, display: String) throws -> [SafeTensorsEntry] {
        var entries: [SafeTensorsEntry] = []
        // In file order (the header's keys come in no fixed order), so that a truncated file is
        // reported at its first tensor that does not fit, the same one every time.
        let ordered = raw.sorted { ($0.1.dataOffsets.first ?? 0, $0.0) < ($1.1.dataOffsets.first ?? 0, $1.0) }
        for (name, e) in ordered {
            func fail(_ m: String) -> CheckpointError { CheckpointError(file: display, tensor: name, m) }
            guard let width = dtypeSizes[e.dtype] else { throw fail("unknown dtype \"\(e.dtype)\"") }
            var count = 1
            for d in e.shape {
                guard d >= 0 else { throw fail("negative dimension in shape \(e.shape)") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("shape \(e.shape) is too large") }
                count = p
            }
            guard e.dataOffsets.count == 2 else { throw fail("data_offsets must be [begin, end], got \(e.dataOffsets)") }
            let begin = e.dataOffsets[0], end = e.dataOffsets[1]
            guard begin >= 0, begin <= end else { throw fail("data_offsets \(e.dataOffsets) are not an increasing range") }
            guard end <= dataSize else {
                throw fail("data_offsets \(e.dataOffsets) end beyond the data (\(dataSize) bytes; file truncated or header wrong)")
            }
            let (needed, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow else { throw fail("shape \(e.shape) is too large") }
            guard end - begin == needed else {
                throw fail("data_offsets \(e.dataOffsets) span \(end - begin) bytes but shape \(e.shape) of \(e.dtype) needs \(needed)")
            }
            entries.append(SafeTensorsEntry(name: name, dtype: e.dtype, shape: e.shape, begin: begin, end: end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: String?
        for e in entries {
            if e.begin < cursor {
                throw CheckpointError(file: display, tensor: e.name, "data_offsets [\(e.begin), \(e.end)] overlap tensor \(previous ?? "?")")
            }
            if e.begin > cursor {
                throw CheckpointError(file: display, tensor: e.name, "data_offsets [\(e.begin), \(e.end)] leave bytes \(cursor)..<\(e.begin) of the data unused")
            }
            cursor = e.end
            previous = e.name
        }
        if cursor != dataSize {
            throw CheckpointError(file: display, "the tensors cover \(cursor) bytes of data but the file holds \(dataSize)")
        }
        return entries
    }

    /// The raw bytes of one tensor.
    func bytes(of entry: SafeTensorsEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
    }

    /// Converts one tensor to Float into `out`, which must hold exactly `entry.count` elements.
    func read(_ entry: SafeTensorsEntry, into out: UnsafeMutableBufferPointer<Float>) throws {
        precondition(out.count == entry.count)
        let raw = bytes(of: entry)
        switch entry.dtype {
        case "F32":
            if out.count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        case "F16":
            for i in 0..<out.count { out[i] = floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case "BF16":
            for i in 0..<out.count { out[i] = floatFromBFloat16(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        default:
            throw CheckpointError(file: display, tensor: entry.name, "unsupported dtype \(entry.dtype) (F32, F16 or BF16)")
        }
        // loading holds the weights once, not the file beside them
        file.doneWith((dataStart + entry.begin)..<(dataStart + entry.end))
    }

    /// One tensor as a new Float array.
    func floats(_ entry: SafeTensorsEntry) throws -> [Float] {
        var values = [Float](repeating: 0, count: entry.count)
        try values.withUnsafeMutableBufferPointer { try read(entry, into: $0) }
        return values
    }
}

/// IEEE half to single; exact for every input, NaN payloads kept.
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h) & 0x3FF
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}

/// bfloat16 is the upper half of a Float.
func floatFromBFloat16(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

/// The header as JSON, tensors kept apart from `__metadata__`.
private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var tensors: [(String, RawEntry)] = []

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for key in c.allKeys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try c.decode([String: String].self, forKey: key)
                } catch {
                    throw CheckpointError(file: "", "__metadata__ must map strings to strings")
                }
                continue
            }
            do {
                tensors.append((key.stringValue, try c.decode(RawEntry.self, forKey: key)))
            } catch let e as DecodingError {
                throw CheckpointError(file: "", tensor: key.stringValue, "bad header entry: \(CheckpointError.describe(e))")
            }
        }
    }
}

private struct RawEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]
    enum CodingKeys: String, CodingKey { case dtype, shape, dataOffsets = "data_offsets" }
}

// MARK: writing

/// A Float tensor to be written as F32, its bytes produced on demand.
struct F32TensorSource {
    let name: String
    let shape: [Int]
    let write: (ByteSink) throws -> Void
    var count: Int { shape.reduce(1, *) }

    /// A tensor whose values live in an array.
    static func array(_ name: String, shape: [Int], _ values: [Float]) -> F32TensorSource {
        F32TensorSource(name: name, shape: shape) { sink in try values.withUnsafeBytes { try sink.write($0) } }
    }
}

enum SafeTensorsWriter {
    /// A complete file: header padded with spaces to a multiple of 8 (so data is 8-byte aligned
    /// as HF writes it), then each tensor's F32 bytes in the order given.
    static func file(named name: String, tensors: [F32TensorSource], metadata: [String: String]) -> OutputFile {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let size = t.count * 4
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        json += fields.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var prefix = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix = Array($0) }
        let head = prefix + header
        return OutputFile(name: name, size: head.count + offset) { sink in
            try head.withUnsafeBytes { try sink.write($0) }
            for t in tensors { try t.write(sink) }
        }
    }

    /// A JSON string literal, escaping what JSON requires.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
