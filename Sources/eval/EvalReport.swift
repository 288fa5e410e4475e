import Foundation
import IRPOCore

/// One row of the report: an input file's summary, and the greedy accuracy of the same model when
/// --greedy named its file.
struct EvalRow {
    var name: String
    var summary: EvalSummary
    var greedy: Double?
}

/// The text table and the JSON objects `eval` prints.
enum EvalReport {
    static func percent(_ x: Double?) -> String {
        guard let x else { return "-" }
        return String(format: "%.1f", x * 100)
    }

    static func perProblem(_ s: EvalSummary) -> String {
        if s.problems == 0 { return "-" }
        if s.minSamplesPerProblem == s.maxSamplesPerProblem { return String(s.minSamplesPerProblem) }
        return String(format: "%.1f", Double(s.samples) / Double(s.problems))
            + " (\(s.minSamplesPerProblem)-\(s.maxSamplesPerProblem))"
    }

    /// Aligned columns: the file left, numbers right; notes follow for partial maj@k/pass@k.
    static func table(_ rows: [EvalRow]) -> [String] {
        guard let first = rows.first?.summary else { return [] }
        let ks = first.perK.map(\.k)
        let withGreedy = rows.contains { $0.greedy != nil }
        var header = ["file", "problems", "samples/problem"] + (withGreedy ? ["greedy"] : []) + ["accuracy"]
        header += ks.map { "maj@\($0)" } + ks.map { "pass@\($0)" }
        header += ["missing", "truncated", "tokens"]
        var cells: [[String]] = [header]
        var notes: [String] = []
        for r in rows {
            let (name, s) = (r.name, r.summary)
            var row = [name, String(s.problems), perProblem(s)] + (withGreedy ? [percent(r.greedy)] : []) + [percent(s.accuracy)]
            row += s.perK.map { percent($0.majority) } + s.perK.map { percent($0.pass) }
            row += [percent(s.missingRate), percent(s.truncationRate), s.meanTokens.map { String(format: "%.1f", $0) } ?? "-"]
            cells.append(row)
            for a in s.perK where a.problems < s.problems {
                notes.append(a.problems == 0
                    ? "note: \(name): no problem has \(a.k) samples, so maj@\(a.k) and pass@\(a.k) are not measured"
                    : "note: \(name): maj@\(a.k) and pass@\(a.k) over the \(a.problems) of \(s.problems) problems with at least \(a.k) samples")
            }
        }
        let widths = (0..<header.count).map { c in cells.map { $0[c].count }.max()! }
        let lines = cells.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return lines + notes
    }

    /// One object per input: rates as fractions, null where not measurable.
    static func json(_ r: EvalRow) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { JSONValue($0) } ?? .null }
        let s = r.summary
        var o = JSONObject()
        o["file"] = .string(r.name)
        o["problems"] = JSONValue(s.problems)
        o["samples"] = JSONValue(s.samples)
        o["samples_per_problem"] = .object(JSONObject([
            "min": JSONValue(s.minSamplesPerProblem),
            "max": JSONValue(s.maxSamplesPerProblem),
            "mean": s.problems > 0 ? JSONValue(Double(s.samples) / Double(s.problems)) : .null,
        ]))
        if r.greedy != nil { o["greedy"] = num(r.greedy) }
        o["accuracy"] = num(s.accuracy)
        var maj = JSONObject(), pass = JSONObject(), counted = JSONObject()
        for a in s.perK {
            maj[String(a.k)] = num(a.majority)
            pass[String(a.k)] = num(a.pass)
            counted[String(a.k)] = JSONValue(a.problems)
        }
        o["maj"] = .object(maj)
        o["pass"] = .object(pass)
        o["problems_with_k_samples"] = .object(counted)
        o["missing"] = num(s.missingRate)
        o["truncated"] = num(s.truncationRate)
        o["mean_tokens"] = num(s.meanTokens)
        return .object(o)
    }
}
