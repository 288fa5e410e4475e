import Foundation
import IRPOCore

/// A model small enough to write by hand: GQA (2 query heads, 1 KV head), two layers.
func tinyConfig(tied: Bool = false) throws -> LlamaConfig {
    try LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2,
                    numAttentionHeads: 2, numKeyValueHeads: 1, rmsNormEps: 1e-5, ropeTheta: 500000,
                    tieWordEmbeddings: tied, bosTokenId: 1, eosTokenIds: [2])
}

/// Deterministic weights that include the values a lossy path would spoil: -0, a subnormal,
/// infinities, a NaN with payload, and floats that need all 24 mantissa bits.
func patternWeights(_ config: LlamaConfig, seed: UInt64 = 1) -> ModelWeights {
    let w = ModelWeights(config: config)
    var state = seed
    for i in 0..<w.count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        w.data[i] = Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 333_333.3
    }
    let specials: [Float] = [-0.0, Float(bitPattern: 1), .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), 1 + .ulpOfOne]
    for (i, v) in specials.enumerated() { w.data[i * 7] = v }
    return w
}

func sameBits(_ a: ModelWeights, _ b: ModelWeights) -> Bool {
    a.count == b.count && a.buffer.elementsEqual(b.buffer) { $0.bitPattern == $1.bitPattern }
}

/// One tensor as raw bytes, to build safetensors files byte by byte.
struct RawTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var bytes: [UInt8]
}

func f32Bytes(_ values: some Collection<Float>) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

func u16Bytes(_ values: [UInt16]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

/// A spec-conforming file: header entries with contiguous offsets in the order given.
func safetensorsFile(_ tensors: [RawTensor], metadata: [String: String]? = nil) -> [UInt8] {
    var fields: [String] = []
    if let metadata {
        let pairs = metadata.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        fields.append("\"__metadata__\":{\(pairs)}")
    }
    var offset = 0
    for t in tensors {
        fields.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
        offset += t.bytes.count
    }
    return rawSafetensors(header: "{" + fields.joined(separator: ",") + "}", data: tensors.flatMap(\.bytes))
}

/// A file from an arbitrary header text, for headers that lie.
func rawSafetensors(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = declaredLength ?? UInt64(h.count)
    return withUnsafeBytes(of: n.littleEndian) { Array($0) } + h + data
}

/// Every tensor of `weights` as F32 raw tensors, in layout order.
func rawTensors(_ weights: ModelWeights) -> [RawTensor] {
    weights.layout.slots.map { RawTensor(name: $0.name, dtype: "F32", shape: $0.shape, bytes: f32Bytes(weights.tensor($0))) }
}

/// A model directory whose config.json is `config` and whose model.safetensors holds `tensors`.
func writeModelDirectory(_ dir: URL, config: LlamaConfig, tensors: [RawTensor]) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try JSONEncoder().encode(config).write(to: dir.appendingPathComponent("config.json"))
    try Data(safetensorsFile(tensors)).write(to: dir.appendingPathComponent("model.safetensors"))
}

/// The error `body` throws as a CheckpointError, or nil when it throws nothing or something else.
func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        return nil
    } catch let e as CheckpointError {
        return e
    } catch {
        return nil
    }
}
