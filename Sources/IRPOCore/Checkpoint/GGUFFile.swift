// The GGUF container, version 3 (llama.cpp's model file): little-endian throughout.
//
//   magic "GGUF", u32 version, u64 tensor count, u64 metadata count
//   metadata: key (u64 length + UTF-8 bytes), u32 value type, value; an array is u32 element
//             type, u64 count, then the elements
//   tensor infos: name, u32 dimension count, u64 per dimension (ne0 first: the fastest-varying,
//             the columns of a matrix), u32 ggml type, u64 offset into the data section
//   padding to `general.alignment` (default 32), then the data section; every offset aligned.
//
// Nothing read from the file is trusted until checked against the file's real size.
import Foundation

#if _endian(big)
#error("GGUF data is little-endian; this reader loads it as host integers and floats")
#endif

/// The value types of GGUF metadata, by their number in the file.
enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// The name gguf-py gives the type, for messages.
    var name: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .float32: "FLOAT32"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array: "ARRAY"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float64: "FLOAT64"
        }
    }
}

/// One metadata value, in the type the file gives it.
enum GGUFValue: Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// The element type and the elements (all of that type).
    case array(GGUFValueType, [GGUFValue])

    var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// Any integer type whose value fits an Int; nil for other types.
    var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// A FLOAT32 or FLOAT64 value; nil for other types.
    var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: nil
        }
    }

    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    var arrayValue: [GGUFValue]? { if case .array(_, let a) = self { a } else { nil } }

    /// The type as messages name it: "UINT32", "ARRAY of STRING".
    var typeDescription: String {
        if case .array(let element, _) = self { return "ARRAY of \(element.name)" }
        return type.name
    }
}

/// One tensor as its info record describes it, after validation.
struct GGUFTensorInfo: Sendable {
    let name: String
    /// ggml's ne: the fastest-varying dimension first (a matrix's columns, then its rows).
    let dims: [Int]
    let type: GGMLType
    /// Byte offset inside the data section.
    let offset: Int
    let byteCount: Int

    var count: Int { dims.reduce(1, *) }
    /// The row-major shape PyTorch would give the same bytes: the dims reversed.
    var shape: [Int] { dims.reversed() }
}

/// A validated, memory-mapped GGUF v3 file.
final class GGUFFile {
    /// The file as named in errors.
    let display: String
    /// Metadata in file order, and by key.
    let keys: [String]
    let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    let tensors: [GGUFTensorInfo]
    let alignment: Int
    private let file: MappedFile
    private let dataStart: Int

    static let magic: [UInt8] = Array("GGUF".utf8)
    static let version: UInt32 = 3
    static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    static let maxDims = 4
    /// Arrays inside arrays are allowed; this bounds the recursion a hostile file could ask for.
    static let maxNesting = 8

