import Foundation
import Testing
import IRPOCore

/// `sample` run as a built binary in real pipes.
@Suite struct SampleCLITests {
    let model = SampleFixture.modelDir

    func sample(_ args: String, stdin: String, files: [String: String] = [:]) throws -> Shell.Result {
        try Shell.run("\"$BIN/sample\" --model '\(model)' --template plain \(args)", stdin: stdin, files: files)
    }

    @Test func writesNSamplesPerProblemWithTheirFields() throws {
        let r = try sample("-n 3 --max-tokens 12 --seed 4", stdin: SampleFixture.problems(4) + #"{"question":"no id"}"# + "\n")
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 15)
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.map { $0["sample"] as! Int } == Array(repeating: [0, 1, 2], count: 5).flatMap { $0 })
        #expect(records[0]["id"] as? String == "q1" && records[3]["id"] as? String == "q2")
        #expect(records[12]["id"] as? Int == 5)
        #expect(records[0]["prompt"] as? String == "Question: What is 1 plus 3?\nAnswer:\n")
        #expect(records[0]["answer"] as? String == "#### 4")
        for rec in records {
            #expect(rec["model"] as? String == model)
            #expect(["stop", "length"].contains(rec["finish"] as? String))
            #expect((rec["tokens"] as! Int) >= 1 && (rec["logprob"] as! Double) < 0)
            #expect(rec["completion"] is String)
        }
        // Keys keep the input's order, sample's own fields after them.
        #expect(lines[0].hasPrefix("{\"id\":\"q1\",\"question\":\"What is 1 plus 3?\",\"answer\":\"#### 4\",\"prompt\":"))
    }

    @Test func sameBytesAtAnyBatchAndThreadCount() throws {
        let input = SampleFixture.problems(6)
        let base = try sample("-n 4 --max-tokens 16 --temperature 0.9 --top-p 0.95 --seed 7 --batch 64", stdin: input)
        #expect(base.status == 0 && !base.out.isEmpty)
        for args in ["--batch 1", "--batch 3", "--batch 5 --threads 1", "--batch 64 --threads 2"] {
            let other = try sample("-n 4 --max-tokens 16 --temperature 0.9 --top-p 0.95 --seed 7 \(args)", stdin: input)
            #expect(other.out == base.out, "\(args) changed the output")
        }
    }

    /// IRPO_SIMD picks the kernels; the bytes out are the same on each, and --progress names the
    /// CPU, the kernel path and the threads first.
    @Test func sameBytesOnEveryKernelPathAndTheMachineLineSaysWhich() throws {
        let input = SampleFixture.problems(3)
        var outputs: [String] = []
        for path in KernelPath.available {
            let r = try Shell.run("""
                IRPO_SIMD=\(path.rawValue) "$BIN/sample" --model '\(model)' --template plain -n 3 --max-tokens 12 \
                  --temperature 0.8 --seed 2 --threads 2 --progress
                """, stdin: input)
            #expect(r.status == 0, "\(r.err)")
            outputs.append(r.out)
            let first = r.err.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("sample: cpu: ") && first.contains("; kernels: \(path.rawValue) (IRPO_SIMD=\(path.rawValue))")
                    && first.hasSuffix("; threads: 2"), "\(first)")
        }
        #expect(!outputs[0].isEmpty && Set(outputs).count == 1)
    }

    /// A model's irpo.json sets the template, max tokens and stops where the flags are absent;
    /// flags win; dpo-train carries the file to the model it writes; a bad file is named.
    @Test func modelDefaultsApplyWhereFlagsAreAbsent() throws {
        let r = try Shell.run("""
            cp -r '\(model)' m && cp defaults.json m/irpo.json && cp -r '\(model)' plain
            "$BIN/sample" --model m -n 2 --seed 1 < in.jsonl | sed 's/"model":"m"/"model":"X"/' > by-defaults
            "$BIN/sample" --model plain -n 2 --seed 1 --template plain --max-tokens 3 < in.jsonl | sed 's/"model":"plain"/"model":"X"/' > by-flags
            cmp by-defaults by-flags && echo "defaults applied"
            "$BIN/sample" --model m -n 2 --seed 1 --max-tokens 6 < in.jsonl | sed 's/"model":"m"/"model":"X"/' > flags-win
            "$BIN/sample" --model plain -n 2 --seed 1 --template plain --max-tokens 6 < in.jsonl | sed 's/"model":"plain"/"model":"X"/' | cmp - flags-win && echo "flags win"
            cp text.json m/irpo.json
            "$BIN/sample" --model m < in.jsonl | jq -c .prompt
            echo '{"max_tokens": 0}' > m/irpo.json
            "$BIN/sample" --model m < in.jsonl; echo "status $?"
            """, stdin: "", files: ["in.jsonl": SampleFixture.problems(2),
                                    "defaults.json": #"{"template": "plain", "max_tokens": 3}"#,
                                    "text.json": #"{"template": "Q: {question}\nA:"}"#])
        #expect(r.out == """
            defaults applied
            flags win
            "Q: What is 1 plus 3?\\nA:"
            "Q: What is 2 plus 6?\\nA:"
            status 1

            """, "\(r.out)\(r.err)")
        #expect(r.err == "sample: m/irpo.json: \"max_tokens\" must be at least 1\n", "\(r.err)")
    }

    @Test func shardsPartitionTheInput() throws {
        let input = SampleFixture.problems(7)
        let whole = try sample("-n 2 --max-tokens 10 --seed 1", stdin: input)
        var union: [Substring] = []
        for i in 0..<3 {
            let part = try sample("-n 2 --max-tokens 10 --seed 1 --shard \(i)/3 --batch 2", stdin: input)
            #expect(part.status == 0)
            union += part.out.split(separator: "\n")
        }
        #expect(union.sorted() == whole.out.split(separator: "\n").sorted())
        #expect(union.count == 14)
    }

    @Test func closedPipeEndsTheWorkQuickly() throws {
        let start = Date()
        let r = try Shell.run("""
            { "$BIN/sample" --model '\(model)' --template plain --max-tokens 20 --batch 8 input.jsonl; echo $? > status; } | head -1
            cat status
            """, files: ["input.jsonl": SampleFixture.problems(3000)])
        #expect(r.out.split(separator: "\n").count == 2)
        #expect(r.out.hasSuffix("\n0\n"))
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func badLinesAreReportedAndSkipped() throws {
        let long = String(repeating: "w", count: 200)
        let input = """
            {"id":"a","question":"fine"}
            not json
            {"id":"b","text":"no question"}

            {"id":"c","question":"\(long)"}
            {"id":"d","prompt":"ready: "}
            """
        let r = try sample("--max-tokens 4 in.jsonl", stdin: "", files: ["in.jsonl": input + "\n"])
        #expect(r.status == 1)
        let errs = r.err.split(separator: "\n")
        #expect(errs.count == 3, "\(r.err)")
        #expect(errs[0].hasPrefix("sample: in.jsonl:2: "))
        #expect(errs[1] == #"sample: in.jsonl:3: missing field "question" (or "prompt")"#)
        #expect(errs[2].hasPrefix(#"sample: in.jsonl:5: id "c": prompt of "#) && errs[2].contains("context of 128 tokens"))
        let ids = r.out.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(ids.map { $0["id"] as! String } == ["a", "d"])
        #expect(ids[1]["prompt"] as? String == "ready: ")
    }

    @Test func unreadableModelFailsBeforeOutput() throws {
        let r = try Shell.run("echo '{\"question\":\"x\"}' | \"$BIN/sample\" --model no-such-model")
        #expect(r.status == 1)
        #expect(r.out.isEmpty)
        #expect(r.err.hasPrefix("sample: no-such-model"))
        let usage = try sample("--top-p 0", stdin: "")
        #expect(usage.status == 64)
    }
}

/// A model's generation_config.json: its eos_token_id list ends completions, and its sampling
/// settings apply where flags are absent (do_sample false is greedy decoding).
@Suite struct GenerationConfigCLITests {
    /// `m1` of the man pages' fixture with `json` as its generation_config.json.
    func model(_ json: String) throws -> String {
        let dir = try Shell.temporaryDirectory() + "/m"
        _ = try Shell.run("cp -r '\(ExampleFixture.dir)/m1' '\(dir)'")
        try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/generation_config.json"))
        return dir
    }

    func sample(_ model: String, _ args: String) throws -> Shell.Result {
        try Shell.run("\"$BIN/sample\" --model '\(model)' --template plain -n 4 --seed 2 \(args) | jq -c '[.completion, .finish]'",
                      stdin: ExampleFixture.problems.joined(separator: "\n") + "\n")
    }

    @Test func anEndTokenOfTheFileEndsCompletions() throws {
        // m1 writes the marker token " Final answer: " (257) first: listed as an end token, it
        // ends every completion at once.
        let r = try sample(try model(#"{"eos_token_id": [256, 257]}"#), "--temperature 0")
        #expect(r.status == 0, "\(r.err)")
        #expect(Set(r.out.split(separator: "\n")) == [#"["","stop"]"#])
    }

    @Test func theFilesSamplingSettingsApplyWhereFlagsAreAbsent() throws {
        let plainModel = try model("{}")
        let greedy = try sample(plainModel, "--temperature 0"), sampled = try sample(plainModel, "")
        #expect(greedy.status == 0 && sampled.status == 0 && greedy.out != sampled.out)
        #expect(try sample(try model(#"{"do_sample": false, "temperature": 0.7}"#), "").out == greedy.out)
        #expect(try sample(try model(#"{"temperature": 0}"#), "").out == greedy.out)
        // a flag wins over the file
        #expect(try sample(try model(#"{"do_sample": false}"#), "--temperature 1").out == sampled.out)
    }

    @Test func aBadFileIsOneClearError() throws {
        let dir = try model(#"{"top_p": 2}"#)
        let r = try Shell.run("\"$BIN/sample\" --model '\(dir)'", stdin: #"{"question":"x"}"# + "\n")
        #expect(r.status == 1 && r.out.isEmpty)
        #expect(r.err == "sample: \(dir)/generation_config.json: \"top_p\" must be a number in (0, 1], not 2\n", "\(r.err)")
    }
}
