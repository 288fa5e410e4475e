import ArgumentParser
import Foundation

/// The input files every filter takes: JSONL, compressed or not, standard input by default.
public struct InputOptions: ParsableArguments {
    /// The paths as given; empty means standard input.
    @Argument(help: ArgumentHelp(
        "JSONL input files; .gz, .xz and .zst are read transparently. Standard input when none or -.",
        valueName: "file"))
    public var files: [String] = []

    /// Required by ParsableArguments.
    public init() {}

    /// The lines of the inputs when every one is a plain regular file (progress can then say
    /// how much is left), else nil.
    public func lineCount() -> Int? {
        var lines = 0
        for path in files.isEmpty ? ["-"] : files {
            guard path != "-", !([".gz", ".xz", ".zst"].contains { path.hasSuffix($0) }),
                  let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
        }
        return lines
    }
}

/// Shared steps at the end of a command's run.
public enum CommandEnd {
    /// Flushes the output and throws exit status 1 when any error was reported, 0 otherwise.
    public static func finish(writer: LineWriter?, diagnostics: Diagnostics) throws {
        writer?.flush()
        if diagnostics.failed { throw ExitCode(ExitStatus.failure) }
    }
}
