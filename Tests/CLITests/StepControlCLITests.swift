import Foundation
import Testing

/// Step-controlled negatives end to end: `pair --prefixes`, `sample` continuing a prefix,
/// `pair --continuations`, and dpo-train scoring a continuation as sample reported it.
@Suite struct StepControlCLITests {
    static let graded = """
    {"id":1,"prompt":"P1","completion":"a\\nb\\n#### 5","pred":"5","correct":true,"answer":"a\\nc\\n#### 5","gold":"5","sample":0}
    {"id":1,"prompt":"P1","completion":"a\\nx\\n#### 6","pred":"6","correct":false,"answer":"a\\nc\\n#### 5","gold":"5","sample":1}
    {"id":1,"prompt":"P1","completion":"a\\nb\\n#### 5","pred":"5","correct":true,"answer":"a\\nc\\n#### 5","gold":"5","sample":2}
    {"id":2,"prompt":"P2","completion":"#### 7","pred":"7","correct":true,"answer":"#### 7","gold":"7","sample":0}

    """

    @Test func prefixesCutEachDistinctCorrectSolution() throws {
        let r = try Shell.run(#""$BIN/pair" --prefixes g.jsonl"#, files: ["g.jsonl": Self.graded])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err == "pair: 2 problems, 2 correct solutions, 2 records to continue written\n")
        #expect(r.out == """
            {"id":1,"prompt":"P1","answer":"a\\nc\\n#### 5","prefix":"a\\n","steps":1,"source":"a\\nb\\n#### 5","source_pred":"5"}
            {"id":1,"prompt":"P1","answer":"a\\nc\\n#### 5","prefix":"a\\nb\\n","steps":2,"source":"a\\nb\\n#### 5","source_pred":"5"}

            """)
        let gold = try Shell.run(#""$BIN/pair" --prefixes --gold-winners --steps 2,9 --quiet g.jsonl | jq -c '[.id, .steps, .prefix, .source_pred]'"#,
                                 files: ["g.jsonl": Self.graded])
        #expect(gold.out == "[1,2,\"a\\nb\\n\",\"5\"]\n[1,2,\"a\\nc\\n\",\"5\"]\n", "\(gold.err)")
        let random = try Shell.run("""
            "$BIN/pair" --prefixes --random-step --seed 3 --quiet g.jsonl > a
            "$BIN/pair" --prefixes --random-step --seed 3 --quiet < g.jsonl > b
            cmp a b && jq -c '.steps' a
            """, files: ["g.jsonl": Self.graded])
        #expect(["1\n", "2\n"].contains(random.out), "\(random.out)\(random.err)")
    }

    static let continued = """
    {"id":1,"prompt":"P1","prefix":"a\\n","steps":1,"source":"a\\nb\\n#### 5","source_pred":"5","completion":"a\\ny\\n#### 8","pred":"8","correct":false}
    {"id":1,"prompt":"P1","prefix":"a\\n","steps":1,"source":"a\\nb\\n#### 5","source_pred":"5","completion":"a\\nb\\n#### 5","pred":"5","correct":true}
    {"id":1,"prompt":"P1","prefix":"a\\nb\\n","steps":2,"source":"a\\nb\\n#### 5","source_pred":"5","completion":"a\\nb\\n#### 4","pred":"4","correct":false}
    {"id":2,"prompt":"P2","prefix":"c\\n","steps":1,"source":"c\\n#### 7","source_pred":"7","completion":"c\\n#### 7","pred":"7","correct":true}

    """

    @Test func continuationsPairWithTheSolutionTheyContinue() throws {
        let r = try Shell.run(#""$BIN/pair" --continuations --seed 1 g.jsonl | sort"#, files: ["g.jsonl": Self.continued])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err == "pair: 2 problems, 1 skipped (no wrong continuation), 2 pairs written\n")
        #expect(r.out == """
            {"prompt":"P1","chosen":"a\\nb\\n#### 5","rejected":"a\\nb\\n#### 4","id":1,"chosen_pred":"5","rejected_pred":"4","steps":2}
            {"prompt":"P1","chosen":"a\\nb\\n#### 5","rejected":"a\\ny\\n#### 8","id":1,"chosen_pred":"5","rejected_pred":"8","steps":1}

            """)
        let step = try Shell.run(#""$BIN/pair" --continuations --step --quiet g.jsonl | jq -c '[.prompt, .chosen, .rejected]' | sort"#,
                                 files: ["g.jsonl": Self.continued])
        #expect(step.out == "[\"P1a\\n\",\"b\\n#### 5\",\"y\\n#### 8\"]\n[\"P1a\\nb\\n\",\"#### 5\",\"#### 4\"]\n", "\(step.err)")
    }

    @Test func badInputAndBadUsage() throws {
        let plain = #"{"id":3,"prompt":"P3","completion":"z","pred":"1","correct":false}"#
        let r = try Shell.run(#""$BIN/pair" --continuations --quiet g.jsonl"#, files: ["g.jsonl": Self.continued + plain + "\n"])
        #expect(r.status == 1)
        #expect(r.err == "pair: g.jsonl:5: missing field \"source\" (continue the records of pair --prefixes first)\n")
        #expect(r.out.split(separator: "\n").count == 2)
        for args in ["--prefixes --continuations", "--steps 1", "--prefixes --steps 0", "--prefixes --steps 1,x",
                     "--prefixes --steps 1 --random-step", "--continuations --random-step", "--prefixes --step",
                     "--prefixes --strategy best-worst"] {
            let u = try Shell.run(#""$BIN/pair" \#(args) g.jsonl"#, files: ["g.jsonl": Self.graded])
            #expect(u.status == 64 && u.out.isEmpty, "pair \(args): \(u.status) \(u.err)")
        }
    }

    /// The fixture model writes " Final answer: " and a digit after a newline: continuing a
    /// prefix that ends one, each completion is the prefix plus that, and dpo-train's first-step
    /// log-probability of the completion is the logprob sample reported.
    @Test func sampleContinuesAPrefixAndDPOTrainScoresItTheSame() throws {
        let problem = #"{"id":1,"question":"What is 3 plus 4?","answer":"= 7","prefix":"3 + 4 = 7\nso\n"}"#
        let r = try Shell.run("""
            set -e
            M='\(ExampleFixture.dir)/m1'
            "$BIN/sample" --model "$M" --template plain -n 3 --temperature 1 --seed 2 p.jsonl > c.jsonl
            "$BIN/sample" --model "$M" --template plain -n 3 --temperature 1 --seed 2 --batch 1 --threads 1 p.jsonl | cmp - c.jsonl
            jq -r '[.finish, .completion] | @json' c.jsonl
            jq -c '{prompt, completion} | select(.completion != null)' c.jsonl | head -n 1 > sft.jsonl
            "$BIN/dpo-train" --model "$M" --out m --loss sft --batch-size 1 --max-steps 1 --metrics m.jsonl sft.jsonl 2>/dev/null
            head -n 1 c.jsonl | jq '.logprob'
            jq '."logps/chosen"' m.jsonl
            """, files: ["p.jsonl": problem + "\n"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(r.out)")
        guard lines.count == 5 else { return }
        for line in lines.prefix(3) {
            #expect(line.hasPrefix(#"["stop","3 + 4 = 7\nso\n Final answer: "#), "\(line)")
        }
        let reported = Double(lines[3])!, scored = Double(lines[4])!
        #expect(abs(reported - scored) < 1e-4 * max(1, abs(scored)), "sample \(reported), dpo-train \(scored)")
    }

    @Test func sampleReportsABadPrefixByLine() throws {
        let input = """
            {"id":"q1","question":"What is 1 plus 3?","prefix":5}
            {"id":"q2","question":"What is 2 plus 6?","prefix":"\(String(repeating: "z", count: 120))"}
            {"id":"q3","question":"What is 3 plus 9?","prefix":"ab"}

            """
        let r = try Shell.run(#""$BIN/sample" --model '\#(SampleFixture.modelDir)' --template plain --max-tokens 4 p.jsonl"#,
                              files: ["p.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == """
            sample: p.jsonl:1: field "prefix" must be a string, found a number
            sample: p.jsonl:2: id "q2": prompt and prefix of 156 tokens leave no room in the model's context of 128 tokens

            """)
        #expect(r.out.split(separator: "\n").count == 1 && r.out.contains(#""completion":"ab"#), "\(r.out)")
    }
}
