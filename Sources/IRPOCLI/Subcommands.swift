import Foundation

/// A command `irpo` runs: an executable installed beside it, with a man page of its own.
public enum IRPOCommand: String, CaseIterable, Sendable {
    case sample, grade, pair, dpoTrain = "dpo-train", eval, problems

    /// The executable that carries the command out.
    public var executable: String { self == .problems ? "arith-problems" : rawValue }

    /// One line on what the command does, for `irpo --help`.
    public var summary: String {
        switch self {
        case .sample: return "draw N solutions per problem from a model"
        case .grade: return "check each solution's final answer against the gold answer"
        case .pair: return "turn right-vs-wrong solutions into preference pairs"
        case .dpoTrain: return "train the next model with DPO plus NLL (or SFT, IPO, DPO-Positive)"
        case .eval: return "accuracy, majority vote and pass@k per model"
        case .problems: return "generate the bundled example task's problems"
        }
    }
}

/// Where `irpo` finds the executables and man pages it hands work to.
public struct CommandLocator: Sendable {
    /// The directory of the running executable (symbolic links resolved).
    public let binDirectory: URL

    /// Locates from the running executable.
    public init() {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        binDirectory = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Locates from `binDirectory` (tests).
    public init(binDirectory: URL) { self.binDirectory = binDirectory }

    /// The executable of `command` beside `irpo`.
    public func executable(_ command: IRPOCommand) -> URL { binDirectory.appendingPathComponent(command.executable) }

    /// The man page named `name` in `sections` (by default 1, else 7): installed under
    /// ../share/man beside the binaries, or in the man/ folder of the source tree they were built in.
    public func manPage(_ name: String, sections: [Int] = [1, 7]) -> URL? {
        var roots = [binDirectory.deletingLastPathComponent().appendingPathComponent("share/man")]
        var dir = binDirectory
        for _ in 0..<5 {
            roots.append(dir.appendingPathComponent("man"))
            dir = dir.deletingLastPathComponent()
        }
        for root in roots {
            for section in sections {
                let page = root.appendingPathComponent("man\(section)/\(name).\(section)")
                if FileManager.default.fileExists(atPath: page.path) { return page }
            }
        }
        return nil
    }
}

/// Replaces this process with `program` run on `arguments`, so its output, signals and exit
/// status are the caller's; returns only when it could not be started, with the reason.
public func replaceProcess(with program: URL, arguments: [String]) -> String {
    let argv = ([program.lastPathComponent] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    execv(program.path, argv)
    return String(cString: strerror(errno))
}
