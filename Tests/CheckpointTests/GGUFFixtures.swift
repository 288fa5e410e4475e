import Foundation
import Testing
@testable import IRPOCore

/// The committed GGUF fixtures (made by Tests/Fixtures/gguf/make_fixtures.py) and what
/// transformers computed from them.
enum GGUFFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf")

    /// The HF directory the GGUF files were converted from.
    static var hfDirectory: String { directory.appendingPathComponent("hf").path }

    /// The fixture file of one ggml type: "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1".
    static func path(_ type: String) -> String {
        directory.appendingPathComponent("tiny-\(type.lowercased()).gguf").path
    }

    static let types = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]

    /// expected.json as written by make_fixtures.py.
    struct Expected: Decodable, Sendable {
        struct Text: Decodable, Sendable { var text: String; var ids: [Int32] }
        struct Model: Decodable, Sendable { var logits: [[Float]]; var greedy: [[Int32]] }
        var texts: [Text]
        var prompts: [Text]
        var models: [String: Model]
        /// Ids of spm-vocab.gguf's SentencePiece tokenizer for each text.
        var spm: [Text]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    /// The token ids of each prompt whose logits and greedy tokens were recorded.
    static var prompts: [[Int32]] { expected.prompts.map(\.ids) }

    /// (text, HF tokenizer ids) pairs.
    static var texts: [(String, [Int32])] { expected.texts.map { ($0.text, $0.ids) } }

    /// Transformers' logits at the last positions of the first prompt, for "hf" or a ggml type.
    static func logits(_ model: String) -> [[Float]] { expected.models[model]!.logits }

    /// Transformers' greedy tokens after each prompt.
    static func greedy(_ model: String) -> [[Int32]] { expected.models[model]!.greedy }
}

/// Our model's logits and greedy tokens, computed the way sample computes them.
enum GGUFRun {
    /// Logits of every position of `ids`, then the last `last` positions' rows.
    static func logits(_ weights: ModelWeights, _ ids: [Int32], last: Int) -> [[Float]] {
        let session = InferenceSession(weights: weights, slots: 1, capacity: ids.count)
        let all = session.step([(slot: 0, tokens: ids)], allLogits: true)
        let V = weights.config.vocabSize
        return (ids.count - last..<ids.count).map { Array(all[$0 * V..<($0 + 1) * V]) }
    }

    /// `count` argmax tokens after `ids`, EOS included: nothing stops early.
    static func greedy(_ weights: ModelWeights, _ ids: [Int32], count: Int) -> [Int32] {
        greedy(weights, [ids], count: count)[0]
    }

    /// The same for several prompts decoded together, one cache slot each (our kernels give each
    /// row the same bits whatever else is in the batch).
    static func greedy(_ weights: ModelWeights, _ prompts: [[Int32]], count: Int) -> [[Int32]] {
        let V = weights.config.vocabSize
        let session = InferenceSession(weights: weights, slots: prompts.count,
                                       capacity: prompts.map(\.count).max()! + count)
        var logits = session.step(prompts.enumerated().map { (slot: $0.offset, tokens: $0.element) })
        var out = [[Int32]](repeating: [], count: prompts.count)
        for step in 0..<count {
            for k in prompts.indices { out[k].append(Int32(argmax(logits[k * V..<(k + 1) * V]))) }
            if step + 1 < count { logits = session.step(prompts.indices.map { (slot: $0, tokens: [out[$0].last!]) }) }
        }
        return out
    }

    static func argmax(_ row: ArraySlice<Float>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    /// max |a − b| over max |b|.
    static func relativeError(_ a: [[Float]], _ b: [[Float]]) -> Float {
        let x = a.flatMap { $0 }, y = b.flatMap { $0 }
        precondition(x.count == y.count)
        return zip(x, y).map { abs($0 - $1) }.max()! / y.map(abs).max()!
    }
}

/// A GGUF writer of our own for the tests, from the format's description: corrupted and
/// edited files are built from it.
struct GGUFBuilder {
    struct Tensor {
        var name: String
        var dims: [Int]
        var type: UInt32
        var bytes: [UInt8]
    }
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    /// The metadata and tensors of an existing file, bytes copied.
    init(reading path: String) throws {
        let file = try GGUFFile(path: path, display: path)
        metadata = file.keys.map { ($0, file.metadata[$0]!) }
        tensors = file.tensors.map { Tensor(name: $0.name, dims: $0.dims, type: $0.type.rawValue, bytes: Array(file.bytes(of: $0))) }
        alignment = file.alignment
    }

