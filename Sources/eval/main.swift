import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore

/// `eval`: accuracy, maj@k and pass@k of graded samples, one row per input file.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Report accuracy, maj@k and pass@k of graded samples.",
        discussion: """
        Reads graded samples (JSONL with "id", "pred" and "correct", as grade writes them; \
        "finish" and "tokens" when sample wrote them) and prints one row per input file: \
        problems, samples per problem, accuracy (mean correctness over samples; with one greedy \
        sample per problem this is the paper's accuracy), maj@k (majority vote of "pred" over \
        the first k samples of each problem; ties go to the answer seen first; a missing answer \
        never wins), pass@k (the unbiased estimator), the rate of samples with no answer, the \
        rate of truncated samples ("finish" is "length") and the mean completion tokens. maj@k \
        and pass@k are computed over the problems with at least k samples; a note says when \
        that leaves some out, and "-" (null in JSON) means no problem has k samples.

        With one file per iteration the rows form the iteration table, and --plot draws it. \
        --greedy names, for each input file in order, a file of the same model's greedy samples \
        (one per problem): its accuracy becomes the row's "greedy" column, the paper's \
        accuracy, beside maj@k of the sampled file. \
        Memory grows with the number of problems, not of samples. "eval" is also a shell \
        builtin: call this program by path (for example .build/release/eval) or as "env eval".
        """,
        version: IRPOVersion.string)

    @Option(name: .customLong("k"), help: ArgumentHelp("Comma-separated k values for maj@k and pass@k.", valueName: "list"))
    var kList = "1,8,32"

    @Flag(help: "Print one JSON object per input file instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Also draw accuracy and maj@k per input file as an SVG image.", valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("Greedy samples of the same model as the input file in the same position (repeatable): adds a greedy accuracy column.", valueName: "file"))
    var greedy: [String] = []

    @OptionGroup var input: InputOptions

    var ks: [Int] { kList.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let parts = kList.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)).map { $0 >= 1 } ?? false }) else {
            throw ValidationError("--k must be a comma-separated list of positive integers, got '\(kList)'")
        }
        let fileCount = max(input.files.count, 1)
        if !greedy.isEmpty && greedy.count != fileCount {
            throw ValidationError("--greedy is given \(greedy.count) times for \(fileCount) input files; give one per input file")
        }
    }

    func run() throws {
        let diagnostics = Diagnostics(command: "eval")
        let writer = LineWriter(command: "eval")
        let paths = input.files.isEmpty ? ["-"] : input.files
        func summarize(_ path: String, ks: [Int]) throws -> EvalSummary {
            var acc = EvalAccumulator(ks: ks)
            try JSONLInput(paths: [path], diagnostics: diagnostics).forEachRecord { record, _ in
                guard let key = try record.idKey else { throw RecordFieldError.missing("id") }
                guard let correct = try record.correct() else {
                    throw LineError("missing field \"correct\" (grade the samples first)")
                }
                acc.add(problem: key, pred: try record.pred(), correct: correct,
                        finish: try record.finish(), tokens: try record.tokens())
            }
            return acc.summary
        }
        var rows: [EvalRow] = []
        for (i, path) in paths.enumerated() {
            var row = EvalRow(name: DisplayName.of(path), summary: try summarize(path, ks: ks))
            if !greedy.isEmpty {
                let g = try summarize(greedy[i], ks: [1])
                row.greedy = g.accuracy
                if g.problems != row.summary.problems {
                    diagnostics.note("note: \(DisplayName.of(greedy[i])) has \(g.problems) problems, \(row.name) \(row.summary.problems)")
                }
            }
            rows.append(row)
        }
        if json {
            for r in rows { writer.write(EvalReport.json(r)) }
        } else {
            for line in EvalReport.table(rows) { writer.writeLine(line) }
        }
        writer.flush()
        if let plot {
            do {
                try IterationPlot.svg(rows: rows, ks: ks).write(toFile: plot, atomically: true, encoding: .utf8)
            } catch {
                diagnostics.error("\(plot): \(error.localizedDescription)")
            }
        }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}

Eval.main()
