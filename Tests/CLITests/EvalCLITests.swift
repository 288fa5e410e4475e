import Foundation
import Testing

/// `eval` as a built binary: rows named by model, standard errors, the --greedy check and the plot.
@Suite struct EvalCLITests {
    /// Graded samples, one line each: per problem (id 1, 2, ...) its samples' correctness.
    static func graded(_ problems: [[Bool]], model: String? = nil) -> String {
        var out = ""
        for (i, samples) in problems.enumerated() {
            for ok in samples {
                let m = model.map { #","model":"\#($0)""# } ?? ""
                out += #"{"id":\#(i + 1),"pred":"\#(ok ? 1 : 9)","correct":\#(ok)\#(m)}"# + "\n"
            }
        }
        return out
    }

    /// `count` problems with one sample each, the first `right` of them correct.
    static func greedy(_ count: Int, right: Int, model: String? = nil) -> String {
        graded((0..<count).map { [$0 < right] }, model: model)
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func rowsAreNamedByModelElseByFileName() throws {
        let mixed = Self.graded([[true], [false]], model: "m7") + Self.graded([[true]], model: "m8")
        let r = try Shell.run(#"""
            "$BIN/eval" --k 1 --json x.jsonl
            mkdir -p runs && zstd -q -o runs/M3.jsonl.zst plain.jsonl && "$BIN/eval" --k 1 runs/M3.jsonl.zst | awk '{ print $1 }'
            "$BIN/eval" --k 1 < plain.jsonl | awk '{ print $1 }'
            """#, files: ["x.jsonl": mixed, "plain.jsonl": Self.graded([[true]])])
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(r.out)")
        let json = try Self.jsonLines(lines[0])[0]
        #expect(json["file"] as? String == "x.jsonl" && json["model"] as? String == "m7")
        #expect(lines[1...] == ["model", "M3", "model", "<stdin>"])
        // Records that disagree: the first model names the row, and a note says so.
        #expect(r.err == #"eval: note: x.jsonl: the records name more than one model ("m7", then "m8" at x.jsonl:3); the row is named "m7""# + "\n")
    }

    @Test func everyRateHasItsStandardError() throws {
        // Ten problems, two samples each: both right (4 problems), wrong then right (3), both wrong (3).
        let problems: [[Bool]] = [[true, true], [false, true], [false, false], [true, true], [true, true],
                                  [false, true], [false, false], [false, false], [false, true], [true, true]]
        let r = try Shell.run(#""$BIN/eval" --k 1,2 --greedy g.jsonl s.jsonl && "$BIN/eval" --k 1,2 --json --greedy g.jsonl s.jsonl"#,
                              files: ["s.jsonl": Self.graded(problems, model: "m1"), "g.jsonl": Self.greedy(10, right: 6, model: "m1")])
        #expect(r.status == 0 && r.err == "", "\(r.err)")
        // Per-problem accuracy (and pass@1) 1, .5, 0, ...: mean .55, sd sqrt(1.725/9) = .4378, SE .4378/sqrt 10 = .1384.
        // maj@1 and maj@2 (ties go to the first answer, a wrong one) are right on 4 problems: sqrt(.4*.6*10/9)/sqrt 10 = .1633.
        // pass@2 is 1 on 7 problems: sqrt(.7*.3*10/9)/sqrt 10 = .1528. greedy 6 of 10: sqrt(.6*.4*10/9)/sqrt 10 = .1633.
        #expect(r.out.hasPrefix("""
            model  problems  samples/problem     greedy    sampled      maj@1      maj@2     pass@1     pass@2  missing  truncated  tokens
            m1           10                2  60.0±16.3  55.0±13.8  40.0±16.3  40.0±16.3  55.0±13.8  70.0±15.3      0.0          -       -

            """), "\(r.out)")
        let json = try Self.jsonLines(String(r.out.split(separator: "\n")[2]))[0]
        #expect(abs((json["accuracy_se"] as? Double ?? 0) - (1.725 / 9).squareRoot() / 10.0.squareRoot()) < 1e-12)
        #expect(abs((json["greedy_se"] as? Double ?? 0) - (0.24 * 10 / 9).squareRoot() / 10.0.squareRoot()) < 1e-12)
        let maj = try #require(json["maj_se"] as? [String: Double]), pass = try #require(json["pass_se"] as? [String: Double])
        #expect(Set(maj.keys) == ["1", "2"] && Set(pass.keys) == ["1", "2"])
        #expect(abs(maj["2"]! - (0.24 * 10 / 9).squareRoot() / 10.0.squareRoot()) < 1e-12)
        #expect(abs(pass["2"]! - (0.21 * 10 / 9).squareRoot() / 10.0.squareRoot()) < 1e-12)
        // The existing keys keep their values.
        #expect(json["accuracy"] as? Double == 0.55 && json["greedy"] as? Double == 0.6)
        #expect((json["maj"] as? [String: Double]) == ["1": 0.4, "2": 0.4])
    }

    @Test func greedyRefusesSeveralSamplesPerProblem() throws {
        let sampled = Self.graded([[true, false], [true, true], [false, false]])
        let r = try Shell.run(#"""
            "$BIN/eval" --k 1 --greedy two.jsonl s.jsonl; echo "status $?"
            "$BIN/eval" --k 1 --json --greedy one.jsonl s.jsonl > /dev/null; echo "status $?"
            """#, files: ["s.jsonl": sampled, "two.jsonl": Self.graded([[true, true], [false], [true, false]]),
                          "one.jsonl": Self.graded([[true], [false], [true, false]])])
        #expect(r.err == """
            eval: two.jsonl: 2 problems have more than one sample; --greedy takes one greedy sample per problem
            eval: one.jsonl: 1 problem has more than one sample; --greedy takes one greedy sample per problem

            """)
        let lines = r.out.split(separator: "\n").map(String.init)
        // The report still comes, without the refused file's accuracy.
        #expect(lines.count == 4 && lines[0].contains("greedy") && lines[1].hasPrefix("s "), "\(r.out)")
        #expect(lines[1].split(separator: " ")[3] == "-")
        #expect(lines[2] == "status 1" && lines[3] == "status 1")
    }

    @Test func greedyFromAnotherModelIsNoted() throws {
        let r = try Shell.run(#""$BIN/eval" --k 1 --json --greedy g.jsonl s.jsonl"#,
                              files: ["s.jsonl": Self.greedy(3, right: 1, model: "m2"), "g.jsonl": Self.greedy(3, right: 2, model: "m1")])
        #expect(r.status == 0)
        #expect(r.err == #"eval: note: g.jsonl is from model "m1", s.jsonl from "m2""# + "\n")
    }

    /// Each `class="NAME"` element's text content, in order.
    static func texts(_ svg: String, class name: String) -> [String] {
        let re = try! NSRegularExpression(pattern: #"class="\#(name)"[^>]*>(?:<title>[^<]*</title>)?([^<]*)<"#)
        let ns = svg as NSString
        return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func plotShowsCategoriesAsDotsWithErrorBarsOnAFittedAxis() throws {
        let files = ["base.jsonl": Self.greedy(20, right: 8, model: "base"),
                     "dpo.jsonl": Self.greedy(20, right: 12, model: "dpo"),
                     "sft.jsonl": Self.greedy(20, right: 11, model: "sft & <co>")]
        let r = try Shell.run(#"""
            "$BIN/eval" --k 1 --json --plot p.svg --title 'gsm8k test: accuracy by model' base.jsonl dpo.jsonl sft.jsonl
            echo '=='; cat p.svg
            """#, files: files)
        #expect(r.status == 0 && r.err == "", "\(r.err)")
        let parts = r.out.components(separatedBy: "==\n")
        let rows = try Self.jsonLines(parts[0]), svg = parts[1]
        #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<title>gsm8k test: accuracy by model</title>"))
        #expect(Self.texts(svg, class: "title") == ["gsm8k test: accuracy by model"])
        #expect(Self.texts(svg, class: "xtick") == ["base", "dpo", "sft &amp; &lt;co&gt;"])
        #expect(Self.texts(svg, class: "axis-title") == ["model", "accuracy (%)"])
        // Models are categories: dots, never lines; every point (sampled and maj@1 of 3 models) has its bar.
        #expect(!svg.contains("<polyline"))
        #expect(Self.count(#"class="point""#, in: svg) == 6 && Self.count(#"class="errorbar""#, in: svg) == 6)
        // The y axis covers every bar, with at most 10 points of padding and rounding on each side.
        var lo = 100.0, hi = 0.0
        for row in rows {
            let pairs = [(row["accuracy"], row["accuracy_se"]),
                         ((row["maj"] as? [String: Any])?["1"], (row["maj_se"] as? [String: Any])?["1"])]
            for (v, se) in pairs {
                let (v, se) = (try #require(v as? Double) * 100, try #require(se as? Double) * 100)
                (lo, hi) = (min(lo, v - se), max(hi, v + se))
            }
        }
        let ticks = Self.texts(svg, class: "ytick").compactMap { Double($0.dropLast()) }
        let (axisLo, axisHi) = (try #require(ticks.min()), try #require(ticks.max()))
        #expect(ticks.count >= 3 && ticks.count <= 11, "\(ticks)")
        #expect(axisLo <= lo && axisHi >= hi, "axis \(axisLo)-\(axisHi), bars \(lo)-\(hi)")
        #expect(axisLo >= lo - 10 && axisHi <= hi + 10, "axis \(axisLo)-\(axisHi), bars \(lo)-\(hi)")
    }

    @Test func plotJoinsIterationsOnlyAndRotatesLongNames() throws {
        let files = ["M0.jsonl": Self.greedy(10, right: 3), "M1.jsonl": Self.greedy(10, right: 5), "M2.jsonl": Self.greedy(10, right: 6),
                     "a.jsonl": Self.greedy(10, right: 3, model: "sweep/lr-1e-4-batch-16-run-a"),
                     "b.jsonl": Self.greedy(10, right: 4, model: "runs/a-very-long-directory-name/and-a-model-b"),
                     "c.jsonl": Self.greedy(10, right: 5, model: "sweep/lr-1e-4-batch-16-run-c"),
                     "d.jsonl": Self.greedy(10, right: 6, model: "sweep/lr-1e-4-batch-16-run-d")]
        let r = try Shell.run(#"""
            e() { "$BIN/eval" --k 1 --plot p.svg "$@" > /dev/null && cat p.svg; echo ==; }
            e M0.jsonl M1.jsonl M2.jsonl; e M1.jsonl M0.jsonl M2.jsonl; e --style dots M0.jsonl M1.jsonl M2.jsonl
            e --style line a.jsonl b.jsonl; e a.jsonl b.jsonl; e a.jsonl b.jsonl c.jsonl d.jsonl
            """#, files: files)
        #expect(r.status == 0 && r.err == "", "\(r.err)")
        let svgs = r.out.components(separatedBy: "==\n")
        #expect(svgs.count == 7)
        // M0, M1, M2 in order: an iteration curve, one line per series (sampled, maj@1).
        #expect(Self.count("<polyline", in: svgs[0]) == 2)
        #expect(svgs[0].contains("<title>accuracy by model</title>"))
        #expect(!svgs[1].contains("<polyline") && !svgs[2].contains("<polyline"))
        #expect(Self.count("<polyline", in: svgs[3]) == 2 && !svgs[4].contains("<polyline"))
        // Names that fit their slot stay level; wider ones (four of 28 characters) are rotated.
        // A name too long keeps its end, where models differ, and its tooltip holds it whole.
        #expect(!svgs[0].contains("rotate(-35") && !svgs[4].contains("rotate(-35") && svgs[5].contains("rotate(-35"))
        #expect(Self.texts(svgs[5], class: "xtick") == ["sweep/lr-1e-4-batch-16-run-a", "…irectory-name/and-a-model-b",
                                                        "sweep/lr-1e-4-batch-16-run-c", "sweep/lr-1e-4-batch-16-run-d"])
        #expect(svgs[5].contains("<title>runs/a-very-long-directory-name/and-a-model-b</title>"))
        #expect(Self.count(#"class="errorbar""#, in: svgs[5]) == 8)
    }

    @Test func plotStyleMustBeKnown() throws {
        let r = try Shell.run(#""$BIN/eval" --style curve --plot p.svg < /dev/null"#)
        #expect(r.status == 64 && r.err.contains("curve"), "\(r.err)")
    }
}
