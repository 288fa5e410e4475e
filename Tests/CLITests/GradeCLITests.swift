import Foundation
import Testing

/// `grade` run as a built binary in real pipes.
@Suite struct GradeCLITests {
    static let samples = """
    {"id":1,"x":{"deep":[1.0,"\\u00e9",2E+3]},"completion":"So 9 * 2 = 18.\\nFinal answer: $18.00","answer":"#### 18"}
    {"id":2,"completion":"Final answer: 7","answer":"#### 8"}
    {"id":3,"completion":"I do not know","answer":"#### 1,000"}

    """

    @Test func gradesAndPassesUnknownFieldsThrough() throws {
        let r = try Shell.run(#""$BIN/grade" --quiet --task gsm8k"#, stdin: Self.samples)
        #expect(r.status == 0)
        #expect(r.err == "")
        #expect(r.out == """
        {"id":1,"x":{"deep":[1.0,"\\u00e9",2E+3]},"completion":"So 9 * 2 = 18.\\nFinal answer: $18.00","answer":"#### 18","pred":"18","gold":"18","correct":true}
        {"id":2,"completion":"Final answer: 7","answer":"#### 8","pred":"7","gold":"8","correct":false}
        {"id":3,"completion":"I do not know","answer":"#### 1,000","pred":null,"gold":"1000","correct":false}

        """)
    }

    @Test func badLinesAreReportedAndGoodLinesStillWritten() throws {
        let input = """
        {"completion":"Final answer: 1","answer":"1"}
        {"completion": oops}
        {"answer":"1"}
        {"completion":"Final answer: 2","answer":"no number here"}
        {"completion":"Final answer: 3","answer":"3"}

        """
        let r = try Shell.run(#""$BIN/grade" --quiet in.jsonl"#, files: ["in.jsonl": input])
        #expect(r.status == 1)
        #expect(r.err == """
        grade: in.jsonl:2: invalid JSON at byte 16: unexpected 'o', expected a value
        grade: in.jsonl:3: missing field "completion"
        grade: in.jsonl:4: no gold answer found in "answer"

        """)
        #expect(r.out.split(separator: "\n").count == 2)
        #expect(r.out.hasSuffix(#""pred":"3","gold":"3","correct":true}"# + "\n"))
    }

    @Test func invalidUTF8IsAPerLineError() throws {
        let r = try Shell.run(#"printf '{"completion":"\377","answer":"1"}\n{"completion":"Final answer: 1","answer":"1"}\n' | "$BIN/grade" --quiet"#)
        #expect(r.status == 1)
        #expect(r.err == "grade: <stdin>:1: invalid JSON at byte 16: invalid UTF-8\n")
        #expect(r.out.contains(#""correct":true"#))
    }

    @Test func crlfBlankLinesAndNoFinalNewline() throws {
        let r = try Shell.run(#"printf '{"completion":"Final answer: 1","answer":"1"}\r\n\r\n\n{"completion":"Final answer: 2","answer":"2"}' | "$BIN/grade" --quiet"#)
        #expect(r.status == 0)
        #expect(r.err == "")
        #expect(r.out.split(separator: "\n").count == 2)
        #expect(!r.out.contains("\r"))
    }

    @Test func veryLongLine() throws {
        // A 3 MB completion is longer than the reader's first buffer.
        let script = #"""
        awk 'BEGIN { s = "x"; for (i = 0; i < 21; i++) s = s s; printf "{\"completion\":\"%s Final answer: 4\",\"answer\":\"4\"}\n", s }' > long.jsonl
        "$BIN/grade" long.jsonl | wc -c; "$BIN/grade" long.jsonl | grep -c '"correct":true'
        """#
        let r = try Shell.run(script)
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Int(lines[0])! > 2_000_000)
        #expect(lines[1] == "1")
    }

    @Test func compressedInputsReadTransparently() throws {
        let script = """
        gzip -k in.jsonl && xz -k in.jsonl && zstd -q -k in.jsonl && cat in.jsonl | gzip > piped.gz
        "$BIN/grade" --quiet in.jsonl > plain.out
        for f in in.jsonl.gz in.jsonl.xz in.jsonl.zst; do "$BIN/grade" --quiet "$f" | cmp - plain.out || echo "differs: $f"; done
        "$BIN/grade" --quiet < piped.gz | cmp - plain.out || echo "differs: stdin"
        "$BIN/grade" --quiet - < in.jsonl.zst | cmp - plain.out || echo "differs: -"
        wc -l < plain.out
        """
        let r = try Shell.run(script, files: ["in.jsonl": Self.samples])
        #expect(r.err == "")
        #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        #expect(r.status == 0)
    }

    @Test func closedPipeEndsQuietlyWithStatusZero() throws {
        let script = #"""
        awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"id\":%d,\"completion\":\"Final answer: %d\",\"answer\":\"#### %d\"}\n", i, i, i }' > big.jsonl
        { "$BIN/grade" big.jsonl; echo $? > status; } | head -1
        cat status
        """#
        let r = try Shell.run(script)
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(#"{"id":0,"#))
        #expect(lines[1] == "0")
        #expect(r.err == "")
    }

    /// --flexible is a fallback: a marked answer wins over a later number.
    @Test func flexibleFallsBackOnlyWithoutAMarker() throws {
        let r = try Shell.run(#""$BIN/grade" --flexible | jq -c '[.pred, .correct]'"#, stdin: """
            {"completion":"Final answer: 40. So 24 clips were sold.","answer":"#### 40"}
            {"completion":"So 24 clips were sold in all.","answer":"#### 24"}

            """)
        #expect(r.status == 0 && r.out == "[\"40\",true]\n[\"24\",true]\n", "\(r.out)\(r.err)")
    }

    /// The summary on standard error counts what the fallback decided; --quiet silences it.
    @Test func summaryCountsTheFallbacksShare() throws {
        let input = """
            {"completion":"Final answer: 40. So 24 clips were sold.","answer":"#### 40"}
            {"completion":"So 24 clips were sold in all.","answer":"#### 24"}
            {"completion":"Maybe 7, maybe 8.","answer":"#### 7"}
            {"completion":"No idea.","answer":"#### 3"}

            """
        let loose = try Shell.run(#""$BIN/grade" --flexible > /dev/null"#, stdin: input)
        #expect(loose.status == 0)
        #expect(loose.err == "grade: 4 records, 2 correct (50.0%), 1 no answer found, "
            + "2 found only by the fallback (1 of them correct)\n")
        let strict = try Shell.run(#""$BIN/grade" > /dev/null"#, stdin: input)
        #expect(strict.err == "grade: 4 records, 1 correct (25.0%), 3 no answer found, "
            + "0 found only by the fallback (0 of them correct)\n")
        #expect(try Shell.run(#""$BIN/grade" --quiet > /dev/null"#, stdin: input).err == "")
    }

    @Test func missingFileIsReportedAndOthersStillRead() throws {
        let r = try Shell.run(#""$BIN/grade" nope.jsonl in.jsonl"#, files: ["in.jsonl": Self.samples])
        #expect(r.status == 1)
        #expect(r.err.hasPrefix("grade: cannot open nope.jsonl: "))
        #expect(r.out.split(separator: "\n").count == 3)
    }

    @Test func tasksAndUsageErrors() throws {
        let math = #"{"problem":"p","solution":"so $\\boxed{\\frac12}$","completion":"Final answer: $0.5$"}"#
        let r = try Shell.run(#""$BIN/grade" --task math"#, stdin: math + "\n")
        #expect(r.out.contains(#""pred":"\\frac{1}{2}","gold":"\\frac{1}{2}","correct":true"#))
        let arc = #"{"answerKey":"2","completion":"Final answer: (B)"}"#
        #expect(try Shell.run(#""$BIN/grade" --task arc"#, stdin: arc + "\n").out.contains(#""pred":"B","gold":"B","correct":true"#))
        let re = #"{"answer":"yes","completion":"ANSWER: yes"}"#
        #expect(try Shell.run(#""$BIN/grade" --task regex --pattern 'ANSWER: (\w+)'"#, stdin: re + "\n").out.contains(#""correct":true"#))
        #expect(try Shell.run(#""$BIN/grade" --task regex"#).status == 64)
        #expect(try Shell.run(#""$BIN/grade" --task regex --pattern 'no group'"#).status == 64)
        #expect(try Shell.run(#""$BIN/grade" --task bogus"#).status == 64)
        #expect(try Shell.run(#""$BIN/grade" --pattern '(x)'"#).status == 64)
    }
}
