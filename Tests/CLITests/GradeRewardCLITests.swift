import Foundation
import IRPOCore
import Testing

/// `grade --reward-model` run as a built binary in real pipes, on the committed fixture.
@Suite struct GradeRewardCLITests {
    static let fixture = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/reward").path
    static var model: String { fixture + "/model" }

    static func references() throws -> [Double] {
        try String(contentsOfFile: fixture + "/reference.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONRecord(parsing: String($0))["reward"]!.doubleValue! }
    }

    @Test func addsTransformersRewardsInAPipe() throws {
        let r = try Shell.run(#"cat "$F/records.jsonl" | "$BIN/grade" --quiet --reward-model "$F/model" | jq -c '[.correct, .reward]'"#
            .replacingOccurrences(of: "$F", with: Self.fixture))
        #expect(r.status == 0)
        #expect(r.err == "")
        let rows = r.out.split(separator: "\n").map { try! JSONRecord(parsing: #"{"row":\#($0)}"#)["row"]!.arrayValue! }
        let reference = try Self.references()
        #expect(rows.count == reference.count)
        for (row, theirs) in zip(rows, reference) {
            #expect(row[0].boolValue != nil)
            let ours = try #require(row[1].doubleValue)
            #expect(abs(ours - theirs) <= 1e-5 * abs(theirs), "grade \(ours), transformers \(theirs)")
        }
    }

    @Test func sameBytesOnEveryKernelPathBatchAndThreadCount() throws {
        let r = try Shell.run("""
            set -e
            for run in "portable 1 1" "avx2 2 4" "avx2 3 6" "portable 2 16"; do
              set -- $run
              IRPO_SIMD=$1 "$BIN/grade" --quiet --reward-model '\(Self.model)' --threads $2 --batch $3 '\(Self.fixture)/records.jsonl' > out-$1-$2-$3.jsonl
            done
            cmp out-portable-1-1.jsonl out-avx2-2-4.jsonl
            cmp out-portable-1-1.jsonl out-avx2-3-6.jsonl
            cmp out-portable-1-1.jsonl out-portable-2-16.jsonl
            grep -c '"reward":' out-portable-1-1.jsonl
            """)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "6\n")
    }

    @Test func aRecordTooLongIsReportedAndTheOthersWritten() throws {
        let long = String(repeating: "1 + ", count: 300)
        let input = """
        {"prompt":"Q: 1?\\n","completion":"Final answer: 1","answer":"1"}
        {"prompt":"Q: 1?\\n","completion":"\(long)","answer":"1"}
        {"prompt":"Q: 1?\\n","answer":"1"}
        {"question":"What is 2?","completion":"Final answer: 2","answer":"2"}

        """
        let r = try Shell.run(#""$BIN/grade" --quiet --reward-model '\#(Self.model)' --batch 2 in.jsonl"#, files: ["in.jsonl": input])
        #expect(r.status == 1)
        let errors = r.err.split(separator: "\n")
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix("grade: in.jsonl:2: prompt and completion are ") == true)
        #expect(errors.first?.hasSuffix(" tokens, more than the reward model's context of 512") == true)
        #expect(errors.last == #"grade: in.jsonl:3: missing field "completion""#)
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains(#""reward":"#) })
        // a record without "prompt" is read through the template, as sample builds it
        #expect(lines.last?.hasPrefix(#"{"question":"What is 2?""#) == true)
    }

    @Test func unusableRewardModelsAreNamedBeforeAnyOutput() throws {
        // A reward model without its head: the fixture saved as a plain body, its config restored.
        let dir = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (checkpoint, _) = try CheckpointIO.loadRewardModel(Self.model)
        try CheckpointIO.save(checkpoint, to: dir + "/headless")
        let r = try Shell.run("""
            cp '\(Self.model)/config.json' headless/config.json
            cp -r '\(Self.model)' two && sed -i 's/"0": "LABEL_0"/"0": "LABEL_0", "1": "LABEL_1"/' two/config.json
            for m in headless two '\(Shell.packageRoot.path)/examples/m0'; do
              "$BIN/grade" --quiet --reward-model "$m" '\(Self.fixture)/records.jsonl' 2>&1 >> out.jsonl
              echo "status $?"
            done
            "$BIN/sample" --model two < '\(Self.fixture)/records.jsonl' 2>&1 >> out.jsonl
            echo "status $?"
            wc -c < out.jsonl
            """, in: dir)
        let m0 = Shell.packageRoot.path + "/examples/m0"
        #expect(r.out == """
        grade: headless/model.safetensors: tensor score.weight: missing
        status 1
        grade: two/config.json: num_labels 2: a reward model has exactly one label, the reward
        status 1
        grade: \(m0)/config.json: architectures ["LlamaForCausalLM"] is not a reward model (--reward-model reads LlamaForSequenceClassification)
        status 1
        sample: two/config.json: LlamaForSequenceClassification is a reward model with no lm_head: it cannot generate or train; grade --reward-model reads it
        status 1
        0

        """)
    }

    @Test func rewardFlagsNeedARewardModel() throws {
        let r = try Shell.run(#""$BIN/grade" --batch 4 < /dev/null"#)
        #expect(r.status == 64)
        #expect(r.err.contains("--batch is only used with --judge or --reward-model"))
        let t = try Shell.run(#""$BIN/grade" --template plain < /dev/null"#)
        #expect(t.status == 64 && t.err.contains("--template is only used with --reward-model"), "\(t.err)")
        let both = try Shell.run(#""$BIN/grade" --judge judge --reward-model reward < /dev/null"#)
        #expect(both.status == 64 && both.err.contains("--judge and --reward-model are two ways to score: give one"), "\(both.err)")
    }
}
