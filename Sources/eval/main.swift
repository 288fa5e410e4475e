import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore

/// `eval`: accuracy, maj@k and pass@k of graded samples with their standard errors, one row per model.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Report accuracy, maj@k and pass@k of graded samples.",
        discussion: """
        Reads graded samples (JSONL with "id", "pred" and "correct", as grade writes them; \
        "model", "finish" and "tokens" when sample wrote them) and prints one row per input file, \
        named by the records' "model" (else the file name without .jsonl and .gz): problems, \
        samples per problem, "sampled" (the accuracy of the file's samples, mean correctness over \
        samples; with one greedy sample per problem this is the paper's accuracy), maj@k (majority \
        vote of "pred" over the first k samples of each problem; ties go to the answer seen first; \
        a missing answer never wins), pass@k (the unbiased estimator), the rate of samples with no \
        answer, the rate of truncated samples ("finish" is "length") and the mean completion \
        tokens. maj@k and pass@k are computed over the problems with at least k samples; a note \
        says when that leaves some out, and "-" (null in JSON) means no problem has k samples.

        Every accuracy, maj@k and pass@k comes with its standard error over problems (the table \
        prints 32.2±2.1, in percent; JSON adds "accuracy_se", "greedy_se", "maj_se" and "pass_se"): \
        the sample standard deviation of the per-problem scores (accuracy, vote right or wrong, \
        pass@k estimate) over the square root of the number of problems, 0 for one problem. When \
        problems have unequal numbers of samples, "sampled" uses the same formula weighted by \
        samples, as the accuracy is.

        With one file per iteration the rows form the iteration table, and --plot draws it with \
        ±1 standard error bars. --greedy names, for each input file in order, a file of the same \
        model's greedy samples (one per problem; a file with more is refused): its accuracy \
        becomes the row's "greedy" column, the paper's accuracy, beside maj@k of the sampled \
        file. Memory grows with the number of problems, not of samples. "eval" is also a shell \
        builtin: call this program as "irpo eval".
        """,
        version: IRPOVersion.string)

    @Option(name: .customLong("k"), help: ArgumentHelp("Comma-separated k values for maj@k and pass@k.", valueName: "list"))
    var kList = "1,8,32"

    @Flag(help: "Print one JSON object per input file instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Also draw greedy and sampled accuracy and maj@k per model as an SVG image.", valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("The plot's title: say the task and split, for example \"gsm8k test: accuracy by model\".", valueName: "text"))
    var title = "accuracy by model"

    @Option(help: ArgumentHelp("Join each series' points by lines (line) or draw them as dots (dots). Default line when the models are named M0, M1, ... in increasing order, else dots.", valueName: "line|dots"))
    var style: PlotStyle?

    @Option(help: ArgumentHelp("Greedy samples of the same model as the input file in the same position (repeatable), one per problem: adds a greedy accuracy column.", valueName: "file"))
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
        let rows = try EvalInput.rows(paths: paths, greedy: greedy, ks: ks, diagnostics: diagnostics)
        if json {
            for r in rows { writer.write(EvalReport.json(r)) }
        } else {
            for line in EvalReport.table(rows) { writer.writeLine(line) }
        }
        writer.flush()
        if let plot {
            let drawn = style ?? PlotStyle.automatic(for: rows.map(\.name))
            do {
                try IterationPlot.svg(rows: rows, ks: ks, title: title, style: drawn).write(toFile: plot, atomically: true, encoding: .utf8)
            } catch {
                diagnostics.error("\(plot): \(error.localizedDescription)")
            }
        }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}

extension PlotStyle: ExpressibleByArgument {}

Eval.main()
