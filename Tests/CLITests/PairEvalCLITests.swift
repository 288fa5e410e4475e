import Foundation
import Testing

/// `pair` and `eval` run as built binaries in real pipes.
@Suite struct PairEvalCLITests {
    static let graded = """
    {"id":1,"prompt":"P1","completion":"a","pred":"5","correct":true,"answer":"#### 5","gold":"5"}
    {"id":1,"prompt":"P1","completion":"b","pred":"6","correct":false,"answer":"#### 5","gold":"5"}
    {"id":1,"prompt":"P1","completion":"a","pred":"5","correct":true,"answer":"#### 5","gold":"5"}
    {"id":1,"prompt":"P1","completion":"c","pred":null,"correct":false,"answer":"#### 5","gold":"5"}
    {"id":"2","prompt":"P2","completion":"d","pred":"7","correct":true,"answer":"#### 7","gold":"7"}
    {"id":3,"prompt":"P3","completion":"e","pred":"1","correct":false,"answer":"#### 7","gold":"7"}

    """

    @Test func pairsTheDistinctWinnersAndLosers() throws {
        let r = try Shell.run(#""$BIN/pair" --seed 1 g.jsonl"#, files: ["g.jsonl": Self.graded])
        #expect(r.status == 0)
        #expect(r.err == "pair: 3 problems, 1 skipped (all right), 1 skipped (all wrong), 2 pairs written\n")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)  // one distinct winner "a", two losers "b" and "c"
        #expect(Set(lines) == [
            #"{"prompt":"P1","chosen":"a","rejected":"b","id":1,"chosen_pred":"5","rejected_pred":"6"}"#,
            #"{"prompt":"P1","chosen":"a","rejected":"c","id":1,"chosen_pred":"5","rejected_pred":null}"#,
        ])
    }

    @Test func goldWinnersAndSameBytesEveryRun() throws {
        let script = """
        "$BIN/pair" --gold-winners --seed 7 g.jsonl > a; "$BIN/pair" --gold-winners --seed 7 < g.jsonl > b 2>/dev/null
        cmp a b && cat a
        """
        let r = try Shell.run(script, files: ["g.jsonl": Self.graded])
        #expect(r.status == 0)
        #expect(r.err == "pair: 3 problems, 1 skipped (all right), 0 skipped (all wrong), 3 pairs written\n")
        #expect(r.out.contains("{\"prompt\":\"P3\",\"chosen\":\"#### 7\",\"rejected\":\"e\",\"id\":3,\"chosen_pred\":\"7\",\"rejected_pred\":\"1\"}"))
    }

    @Test func idComingBackIsAnErrorUnlessUnsorted() throws {
        let input = Self.graded + #"{"id":1,"prompt":"P1","completion":"z","pred":"9","correct":false}"# + "\n"
        let r = try Shell.run(#""$BIN/pair" --quiet g.jsonl"#, files: ["g.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == "pair: g.jsonl:7: id 1 comes back after its group ended at g.jsonl:4 (samples of one id must be contiguous; use --unsorted)\n")
        #expect(r.out.split(separator: "\n").count == 2)
        let u = try Shell.run(#""$BIN/pair" --unsorted --max-pairs 10 g.jsonl"#, files: ["g.jsonl": input])
        #expect(u.status == 0)
        #expect(u.out.split(separator: "\n").count == 3)
    }

    @Test func promptMismatchNamesBothLines() throws {
        let input = """
        {"id":1,"prompt":"P1","completion":"a","pred":"5","correct":true}
        {"id":1,"prompt":"other","completion":"b","pred":"6","correct":false}

        """
        let r = try Shell.run(#"cat g.jsonl | "$BIN/pair" --quiet"#, files: ["g.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == "pair: <stdin>:2: prompt differs from the prompt of id 1 at <stdin>:1\n")
    }

    @Test func fullPipelineGradePairEval() throws {
        let samples = """
        {"id":1,"prompt":"Q1","completion":"Final answer: 5","answer":"#### 5","finish":"stop","tokens":10,"model":"m2"}
        {"id":1,"prompt":"Q1","completion":"Final answer: 4","answer":"#### 5","finish":"length","tokens":30,"model":"m2"}
        {"id":2,"prompt":"Q2","completion":"Final answer: 2","answer":"#### 2","finish":"stop","tokens":20,"model":"m2"}
        {"id":2,"prompt":"Q2","completion":"no idea","answer":"#### 2","finish":"stop","tokens":20,"model":"m2"}

        """
        let r = try Shell.run(#""$BIN/grade" --quiet s.jsonl | "$BIN/pair" --quiet | wc -l; "$BIN/grade" --quiet s.jsonl | "$BIN/eval" --k 1,2 --json"#,
                              files: ["s.jsonl": samples])
        #expect(r.status == 0)
        #expect(r.err == "")
        let lines = r.out.split(separator: "\n")
        #expect(lines[0].trimmingCharacters(in: .whitespaces) == "2")
        // Each problem is half right, so the standard errors over problems are 0.
        #expect(String(lines[1]) == #"{"file":"<stdin>","model":"m2","problems":2,"samples":4,"samples_per_problem":{"min":2,"max":2,"mean":2.0},"accuracy":0.5,"accuracy_se":0.0,"maj":{"1":1.0,"2":1.0},"maj_se":{"1":0.0,"2":0.0},"pass":{"1":0.5,"2":1.0},"pass_se":{"1":0.0,"2":0.0},"problems_with_k_samples":{"1":2,"2":2},"missing":0.25,"truncated":0.25,"mean_tokens":20.0}"#)
    }

    @Test func evalTableOneRowPerFileAndPlot() throws {
        // No "model" field: the rows are named by the files, without .jsonl and .gz.
        let a = #"{"id":1,"pred":"1","correct":true}"# + "\n" + #"{"id":2,"pred":null,"correct":false}"# + "\n"
        let b = #"{"id":1,"pred":"1","correct":true}"# + "\n" + #"{"id":2,"pred":"2","correct":true}"# + "\n"
        let r = try Shell.run(#"gzip b.jsonl; "$BIN/eval" --plot it.svg a.jsonl b.jsonl.gz && grep -c '<circle class="point"' it.svg"#,
                              files: ["a.jsonl": a, "b.jsonl": b])
        #expect(r.status == 0)
        #expect(r.out == """
        model  problems  samples/problem    sampled      maj@1  maj@8  maj@32     pass@1  pass@8  pass@32  missing  truncated  tokens
        a             2                1  50.0±50.0  50.0±50.0      -       -  50.0±50.0       -        -     50.0          -       -
        b             2                1  100.0±0.0  100.0±0.0      -       -  100.0±0.0       -        -      0.0          -       -
        note: a: no problem has 8 samples, so maj@8 and pass@8 are not measured
        note: a: no problem has 32 samples, so maj@32 and pass@32 are not measured
        note: b: no problem has 8 samples, so maj@8 and pass@8 are not measured
        note: b: no problem has 32 samples, so maj@32 and pass@32 are not measured
        4

        """)
    }

    @Test func evalErrorsAndUsage() throws {
        let r = try Shell.run(#"printf '{"id":1,"correct":true}\n{"id":2}\n' | "$BIN/eval" --json --k 1"#)
        #expect(r.status == 1)
        #expect(r.err == "eval: <stdin>:2: missing field \"correct\" (grade the samples first)\n")
        #expect(r.out.contains(#""problems":1"#))
        #expect(try Shell.run(#""$BIN/eval" --k 0 < /dev/null"#).status == 64)
        #expect(try Shell.run(#""$BIN/eval" --k 1,x < /dev/null"#).status == 64)
        #expect(try Shell.run(#"env PATH="$BIN:$PATH" env eval --json < /dev/null"#).out.hasPrefix(#"{"file":"<stdin>","model":"<stdin>","problems":0"#))
    }
}
