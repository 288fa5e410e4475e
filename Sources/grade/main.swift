import ArgumentParser
import IRPOCLI
import IRPOCore

/// `grade`: adds pred, gold and correct to each sampled completion.
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Check each completion's final answer against the gold answer, or score it with a judge.",
        discussion: """
        Reads JSONL records holding a model's "completion" and the problem's gold answer (by \
        default "answer" for gsm8k and regex, "solution" then "answer" for math, "answerKey" then \
        "answer" for arc). Writes each record unchanged plus "pred" (the extracted final answer, \
        null when none was found), "gold" (the extracted gold answer) and "correct" (true or \
        false). The same extraction and normalisation apply to prediction and gold.

        gsm8k: the first number after the last "Final answer:", else after the last "####", else \
        after the last "The answer is"; compared as numbers (commas, $, %, units, a trailing \
        period ignored; 18 = 18.0; -5 and 3/4 understood). math: the last \\boxed{...}, else the \
        text after "Final answer:", normalised as the MATH benchmark's is_equiv does. arc: the \
        option letter after "Final answer:", (B) or B, labels 1-5 read as A-E. regex: the capture \
        group of the last match of --pattern, compared as trimmed text.

        A bad line (invalid JSON, a missing field, a gold field with no answer) is reported as \
        "grade: FILE:LINE: reason", not written, and makes the exit status 1. Memory holds one \
        line; output is in input order. At the end a summary goes to standard error: records, \
        correct, no answer found, and found only by the --flexible fallback (with how many of \
        those were correct), so the share of the reward the fallback decides is visible.
        """ + "\n\n" + JudgeOptions.discussion,
        version: IRPOVersion.string)

    @Option(help: "Answer format: gsm8k, math, arc or regex.")
    var task: GradingTask = .gsm8k

    @Option(help: ArgumentHelp("Field holding the gold answer or solution (default by task).", valueName: "name"))
    var goldField: String?

    @Flag(help: "Fall back to the last number (gsm8k) or the last parenthesised option (arc) when the marker is missing.")
    var flexible = false

    @Option(help: ArgumentHelp("Regular expression with one capture group that picks the answer (regex task).", valueName: "regex"))
    var pattern: String?

    @Flag(help: "Do not print the summary on standard error.")
    var quiet = false

    @OptionGroup var judging: JudgeOptions
    @OptionGroup var input: InputOptions

    func validate() throws {
        try judging.check(goldOptions: goldField != nil || flexible || pattern != nil)
        if task == .regex {
            guard let pattern else { throw ValidationError("--task regex needs --pattern") }
            do { _ = try PatternAnswer(pattern: pattern) } catch { throw ValidationError(error.reason) }
        } else if pattern != nil {
            throw ValidationError("--pattern is only used with --task regex")
        }
    }

    func run() throws {
        if judging.judge != nil { return try judging.run(input: input, quiet: quiet) }
        let diagnostics = Diagnostics(command: "grade")
        let writer = LineWriter(command: "grade")
        let grader = try Grader(task: task, flexible: flexible, pattern: pattern)
        let goldFields = goldField.map { [$0] } ?? task.defaultGoldFields
        var tally = GradeTally()
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, _ in
            let completion = try record.requireString("completion")
            guard let (field, goldText) = try goldText(of: record, fields: goldFields) else {
                throw LineError(goldFields.count == 1
                    ? "missing field \"\(goldFields[0])\""
                    : "missing gold field (" + goldFields.map { "\"\($0)\"" }.joined(separator: " or ") + ")")
            }
            let result: IRPOCore.Grade
            do {
                result = try grader.grade(completion: completion, gold: goldText)
            } catch {
                throw LineError("no gold answer found in \"\(field)\"")
            }
            record["pred"] = JSONValue(result.pred)
            record["gold"] = .string(result.gold)
            record["correct"] = .bool(result.correct)
            writer.write(record)
            tally.add(result)
        }
        writer.flush()
        if !quiet { diagnostics.note(tally.summary) }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }

    /// The first gold field present, with its text.
    func goldText(of record: JSONRecord, fields: [String]) throws -> (String, String)? {
        for f in fields {
            if let t = try record.text(f) { return (f, t) }
        }
        return nil
    }
}

Grade.main()
