import ArgumentParser
import Foundation
import IRPOCore

/// Where `dpo-train` writes: the model, the resumable state, the metrics.
public struct TrainingOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where to write the trained model (directory, or .tar/.tar.gz bundle).", valueName: "dir"))
    public var out: String

    @Flag(help: "Replace a model that already exists at --out.")
    public var overwrite = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Write a resumable state to OUT.state every n steps.", valueName: "n"))
    public var saveEvery: Int?

    @Flag(help: "Continue from OUT.state.")
    public var resume = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after step n, writing OUT.state but not --out (for time-limited jobs).", valueName: "n"))
    public var stopAfter: Int?

    @Option(help: ArgumentHelp("Write each step's metrics as JSONL to this file (appended to with --resume).", valueName: "file"))
    public var metrics: String?

    /// Defaults.
    public init() {}

    public func validate() throws {
        if let saveEvery, saveEvery < 1 { throw ValidationError("--save-every must be at least 1") }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1") }
    }

    /// The run's destination; only a process that `writes` saves.
    public func destination(writes: Bool) -> TrainingDestination {
        TrainingDestination(out: out, saveEvery: saveEvery, stopAfter: stopAfter, writes: writes)
    }

    /// What an interrupt during step `nextStep` leaves, given the last saved state.
    public func farewell(nextStep: Int, savedStep: Int?) -> String {
        "dpo-train: interrupted at step \(nextStep); "
            + (savedStep.map { "state from step \($0) saved in \(destination(writes: true).statePath); run again with --resume" }
               ?? "no state saved; use --save-every N to keep one")
    }
}

/// The --metrics file: a JSONL line per step, flushed as it is written.
public final class MetricsFile {
    private let file: UnsafeMutablePointer<FILE>?

    /// Opens `path` (appending when `append`) when given and `opened`; else writes nothing.
    public init(_ path: String?, append: Bool, opened: Bool) throws {
        guard let path, opened else { file = nil; return }
        guard let f = fopen(path, append ? "a" : "w") else { throw LineError("\(path): cannot open for writing") }
        file = f
    }

    deinit { if let file { fclose(file) } }

    /// Writes one step's line.
    public func append(_ m: TrainingMetrics) throws {
        guard let file else { return }
        fputs(m.jsonLine + "\n", file)
        fflush(file)
    }
}

extension Diagnostics {
    /// After reading every input: ends the command with status 1 when an input could not be
    /// read, or when a line was bad unless `skipping` (then, when `noting`, says how many).
    public func refuseBadInput(skipping: Bool, noting: Bool, action: String) throws {
        if unreadableInputs > 0 {
            note("\(unreadableInputs) input(s) could not be read; not \(action)")
            throw ExitCode(ExitStatus.failure)
        }
        guard failed else { return }
        if !skipping {
            note("\(badLineCount) bad input line(s); not \(action) (--skip-bad skips them)")
            throw ExitCode(ExitStatus.failure)
        }
        if noting { note("skipped \(badLineCount) bad input line(s)") }
    }
}
