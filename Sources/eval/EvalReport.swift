import Foundation
import IRPOCore

/// One row of the report: an input file's summary under the name of the model that wrote it,
/// and the summary of that model's greedy samples when --greedy named a file for it.
struct EvalRow {
    /// The input's path as messages show it (`<stdin>` for standard input).
    var file: String
    /// The records' `model`, else the file name without its extensions.
    var name: String
    var summary: EvalSummary
    /// The --greedy file of this row, nil when --greedy was not given.
    var greedyFile: String?
    /// The greedy file's summary; nil when it was refused (or not given).
    var greedy: EvalSummary?
}

/// The text table and the JSON objects `eval` prints.
enum EvalReport {
    static func percent(_ x: Double?) -> String {
        guard let x else { return "-" }
        return String(format: "%.1f", x * 100)
    }

    /// `32.2±2.1`: a rate and its standard error in percent, `-` when the rate is not measured.
    static func percent(_ x: Double?, _ se: Double?) -> String {
        guard let x else { return "-" }
        guard let se else { return percent(x) }
        return percent(x) + "±" + percent(se)
    }

    static func perProblem(_ s: EvalSummary) -> String {
        if s.problems == 0 { return "-" }
        if s.minSamplesPerProblem == s.maxSamplesPerProblem { return String(s.minSamplesPerProblem) }
        return String(format: "%.1f", Double(s.samples) / Double(s.problems))
            + " (\(s.minSamplesPerProblem)-\(s.maxSamplesPerProblem))"
    }

    /// Aligned columns: the model left, numbers right; notes follow for partial maj@k/pass@k.
    static func table(_ rows: [EvalRow]) -> [String] {
        guard let first = rows.first?.summary else { return [] }
        let ks = first.perK.map(\.k)
        let withGreedy = rows.contains { $0.greedyFile != nil }
        // "sampled": the accuracy of the sampled file, which --greedy sets beside the greedy one.
        var header = ["model", "problems", "samples/problem"] + (withGreedy ? ["greedy"] : []) + ["sampled"]
        header += ks.map { "maj@\($0)" } + ks.map { "pass@\($0)" }
        header += ["missing", "truncated", "tokens"]
        var cells: [[String]] = [header]
        var notes: [String] = []
        for r in rows {
            let (name, s) = (r.name, r.summary)
            var row = [name, String(s.problems), perProblem(s)]
            if withGreedy { row.append(percent(r.greedy?.accuracy, r.greedy?.accuracySE)) }
            row.append(percent(s.accuracy, s.accuracySE))
            row += s.perK.map { percent($0.majority, $0.majoritySE) } + s.perK.map { percent($0.pass, $0.passSE) }
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

    /// One object per input: rates and their standard errors as fractions, null where not measurable.
    static func json(_ r: EvalRow) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { JSONValue($0) } ?? .null }
        let s = r.summary
        var o = JSONObject()
        o["file"] = .string(r.file)
        o["model"] = .string(r.name)
        o["problems"] = JSONValue(s.problems)
        o["samples"] = JSONValue(s.samples)
        o["samples_per_problem"] = .object(JSONObject([
            "min": JSONValue(s.minSamplesPerProblem),
            "max": JSONValue(s.maxSamplesPerProblem),
            "mean": s.problems > 0 ? JSONValue(Double(s.samples) / Double(s.problems)) : .null,
        ]))
        if r.greedyFile != nil {
            o["greedy"] = num(r.greedy?.accuracy)
            o["greedy_se"] = num(r.greedy?.accuracySE)
        }
        o["accuracy"] = num(s.accuracy)
        o["accuracy_se"] = num(s.accuracySE)
        var maj = JSONObject(), majSE = JSONObject(), pass = JSONObject(), passSE = JSONObject(), counted = JSONObject()
        for a in s.perK {
            maj[String(a.k)] = num(a.majority)
            majSE[String(a.k)] = num(a.majoritySE)
            pass[String(a.k)] = num(a.pass)
            passSE[String(a.k)] = num(a.passSE)
            counted[String(a.k)] = JSONValue(a.problems)
        }
        o["maj"] = .object(maj)
        o["maj_se"] = .object(majSE)
        o["pass"] = .object(pass)
        o["pass_se"] = .object(passSE)
        o["problems_with_k_samples"] = .object(counted)
        o["missing"] = num(s.missingRate)
        o["truncated"] = num(s.truncationRate)
        o["mean_tokens"] = num(s.meanTokens)
        return .object(o)
    }
}
