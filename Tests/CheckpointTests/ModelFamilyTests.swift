import Foundation
import Testing
import IRPOCore

/// The families beside plain Llama (Llama 3 RoPE scaling in both spellings, Mistral, Qwen2 with
/// tied and untied heads) against transformers float32 on tiny random checkpoints
/// (Tests/Fixtures/families/make_fixtures.py), through both engines: the training forward's
/// log-probs and the decoding session's logits and greedy tokens.
@Suite struct ModelFamilyTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/families")
    static let names = ["llama3-rope", "linear-rope", "mistral", "qwen2-tied", "qwen2"]

    struct Expected: Decodable {
        struct Model: Decodable {
            let architecture: String
            let next_token_logprobs: [Float]
            let last_logprobs: [Float]
            let greedy: [Int32]
        }
        let prompt: [Int32]
        let models: [String: Model]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    static func load(_ name: String) throws -> ModelWeights {
        try CheckpointIO.load(directory.appendingPathComponent(name).path).weights
    }

    /// Random weights of std 0.2 give log-probs of magnitude ~5; float32 sums over 32-64 terms in
    /// another order than torch's differ by a few ulps per layer, ~1e-5 absolute at most here. A
    /// wrong RoPE frequency, a missing bias or the wrong head moves them by 1e-2 or more.
    static let tolerance: Float = 1e-4

    @Test(arguments: names)
    func trainingForwardMatchesTransformers(_ name: String) throws {
        let weights = try Self.load(name), want = Self.expected.models[name]!
        #expect(weights.config.family.architecture == want.architecture)
        var batch = PackedBatch()
        _ = batch.appendSequence(Self.expected.prompt, scoreFrom: 1)
        let ours = Transformer(weights: weights).forward(batch)
        let err = zip(ours, want.next_token_logprobs).map { abs($0 - $1) }.max()!
        #expect(err < Self.tolerance, "\(name): max |Δ logprob| \(err)")
    }

    @Test(arguments: names)
    func decodingMatchesTransformers(_ name: String) throws {
        let weights = try Self.load(name), want = Self.expected.models[name]!
        let prompt = Self.expected.prompt
        let session = InferenceSession(weights: weights, slots: 1, capacity: prompt.count)
        let logits = session.step([(slot: 0, tokens: prompt)])
        let top = logits.max()!
        let logZ = top + log(logits.map { exp($0 - top) }.reduce(0, +))
        let err = zip(logits.map { $0 - logZ }, want.last_logprobs).map { abs($0 - $1) }.max()!
        #expect(err < Self.tolerance, "\(name): max |Δ logprob| at the last position \(err)")

        let greedy = GGUFRun.greedy(weights, prompt, count: want.greedy.count)
        #expect(greedy == want.greedy, "\(name)")
    }

    /// Saved and loaded again, a model keeps its family, RoPE scaling and every tensor.
    @Test(arguments: names)
    func aSavedModelKeepsItsFamily(_ name: String) throws {
        let weights = try Self.load(name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("family-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointIO.save(Checkpoint(weights: weights), to: dir)
        let again = try CheckpointIO.load(dir).weights
        #expect(again.config == weights.config)
        #expect(Array(UnsafeBufferPointer(start: again.data, count: again.count))
                == Array(UnsafeBufferPointer(start: weights.data, count: weights.count)))
    }

    @Test func unsupportedVariantsAreRefusedByName() throws {
        let base = try Data(contentsOf: Self.directory.appendingPathComponent("mistral/config.json"))
        func decode(_ edit: (inout [String: Any]) -> Void) -> String {
            var json = try! JSONSerialization.jsonObject(with: base) as! [String: Any]
            edit(&json)
            do {
                _ = try JSONDecoder().decode(LlamaConfig.self, from: JSONSerialization.data(withJSONObject: json))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(decode { $0["sliding_window"] = 4096 } == "accepted")
        #expect(decode { $0["sliding_window"] = 128 }.contains("sliding_window 128 is shorter than max_position_embeddings 256"))
        #expect(decode { $0["rope_parameters"] = ["rope_type": "yarn", "factor": 4.0] }.contains("rope_type \"yarn\""))
        #expect(decode { $0["rope_parameters"] = ["rope_type": "llama3", "factor": 4.0] }.contains("needs low_freq_factor"))
        #expect(decode { $0["attention_bias"] = true }.contains("attention_bias true"))
        #expect(decode { $0["model_type"] = "qwen2"; $0["use_sliding_window"] = true }.contains("use_sliding_window true"))
        #expect(decode { $0["layer_types"] = ["full_attention", "sliding_attention"] }.contains("\"sliding_attention\""))
        #expect(decode { $0["model_type"] = "gemma" }.contains("model_type \"gemma\""))
    }
}