    init() {}

    /// Replaces (or appends) one metadata entry; nil removes it.
    mutating func set(_ key: String, _ value: GGUFValue?) {
        let index = metadata.firstIndex { $0.0 == key }
        switch (index, value) {
        case (let i?, let v?): metadata[i].1 = v
        case (let i?, nil): metadata.remove(at: i)
        case (nil, let v?): metadata.append((key, v))
        case (nil, nil): break
        }
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func int<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { int(UInt64(s.utf8.count)); out += Array(s.utf8) }
        func value(_ v: GGUFValue, withType: Bool) {
            if withType { int(v.type.rawValue) }
            switch v {
            case .uint8(let x): int(x)
            case .int8(let x): int(x)
            case .uint16(let x): int(x)
            case .int16(let x): int(x)
            case .uint32(let x): int(x)
            case .int32(let x): int(x)
            case .uint64(let x): int(x)
            case .int64(let x): int(x)
            case .float32(let x): int(x.bitPattern)
            case .float64(let x): int(x.bitPattern)
            case .bool(let x): out.append(x ? 1 : 0)
            case .string(let s): string(s)
            case .array(let element, let items):
                int(element.rawValue)
                int(UInt64(items.count))
                for item in items { value(item, withType: false) }
            }
        }
        int(version)
        int(UInt64(tensors.count))
        int(UInt64(metadata.count))
        for (key, v) in metadata { string(key); value(v, withType: true) }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.bytes.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            string(t.name)
            int(UInt32(t.dims.count))
            for d in t.dims { int(UInt64(d)) }
            int(t.type)
            int(UInt64(o))
        }
        while out.count % alignment != 0 { out.append(0) }
        let dataStart = out.count
        for (t, o) in zip(tensors, offsets) {
            while out.count < dataStart + o { out.append(0) }
            out += t.bytes
        }
        return out
    }

    /// Writes the file into a fresh temporary directory and returns its path.
    func write(named name: String = "model.gguf") throws -> String {
        try GGUFBuilder.write(bytes(), named: name)
    }

    /// Where this test process writes its files: one directory, removed when the process exits,
    /// so runs leave nothing behind in the temporary directory.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-gguf-tests-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        atexit { try? FileManager.default.removeItem(at: GGUFBuilder.scratch) }
        return dir
    }()

    static func write(_ bytes: [UInt8], named name: String = "model.gguf") throws -> String {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Decoding from `blocks` gives `f32`'s logits bit for bit on every kernel path: a prompt of
/// ten tokens beside one of three, then a token each.
func expectDecodesWithTheF32Bits(_ blocks: DecodeWeights, _ f32: DecodeWeights, _ label: String) {
    let prompt: [Int32] = [1, 87, 85, 268, 201, 57, 74, 286, 223, 282]
    for kernel in KernelPath.available {
        let a = InferenceSession(model: blocks, slots: 2, capacity: 32, kernel: kernel)
        let b = InferenceSession(model: f32, slots: 2, capacity: 32, kernel: .portable)
        var x = a.step([(slot: 0, tokens: prompt), (slot: 1, tokens: Array(prompt.prefix(3)))])
        var y = b.step([(slot: 0, tokens: prompt), (slot: 1, tokens: Array(prompt.prefix(3)))])
        #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(label) \(kernel)")
        x = a.step([(slot: 0, tokens: [5]), (slot: 1, tokens: [9])])
        y = b.step([(slot: 0, tokens: [5]), (slot: 1, tokens: [9])])
        #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(label) \(kernel)")
    }
}
