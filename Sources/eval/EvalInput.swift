import Foundation
import IRPOCLI
import IRPOCore

/// Reads the inputs of `eval` into report rows: one summary per file, named after the model
/// that wrote it, with the greedy file beside it.
enum EvalInput {
    /// A file's summary and the `model` of its first record that names one (sample writes it).
    static func summarize(_ path: String, ks: [Int], diagnostics: Diagnostics) throws -> (summary: EvalSummary, model: String?) {
        var acc = EvalAccumulator(ks: ks)
        var model: String?
        var other: (name: String, at: InputPosition)?
        try JSONLInput(paths: [path], diagnostics: diagnostics).forEachRecord { record, position in
            guard let key = try record.idKey else { throw RecordFieldError.missing("id") }
            guard let correct = try record.correct() else {
                throw LineError("missing field \"correct\" (grade the samples first)")
            }
            acc.add(problem: key, pred: try record.pred(), correct: correct,
                    finish: try record.finish(), tokens: try record.tokens())
            // Only a label: a `model` that is not a string names nothing, and the line stays good.
            if let m = record["model"]?.stringValue {
                if model == nil { model = m } else if m != model, other == nil { other = (m, position) }
            }
        }
        if let model, let other {
            diagnostics.note("note: \(DisplayName.of(path)): the records name more than one model (\"\(model)\", "
                + "then \"\(other.name)\" at \(other.at)); the row is named \"\(model)\"")
        }
        return (acc.summary, model)
    }

    /// The name of a row whose records name no model: the file name without its directory and
    /// its `.jsonl`/`.json`/`.ndjson` and `.gz`/`.xz`/`.zst` extensions; `<stdin>` for "-".
    static func fallbackName(_ path: String) -> String {
        if path == "-" { return DisplayName.of(path) }
        var name = (path as NSString).lastPathComponent
        if let ext = [".gz", ".xz", ".zst"].first(where: name.hasSuffix) { name.removeLast(ext.count) }
        if let ext = [".jsonl", ".ndjson", ".json"].first(where: name.hasSuffix) { name.removeLast(ext.count) }
        return name.isEmpty ? path : name
    }

    /// One row per input path; `greedy` is empty or holds one file per path.
    static func rows(paths: [String], greedy: [String], ks: [Int], diagnostics: Diagnostics) throws -> [EvalRow] {
        var rows: [EvalRow] = []
        for (i, path) in paths.enumerated() {
            let (summary, model) = try summarize(path, ks: ks, diagnostics: diagnostics)
            var row = EvalRow(file: DisplayName.of(path), name: model ?? fallbackName(path), summary: summary)
            if i < greedy.count {
                let file = DisplayName.of(greedy[i])
                row.greedyFile = file
                let (g, greedyModel) = try summarize(greedy[i], ks: [1], diagnostics: diagnostics)
                // Several samples of one problem are not a greedy decode (or are its duplicates):
                // their accuracy would pass for the paper's greedy accuracy without being it.
                if g.problemsWithSeveralSamples > 0 {
                    let n = g.problemsWithSeveralSamples
                    diagnostics.error("\(file): \(n) \(n == 1 ? "problem has" : "problems have") more than one sample; "
                        + "--greedy takes one greedy sample per problem")
                } else {
                    row.greedy = g
                    if g.problems != summary.problems {
                        diagnostics.note("note: \(file) has \(g.problems) problems, \(row.file) \(summary.problems)")
                    }
                    if let greedyModel, let model, greedyModel != model {
                        diagnostics.note("note: \(file) is from model \"\(greedyModel)\", \(row.file) from \"\(model)\"")
                    }
                }
            }
            rows.append(row)
        }
        return rows
    }
}
