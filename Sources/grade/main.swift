import ArgumentParser
import IRPOCLI
import IRPOCore

/// `grade`: adds pred, gold and correct to each sampled completion, or a judge's score.
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Check each completion's final answer against the gold answer, or score it with a judge.",
        discussion: gradeDiscussion + "\n\n" + JudgeOptions.discussion,
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
    @OptionGroup var reward: RewardOptions
    @OptionGroup var input: InputOptions

    func validate() throws {
        try judging.check(goldOptions: goldField != nil || flexible || pattern != nil, rewardModel: reward.rewardModel != nil)
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
        judging.compute.apply()
        let writer = LineWriter(command: "grade")
        let grader = try Grader(task: task, flexible: flexible, pattern: pattern)
        let goldFields = goldField.map { [$0] } ?? task.defaultGoldFields
        var scorer = try reward.scorer(batch: judging.batch, diagnostics: diagnostics, write: writer.write)
        var tally = GradeTally()
        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, _ in
            let result = try grader.grade(record: record, goldFields: goldFields)
            record["pred"] = JSONValue(result.pred)
            record["gold"] = .string(result.gold)
            record["correct"] = .bool(result.correct)
            if scorer == nil { writer.write(record) } else { try scorer!.add(record) }
            tally.add(result)
        }
        scorer?.flush()
        writer.flush()
        if !quiet { diagnostics.note(tally.summary) }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}

Grade.main()
