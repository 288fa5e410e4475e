import Foundation
import Testing

/// Every command given hundreds of generated bad lines among good ones (see `BadInputs`): no
/// crash, no hang, status 1, one `command: in.jsonl:LINE: reason` per bad line, and for the
/// filters exactly the output of the good lines alone, so every good line is written whole and
/// nothing of a bad one is.
@Suite struct BadInputTests {
    struct Outcome {
        var status: String
        var sameOutput: Bool
        var reported: [Int?]
        var badLines: [Int]
        var stderr: String
        var goodStderr: String
    }

    /// Runs `command args in.jsonl` on the mixed input and, in another directory, on its good
    /// lines alone under the same name.
    func runMixed(_ command: String, _ args: String, good: [String], templates: [BadInputs], extra: [String] = [],
                  badPerGood: Int) throws -> Outcome {
        let (file, goodOnly, badLines) = BadInputs.interleave(good: good, templates: templates, extra: extra, badPerGood: badPerGood)
        let r = try Shell.run("""
            timeout 300 "$BIN/\(command)" \(args) in.jsonl > mixed.out 2> mixed.err; echo "$?"
            mkdir g && mv good.jsonl g/in.jsonl && cd g && timeout 300 "$BIN/\(command)" \(args) in.jsonl > ../good.out 2> ../good.err
            cd .. && cmp -s mixed.out good.out && echo same || { diff mixed.out good.out | head -c 3000 >&2; echo differs; }
            cat mixed.err; echo "--- good run:"; cat good.err
            """, bytes: ["in.jsonl": file, "good.jsonl": goodOnly])
        let lines = r.out.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        let err = lines.count > 2 ? String(lines[2]) : ""
        let parts = err.components(separatedBy: "--- good run:\n")
        return Outcome(status: lines.first.map(String.init) ?? "", sameOutput: lines.count > 1 && lines[1] == "same",
                       reported: BadInputCheck.reportedLines(parts[0], command: command, file: "in.jsonl"),
                       badLines: badLines, stderr: parts[0] + r.err, goodStderr: parts.count > 1 ? parts[1] : "")
    }

    /// The checks every filter passes: one diagnostic per bad line, in order, and the good output.
    func expectFilterBehaviour(_ o: Outcome, _ command: String) {
        #expect(o.status == "1", "\(command) exited \(o.status)")
        #expect(o.sameOutput, "\(command): the output differs from the good lines' output: \(o.stderr.suffix(3000))")
        #expect(o.reported.count == o.badLines.count, "\(command): \(o.reported.count) diagnostics for \(o.badLines.count) bad lines")
        // Compared as a Bool: a failure shows the first mismatch, not two arrays of 500 numbers.
        #expect(o.reported == o.badLines.map { Optional($0) } ? true : false, "\(command): diagnostics name other lines: \(firstMismatch(o))")
        #expect(o.goodStderr == "", "\(command) complained about the good lines: \(o.goodStderr)")
        #expect(o.badLines.count >= 300)
    }

    func firstMismatch(_ o: Outcome) -> String {
        let lines = o.stderr.utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        for (i, n) in o.reported.enumerated() where i >= o.badLines.count || n != o.badLines[i] {
            return "diagnostic \(i): \(lines.count > i ? String(lines[i].prefix(300)) : "none"), expected line \(i < o.badLines.count ? o.badLines[i] : -1)"
        }
        return "none"
    }

    static let types = ["5", "[]", "{}", "true", "[\"x\"]", "{\"a\":\"b\"}"]
    static let idTypes = ["{}", "[]", "true", "[1]", "{\"id\":1}"]

