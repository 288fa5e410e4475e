import Foundation
import Testing
@testable import IRPOCore

/// Q2_K to Q6_K blocks, and the Q5_0 and Q5_1 blocks K-quant files hold for rows not a multiple
/// of 256 long, dequantise to the floats ggml's own library gives for them, bit for bit
/// (Tests/Fixtures/gguf/kquants/make_kquant_fixtures.py called ggml's to_float), and a GGUF file
/// of K-quant tensors loads as those floats.
@Suite struct GGUFKQuantTests {
    static let directory = GGUFFixtures.directory.appendingPathComponent("kquants")
    static let types: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
    /// The K-quants and the 5-bit types of 32 values.
    static let blockTypes: [GGMLType] = types + [.q5_0, .q5_1]
    /// Blocks per fixture file.
    static let blockCount = 6

    /// Byte offsets in a block of the fp16 d, of the fp16 dmin (nil: no min) and of one byte of
    /// codes, from ggml-common.h's structs (written out here, not taken from the decoder).
    static let fields: [GGMLType: (d: Int, dmin: Int?, code: Int)] = [
        .q2_K: (80, 82, 16), .q3_K: (108, nil, 32), .q4_K: (0, 2, 16), .q5_K: (0, 2, 48), .q6_K: (208, nil, 0),
        .q5_0: (0, nil, 6), .q5_1: (0, 2, 8),
    ]

