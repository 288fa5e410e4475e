import Foundation
import IRPOCore
import Testing

/// `grade --judge` and `pair --strategy best-worst|gap` run as built binaries in real pipes, on
/// the hand-built `judge` model of `ExampleFixture` (it answers "Score: d", d from 1 to 5).
@Suite struct JudgeCLITests {
    static var judge: String { ExampleFixture.dir + "/judge" }

    static let samples = (1...3).flatMap { id in
        (0..<4).map { s in #"{"id":\#(id),"question":"What is \#(id) plus \#(s)?","prompt":"Q\#(id)\n","completion":"\#(id + s)","sample":\#(s)}"# }
    }.joined(separator: "\n") + "\n"

    /// The score of each line and the digits of its judgements, read back independently.
    func scores(_ out: String) throws -> [(score: Double?, judged: [Double])] {
        try out.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let texts = (o["judgement"] as? [String]) ?? [o["judgement"] as! String]
            let digits = texts.compactMap { $0.hasPrefix("Score: ") ? Double($0.dropFirst(7)) : nil }
            return ((o["score"] as? NSNumber)?.doubleValue, digits)
        }
    }

    /// The built-in prompt is, byte for byte, the one grade(1) documents under JUDGE PROMPT.
    @Test func theBuiltInPromptIsTheDocumentedOne() throws {
        let page = try ManPageTests.page("man1/grade.1")
        let section = try #require(page.range(of: "\n.SH \"JUDGE PROMPT\"\n")).upperBound
        let start = try #require(page.range(of: "\n.EX\n", range: section..<page.endIndex)).upperBound
        let end = try #require(page.range(of: "\n.EE\n", range: start..<page.endIndex)).lowerBound
        let documented = page[start..<end].split(separator: "\n", omittingEmptySubsequences: false).map {
            ManPageExampleTests.unescape(String($0)).replacingOccurrences(of: "\\(cq", with: "\u{2019}")
                .replacingOccurrences(of: "\\(lq", with: "\u{201C}").replacingOccurrences(of: "\\(rq", with: "\u{201D}")
        }.joined(separator: "\n") + "\n"
        #expect(Array(JudgePrompt.selfRewarding.text.utf8) == Array(documented.utf8))
        #expect(documented.hasPrefix("Review the user\u{2019}s question") && documented.contains("\u{201C}Score: <total points>\u{201D}\n"))
        #expect(documented.utf8.allSatisfy { $0 != UInt8(ascii: "\\") }, "an escape was left undone")
    }