    /// Maps and validates `path`; `display` names it in errors.
    init(path: String, display: String) throws {
        self.display = display
        file = try MappedFile(path: path, display: display)
        var r = GGUFCursor(bytes: file.bytes, display: display)
        let (tensorCount, keyCount) = try Self.readHeader(&r)
        (keys, metadata) = try Self.readMetadata(&r, count: keyCount)
        alignment = try Self.alignment(metadata, display: display)

        guard tensorCount <= UInt64(r.remaining / 24) else {
            throw CheckpointError(file: display, "truncated: \(tensorCount) tensor infos cannot fit in the \(r.remaining) bytes left")
        }
        let raw = try Self.readTensorInfos(&r, count: Int(tensorCount))
        dataStart = tensorCount == 0 ? r.position : (r.position + alignment - 1) / alignment * alignment
        let dataSize = file.bytes.count - min(dataStart, file.bytes.count)
        if tensorCount > 0 && dataStart > file.bytes.count {
            throw CheckpointError(file: display, "truncated: the data section would start at byte \(dataStart) but the file has \(file.bytes.count)")
        }
        let alignment = alignment
        tensors = try raw.map { t in
            try Self.validate(name: t.name, dims: t.dims, type: t.type, offset: t.offset,
                              alignment: alignment, dataSize: dataSize, display: display)
        }
        let ordered = tensors.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw CheckpointError(file: display, tensor: b.name, "data at offset \(b.offset) overlaps tensor \(a.name)")
        }
    }

    /// The magic and version, then the tensor and metadata counts.
    private static func readHeader(_ r: inout GGUFCursor) throws -> (tensors: UInt64, keys: UInt64) {
        let display = r.display, bytes = r.bytes
        let head = Array(bytes.prefix(4))
        guard head.count == 4 else {
            throw CheckpointError(file: display, "truncated: \(bytes.count) bytes, too short for the GGUF magic")
        }
        guard head == magic else {
            let shown = head.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            throw CheckpointError(file: display, "not a GGUF file: it starts with \"\(shown)\", not \"GGUF\"")
        }
        r.position = 4
        let found = try r.u32("the version")
        guard found == version else {
            var problem = "unsupported GGUF version \(found) (only version \(version))"
            if found.byteSwapped == version { problem += "; the file looks big-endian" }
            throw CheckpointError(file: display, problem)
        }
        let tensorCount = try r.u64("the tensor count")
        let keyCount = try r.u64("the metadata count")
        // Each entry takes at least a few bytes, so counts beyond the file's size are a lie told
        // before anything is allocated for them.
        guard keyCount <= UInt64(r.remaining / 13) else {
            throw CheckpointError(file: display, "truncated: \(keyCount) metadata entries cannot fit in the \(r.remaining) bytes left")
        }
        return (tensorCount, keyCount)
    }

    /// The metadata entries, in file order and by key.
    private static func readMetadata(_ r: inout GGUFCursor, count: UInt64) throws -> ([String], [String: GGUFValue]) {
        let display = r.display
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for i in 0..<Int(count) {
            let key = try r.string("metadata key \(i)")
            guard !key.isEmpty else { throw CheckpointError(file: display, "metadata key \(i) is empty") }
            guard metadata[key] == nil else { throw CheckpointError(file: display, "metadata key '\(key)' appears twice") }
            let rawType = try r.u32("the type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw CheckpointError(file: display, "metadata key '\(key)' has unknown value type \(rawType)")
            }
            metadata[key] = try r.value(type, key: key, depth: 0)
            keys.append(key)
        }
        return (keys, metadata)
    }

    /// `general.alignment`, a power of two, or the default.
    private static func alignment(_ metadata: [String: GGUFValue], display: String) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case .uint32(let a) = value else {
            throw CheckpointError(file: display, "metadata key 'general.alignment' is \(value.typeDescription), expected UINT32")
        }
        guard a > 0, a & (a - 1) == 0 else {
            throw CheckpointError(file: display, "general.alignment \(a) is not a power of two")
        }
        return Int(a)
    }

    /// The tensor infos as written, before their shapes and places are checked.
    private static func readTensorInfos(_ r: inout GGUFCursor, count: Int) throws
        -> [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] {
        let display = r.display
        var raw: [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] = []
        var names = Set<String>()
        for i in 0..<count {
            let name = try r.string("the name of tensor \(i)")
            guard names.insert(name).inserted else { throw CheckpointError(file: display, tensor: name, "appears twice") }
            let n = try r.u32("the dimension count of tensor '\(name)'")
            guard n >= 1, n <= UInt32(maxDims) else {
                throw CheckpointError(file: display, tensor: name, "has \(n) dimensions (ggml allows 1 to \(maxDims))")
            }
            var dims: [Int] = []
            for _ in 0..<n {
                let d = try r.u64("the dimensions of tensor '\(name)'")
                guard let dim = Int(exactly: d), dim >= 0 else {
                    throw CheckpointError(file: display, tensor: name, "dimension \(d) is too large")
                }
                dims.append(dim)
            }
            let type = GGMLType(rawValue: try r.u32("the type of tensor '\(name)'"))
            let offset = try r.u64("the offset of tensor '\(name)'")
            raw.append((name, dims, type, offset))
        }
        return raw
    }

    /// Checks one tensor's shape, type and place; its byte size follows from ggml's block layout.
    private static func validate(name: String, dims: [Int], type: GGMLType, offset: UInt64,
                                 alignment: Int, dataSize: Int, display: String) throws -> GGUFTensorInfo {
        func fail(_ m: String) -> CheckpointError { CheckpointError(file: display, tensor: name, m) }
        guard let layout = type.layout else { throw fail("unknown ggml type \(type.rawValue)") }
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("dimensions \(dims) are too large") }
            count = p
        }
        guard dims[0] % layout.blockSize == 0 else {
            throw fail("\(type) packs \(layout.blockSize) values per block but a row has \(dims[0])")
        }
        let (bytes, overflow) = (count / layout.blockSize).multipliedReportingOverflow(by: layout.blockBytes)
        guard !overflow else { throw fail("dimensions \(dims) are too large") }
        guard let start = Int(exactly: offset), start % alignment == 0 else {
            throw fail("offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        guard start <= dataSize, bytes <= dataSize - start else {
            throw fail("data at offset \(start) (\(bytes) bytes) goes beyond the end of the file: the data section holds \(dataSize) bytes (truncated?)")
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: start, byteCount: bytes)
    }

    /// The raw bytes of one tensor.
    func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + tensor.offset)..<(dataStart + tensor.offset + tensor.byteCount)])
    }

    /// Drops the pages of `tensor`'s bytes once read (`MappedFile.doneWith`).
    func doneWith(_ tensor: GGUFTensorInfo) {
        file.doneWith((dataStart + tensor.offset)..<(dataStart + tensor.offset + tensor.byteCount))
    }

    /// The tensor with this name, if the file has it.
    func tensor(named name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }
}