    /// The fixture's blocks of `type`, as a GGUF file stores them.
    static func blocks(_ type: GGMLType) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(type.name!).blocks")))
    }

    /// ggml's floats for the type's blocks, as bit patterns.
    static func ggmlBits(_ type: GGMLType) throws -> [UInt32] {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(type.name!).f32"))
        return stride(from: 0, to: data.count, by: 4).map { i in
            data[i..<(i + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        }
    }

    /// Our dequantisation of `bytes`, whole blocks of `type`.
    static func dequantised(_ type: GGMLType, _ bytes: [UInt8]) -> [Float] {
        let count = bytes.count / type.layout!.blockBytes * type.layout!.blockSize
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { GGUFDequantize.floats(type, raw, into: $0) }
        }
        return out
    }

    /// Every value of every fixture block is ggml's float, sign of zero included.
    @Test(arguments: blockTypes)
    func blocksGiveGGMLsFloatsBitForBit(_ type: GGMLType) throws {
        let bytes = try Self.blocks(type), want = try Self.ggmlBits(type)
        #expect(bytes.count == Self.blockCount * type.layout!.blockBytes)
        #expect(want.count == Self.blockCount * type.layout!.blockSize)
        #expect(type.isSupported)
        let got = Self.dequantised(type, bytes).map(\.bitPattern)
        let differing = zip(got, want).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        if let first = differing.first {
            Issue.record("\(type): \(differing.count) values differ, first at \(first): \(Float(bitPattern: got[first])) against ggml's \(Float(bitPattern: want[first]))")
        }
        #expect(got.count == want.count)
    }

    /// Flipping the sign of d (and dmin) negates each value of that block exactly (rounding to
    /// nearest is symmetric; a zero may come out +0 either way, so floats are compared, not bits)
    /// and leaves the other blocks alone: the scales are read from where ggml keeps them.
    @Test(arguments: blockTypes)
    func negatedScalesNegateTheirBlockOnly(_ type: GGMLType) throws {
        var bytes = try Self.blocks(type)
        let want = try Self.ggmlBits(type).map(Float.init(bitPattern:))
        let block = 3, size = type.layout!.blockBytes, field = Self.fields[type]!
        bytes[block * size + field.d + 1] ^= 0x80
        if let dmin = field.dmin { bytes[block * size + dmin + 1] ^= 0x80 }
        let got = Self.dequantised(type, bytes)
        let n = type.layout!.blockSize, values = (block * n)..<((block + 1) * n)
        #expect(values.contains { want[$0] != 0 }, "\(type): block \(block) is all zeros, so the test would prove nothing")
        #expect(values.allSatisfy { got[$0] == -want[$0] }, "\(type)")
        #expect(got.indices.filter { !values.contains($0) }.allSatisfy { got[$0].bitPattern == want[$0].bitPattern }, "\(type)")
    }

    /// One changed byte of codes changes its own block's values and no other block's: the
    /// comparison with ggml's floats can fail, block by block.
    @Test(arguments: blockTypes)
    func aChangedCodeByteChangesItsBlockOnly(_ type: GGMLType) throws {
        var bytes = try Self.blocks(type)
        let want = try Self.ggmlBits(type)
        let block = 4, size = type.layout!.blockBytes
        bytes[block * size + Self.fields[type]!.code] ^= 0xFF
        let got = Self.dequantised(type, bytes).map(\.bitPattern)
        let changed = Set(got.indices.filter { got[$0] != want[$0] })
        #expect(!changed.isEmpty, "\(type)")
        #expect(changed.allSatisfy { $0 / type.layout!.blockSize == block }, "\(type)")
    }

    /// Q4_K (into q4 panels), Q5_K, Q5_0, Q5_1 (into q8 panels) and Q2_K, Q3_K, Q6_K (into q8s16
    /// panels) keep their blocks for decoding, and so do rows of two types in one matrix (as a
    /// fused q, k, v matrix holds them), in the wider of their panel types: the panels read back
    /// ggml's floats, and their products are the f32 panels' bits on every kernel path, one row
    /// and tiles of rows alike.
    @Test(arguments: [[GGMLType.q4_K], [.q5_K], [.q5_0], [.q5_1], [.q2_K], [.q3_K], [.q6_K],
                      [.q4_K, .q6_K], [.q4_K, .q5_0], [.q5_1, .q2_K], [.q3_K, .q4_K, .q5_K]])
    func blocksPackIntoPanelsWithTheF32Bits(_ types: [GGMLType]) throws {
        let k = 512, n = 20
        // row r: of type types[r % types.count], its fixture blocks r, r + 1, ... (mod the fixture's count), so rows differ
        var bytes: [UInt8] = [], values: [Float] = [], starts: [Int] = []
        for r in 0..<n {
            let type = types[r % types.count], blockBytes = type.layout!.blockBytes
            let fixture = try Self.blocks(type), count = fixture.count / blockBytes
            var row: [UInt8] = []
            for b in 0..<(k / type.layout!.blockSize) {
                let first: Int = (r + b) % count * blockBytes
                row += fixture[first..<(first + blockBytes)]
            }
            starts.append(bytes.count)
            bytes += row
            values += Self.dequantised(type, row)
        }
        let panelTypes = try types.map { try #require(GGUFBlockRows.panelTypes[$0]) }
        let panelType = panelTypes.dropFirst().reduce(panelTypes[0], GGUFBlockRows.wider)
        let f32 = values.withUnsafeBufferPointer { PackedMatrix($0.baseAddress!, n: n, k: k) }
        let packed = bytes.withUnsafeBytes { raw in
            let rows = (0..<n).map { (type: types[$0 % types.count], bytes: UnsafeRawPointer(raw.baseAddress! + starts[$0])) }
            #expect(values.withUnsafeBufferPointer { GGUFBlockRows.allMatch(rows, values: $0.baseAddress!, k: k) })
            return PackedMatrix(blockRows: rows, k: k, type: panelType,
                                in: HugeBuffer(floats: PackedMatrix.floats(n: n, k: k, type: panelType)), at: 0)
        }
        for r in [0, 1, n - 1] {
            var row = [Float](repeating: 0, count: k)
            packed.row(r, into: &row)
            #expect(row == Array(values[(r * k)..<((r + 1) * k)]), "\(types) row \(r)")
        }
        var rng = SplitMix64(seed: 3)
        for rows in [1, 7, 32] {
            let x = (0..<(rows * k)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
            func product(_ w: PackedMatrix, _ kernel: KernelPath) -> [UInt32] {
                var out = [Float](repeating: 0, count: rows * n)
                x.withUnsafeBufferPointer { xs in
                    out.withUnsafeMutableBufferPointer {
                        packedMatmul(out: $0.baseAddress!, ldo: n, x: xs.baseAddress!, rows: rows, weight: w,
                                     accumulate: false, kernel: kernel)
                    }
                }
                return out.map(\.bitPattern)
            }
            let want = product(f32, .portable)
            for kernel in KernelPath.available {
                #expect(product(packed, kernel) == want, "\(types) as \(panelType) \(kernel) rows \(rows)")
            }
        }
    }

    /// Rows of `length` elements, row r being fixture block (r + first) mod 6 of `blocks`.
    static func tiled<T>(_ blocks: [T], length: Int, rows: Int, first: Int) -> [T] {
        (0..<rows).flatMap { r in blocks[((r + first) % blockCount * length)..<((r + first) % blockCount * length + length)] }
    }

    /// tiny-f32.gguf widened to 256 (the super-block) with every matrix a K-quant, the five types
    /// in turn, each row one of the type's fixture blocks; the norms stay F32.
    static func kQuantFile() throws -> (path: String, rows: [String: (type: GGMLType, firstBlock: Int)]) {
        var builder = try GGUFBuilder(reading: GGUFFixtures.path("F32"))
        for key in ["llama.embedding_length", "llama.feed_forward_length"] { builder.set(key, .uint32(256)) }
        // 4 heads of 64 (2 for k and v)
        for key in ["llama.attention.key_length", "llama.attention.value_length", "llama.rope.dimension_count"] {
            builder.set(key, .uint32(64))
        }
        var rows: [String: (type: GGMLType, firstBlock: Int)] = [:]
        for (i, tensor) in builder.tensors.enumerated() {
            if tensor.dims.count == 1 {
                builder.tensors[i] = .init(name: tensor.name, dims: [256], type: 0, bytes: f32Bytes((0..<256).map { Float($0) / 64 }))
                continue
            }
            // rows: k and v are 2 heads of 64, the embedding and head the 306-token vocabulary
            let count = tensor.name.contains("attn_k") || tensor.name.contains("attn_v") ? 128 : tensor.dims[1] == 306 ? 306 : 256
            let type = types[i % types.count]
            let bytes = tiled(try blocks(type), length: type.layout!.blockBytes, rows: count, first: i)
            builder.tensors[i] = .init(name: tensor.name, dims: [256, count], type: type.rawValue, bytes: bytes)
            rows[tensor.name] = (type, i)
        }
        return (try builder.write(), rows)
    }

    /// The loader accepts the K-quant types and puts ggml's floats in each parameter slot.
    @Test func aFileOfKQuantMatricesLoadsAsGGMLsFloats() throws {
        let (path, rows) = try Self.kQuantFile()
        let weights = try CheckpointIO.load(path).weights
        #expect(weights.config.hiddenSize == 256 && weights.config.intermediateSize == 256)
        #expect(Set(rows.values.map(\.type)) == Set(Self.types))
        for name in GGUFModel.tensorNames(weights.config) {
            guard let (type, firstBlock) = rows[name.gguf] else { continue }
            let slot = try #require(weights.layout.slot(named: name.hf))
            let ggml = try Self.ggmlBits(type).map(Float.init(bitPattern:))
            var want = Self.tiled(ggml, length: 256, rows: slot.shape[0], first: firstBlock)
            // the file keeps q and k rows as llama.cpp permutes them; the loader undoes that
            if let heads = name.ropeHeads {
                want.withUnsafeMutableBufferPointer { GGUFModel.unpermuteRoPERows($0, rows: slot.shape[0], columns: 256, heads: heads) }
            }
            let got = weights.tensor(slot)
            #expect(got.elementsEqual(want) { $0.bitPattern == $1.bitPattern }, "\(name.gguf) (\(type))")
        }
        // `--dtype auto` keeps every matrix in its blocks: those all of Q4_K as q4, all of Q5_K
        // as q8, those of Q2_K, Q3_K or Q6_K (alone or fused with other types) as q8s16, and
        // decodes with the f32 bits on every kernel path
        let types = DecodeWeights.types(.auto, for: weights)
        #expect(types.contains(.q4) && types.contains(.q8) && types.contains(.q8s16) && !types.contains(.f32), "\(types)")
        let blocks = DecodeWeights(weights, .auto), f32 = DecodeWeights(weights, .f32)
        #expect(blocks.typeName == "q4, q8 and q8s16")
        expectDecodesWithTheF32Bits(blocks, f32, "K-quants")
    }
}