    @Test func judgesEachCompletionAndAveragesItsJudgements() throws {
        let r = try Shell.run(#""$BIN/grade" --judge '\#(Self.judge)' --judge-samples 3 --judgement --temperature 1 --seed 1 in.jsonl"#,
                              files: ["in.jsonl": Self.samples])
        #expect(r.status == 0, "\(r.err)")
        let rows = try scores(r.out)
        #expect(rows.count == 12)
        for row in rows {
            #expect(row.judged.count == 3 && row.judged.allSatisfy { (1...5).contains($0) })
            #expect(row.score == row.judged.reduce(0, +) / 3)
        }
        #expect(Set(rows.map(\.score)).count > 2, "the judge's samples should differ")
        #expect(r.err == "grade: 12 records, 12 scored (mean \(String(format: "%.2f", rows.compactMap(\.score).reduce(0, +) / 12))), "
                + "0 without a score; 36 judgements, 0 with no score, 0 out of range\n")
        // The input's fields come first, unchanged.
        #expect(r.out.hasPrefix(#"{"id":1,"question":"What is 1 plus 0?","prompt":"Q1\n","completion":"1","sample":0,"score":"#))
    }

    @Test func sameSeedSameBytesAtAnyBatchAndThreadCount() throws {
        let r = try Shell.run("""
        set -e
        "$BIN/grade" --judge '\(Self.judge)' --judge-samples 2 --seed 7 --batch 64 in.jsonl > a.jsonl
        "$BIN/grade" --judge '\(Self.judge)' --judge-samples 2 --seed 7 --batch 1 --threads 1 in.jsonl > b.jsonl
        "$BIN/grade" --judge '\(Self.judge)' --judge-samples 2 --seed 8 in.jsonl > c.jsonl
        cmp a.jsonl b.jsonl && echo same
        cmp -s a.jsonl c.jsonl || echo other
        """, files: ["in.jsonl": Self.samples])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "same\nother\n")
    }

    @Test func aTemplateFileReplacesThePrompt() throws {
        // Without a line break at its end the judge writes nothing: no score, counted, null.
        let r = try Shell.run(#""$BIN/grade" --judge '\#(Self.judge)' --judge-template bare.txt in.jsonl; "$BIN/grade" --judge '\#(Self.judge)' --judge-template short.txt --quiet in.jsonl"#,
                              files: ["in.jsonl": Self.samples, "bare.txt": "Rate {completion} for {question}",
                                      "short.txt": "Q: {question}\nA: {completion}\n"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 24)
        #expect(lines.prefix(12).allSatisfy { $0.hasSuffix(#","score":null}"#) })
        #expect(try scores(lines.suffix(12).map { $0.dropLast() + #","judgement":"Score: 0"}"# }.joined(separator: "\n"))
            .allSatisfy { $0.score.map { (1...5).contains($0) } ?? false })
        #expect(r.err == "grade: 12 records, 0 scored (mean none), 12 without a score; 12 judgements, 12 with no score, 0 out of range\n")
    }

    /// --judge-chat puts the prompt through the judge's chat template: one that ends its
    /// assistant turn with a line break keeps the scores, one that ends it otherwise (the judge
    /// then writes nothing) makes them null, which shows the template was used.
    @Test func aChatJudgeGetsThePromptThroughItsTemplate() throws {
        let open = #"{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<|assistant|>"#
        let r = try Shell.run("""
        cp -r '\(Self.judge)' chat && cp -r '\(Self.judge)' closed
        cp newline.jinja chat/chat_template.jinja && cp closed.jinja closed/chat_template.jinja
        "$BIN/grade" --judge chat --judge-chat --seed 3 in.jsonl | jq -c .score
        "$BIN/grade" --judge closed --judge-chat in.jsonl | jq -c .score
        "$BIN/grade" --judge '\(Self.judge)' --judge-chat in.jsonl
        echo "status $?"
        """, files: ["in.jsonl": Self.samples, "newline.jinja": open + "\n{% endif %}", "closed.jinja": open + "{% endif %}"])
        let scores = r.out.split(separator: "\n").map(String.init)
        #expect(scores.count == 25 && scores.last == "status 1", "\(r.out)\n\(r.err)")
        #expect(scores.prefix(12).allSatisfy { Int($0).map { (1...5).contains($0) } ?? false }, "\(scores)")
        #expect(scores.dropFirst(12).prefix(12).allSatisfy { $0 == "null" }, "\(scores)")
        #expect(r.err.hasSuffix("grade: \(Self.judge): no chat template (chat_template.jinja, or chat_template in "
                                + "tokenizer_config.json) for --judge-chat\n"), "\(r.err)")
    }

    @Test func badLinesAreReportedAndTheOthersJudged() throws {
        let input = """
        {"id":1,"question":"q","completion":"a"}
        {"id":2,"question":"q"}
        {"id":3,"completion":"a"}
        {"id":4,"question":"q","completion":7}
        {"id":5,"prompt":"q","completion":"b"}

        """
        let r = try Shell.run(#""$BIN/grade" --judge '\#(Self.judge)' --quiet in.jsonl"#, files: ["in.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == """
        grade: in.jsonl:2: missing field "completion"
        grade: in.jsonl:3: missing field "question" (or "prompt")
        grade: in.jsonl:4: field "completion" must be a string, found a number

        """)
        #expect(r.out.split(separator: "\n").map { $0.prefix(8) } == [#"{"id":1,"#, #"{"id":5,"#])
        // A judge whose context the prompt does not fit: every line is reported, nothing written.
        let small = try Shell.run(#""$BIN/grade" --judge '\#(ExampleFixture.dir)/m1' --quiet in.jsonl"#,
                                  files: ["in.jsonl": #"{"id":1,"question":"q","completion":"a"}"# + "\n"])
        #expect(small.status == 1 && small.out == "")
        #expect(small.err.hasPrefix("grade: in.jsonl:1: judge prompt: prompt of ") && small.err.hasSuffix(" tokens leaves no room in the model's context of 512 tokens\n"), "\(small.err)")
    }

    @Test(arguments: [
        ("--judge-samples 0 --judge J", "--judge-samples must be at least 1"),
        ("--temperature 0.7", "--temperature is only used with --judge"),
        ("--judge-samples 3", "--judge-samples is only used with --judge"),
        ("--judge-chat", "--judge-chat is only used with --judge"),
        ("--judge J --flexible", "--gold-field, --flexible and --pattern grade against a gold answer; --judge does not"),
        ("--judge J --judge-template nosuch.txt", "--judge-template nosuch.txt: cannot read the judge template"),
        ("--judge J --judge-template t.txt", "--judge-template t.txt: the judge template has no {completion} placeholder"),
    ])
    func usageErrors(_ flags: String, _ message: String) throws {
        let r = try Shell.run(#""$BIN/grade" \#(flags) < /dev/null"#, files: ["t.txt": "{question}"])
        #expect(r.status == 64)
        #expect(r.err.contains("Error: " + message), "\(r.err)")
    }

    static let scored = """
    {"id":"a","prompt":"P","completion":"x","reward":0.5}
    {"id":"a","prompt":"P","completion":"y","reward":2.25}
    {"id":"a","prompt":"P","completion":"z","reward":null}
    {"id":"a","prompt":"P","completion":"w","reward":1}
    {"id":"b","prompt":"Q","completion":"x","reward":1}
    {"id":"b","prompt":"Q","completion":"y","reward":1}
    {"id":"c","prompt":"R","completion":"x","reward":3}

    """

    @Test func bestWorstAndGapPairsFromAScoreField() throws {
        let r = try Shell.run("""
        "$BIN/pair" --strategy best-worst --score-field reward in.jsonl
        "$BIN/pair" --strategy gap --score-field reward --min-gap 0.5 --quiet in.jsonl
        """, files: ["in.jsonl": Self.scored])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == """
        {"prompt":"P","chosen":"y","rejected":"x","id":"a","chosen_score":2.25,"rejected_score":0.5}
        {"prompt":"P","chosen":"y","rejected":"x","id":"a","chosen_score":2.25,"rejected_score":0.5}
        {"prompt":"P","chosen":"y","rejected":"w","id":"a","chosen_score":2.25,"rejected_score":1}

        """)
        #expect(r.err == "pair: 3 problems, 1 skipped (fewer than two scored), 1 skipped (no score gap above 0), 1 pairs written, 1 samples without a score\n")
    }

    @Test func scoreFieldErrors() throws {
        let input = """
        {"id":1,"prompt":"P","completion":"x","score":4}
        {"id":1,"prompt":"P","completion":"y"}
        {"id":1,"prompt":"P","completion":"z","score":"high"}
        {"id":1,"prompt":"P","completion":"w","score":1}

        """
        let r = try Shell.run(#""$BIN/pair" --strategy best-worst --quiet in.jsonl"#, files: ["in.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == """
        pair: in.jsonl:2: missing field "score" (score the samples first, e.g. grade --judge)
        pair: in.jsonl:3: field "score" must be a number, found a string

        """)
        #expect(r.out == #"{"prompt":"P","chosen":"x","rejected":"w","id":1,"chosen_score":4,"rejected_score":1}"# + "\n")
    }

    @Test(arguments: [
        ("--min-gap 1", "--score-field and --min-gap are used with --strategy best-worst or gap"),
        ("--strategy gap --min-gap -1", "--min-gap must be 0 or more"),
        ("--strategy best-worst --gold-winners", "--gold-winners is used with --strategy correct (a gold solution has no score)"),
    ])
    func pairUsageErrors(_ flags: String, _ message: String) throws {
        let r = try Shell.run(#""$BIN/pair" \#(flags) < /dev/null"#)
        #expect(r.status == 64)
        #expect(r.err.contains("Error: " + message), "\(r.err)")
    }

    /// The self-rewarding loop's pairs, as grade(1) and pair(1) show it.
    @Test func judgedSamplesMakeBestWorstPairs() throws {
        let r = try Shell.run("""
        set -e
        "$BIN/grade" --judge '\(Self.judge)' --judge-samples 3 --seed 1 --quiet in.jsonl | "$BIN/pair" --strategy best-worst > pairs.jsonl
        jq -c '[.id, .chosen_score > .rejected_score]' pairs.jsonl
        """, files: ["in.jsonl": Self.samples])
        #expect(r.status == 0, "\(r.err)")
        #expect(Set(r.out.split(separator: "\n")).isSubset(of: ["[1,true]", "[2,true]", "[3,true]"]) && !r.out.isEmpty, "\(r.out)")
        #expect(r.err.hasPrefix("pair: 3 problems, 0 skipped (fewer than two scored), "), "\(r.err)")
    }

    /// irpo.mk with REWARD=judge: the self-rewarding loop end to end, on the judge fixture as M0
    /// (it answers "Score: d" to the plain prompt, and judges its own answers the same way).
    @Test func selfRewardingPipelineEndToEnd() throws {
        let knobs = "BIN=\"$BIN\" MODEL=m0 TRAIN=data/train.jsonl TEST=data/test.jsonl OUT=run SAMPLES=4 EVAL_SAMPLES=2 "
            + "MAX_TOKENS=4 JUDGE_MAX_TOKENS=4 JUDGE_SAMPLES=2 TEMPLATE=plain LR=1e-3 THREADS=1 REWARD=judge"
        let r = try Shell.run("""
        set -e
        cp -r '\(Self.judge)' m0
        "$BIN/arith-problems" --out-dir data --train 6 --dev 2 --test 3 --tokenizer tokenizer.json
        make -s -f \(ExamplePipelineTests.pipelines)/irpo.mk ITERS=1 \(knobs) > run.out 2>make.err || { cat make.err >&2; exit 1; }
        echo "== header"; head -n 1 run.out
        echo "== files"; ls run
        for f in judged-1 pairs-1; do echo "== $f"; head -n 1 run/$f.jsonl | jq -c 'keys'; done
        echo "== pairs"; jq -c '.chosen_score > .rejected_score' run/pairs-1.jsonl | sort -u
        echo "== init"; make -n --no-print-directory -f \(ExamplePipelineTests.pipelines)/irpo.mk ITERS=2 REF=init \(knobs)
        """)
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        let sections = Shell.sections(r.out)
        #expect(sections["header"] == "irpo: 1 iterations from m0 in run; REWARD=judge (judge: each iteration's own model); "
                + "REF=prev (reference: M(i-1) for M(i))")
        let files = Set((sections["files"] ?? "").split(separator: "\n").map(String.init))
        for f in ["samples-1.jsonl", "judged-1.jsonl", "pairs-1.jsonl", "m1", "M1.eval.json", "table.txt"] {
            #expect(files.contains(f), "run/\(f) is missing: \(files.sorted())")
        }
        #expect(!files.contains("graded-1.jsonl"))
        #expect(sections["judged-1"] == #"["answer","completion","finish","id","logprob","model","prompt","question","sample","score","tokens"]"#)
        #expect(sections["pairs-1"] == #"["chosen","chosen_score","id","prompt","rejected","rejected_score"]"#)
        #expect(sections["pairs"] == "true")
        // Iteration 2 is judged by M1 and, with REF=init, trained against M0.
        let plan = sections["init"] ?? ""
        #expect(plan.hasPrefix("irpo: 2 iterations from m0 in run; REWARD=judge (judge: each iteration's own model); "
                               + "REF=init (reference: M0 for every M(i))"), "\(plan)")
        #expect(plan.contains("grade --judge run/m1 --judge-samples 2 --temperature 0.7 --top-p 0.9"), "\(plan)")
        #expect(plan.contains("dpo-train --model run/m1 --out run/m2 --ref m0 --loss dpo"), "\(plan)")
        #expect(plan.contains("pair --max-pairs 10 --seed 1 --strategy best-worst --min-gap 0"), "\(plan)")
    }
}
