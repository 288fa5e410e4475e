import ArgumentParser

/// The input files every filter takes: JSONL, compressed or not, standard input by default.
public struct InputOptions: ParsableArguments {
    /// The paths as given; empty means standard input.
    @Argument(help: ArgumentHelp(
        "JSONL input files; .gz, .xz and .zst are read transparently. Standard input when none or -.",
        valueName: "file"))
    public var files: [String] = []

    /// Required by ParsableArguments.
    public init() {}
}

/// Shared steps at the end of a command's run.
public enum CommandEnd {
    /// Flushes the output and throws exit status 1 when any error was reported, 0 otherwise.
    public static func finish(writer: LineWriter?, diagnostics: Diagnostics) throws {
        writer?.flush()
        if diagnostics.failed { throw ExitCode(ExitStatus.failure) }
    }
}
