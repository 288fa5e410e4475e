import Foundation
import Testing
import IRPOCore

/// The bundled example task and the Makefile pipelines, run end to end through the real binaries.
@Suite struct ExamplePipelineTests {
    /// A tiny model whose context holds the example's prompts (byte-level, EOS 256 as
    /// arith-problems' tokenizer.json has it).
    static let tinyConfig = """
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":257,"hidden_size":32,\
        "intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,\
        "max_position_embeddings":320,"rms_norm_eps":1e-05,"rope_theta":10000.0,\
        "tie_word_embeddings":false,"eos_token_id":256}
        """

    static let pipelines = Shell.packageRoot.appendingPathComponent("pipelines").path

    /// Values of every "a op b = c" line of a solution, and whether each is right.
    static func checkSolution(_ answer: String) -> (stepsRight: Bool, steps: Int, final: Int?, lastValue: Int?) {
        var right = true, steps = 0, last: Int?
        var final: Int?
        for line in answer.split(separator: "\n") {
            if line.hasPrefix("#### ") { final = Int(line.dropFirst(5)); continue }
            let t = line.split(separator: " ")
            guard t.count == 5, t[3] == "=", let a = Int(t[0]), let b = Int(t[2]), let c = Int(t[4]) else { return (false, steps, final, last) }
            let value = t[1] == "+" ? a + b : t[1] == "-" ? a - b : t[1] == "*" ? a * b : Int.min
            right = right && value == c && c >= 0
            steps += 1
            last = c
        }
        return (right, steps, final, last)
    }

