#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a record came from: the input's name as given ("-" for standard input) and its line.
public struct InputPosition: Sendable, Equatable, CustomStringConvertible {
    /// The path as given, or "-" for standard input.
    public let file: String
    /// The 1-based line number.
    public let line: Int

    /// A position in an input.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `FILE:LINE`, with standard input shown as `<stdin>`.
    public var description: String { "\(DisplayName.of(file)):\(line)" }
}

/// How an input path appears in messages.
public enum DisplayName {
    /// The path, or `<stdin>` for "-".
    public static func of(_ path: String) -> String { path == "-" ? "<stdin>" : path }
}

/// The exit statuses every irpo command uses.
public enum ExitStatus {
    /// Success.
    public static let success: Int32 = 0
    /// Bad data or a failed run.
    public static let failure: Int32 = 1
    /// Bad usage (BSD EX_USAGE), what swift-argument-parser's ValidationError exits with.
    public static let usage: Int32 = 64
}

/// Messages to standard error as `command: file:line: reason`; remembers whether the command
/// must end with status 1, so bad lines are reported as they come and the run still finishes.
public final class Diagnostics {
    /// The command's name, the first word of every message.
    public let command: String
    /// How many errors were reported.
    public private(set) var errorCount = 0
    /// How many of them were whole inputs that could not be read (a missing file, a JSON array).
    public private(set) var unreadableInputs = 0
    /// Errors that concern one line each.
    public var badLineCount: Int { errorCount - unreadableInputs }

    /// Diagnostics for a command.
    public init(command: String) { self.command = command }

    /// Whether any error was reported, i.e. the exit status must be 1.
    public var failed: Bool { errorCount > 0 }

    /// Reports a bad line: `command: file:line: reason`.
    public func error(at position: InputPosition, _ reason: String) {
        errorCount += 1
        emit("\(command): \(position): \(reason)")
    }

    /// Reports an error that has no line: `command: message`.
    public func error(_ message: String) {
        errorCount += 1
        emit("\(command): \(message)")
    }

    /// Reports an input that could not be read at all: `command: message`.
    public func unreadable(_ message: String) {
        unreadableInputs += 1
        error(message)
    }

    /// Prints an informational line (`command: message`) that does not change the exit status.
    public func note(_ message: String) {
        emit("\(command): \(message)")
    }

    /// Writes one whole line to standard error, unbuffered.
    public func emit(_ line: String) { send(line + "\n") }

    /// Writes `text` to standard error as it is (a progress line rewritten in place), unbuffered.
    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(2, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
