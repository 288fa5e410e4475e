import Foundation
import IRPOCore
import Testing

/// Reward models (LlamaForSequenceClassification) load as strictly as causal LMs, and each
/// kind is refused, by name, where the other is read.
@Suite struct RewardModelLoadTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reward/model").path

    /// A reward-model directory of the tiny config: its body's tensors, `extra` tensors, and a
    /// config.json with `architectures` and `labels` entries in id2label (none: no id2label).
    func rewardDirectory(architectures: [String] = ["LlamaForSequenceClassification"], labels: Int? = 1,
                         score: Bool = true, extra: [RawTensor] = []) throws -> URL {
        var body = try tinyConfig()
        body.tieWordEmbeddings = true
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reward-\(UUID().uuidString)")
        var tensors = rawTensors(patternWeights(body)) + extra
        if score {
            tensors.append(RawTensor(name: "score.weight", dtype: "F32", shape: [1, body.hiddenSize],
                                     bytes: f32Bytes((0..<body.hiddenSize).map { Float($0) / 8 })))
        }
        try writeModelDirectory(dir, config: body, tensors: tensors)
        let file = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        config["architectures"] = architectures
        config["tie_word_embeddings"] = false
        if let labels { config["id2label"] = Dictionary(uniqueKeysWithValues: (0..<labels).map { ("\($0)", "LABEL_\($0)") }) }
        try JSONSerialization.data(withJSONObject: config).write(to: file)
        return dir
    }

    func loadError(_ dir: URL) -> CheckpointError? {
        defer { try? FileManager.default.removeItem(at: dir) }
        return checkpointError { _ = try CheckpointIO.loadRewardModel(dir.path) }
    }

    @Test func theFixtureLoadsWithoutAnLMHead() throws {
        let (checkpoint, score) = try CheckpointIO.loadRewardModel(Self.fixture)
        #expect(score.count == checkpoint.config.hiddenSize)
        #expect(checkpoint.weights.layout.slot(named: "lm_head.weight") == nil)
        #expect(checkpoint.config.padTokenId == 0)
    }

    @Test func aBuiltRewardModelLoadsItsScoreRow() throws {
        let dir = try rewardDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, score) = try CheckpointIO.loadRewardModel(dir.path)
        #expect(score == (0..<8).map { Float($0) / 8 })
    }

    @Test func aMissingScoreHeadIsNamed() throws {
        let e = try #require(loadError(try rewardDirectory(score: false)))
        #expect(e.tensor == "score.weight")
        #expect(e.problem == "missing")
    }

    @Test func otherLabelCountsAreRefused() throws {
        let two = try #require(loadError(try rewardDirectory(labels: 2)))
        #expect(two.description.hasSuffix("config.json: num_labels 2: a reward model has exactly one label, the reward"))
        // transformers' default when config.json has no id2label is two labels
        let absent = try #require(loadError(try rewardDirectory(labels: nil)))
        #expect(absent.problem.hasPrefix("num_labels 2"))
    }

    @Test func aCausalLMIsNotARewardModel() throws {
        let e = try #require(loadError(try rewardDirectory(architectures: ["LlamaForCausalLM"])))
        #expect(e.problem.contains("[\"LlamaForCausalLM\"] is not a reward model"))
        let gguf = URL(fileURLWithPath: Self.fixture).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("gguf/tiny-f32.gguf").path
        #expect(checkpointError { _ = try CheckpointIO.loadRewardModel(gguf) }?.problem.contains("not GGUF") == true)
    }

    @Test func anLMHeadInARewardModelIsUnexpected() throws {
        let head = RawTensor(name: "lm_head.weight", dtype: "F32", shape: [11, 8], bytes: f32Bytes([Float](repeating: 1, count: 88)))
        let e = try #require(loadError(try rewardDirectory(extra: [head])))
        #expect(e.tensor == "lm_head.weight")
        #expect(e.problem.contains("not part of a LlamaForSequenceClassification"))
    }

    @Test func theCausalPathsRefuseARewardModel() throws {
        for load in [{ _ = try CheckpointIO.load(Self.fixture) }, { _ = try CheckpointIO.loadConfig(Self.fixture) }] {
            let e = try #require(checkpointError(load))
            #expect(e.file.hasSuffix("model/config.json"))
            #expect(e.problem.hasPrefix("LlamaForSequenceClassification is a reward model with no lm_head"))
        }
    }
}
