import Foundation
import Testing
@testable import IRPOCore

/// GGUF files of the qwen2 architecture (Qwen2 and Qwen2.5), made by llama.cpp's converter from
/// tiny random Qwen2ForCausalLM checkpoints (Tests/Fixtures/gguf/make_qwen2_fixtures.py), load
/// into the model transformers computes: q, k and v biases, q and k rows as HF keeps them.
@Suite struct GGUFQwen2Tests {
    /// expected-qwen2.json: transformers' logits and greedy tokens from each HF model ("hf") and
    /// from its GGUF file ("gguf").
    struct Expected: Decodable {
        struct Reference: Decodable { var logits: [[Float]]; var greedy: [Int32] }
        struct Model: Decodable { var tied: Bool; var hf: Reference; var gguf: Reference }
        var prompt: [Int32]
        var models: [String: Model]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: GGUFFixtures.directory.appendingPathComponent("expected-qwen2.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    static let files = ["qwen2-f32.gguf", "qwen2-tied-q8_0.gguf"]

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
