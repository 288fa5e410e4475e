import Foundation
import Testing
import IRPOCore

/// Files written by hand: F16/BF16 conversion, sharded indexes, and every way a file can be wrong.
@Suite struct SafeTensorsLoadTests {
    /// (bits, the float they mean), worked out from the IEEE layouts by hand.
    static let halfTable: [(UInt16, Float)] = [
        (0x3C00, 1), (0xC000, -2), (0x3800, 0.5), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
        (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0.333251953125), (0x0400, 0x1p-14),
        (0x4248, 3.140625),
    ]
    static let bfloatTable: [(UInt16, Float)] = [
        (0x3F80, 1), (0xC000, -2), (0x3F00, 0.5), (0x4049, 3.140625), (0x7F80, .infinity), (0x8000, -0.0),
        (0x0001, Float(bitPattern: 0x0001_0000)), (0x7F7F, Float(bitPattern: 0x7F7F_0000)), (0x3DCD, 0.10009765625),
    ]

    /// Every tensor of the tiny model in `dtype`, values cycling through `table`.
    func halfWidthModel(_ dtype: String, _ table: [(UInt16, Float)], config: LlamaConfig) -> ([RawTensor], ModelWeights) {
        let expected = ModelWeights(config: config)
        var k = 0
        var tensors: [RawTensor] = []
        for slot in expected.layout.slots {
            var bits: [UInt16] = []
            for i in 0..<slot.count {
                let (b, f) = table[k % table.count]
                bits.append(b)
                expected.data[slot.offset + i] = f
                k += 1
            }
            tensors.append(RawTensor(name: slot.name, dtype: dtype, shape: slot.shape, bytes: u16Bytes(bits)))
        }
        return (tensors, expected)
    }