    /// Per command: good records whose damaged copies make the bad lines.
    static let templates: [String: [BadInputs]] = [
        "grade": [
            BadInputs(fields: [("id", "1"), ("completion", #""So 2+2=4.\nFinal answer: 4""#), ("answer", "\"#### 4\"")],
                      required: ["completion", "answer"],
                      wrongValues: ["completion": types, "answer": ["[]", "{}", "true", "[1]"]]),
            BadInputs(fields: [("answer", "\"#### 18\""), ("model", #""m""#), ("completion", #""Final answer: 18""#), ("sample", "0")],
                      required: ["completion", "answer"], wrongValues: ["completion": ["18", "false", "[[]]"]]),
        ],
        "pair": [
            BadInputs(fields: [("id", #""t""#), ("prompt", #""P""#), ("completion", #""c""#), ("pred", #""5""#), ("correct", "true")],
                      required: ["id", "prompt", "completion", "correct"],
                      wrongValues: ["id": idTypes, "prompt": types, "completion": types,
                                    "correct": ["1", "\"true\"", "[]", "{}", "[true]"], "pred": ["[]", "{}", "true"]]),
            BadInputs(fields: [("correct", "false"), ("completion", #""w""#), ("id", "9999"), ("prompt", #""Q\tR""#)],
                      required: ["id", "prompt", "completion", "correct"], wrongValues: ["correct": ["0", "null"]]),
        ],
        "eval": [
            BadInputs(fields: [("id", #""t""#), ("pred", #""5""#), ("correct", "true"), ("finish", #""stop""#), ("tokens", "12")],
                      required: ["id", "correct"],
                      wrongValues: ["id": idTypes, "correct": ["1", "\"true\"", "[]", "{}"], "pred": ["[]", "{}", "true"],
                                    "finish": ["1", "[]", "true"], "tokens": ["\"12\"", "1.5", "[]", "true", "1e400"]]),
            BadInputs(fields: [("correct", "false"), ("id", "7")], required: ["id", "correct"], wrongValues: [:]),
        ],
        "sample": [
            BadInputs(fields: [("id", #""t""#), ("question", #""What is 2 plus 2?""#), ("answer", "\"#### 4\"")],
                      required: ["question"], wrongValues: ["id": idTypes, "question": types]),
            BadInputs(fields: [("prompt", #""Ready: ""#), ("id", "12")], required: ["prompt"],
                      wrongValues: ["prompt": types + ["null"]]),
        ],
        "dpo-train": [
            BadInputs(fields: [("id", "1"), ("prompt", #""Q: 1+1=?\nA:""#), ("chosen", #"" 2""#), ("rejected", #"" 3""#)],
                      required: ["prompt", "chosen", "rejected"],
                      wrongValues: ["prompt": types, "chosen": types, "rejected": types]),
            BadInputs(fields: [("rejected", #"" no""#), ("chosen", #"" yes""#), ("prompt", #""Is it?""#)],
                      required: ["prompt", "chosen", "rejected"], wrongValues: ["chosen": ["1", "false"]]),
        ],
    ]

    /// How each command is run on a file of bad lines alone.
    static let soloRuns: [String: String] = [
        "grade": #""$BIN/grade" --quiet --task gsm8k"#, "pair": #""$BIN/pair" --quiet"#, "eval": #""$BIN/eval" --json"#,
        "sample": #""$BIN/sample" --model '\#(SampleFixture.modelDir)' --template plain --max-tokens 2"#,
        "dpo-train": #"rm -rf o; "$BIN/dpo-train" --model m0 --out o --max-steps 1"#,
    ]

    @Test(arguments: ["grade", "pair", "eval", "sample", "dpo-train"])
    func eachKindAloneEndsWithStatusOne(_ command: String) throws {
        // Every 10th bad line of the first template, each the whole input of its own run: status 1,
        // one diagnostic at line 1, nothing on standard output (eval: its report of no samples)
        // and for dpo-train no model.
        let cases = Self.templates[command]![0].cases()
        let picked = stride(from: 0, to: cases.count, by: 10).map { cases[$0].bytes + [0x0A] }
        var script = command == "dpo-train" ? "\(DPOTrainFixture.makeM0) || exit 9\n" : ""
        for i in picked.indices {
            script += #"\#(Self.soloRuns[command]!) bad\#(i).jsonl > out 2> err; echo "$? $(wc -c < out | tr -d ' ') $(test -e o && echo wrote) $(head -n 1 err)""# + "\n"
        }
        var files = DPOTrainFixture.files
        files["pairs.jsonl"] = nil
        let r = try Shell.run(script, files: files,
                              bytes: Dictionary(uniqueKeysWithValues: picked.enumerated().map { ("bad\($0.offset).jsonl", $0.element) }))
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == picked.count, "\(r.out)\(r.err)")
        for (i, line) in lines.enumerated() {
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            let silent = command == "eval" ? words.count > 1 && words[1] != "0" : words.count > 1 && words[1] == "0"
            #expect(words.first == "1" && silent, "\(command) bad\(i).jsonl: \(line)")
            // A file whose first line opens an array, or is a lone "{", is named whole: not JSONL.
            let named = line.contains(" \(command): bad\(i).jsonl:1: ") || line.contains(" \(command): bad\(i).jsonl: expected JSONL")
            #expect(named && !line.contains(" wrote "), "\(command) bad\(i).jsonl: \(line)")
        }
    }

    @Test func grade() throws {
        let good = (0..<300).map { i in
            i % 7 == 3 ? "{\"id\":\(i),\"completion\":\"a\\u0000b Final answer: \(i)\",\"answer\":\"#### \(i)\"}"
                : "{\"id\":\(i),\"completion\":\"Final answer: \(i % 3)\",\"answer\":\"#### 1\",\"x\":[[{\"é\":null}]]}"
        }
        let o = try runMixed("grade", "--quiet --task gsm8k", good: good, templates: Self.templates["grade"]!,
                             extra: [#"{"completion":"Final answer: 1","answer":"no number here"}"#], badPerGood: 2)
        expectFilterBehaviour(o, "grade")
    }

    @Test func pair() throws {
        // One winner and one loser per problem: one pair each.
        let good = (0..<200).flatMap { i in [
            #"{"id":"g\#(i)","prompt":"P\#(i)","completion":"right \#(i)","pred":"\#(i)","correct":true}"#,
            #"{"id":"g\#(i)","prompt":"P\#(i)","completion":"wrong","pred":null,"correct":false,"finish":"length"}"#,
        ] }
        let o = try runMixed("pair", "--quiet --seed 3", good: good, templates: Self.templates["pair"]!, badPerGood: 1)
        expectFilterBehaviour(o, "pair")
    }

    @Test func eval() throws {
        let good = (0..<400).map { i in
            #"{"id":"p\#(i / 4)","pred":\#(i % 3 == 0 ? "null" : "\"\(i % 2)\""),"correct":\#(i % 2 == 0),"finish":"stop","tokens":\#(i)}"#
        }
        let o = try runMixed("eval", "--json --k 1,2,4", good: good, templates: Self.templates["eval"]!, badPerGood: 1)
        expectFilterBehaviour(o, "eval")
    }

    @Test func sample() throws {
        let long = #"{"id":"long","question":"\#(String(repeating: "many words ", count: 40))"}"#
        let good = (0..<24).map { i in
            i % 4 == 1 ? #"{"id":"g\#(i)","prompt":"Ready \u0000 prompt \#(i): "}"#
                : "{\"id\":\"g\(i)\",\"question\":\"What is \(i) plus 1? ✓\",\"answer\":\"#### \(i + 1)\"}"
        }
        let o = try runMixed("sample", "--model '\(SampleFixture.modelDir)' --template plain --max-tokens 2 --seed 1",
                             good: good, templates: Self.templates["sample"]!, extra: [long], badPerGood: 16)
        expectFilterBehaviour(o, "sample")
    }

    @Test func dpoTrain() throws {
        let good = DPOTrainFixture.records(count: 24, pairs: true).split(separator: "\n").map(String.init)
        let (file, _, badLines) = BadInputs.interleave(good: good, templates: Self.templates["dpo-train"]!,
                                                       extra: [#"{"prompt":"","chosen":" 1","rejected":" 2"}"#], badPerGood: 14)
        var files = DPOTrainFixture.files
        files["pairs.jsonl"] = nil
        let r = try Shell.run("""
            \(DPOTrainFixture.makeM0) || exit 9
            timeout 300 "$BIN/dpo-train" --model m0 --out m1 --batch-size 4 --max-steps 2 in.jsonl 2> refused.err; echo "$?"
            test -e m1 && echo "m1 exists"
            timeout 300 "$BIN/dpo-train" --model m0 --out m2 --batch-size 4 --max-steps 2 --skip-bad in.jsonl 2> skipped.err; echo "$?"
            test -f m2/model.safetensors && echo "m2 written"
            cat refused.err; echo "--- skipped:"; cat skipped.err
            """, files: files, bytes: ["in.jsonl": file])
        let out = r.out.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        #expect(out.prefix(3) == ["1", "0", "m2 written"], "\(r.out.prefix(2000)) \(r.err)")
        let parts = (out.count > 3 ? out[3] : "").components(separatedBy: "--- skipped:\n")
        var refused = parts[0].split(separator: "\n").map(String.init)
        #expect(refused.last == "dpo-train: \(badLines.count) bad input line(s); not training (--skip-bad skips them)")
        refused.removeLast()
        let reported = BadInputCheck.reportedLines(refused.joined(separator: "\n"), command: "dpo-train", file: "in.jsonl")
        #expect(reported == badLines.map { Optional($0) } ? true : false, "\(refused.prefix(3))")
        #expect(badLines.count >= 300)
        let skipped = parts.count > 1 ? parts[1] : ""
        #expect(skipped.contains("dpo-train: skipped \(badLines.count) bad input line(s)\n"), "\(skipped.suffix(500))")
    }

    @Test func emptyInputIsNotAnError() throws {
        // An empty input is no bad line: the filters write nothing (eval an empty report) and
        // exit 0, as cat does; dpo-train has nothing to train on, which is an error.
        let r = try Shell.run("""
            for c in grade pair; do "$BIN/$c" < /dev/null 2>/dev/null; echo "$c $?"; done
            printf '\\n \\r\\n\\t\\n' | "$BIN/grade"; echo "blank lines $?"
            "$BIN/eval" --json empty.jsonl; echo "eval $?"
            "$BIN/sample" --model '\(SampleFixture.modelDir)' < /dev/null; echo "sample $?"
            "$BIN/dpo-train" --init config.json --tokenizer tokenizer.json --out m --loss sft < /dev/null; echo "dpo-train $?"
            test -e m && echo "m exists"
            """, files: DPOTrainFixture.files.merging(["empty.jsonl": ""]) { a, _ in a })
        #expect(r.out == """
            grade 0
            pair 0
            blank lines 0
            {"file":"empty.jsonl","model":"empty","problems":0,"samples":0,"samples_per_problem":{"min":0,"max":0,"mean":null},"accuracy":null,"accuracy_se":null,"maj":{"1":null,"8":null,"32":null},"maj_se":{"1":null,"8":null,"32":null},"pass":{"1":null,"8":null,"32":null},"pass_se":{"1":null,"8":null,"32":null},"problems_with_k_samples":{"1":0,"8":0,"32":0},"missing":null,"truncated":null,"mean_tokens":null}
            eval 0
            sample 0
            dpo-train 1

            """, "\(r.err)")
        #expect(r.err.contains("dpo-train: "), "\(r.err)")
    }
}
