import ArgumentParser
import IRPOCLI
import IRPOCore

/// pair's step-controlled modes (SCDPO): `--prefixes` writes the records sample continues,
/// `--continuations` pairs each solution with its wrong continuations.
struct StepControlOptions: ParsableArguments {
    @Flag(help: "Write, instead of pairs, records that continue each correct solution from its first k lines (for sample).")
    var prefixes = false

    @Option(help: ArgumentHelp("With --prefixes: the k to cut after, comma-separated (default: every k that leaves a line).",
                               valueName: "list"))
    var steps: String?

    @Flag(help: "With --prefixes: one k per solution, drawn from --seed.")
    var randomStep = false

    @Flag(help: "Pair each solution with its wrong continuations (the graded samples of --prefixes records).")
    var continuations = false

    func validate() throws {
        if prefixes && continuations { throw ValidationError("--prefixes and --continuations exclude each other") }
        if !prefixes && (steps != nil || randomStep) { throw ValidationError("--steps and --random-step need --prefixes") }
        if steps != nil && randomStep { throw ValidationError("--steps and --random-step exclude each other") }
        if let steps, Self.parse(steps) == nil {
            throw ValidationError("--steps takes positive integers separated by commas, not \"\(steps)\"")
        }
    }

    /// Whether a step-controlled mode replaces ordinary pairing.
    var isActive: Bool { prefixes || continuations }

    /// Refuses pair's own flags where a step-controlled mode would silently ignore them (--gold-winners
    /// is let through: the pipelines pass it to every pair, and --prefixes uses it).
    func check(step: Bool, byScore: Bool) throws {
        if isActive && byScore {
            throw ValidationError("--prefixes and --continuations build step-controlled pairs; --strategy ranks by score: give one")
        }
        if prefixes && step { throw ValidationError("--step shapes pairs; --prefixes writes records to continue") }
    }

    /// The k values of `--steps`, sorted and distinct; nil when one is not a positive integer.
    static func parse(_ list: String) -> [Int]? {
        var ks: [Int] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k >= 1 else { return nil }
            ks.append(k)
        }
        return Array(Set(ks)).sorted()
    }

    var choice: StepChoice {
        if randomStep { return .random }
        return steps.flatMap(Self.parse).map(StepChoice.listed) ?? .all
    }
}

/// One run of a step-controlled mode over graded samples grouped by id, as pair groups them.
struct StepControlRun {
    let options: StepControlOptions
    let maxPairs: Int
    let seed: UInt64
    let goldField: String?
    let stepLevel: Bool
    private var problems = 0, skipped = 0, solutions = 0, written = 0

    init(options: StepControlOptions, maxPairs: Int, seed: UInt64, goldField: String?, stepLevel: Bool) {
        self.options = options
        self.maxPairs = maxPairs
        self.seed = seed
        self.goldField = goldField
        self.stepLevel = stepLevel
    }

    /// Reads the inputs, writes the records or pairs, and notes the summary unless `quiet`.
    mutating func run(files: [String], unsorted: Bool, quiet: Bool) throws {
        let diagnostics = Diagnostics(command: "pair")
        let writer = LineWriter(command: "pair")
        var groups = GroupTracker(unsorted: unsorted)
        try JSONLInput(paths: files, diagnostics: diagnostics).forEachRecord { record, position in
            guard let id = try record.id, let key = try record.idKey else { throw RecordFieldError.missing("id") }
            let sample = try PairSample(record: record, goldField: goldField)
            if options.continuations { _ = try Self.continuation(sample) }
            if let ended = groups.endedGroup(of: key) {
                throw LineError("id \(key) comes back after its group ended at \(ended) "
                    + "(samples of one id must be contiguous; use --unsorted)")
            }
            try groups.add(sample, id: id, key: key, at: position) { emit($0, to: writer) }
        }
        for g in groups.drain() { emit(g, to: writer) }
        writer.flush()
        if !quiet {
            diagnostics.note(options.prefixes
                ? "\(problems) problems, \(solutions) correct solutions, \(written) records to continue written"
                : "\(problems) problems, \(skipped) skipped (no wrong continuation), \(written) pairs written")
        }
        try CommandEnd.finish(writer: writer, diagnostics: diagnostics)
    }

    /// A graded sample as a continuation: its "source" and "source_pred" (as --prefixes writes them) and "steps".
    static func continuation(_ s: PairSample) throws -> GradedContinuation<JSONValue> {
        guard let source = try s.record.string("source") else {
            throw LineError("missing field \"source\" (continue the records of pair --prefixes first)")
        }
        return GradedContinuation(source: source, sourcePred: s.record["source_pred"] ?? .null,
                                  steps: try s.record.int("steps"),
                                  continuation: GradedCompletion(text: s.completion, pred: s.pred, correct: s.correct))
    }

    private mutating func emit(_ g: ProblemGroup, to writer: LineWriter) {
        problems += 1
        if options.prefixes { emitPrefixes(g, to: writer) } else { emitPairs(g, to: writer) }
    }

    /// The records to continue: each distinct correct completion's, then the gold solution's.
    private mutating func emitPrefixes(_ g: ProblemGroup, to writer: LineWriter) {
        guard let first = g.samples.first else { return }
        var seen = Set<String>()
        var sources: [(record: JSONRecord, text: String, pred: JSONValue)] = []
        for s in g.samples where s.correct && seen.insert(s.completion).inserted {
            sources.append((s.record, s.completion, s.pred))
        }
        if let gold = first.gold, seen.insert(gold).inserted { sources.append((first.record, gold, first.goldPred)) }
        solutions += sources.count
        for s in sources {
            let ks = StepControl.cuts(lines: SolutionSteps.lines(s.text).count, choice: options.choice, seed: seed,
                                      problemKey: g.key, text: s.text)
            for r in StepControl.prefixRecords(problem: s.record, source: s.text, sourcePred: s.pred, ks: ks) {
                writer.write(r)
                written += 1
            }
        }
    }

    /// Each chosen wrong continuation against its solution, in pair's output format plus "steps".
    private mutating func emitPairs(_ g: ProblemGroup, to writer: LineWriter) {
        let items = g.samples.map { try! Self.continuation($0) }  // each was checked as it was read
        let chosen = StepControl.pairs(items, maxPairs: maxPairs, seed: seed, problemKey: g.key)
        if chosen.isEmpty { skipped += 1 }
        for c in chosen {
            var o = JSONObject()
            let cut = stepLevel
                ? PreferencePairs.cutAtFirstDifferentLine(prompt: g.prompt, chosen: c.source, rejected: c.continuation.text)
                : (prompt: g.prompt, chosen: c.source[...], rejected: c.continuation.text[...], sharedLines: 0)
            o["prompt"] = .string(cut.prompt)
            o["chosen"] = .string(String(cut.chosen))
            o["rejected"] = .string(String(cut.rejected))
            o["id"] = g.id
            o["chosen_pred"] = c.sourcePred
            o["rejected_pred"] = c.continuation.pred
            o["steps"] = c.steps.map { JSONValue($0) } ?? .null
            writer.write(.object(o))
            written += 1
        }
    }
}
