import Foundation
import Testing
@testable import IRPOCore

/// GGUF files of the families beside plain Llama, made by llama.cpp's converter from tiny random
/// checkpoints (Tests/Fixtures/gguf/make_family_fixtures.py), load into the model transformers
/// computes: qwen2 (Qwen2, Qwen2.5) with its q, k and v biases and q and k rows as HF keeps
/// them; Llama 3.1's RoPE scaling, which the file carries as rope_freqs.weight; linear scaling.
@Suite struct GGUFFamilyTests {
    /// expected-families.json: transformers' logits and greedy tokens from each HF model ("hf") and
    /// from its GGUF file ("gguf").
    struct Expected: Decodable {
        struct Reference: Decodable { var logits: [[Float]]; var greedy: [Int32] }
        struct Model: Decodable { var tied: Bool; var hf: Reference; var gguf: Reference }
        var prompt: [Int32]
        var models: [String: Model]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: GGUFFixtures.directory.appendingPathComponent("expected-families.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    static let files = ["qwen2-f32.gguf", "qwen2-tied-q8_0.gguf"]
    static let scaledFiles = ["llama3-rope-f32.gguf", "linear-rope-f32.gguf"]

    static func path(_ file: String) -> String { GGUFFixtures.directory.appendingPathComponent(file).path }

    @Test(arguments: files)
    func loadsAsQwen2WithItsBiases(_ file: String) throws {
        let model = try #require(Self.expected.models[file])
        let checkpoint = try CheckpointIO.load(Self.path(file))
        let config = checkpoint.config
        #expect(config.family == .qwen2 && config.hasQKVBias)
        #expect(config.tieWordEmbeddings == model.tied)
        #expect(config.numAttentionHeads == 4 && config.numKeyValueHeads == 2 && config.rmsNormEps == 1e-6)
        #expect(config.ropeTheta == 1000)
        #expect(try CheckpointIO.loadConfig(Self.path(file)) == config)
        // the biases are read: random in the fixture, so never all zero
        let bias = checkpoint.weights.tensor(checkpoint.weights.layout.slot(named: "model.layers.1.self_attn.k_proj.bias")!)
        #expect(bias.contains { $0 != 0 })
    }

    /// Against transformers' own load of the same file, with the tolerance of GGUFLoadTests; the
    /// F32 file is also the HF model it came from. Leaving q and k permuted as llama's files are,
    /// or dropping a bias, moves the logits far beyond it.
    @Test(arguments: files)
    func logitsAndGreedyTokensMatchTransformers(_ file: String) throws {
        let model = try #require(Self.expected.models[file])
        let weights = try CheckpointIO.load(Self.path(file)).weights
        let ours = GGUFRun.logits(weights, Self.expected.prompt, last: 3)
        let err = GGUFRun.relativeError(ours, model.gguf.logits)
        #expect(err <= GGUFLoadTests.logitTolerance, "\(file): relative error \(err)")
        #expect(GGUFRun.greedy(weights, Self.expected.prompt, count: model.gguf.greedy.count) == model.gguf.greedy)
        if file.contains("f32") {
            #expect(GGUFRun.relativeError(ours, model.hf.logits) <= GGUFLoadTests.logitTolerance)
            #expect(model.hf.greedy == model.gguf.greedy)
        }
    }

    /// The scaling is the HF config's: llama3's parameters found from the file's divisors (the
    /// original context 64 of the fixture, not Meta's 8192), linear's read from the metadata.
    /// transformers' GGUF reader drops both, so the HF model the file came from is the reference.
    @Test(arguments: scaledFiles)
    func ropeScalingIsTheHFConfigs(_ file: String) throws {
        let model = try #require(Self.expected.models[file])
        let weights = try CheckpointIO.load(Self.path(file)).weights
        let want: RopeScaling = file.hasPrefix("llama3")
            ? .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64) : .linear(factor: 3)
        #expect(weights.config.ropeScaling == want)
        #expect(weights.config.family == .llama && weights.config.ropeTheta == 100)
        let ours = GGUFRun.logits(weights, Self.expected.prompt, last: 3)
        let err = GGUFRun.relativeError(ours, model.hf.logits)
        #expect(err <= GGUFLoadTests.logitTolerance, "\(file): relative error \(err)")
        #expect(GGUFRun.greedy(weights, Self.expected.prompt, count: model.hf.greedy.count) == model.hf.greedy)
    }

    /// Meta's parameters for Llama 3.1 and 3.2 at their θ and head size are found again from the
    /// divisors the converter's formula gives (rounded to float32 as the file stores them).
    @Test func metasLlama3ScalingsAreFound() {
        for factor in [8.0, 32.0] {
            let want = RopeScaling.llama3(factor: Float(factor), lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192)
            let divisors = (0..<64).map { j -> Float in
                let wavelength = 2 * Double.pi * Foundation.pow(500_000, Double(2 * j) / 128)
                if wavelength < 8192 / 4 { return 1 }
                if wavelength > 8192 { return Float(factor) }
                let smooth = (8192 / wavelength - 1) / 3
                return Float(1 / ((1 - smooth) / factor + smooth))
            }
            #expect(GGUFRopeScaling.llama3(matching: divisors, headDim: 128, theta: 500_000) == want)
        }
    }

    /// `--dtype auto` keeps every Q8_0 matrix of a qwen2 file as blocks (its q and k rows are
    /// not permuted, unlike llama's) and decodes the same bits as f32.
    @Test func autoKeepsTheQ8BlocksAndTheBits() throws {
        let weights = try CheckpointIO.load(Self.path("qwen2-tied-q8_0.gguf")).weights
        let count = DecodeWeights.matrices(weights.layout).count
        #expect(DecodeWeights.types(.auto, for: weights) == Array(repeating: .q8, count: count))
        let blocks = DecodeWeights(weights, .auto), f32 = DecodeWeights(weights, .f32)
        let prompt = Array(Self.expected.prompt.prefix(9))
        for kernel in KernelPath.available {
            let a = InferenceSession(model: blocks, slots: 1, capacity: 16, kernel: kernel)
            let b = InferenceSession(model: f32, slots: 1, capacity: 16, kernel: .portable)
            #expect(a.step([(slot: 0, tokens: prompt)]).map(\.bitPattern) == b.step([(slot: 0, tokens: prompt)]).map(\.bitPattern))
            #expect(a.step([(slot: 0, tokens: [7])]).map(\.bitPattern) == b.step([(slot: 0, tokens: [7])]).map(\.bitPattern))
        }
    }
}
