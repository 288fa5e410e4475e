import ArgumentParser
import IRPOCLI
import IRPOCore

/// `pair`: turns graded samples into preference pairs, the paper's way.
struct Pair: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pair",
        abstract: "Build preference pairs (correct over wrong, or by score) from graded samples.",
        discussion: """
        Reads graded samples (JSONL with "id", "prompt", "completion", "pred" and "correct", as \
        grade writes them) grouped by "id". Per problem the winners are the distinct correct \
        completions (plus the gold solution with --gold-winners) and the losers the distinct \
        wrong ones, a missing answer counting as wrong. Both lists are shuffled with a generator \
        seeded from --seed and the id, then walked together, the shorter wrapping around, for up \
        to --max-pairs pairs. Problems without a winner or without a loser are skipped.

        With --step each pair is cut at the first line where chosen and rejected differ: the \
        lines they share from the start (each with its line break) are appended to the prompt, \
        so the preference falls on the first wrong step and what follows it, not on the correct \
        steps before it.

        Writes one line per pair in TRL's DPO format: "prompt", "chosen", "rejected", plus "id", \
        "chosen_pred" and "rejected_pred". A summary (problems, skipped because all right, \
        skipped because all wrong, pairs written) goes to standard error.

        Samples of one id must be contiguous, as sample writes them; memory then holds one \
        group. An id that comes back after its group ended is an error naming both lines, unless \
        --unsorted, which holds every group in memory and writes problems in order of first \
        appearance. The same input and seed give the same bytes. --prefixes and --continuations \
        build step-controlled pairs instead (SCDPO; pair(1), STEP-CONTROLLED PAIRS).
        """ + "\n\n" + PairStrategyOptions.discussion,
        version: IRPOVersion.string)

    @Option(parsing: .unconditional, help: ArgumentHelp("Most pairs per problem.", valueName: "k"))
    var maxPairs = 10

    @Option(parsing: .unconditional, help: "Seed of the shuffles; the same seed gives the same pairs.")
    var seed: UInt64 = 0

    @Flag(help: "Add each problem's gold solution to its winners (the paper's GSM8K setting).")
    var goldWinners = false

    @Option(help: ArgumentHelp("Field holding the gold solution, for --gold-winners.", valueName: "name"))
    var goldField = "answer"

    @Flag(help: "Step-level pairs: move the lines chosen and rejected share from their start into the prompt.")
    var step = false

    @Flag(help: "Accept samples of one id scattered through the input (holds all of it in memory).")
    var unsorted = false

    @Flag(help: "Do not print the summary on standard error.")
    var quiet = false

    @OptionGroup var pairing: PairStrategyOptions
    @OptionGroup var stepControl: StepControlOptions

    @OptionGroup var input: InputOptions

    func validate() throws {
        if maxPairs < 1 { throw ValidationError("--max-pairs must be at least 1") }
        try pairing.check(goldWinners: goldWinners)
        try stepControl.check(step: step, byScore: pairing.strategy.scored != nil)
    }

    func run() throws {
        if stepControl.isActive {
            var run = StepControlRun(options: stepControl, maxPairs: maxPairs, seed: seed,
                                     goldField: goldWinners ? goldField : nil, stepLevel: step)
            return try run.run(files: input.files, unsorted: unsorted, quiet: quiet)
        }
        let diagnostics = Diagnostics(command: "pair")
        let writer = LineWriter(command: "pair")
        var builder = PairBuilder(maxPairs: maxPairs, seed: seed, goldField: goldWinners ? goldField : nil,
                                  stepLevel: step, scoring: pairing.strategy.scored.map { ($0, pairing.minGap) })
        var groups = GroupTracker(unsorted: unsorted)

        try JSONLInput(paths: input.files, diagnostics: diagnostics).forEachRecord { record, position in
            guard let id = try record.id, let key = try record.idKey else { throw RecordFieldError.missing("id") }
            let sample = try PairSample(record: record, goldField: goldWinners ? goldField : nil, scoreField: pairing.field)
            if let ended = groups.endedGroup(of: key) {
                throw LineError("id \(key) comes back after its group ended at \(ended) "
                    + "(samples of one id must be contiguous; use --unsorted)")
            }
            try groups.add(sample, id: id, key: key, at: position) { finished in
                builder.emit(finished, to: writer)
            }
        }
        for g in groups.drain() { builder.emit(g, to: writer) }

        writer.flush()
        if !quiet { diagnostics.note(builder.summaryLine) }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }
}

Pair.main()
