import ArgumentParser
import Foundation
import IRPOCLI
import IRPOCore

/// `irpo`: one name for the toolkit's commands, git-style (`irpo sample ...`), so nothing depends
/// on `eval`, a shell builtin, being reachable by name.
struct Irpo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irpo",
        abstract: "Iterative Reasoning Preference Optimization as small Unix filters.",
        usage: "irpo <command> [<options>] [<files>]\nirpo help [<command>]",
        discussion: """
        Runs the command of the same name installed beside it with every argument after the \
        command's name, so `irpo eval graded.jsonl` is the eval executable on graded.jsonl. \
        `irpo help COMMAND` opens the command's man page; `irpo help` opens irpo(1), and \
        `irpo help irpo` the method and record formats, irpo(7). Commands:

        \(IRPOCommand.allCases.map { "  " + $0.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + $0.summary }
            .joined(separator: "\n"))
        """,
        version: IRPOVersion.string)

    @Argument(help: ArgumentHelp("help, optionally followed by a command or page name.", valueName: "words"))
    var words: [String] = []

    func validate() throws {
        guard let first = words.first else { return }
        if first != "help" { throw ValidationError("unknown command '\(first)'; the commands are \(IRPOCommand.allCases.map(\.rawValue).joined(separator: ", "))") }
        if words.count > 2 { throw ValidationError("help takes one name") }
    }

    func run() throws {
        guard words.first == "help" else { print(Self.helpMessage()); return }
        let locator = CommandLocator()
        let name = words.count == 2 ? (IRPOCommand(rawValue: words[1])?.executable ?? words[1]) : "irpo"
        // `irpo help irpo` is the method page; `irpo help` alone is this command's
        guard let page = locator.manPage(name, sections: words.count == 2 && name == "irpo" ? [7] : [1, 7]) else {
            Diagnostics(command: "irpo").error("no man page for \(name) beside \(locator.binDirectory.path)")
            throw ExitCode(ExitStatus.failure)
        }
        let man = ["/usr/bin/man", "/bin/man"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let man else {
            Diagnostics(command: "irpo").error("man is not installed; the page is \(page.path)")
            throw ExitCode(ExitStatus.failure)
        }
        let why = replaceProcess(with: URL(fileURLWithPath: man), arguments: ["-l", page.path])
        Diagnostics(command: "irpo").error("cannot run \(man): \(why)")
        throw ExitCode(ExitStatus.failure)
    }
}

if let first = CommandLine.arguments.dropFirst().first, let command = IRPOCommand(rawValue: first) {
    let program = CommandLocator().executable(command)
    let why = replaceProcess(with: program, arguments: Array(CommandLine.arguments.dropFirst(2)))
    Diagnostics(command: "irpo").error("cannot run \(program.path): \(why)")
    exit(ExitStatus.failure)
}
Irpo.main()