    @Test func problemsAreDeterministicDisjointAndRight() throws {
        let r = try Shell.run("""
        set -e
        "$BIN/arith-problems" --seed 3 --out-dir a --train 400 --dev 40 --test 100
        "$BIN/arith-problems" --seed 3 --out-dir b --train 400 --dev 40 --test 100
        "$BIN/arith-problems" --seed 3 --out-dir c --train 50 --dev 40 --test 100
        for f in test dev train; do cmp a/$f.jsonl b/$f.jsonl; done
        cmp a/test.jsonl c/test.jsonl; cmp a/dev.jsonl c/dev.jsonl
        cat a/test.jsonl a/dev.jsonl a/train.jsonl
        """)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 540)
        var questions = Set<String>(), ids = Set<String>(), stepCounts = Set<Int>()
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(o.keys.sorted() == ["answer", "id", "question"])
            questions.insert(o["question"]!)
            ids.insert(o["id"]!)
            let check = Self.checkSolution(o["answer"]!)
            #expect(check.stepsRight, "wrong step in \(line)")
            #expect(check.final != nil && check.final == check.lastValue, "final answer is not the last step's value: \(line)")
            #expect((2...4).contains(check.steps), "\(check.steps) steps: \(line)")
            stepCounts.insert(check.steps)
        }
        #expect(questions.count == 540, "a question is repeated across or within splits")
        #expect(ids.count == 540)
        #expect(stepCounts == [2, 3, 4])
    }

    /// --varied-order and --varied-steps draw the same problems and only change their paths:
    /// every step right, every operand a number of the question or an earlier result, the same
    /// final answers and step counts, and many solutions changed. --varied-order writes the
    /// same numbers in another order; --varied-steps passes through other intermediate numbers.
    @Test(arguments: [("--varied-order", 200), ("--varied-steps", 80)])
    func variedPathsKeepTheProblems(flag: String, minimumChanged: Int) throws {
        let r = try Shell.run("""
        set -e
        "$BIN/arith-problems" --seed 5 --out-dir f --train 300 --dev 20 --test 30
        "$BIN/arith-problems" --seed 5 --out-dir v --train 300 --dev 20 --test 30 \(flag)
        cat f/test.jsonl f/dev.jsonl f/train.jsonl; echo ===; cat v/test.jsonl v/dev.jsonl v/train.jsonl
        """)
        #expect(r.status == 0, "\(r.err)")
        let parts = r.out.components(separatedBy: "===\n")
        try #require(parts.count == 2)
        func records(_ text: String) throws -> [[String: String]] {
            try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
            }
        }
        func intermediates(_ answer: String) -> [Int] {
            answer.split(separator: "\n").filter { !$0.hasPrefix("####") }.compactMap { Int($0.split(separator: " ").last!) }
        }
        let fixed = try records(parts[0]), varied = try records(parts[1])
        #expect(fixed.count == 350 && varied.count == 350)
        var changed = 0, otherNumbers = 0
        for (f, v) in zip(fixed, varied) {
            #expect(f["id"] == v["id"] && f["question"] == v["question"])
            let a = Self.checkSolution(f["answer"]!), b = Self.checkSolution(v["answer"]!)
            #expect(b.stepsRight && b.final == b.lastValue && b.final == a.final && b.steps == a.steps, "\(v)")
            // "doubles" and "triples" give their factor in words
            var known = Set(v["question"]!.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } + [2, 3])
            for line in v["answer"]!.split(separator: "\n") where !line.hasPrefix("####") {
                let t = line.split(separator: " ")
                #expect(known.contains(Int(t[0])!) && known.contains(Int(t[2])!), "\(line) uses an unknown number: \(v)")
                #expect(Int(t[4])! > 0, "\(line): a stock or change at or below zero")
                known.insert(Int(t[4])!)
            }
            if f["answer"] != v["answer"] { changed += 1 }
            if Set(intermediates(f["answer"]!)) != Set(intermediates(v["answer"]!)) { otherNumbers += 1 }
        }
        #expect(changed > minimumChanged, "only \(changed) of 350 solutions changed")
        if flag == "--varied-order" {
            #expect(otherNumbers == 0, "reordering operands changed \(otherNumbers) intermediate results")
        } else {
            // a bill's two costs swapped keep their numbers; reordered sums and changes do not
            #expect(otherNumbers > 60, "only \(otherNumbers) of 350 solutions pass through other numbers")
        }
    }

    /// examples/m0 is shipped; its recipe in example.mk must still produce it. The full rebuild
    /// (make -f pipelines/example.mk check-m0) takes about 20 minutes, so the suite replays the
    /// first steps and compares them with the shipped metrics, which were written by the run
    /// that made examples/m0: same data, same code, same bits, on every kernel path this CPU has
    /// (and so on any CPU: the paths compute the same chains).
    @Test(arguments: KernelPath.available)
    func shippedM0RecipeReplaysItsFirstSteps(path: KernelPath) throws {
        let root = Shell.packageRoot.path
        let r = try Shell.run("""
        here=$(pwd)
        cd '\(root)' && IRPO_SIMD=\(path.rawValue) make -f pipelines/example.mk check-m0-start BIN="$BIN" DATA="$here/data" M0_OUT="$here/m0"
        """)
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        #expect(r.out.contains("the first 2 steps of the M0 recipe match examples/m0.metrics.jsonl"), "\(r.out)")
    }

    @Test func irpoAndAblationPipelinesMakeEveryFile() throws {
        let knobs = "BIN=\"$BIN\" MODEL=m0 TRAIN=data/train.jsonl TEST=data/test.jsonl OUT=run SAMPLES=3 EVAL_SAMPLES=3 "
            + "MAX_TOKENS=12 TEMPLATE=plain PAIRS=2 LR=1e-3 THREADS=1"
        let r = try Shell.run("""
        set -e
        "$BIN/arith-problems" --out-dir data --train 6 --dev 2 --test 3 --tokenizer tokenizer.json
        jq -c '{id, prompt: ("Question: " + .question + "\\nAnswer:\\n"), completion: .answer}' data/train.jsonl > sft.jsonl
        "$BIN/dpo-train" --init config.json --tokenizer tokenizer.json --loss sft --lr 1e-3 --batch-size 4 --max-steps 2 --out m0 sft.jsonl
        make -s -j2 -f \(Self.pipelines)/ablations.mk \(knobs) > ablations.out 2>make.err
        make -f \(Self.pipelines)/irpo.mk ITERS=1 \(knobs) > again.out 2>>make.err
        "$BIN/sample" --model m0 -n 3 --temperature 0.8 --seed 1 --template plain --max-tokens 12 data/train.jsonl | cmp - run/samples-1.jsonl
        make -f \(Self.pipelines)/irpo.mk ITERS=1 ALPHA=2 \(knobs) > alpha.out 2>>make.err
        echo "== files"; cd run; ls
        for f in samples-1 graded-1 pairs-1 pairs-1.step prefixes-1 continued-1 pairs-1.scdpo M0 M1.greedy; do echo "== $f"; head -n 1 $f.jsonl | jq -c 'keys'; done
        echo "== budget"; wc -l < train-1.jsonl; wc -l < v-scdpo.train.jsonl
        echo "== eval"; jq -c '[.file, (.greedy | type), (.maj | keys)]' M0.eval.json M1.eval.json
        echo "== tables"; cat ../ablations.out; echo "== again"; cat ../again.out; echo "== alpha"; cat ../alpha.out
        """, files: ["config.json": Self.tinyConfig])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let sections = Shell.sections(r.out)
        let files = Set((sections["files"] ?? "").split(separator: "\n").map(String.init))
        for f in ["samples-1.jsonl", "graded-1.jsonl", "pairs-1.jsonl", "pairs-1.step.jsonl", "m1", "v-dpo", "v-sft", "v-step",
                  "prefixes-1.jsonl", "continued-1.jsonl", "pairs-1.scdpo.jsonl", "v-scdpo",
                  "train-1.jsonl", "M0.eval.json", "M1.eval.json", "v-sft.eval.json", "table.txt", "ablations.txt",
                  "iterations.svg", "ablations.svg"] {
            #expect(files.contains(f), "run/\(f) is missing: \(files.sorted())")
        }
        #expect(sections["samples-1"] == #"["answer","completion","finish","id","logprob","model","prompt","question","sample","tokens"]"#)
        #expect(sections["graded-1"] == #"["answer","completion","correct","finish","gold","id","logprob","model","pred","prompt","question","sample","tokens"]"#)
        #expect(sections["pairs-1"] == #"["chosen","chosen_pred","id","prompt","rejected","rejected_pred"]"#)
        #expect(sections["pairs-1.step"] == sections["pairs-1"])
        #expect(sections["prefixes-1"] == #"["answer","id","prefix","prompt","question","source","source_pred","steps"]"#)
        #expect(sections["continued-1"] == #"["answer","completion","correct","finish","gold","id","logprob","model","pred","prefix","prompt","question","sample","source","source_pred","steps","tokens"]"#)
        #expect(sections["pairs-1.scdpo"] == #"["chosen","chosen_pred","id","prompt","rejected","rejected_pred","steps"]"#)
        // The step-controlled row trains for as many steps as M1, whatever its number of pairs.
        let budget = (sections["budget"] ?? "").split(separator: "\n")
        #expect(budget.count == 2 && budget.first == budget.last, "\(budget)")
        #expect(sections["eval"] == "[\"run/M0.jsonl\",\"number\",[\"3\"]]\n[\"run/M1.jsonl\",\"number\",[\"3\"]]")
        let tables = sections["tables"] ?? ""
        #expect(tables.contains("greedy") && tables.contains("maj@3"), "\(tables)")
        // Rows are named by the models that wrote the samples (sample's --model, as given).
        for row in ["m0", "run/m1", "run/v-dpo", "run/v-sft", "run/v-step", "run/v-scdpo"] {
            #expect(tables.contains("\n" + row + " "), "no row \(row):\n\(tables)")
        }
        // Nothing left to do: the second run only prints the table.
        #expect(!(sections["again"] ?? "").contains(" sample "), "\(sections["again"] ?? "")")
        #expect((sections["again"] ?? "").contains("\nrun/m1 "))
        // A new alpha retrains M1 and re-evaluates it, but samples nothing for training again.
        let alpha = sections["alpha"] ?? ""
        #expect(alpha.contains("dpo-train --model m0 --out run/m1") && alpha.contains("--alpha 2"), "\(alpha)")
        #expect(!alpha.contains("--shard"), "\(alpha)")
    }
}
