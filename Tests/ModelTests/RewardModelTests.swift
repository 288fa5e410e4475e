import Foundation
@testable import IRPOCore
import Testing

/// The committed reward-model fixture (made by Tests/Fixtures/reward/make_fixture.py): a tiny
/// random LlamaForSequenceClassification, records, and the ids and rewards transformers computed.
enum RewardFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reward")
    static var model: String { directory.appendingPathComponent("model").path }

    static func lines(_ name: String) throws -> [JSONRecord] {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            .split(separator: "\n").map { try JSONRecord(parsing: String($0)) }
    }

    /// A scorer over a fresh load of the fixture (scoring gives the loaded matrices up).
    static func scorer(batch: Int, kernel: KernelPath = .best, write: @escaping (JSONRecord) -> Void = { _ in }) throws -> RewardScorer {
        let (checkpoint, score) = try CheckpointIO.loadRewardModel(model)
        let tokenizer = try Tokenizer(json: checkpoint.tokenizerJSON!)
        let reward = RewardModel(weights: checkpoint.weights, score: score, batch: batch, kernel: kernel)
        return RewardScorer(model: reward, tokenizer: tokenizer, eos: Int32(checkpoint.config.eosTokenIds[0]),
                            template: .gsm8k, write: write)
    }

    /// The rewards of every record, scored `batch` at a time.
    static func rewards(batch: Int, kernel: KernelPath = .best) throws -> [Float] {
        let scorer = try scorer(batch: batch, kernel: kernel)
        return scorer.model.rewards(try lines("records.jsonl").map(scorer.tokens))
    }
}

@Suite struct RewardModelTests {
    @Test func tokensAreThoseTransformersScored() throws {
        let scorer = try RewardFixture.scorer(batch: 1)
        let records = try RewardFixture.lines("records.jsonl"), reference = try RewardFixture.lines("reference.jsonl")
        #expect(records.count == reference.count && records.count >= 6)
        for (record, ref) in zip(records, reference) {
            let expected = try #require(ref["ids"]?.arrayValue).map { Int32($0.intValue!) }
            #expect(try scorer.tokens(for: record) == expected)
        }
    }

    @Test func rewardsMatchTransformers() throws {
        let reference = try RewardFixture.lines("reference.jsonl").map { try #require($0["reward"]?.doubleValue) }
        let rewards = try RewardFixture.rewards(batch: 4)
        #expect(rewards.count == reference.count)
        for (ours, theirs) in zip(rewards, reference) {
            let relative = abs(Double(ours) - theirs) / max(abs(theirs), 1e-6)
            print("reward \(ours) transformers \(theirs) relative \(relative)")
            #expect(relative <= 1e-5)
        }
    }

    /// The thread count is a process-wide setting that other suites' memory accounting reads while
    /// they run, so GradeRewardCLITests varies it, in processes of their own.
    @Test func rewardsDoNotDependOnBatchOrKernel() throws {
        let base = try RewardFixture.rewards(batch: 1, kernel: .portable).map(\.bitPattern)
        for kernel in KernelPath.available {
            for batch in [1, 2, 6] {
                #expect(try RewardFixture.rewards(batch: batch, kernel: kernel).map(\.bitPattern) == base, "\(kernel) batch \(batch)")
            }
        }
    }

    @Test func sequencesSplitOverStepsKeepTheirRewards() throws {
        var rng = SplitMix64(seed: 3)
        let sequences = [400, 500, 300, 20].map { n in (0..<n).map { _ in Int32(3 + rng.next() % 300) } }
        #expect(RewardModel.steps(sequences.map(\.count)).count > 1)
        let together = try RewardFixture.scorer(batch: 4).model.rewards(sequences)
        let alone = try RewardFixture.scorer(batch: 1).model.rewards(sequences)
        #expect(together.map(\.bitPattern) == alone.map(\.bitPattern))
    }

    @Test func theLastNonPadTokenIsPooled() throws {
        let model = try RewardFixture.scorer(batch: 2).model
        let pad = Int32(try #require(model.config.padTokenId))
        #expect(model.pooledIndex([5, 6, 7]) == 2)
        #expect(model.pooledIndex([5, pad, 7, pad, pad]) == 2)
        #expect(model.pooledIndex([pad, pad]) == 0)
        // tokens after the pooled one change nothing; those before it do
        let r = model.rewards([[5, 6, 7], [5, 6, 7, pad, pad], [5, 9, 7]])
        #expect(r[0].bitPattern == r[1].bitPattern)
        #expect(r[0] != r[2])
    }

    @Test func recordsLeaveInOrderWithTheirReward() throws {
        var written: [JSONRecord] = []
        var scorer = try RewardFixture.scorer(batch: 4) { written.append($0) }
        let records = try RewardFixture.lines("records.jsonl")
        for record in records { try scorer.add(record) }
        #expect(written.count == 4)
        scorer.flush()
        let expected = try RewardFixture.rewards(batch: 1)
        #expect(written.map { $0["completion"] } == records.map { $0["completion"] })
        #expect(written.map { Float($0["reward"]!.doubleValue!) } == expected)
    }

    @Test func aRecordLongerThanTheContextIsRefused() throws {
        let scorer = try RewardFixture.scorer(batch: 1)
        let long = try JSONRecord(parsing: #"{"prompt": "Q", "completion": "\#(String(repeating: "7 ", count: 300))"}"#)
        #expect(throws: RewardError.self) { try scorer.tokens(for: long) }
        #expect(throws: RecordFieldError.self) { try scorer.tokens(for: try JSONRecord(parsing: #"{"prompt": "Q"}"#)) }
    }
}

@Suite struct RewardStepTests {
    @Test func stepsKeepOrderAndTheTokenBudget() {
        let budget = RewardModel.stepTokens
        #expect(RewardModel.steps([]) == [])
        #expect(RewardModel.steps([10, 20, 30]) == [0..<3])
        #expect(RewardModel.steps([budget - 10, 10, 1]) == [0..<2, 2..<3])
        #expect(RewardModel.steps([budget + 5, 3, budget]) == [0..<1, 1..<2, 2..<3])
    }
}