/// Reads little-endian values from the mapped bytes, throwing "truncated" instead of reading past the end.
private struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let display: String
    var position = 0

    var remaining: Int { bytes.count - position }

    private func truncated(_ what: String) -> CheckpointError {
        CheckpointError(file: display, "truncated: the file ends inside \(what) (at byte \(position) of \(bytes.count))")
    }

    mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        guard remaining >= MemoryLayout<T>.size else { throw truncated(what) }
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    mutating func u32(_ what: String) throws -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: String) throws -> UInt64 { try load(UInt64.self, what) }

    mutating func string(_ what: String) throws -> String {
        let n = try u64(what)
        guard n <= UInt64(remaining) else { throw truncated(what) }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(n)])
        position += Int(n)
        // Token texts must survive byte for byte; a replacement character would change one.
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw CheckpointError(file: display, "\(what) is not valid UTF-8")
        }
        return s
    }

    mutating func value(_ type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of metadata key '\(key)'"
        switch type {
        case .uint8: return .uint8(try load(UInt8.self, what))
        case .int8: return .int8(try load(Int8.self, what))
        case .uint16: return .uint16(try load(UInt16.self, what))
        case .int16: return .int16(try load(Int16.self, what))
        case .uint32: return .uint32(try load(UInt32.self, what))
        case .int32: return .int32(try load(Int32.self, what))
        case .uint64: return .uint64(try load(UInt64.self, what))
        case .int64: return .int64(try load(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try load(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try load(UInt64.self, what)))
        case .bool:
            let b = try load(UInt8.self, what)
            guard b <= 1 else { throw CheckpointError(file: display, "metadata key '\(key)': BOOL value \(b) is neither 0 nor 1") }
            return .bool(b == 1)
        case .string: return .string(try string(what))
        case .array:
            guard depth < GGUFFile.maxNesting else {
                throw CheckpointError(file: display, "metadata key '\(key)': arrays nested deeper than \(GGUFFile.maxNesting)")
            }
            let rawElement = try u32(what)
            guard let element = GGUFValueType(rawValue: rawElement) else {
                throw CheckpointError(file: display, "metadata key '\(key)': array of unknown value type \(rawElement)")
            }
            let count = try u64(what)
            // The smallest element is one byte (a string is at least its 8-byte length).
            let smallest: UInt64 = element == .string ? 8 : element == .array ? 12 : 1
            guard count <= UInt64(remaining) / smallest else { throw truncated(what) }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) { items.append(try value(element, key: key, depth: depth + 1)) }
            return .array(element, items)
        }
    }
}
