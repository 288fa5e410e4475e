import Foundation
import Testing

/// pipelines/gsm8k.mk: irpo.mk on GSM8K subsets through a GGUF model's chat template, with
/// every evaluation graded strictly and with --flexible.
@Suite struct GSM8KPipelineTests {
    static let model = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/gguf/tiny-f32.gguf").path

    /// GSM8K-shaped records short enough for the fixture's 128-token context.
    static let records = (1...4).map { i in
        #"{"question":"What is \#(i) plus \#(i)?","answer":"\#(i)+\#(i)=<<\#(i)+\#(i)=\#(2 * i)>>\#(2 * i)\n#### \#(2 * i)"}"#
    }.joined(separator: "\n") + "\n"

    @Test func oneIterationThroughTheChatTemplateGradedBothWays() throws {
        let knobs = "BIN=\"$BIN\" MODEL='\(Self.model)' GSM8K_DATA=. OUT=run TRAIN_PROBLEMS=3 TEST_PROBLEMS=2 "
            + "SAMPLES=2 EVAL_SAMPLES=2 MAX_TOKENS=6 TEMPLATE=plain THREADS=1"
        let r = try Shell.run("""
        set -e
        make -s -j2 -f \(ExamplePipelineTests.pipelines)/gsm8k.mk \(knobs) > report.out 2>make.err
        make -f \(ExamplePipelineTests.pipelines)/gsm8k.mk \(knobs) > again.out 2>>make.err
        echo "== subsets"; wc -l < run/gsm8k-train.jsonl; wc -l < run/gsm8k-test.jsonl
        echo "== prompt"; head -n 1 run/samples-1.jsonl | jq -r .prompt
        echo "== flexible"; "$BIN/grade" --task gsm8k --flexible --quiet run/M1.jsonl | cmp - run/M1.flexible.jsonl && echo same
        echo "== report"; cat report.out; echo "== again"; cat again.out
        """, files: ["train.jsonl": Self.records, "test.jsonl": Self.records])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let sections = Shell.sections(r.out)
        #expect(sections["subsets"] == "3\n2")
        // The question reaches the model inside its chat template's user turn.
        #expect(sections["prompt"] == "<|im_start|>user\nQuestion: What is 1 plus 1?\nAnswer:\n<|im_end|>", "\(sections["prompt"] ?? "")")
        #expect(sections["flexible"] == "same")
        let report = sections["report"] ?? ""
        let strict = report.range(of: "strict (")?.lowerBound, flexible = report.range(of: "flexible (grade --flexible")?.lowerBound
        #expect(strict != nil && flexible != nil && strict! < flexible!, "\(report)")
        // Each table has a row for M0 (the model as given) and M1.
        #expect(report.components(separatedBy: "\n\(Self.model) ").count == 3, "\(report)")
        #expect(report.components(separatedBy: "\nrun/m1 ").count == 3, "\(report)")
        // Nothing left to do: the second run only reports.
        let again = sections["again"] ?? ""
        #expect(!again.contains(" sample ") && !again.contains("dpo-train") && again.contains("\nrun/m1 "), "\(again)")
    }

    @Test func withoutAModelItSaysSo() throws {
        let r = try Shell.run("make -f \(ExamplePipelineTests.pipelines)/gsm8k.mk BIN=\"$BIN\" OUT=run")
        #expect(r.status != 0)
        #expect(r.err.contains("set MODEL to the starting checkpoint M0"), "\(r.err)")
    }
}