    @Test(arguments: ["F16", "BF16"])
    func halfWidthFilesLoadToTheRightFloats(_ dtype: String) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        let (tensors, expected) = halfWidthModel(dtype, dtype == "F16" ? Self.halfTable : Self.bfloatTable, config: config)
        try writeModelDirectory(dir, config: config, tensors: tensors)
        #expect(sameBits(try CheckpointIO.load(dir.path).weights, expected))
    }

    @Test func mixedDtypesInOneFileLoad() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        let weights = patternWeights(config)
        var tensors = rawTensors(weights)
        // One norm gain stored as BF16 whose values are exact in BF16.
        let i = tensors.firstIndex { $0.name == "model.norm.weight" }!
        tensors[i] = RawTensor(name: tensors[i].name, dtype: "BF16", shape: [8], bytes: u16Bytes(Array(repeating: 0x3F80, count: 8)))
        weights.tensor(named: "model.norm.weight")!.update(repeating: 1)
        try writeModelDirectory(dir, config: config, tensors: tensors)
        #expect(sameBits(try CheckpointIO.load(dir.path).weights, weights))
    }

    @Test func shardedIndexLoads() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        let weights = patternWeights(config)
        let tensors = rawTensors(weights)
        // Second shard out of layout order, to show that order does not matter.
        let first = Array(tensors.prefix(7)), second = Array(tensors.dropFirst(7).reversed())
        try JSONEncoder().encode(config).write(to: dir.appendingPathComponent("config.json"))
        try Data(safetensorsFile(first, metadata: ["format": "pt"])).write(to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try Data(safetensorsFile(second)).write(to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        var map: [String: String] = [:]
        for t in first { map[t.name] = "model-00001-of-00002.safetensors" }
        for t in second { map[t.name] = "model-00002-of-00002.safetensors" }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": weights.count * 4], "weight_map": map])
        try index.write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let loaded = try CheckpointIO.load(dir.path)
        #expect(sameBits(loaded.weights, weights))
        // Shards are weights, not extra files to carry along.
        #expect(loaded.extraFiles.isEmpty)

        // A shard holding a tensor the index does not list, and an index naming a missing shard.
        var wrong = map
        wrong["model.norm.weight"] = "model-00001-of-00002.safetensors"
        try JSONSerialization.data(withJSONObject: ["weight_map": wrong]).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let misplaced = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(misplaced?.tensor == "model.norm.weight")
        #expect(misplaced?.file.hasSuffix("model-00002-of-00002.safetensors") == true)
        wrong = map
        wrong["model.norm.weight"] = "model-00003-of-00002.safetensors"
        try JSONSerialization.data(withJSONObject: ["weight_map": wrong]).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        #expect(checkpointError { _ = try CheckpointIO.load(dir.path) }?.file.hasSuffix("model-00003-of-00002.safetensors") == true)
        wrong = map
        wrong["model.norm.weight"] = "../model-00002-of-00002.safetensors"
        try JSONSerialization.data(withJSONObject: ["weight_map": wrong]).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        #expect(checkpointError { _ = try CheckpointIO.load(dir.path) }?.tensor == "model.norm.weight")
    }

    @Test func tiedHeadEqualToEmbeddingIsAcceptedAndADifferentOneIsNot() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig(tied: true)
        let weights = patternWeights(config)
        var tensors = rawTensors(weights)
        var head = tensors[0]
        head.name = "lm_head.weight"
        try writeModelDirectory(dir, config: config, tensors: tensors + [head])
        #expect(sameBits(try CheckpointIO.load(dir.path).weights, weights))
        head.bytes[5] ^= 1
        tensors.append(head)
        try writeModelDirectory(dir, config: config, tensors: tensors)
        let error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error?.tensor == "lm_head.weight")
        #expect(error?.file.hasSuffix("model.safetensors") == true)
        #expect(error?.problem.contains("tie_word_embeddings") == true)
    }

    // MARK: rejections

    /// Writes a tiny model whose tensors `edit` spoils, loads it, and returns the error.
    func loadError(tied: Bool = false, _ edit: (inout [RawTensor]) -> Void) throws -> CheckpointError? {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig(tied: tied)
        var tensors = rawTensors(patternWeights(config))
        edit(&tensors)
        try writeModelDirectory(dir, config: config, tensors: tensors)
        let error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error != nil)
        #expect(error?.file == dir.path + "/model.safetensors")
        return error
    }

    @Test func missingTensorIsNamed() throws {
        let error = try loadError { $0.removeAll { $0.name == "model.layers.1.mlp.up_proj.weight" } }
        #expect(error?.tensor == "model.layers.1.mlp.up_proj.weight")
        #expect(error?.problem.contains("missing") == true)
    }

    @Test func missingLMHeadOfAnUntiedModelIsNamed() throws {
        let error = try loadError { $0.removeAll { $0.name == "lm_head.weight" } }
        #expect(error?.tensor == "lm_head.weight")
    }

    @Test func extraTensorIsNamed() throws {
        let error = try loadError { $0.append(RawTensor(name: "model.layers.2.mlp.up_proj.weight", dtype: "F32", shape: [2], bytes: f32Bytes([1, 2]))) }
        #expect(error?.tensor == "model.layers.2.mlp.up_proj.weight")
        #expect(error?.problem.contains("unexpected") == true)
    }

    @Test func misShapedTensorIsNamed() throws {
        let error = try loadError { tensors in
            let i = tensors.firstIndex { $0.name == "model.layers.0.self_attn.k_proj.weight" }!
            tensors[i].shape = [8, 4]  // transposed: same byte count, wrong shape
        }
        #expect(error?.tensor == "model.layers.0.self_attn.k_proj.weight")
        #expect(error?.problem.contains("[8, 4]") == true)
        #expect(error?.problem.contains("[4, 8]") == true)
    }

    @Test func unsupportedDtypeIsNamed() throws {
        let error = try loadError { tensors in
            let i = tensors.firstIndex { $0.name == "model.norm.weight" }!
            tensors[i] = RawTensor(name: "model.norm.weight", dtype: "I32", shape: [8], bytes: Array(repeating: 0, count: 32))
        }
        #expect(error?.tensor == "model.norm.weight")
        #expect(error?.problem.contains("I32") == true)
        let unknown = try loadError { tensors in
            let i = tensors.firstIndex { $0.name == "model.norm.weight" }!
            tensors[i].dtype = "Q4_K"
        }
        #expect(unknown?.tensor == "model.norm.weight")
        #expect(unknown?.problem.contains("Q4_K") == true)
    }

    @Test func f64IsRejectedNotConverted() throws {
        let error = try loadError { tensors in
            let i = tensors.firstIndex { $0.name == "model.layers.0.input_layernorm.weight" }!
            tensors[i] = RawTensor(name: tensors[i].name, dtype: "F64", shape: [8], bytes: Array(repeating: 0, count: 64))
        }
        #expect(error?.tensor == "model.layers.0.input_layernorm.weight")
        #expect(error?.problem.contains("unsupported dtype F64") == true)
    }

    /// Writes `bytes` as the model.safetensors of an otherwise valid directory; returns the error.
    func fileError(_ bytes: [UInt8]) throws -> CheckpointError? {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONEncoder().encode(try tinyConfig()).write(to: dir.appendingPathComponent("config.json"))
        try Data(bytes).write(to: dir.appendingPathComponent("model.safetensors"))
        let error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error != nil)
        #expect(error?.file == dir.path + "/model.safetensors")
        return error
    }

    var validFile: [UInt8] { get throws { safetensorsFile(rawTensors(patternWeights(try tinyConfig()))) } }

    @Test func truncatedFilesAreRejected() throws {
        let good = try validFile
        // Cut inside the data: the last tensor's offsets now run past the end.
        let cut = try fileError(Array(good.dropLast(10)))
        #expect(cut?.tensor == "lm_head.weight")
        #expect(cut?.problem.contains("beyond the data") == true)
        // Cut inside the header, inside the length, and nothing at all.
        #expect(try fileError(Array(good.prefix(40))) != nil)
        #expect(try fileError(Array(good.prefix(5)))?.problem.contains("truncated") == true)
        #expect(try fileError([])?.problem.contains("truncated") == true)
    }

    @Test func headerLengthLargerThanFileIsRejected() throws {
        #expect(try fileError(rawSafetensors(header: "{}", data: [], declaredLength: 1 << 40)) != nil)
        #expect(try fileError(rawSafetensors(header: "{}", data: [], declaredLength: 1000))?.problem.contains("truncated") == true)
        #expect(try fileError(rawSafetensors(header: "{}", data: [], declaredLength: UInt64.max)) != nil)
    }

    @Test func badJSONIsRejected() throws {
        #expect(try fileError(rawSafetensors(header: "{\"a\": {\"dtype\": ", data: []))?.problem.contains("JSON") == true)
        #expect(try fileError(rawSafetensors(header: "[1, 2]   ", data: [])) != nil)
        let noOffsets = try fileError(rawSafetensors(header: #"{"model.norm.weight":{"dtype":"F32","shape":[8]}}"#, data: f32Bytes([Float](repeating: 1, count: 8))))
        #expect(noOffsets?.tensor == "model.norm.weight")
        let fractional = try fileError(rawSafetensors(header: #"{"model.norm.weight":{"dtype":"F32","shape":[8.5],"data_offsets":[0,32]}}"#, data: f32Bytes([Float](repeating: 1, count: 8))))
        #expect(fractional != nil)
        #expect(try fileError(rawSafetensors(header: #"{"__metadata__":{"step":3}}"#, data: [])) != nil)
    }

    @Test func lyingOffsetsAreRejected() throws {
        let data = f32Bytes([Float](repeating: 1, count: 16))
        func entry(_ name: String, _ begin: Int, _ end: Int, shape: Int = 8) -> String {
            "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}"
        }
        let overlap = try fileError(rawSafetensors(header: "{\(entry("a", 0, 32)),\(entry("b", 16, 48))}", data: data + f32Bytes([0, 0, 0, 0])))
        #expect(overlap?.tensor == "b")
        #expect(overlap?.problem.contains("overlap") == true)
        let outOfRange = try fileError(rawSafetensors(header: "{\(entry("a", 0, 32)),\(entry("b", 64, 96))}", data: data))
        #expect(outOfRange?.tensor == "b")
        let gap = try fileError(rawSafetensors(header: "{\(entry("a", 0, 32)),\(entry("b", 36, 68))}", data: data + f32Bytes([0])))
        #expect(gap?.tensor == "b")
        let uncovered = try fileError(rawSafetensors(header: "{\(entry("a", 0, 32))}", data: data))
        #expect(uncovered?.problem.contains("cover") == true)
        let reversed = try fileError(rawSafetensors(header: "{\(entry("a", 32, 0))}", data: data))
        #expect(reversed?.tensor == "a")
        let wrongSpan = try fileError(rawSafetensors(header: "{\(entry("a", 0, 64, shape: 8))}", data: data))
        #expect(wrongSpan?.tensor == "a")
        #expect(wrongSpan?.problem.contains("needs 32") == true)
        let huge = try fileError(rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,64]}}"#, data: data))
        #expect(huge?.tensor == "a")
        let negative = try fileError(rawSafetensors(header: "{\(entry("a", -32, 32))}", data: data))
        #expect(negative?.tensor == "a")
    }

    @Test func configProblemsNameConfigJSON() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        try writeModelDirectory(dir, config: config, tensors: rawTensors(patternWeights(config)))
        let file = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        json["architectures"] = ["MistralForCausalLM"]
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        var error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error?.file == file.path)
        #expect(error?.problem.contains("MistralForCausalLM") == true)
        json["architectures"] = ["LlamaForCausalLM"]
        json["model_type"] = "gpt2"
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        error = checkpointError { _ = try CheckpointIO.loadConfig(dir.path) }
        #expect(error?.file == file.path)
        #expect(error?.problem.contains("gpt2") == true)
        json["model_type"] = "llama"
        json.removeValue(forKey: "hidden_size")
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        error = checkpointError { _ = try CheckpointIO.loadConfig(dir.path) }
        #expect(error?.problem.contains("hidden_size") == true)
        try Data("{not json".utf8).write(to: file)
        error = checkpointError { _ = try CheckpointIO.loadConfig(dir.path) }
        #expect(error?.file == file.path)
        try FileManager.default.removeItem(at: file)
        error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error?.file == file.path)
    }

    @Test func directoryWithoutWeightsSaysSo() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONEncoder().encode(try tinyConfig()).write(to: dir.appendingPathComponent("config.json"))
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent("pytorch_model.bin"))
        let error = checkpointError { _ = try CheckpointIO.load(dir.path) }
        #expect(error?.problem.contains("pytorch_model.bin") == true)
    }

    @Test func errorsInsideABundleNameTheMember() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        let model = dir.appendingPathComponent("m1")
        try writeModelDirectory(model, config: config, tensors: rawTensors(patternWeights(config)).filter { $0.name != "model.norm.weight" })
        try shell("cd '\(dir.path)' && tar -czf m1.tar.gz m1")
        let bundle = dir.appendingPathComponent("m1.tar.gz").path
        let error = checkpointError { _ = try CheckpointIO.load(bundle) }
        #expect(error?.file == bundle + "/m1/model.safetensors")
        #expect(error?.tensor == "model.norm.weight")
    }
}
