import Foundation
import Testing

/// `--help` and the man page name the same options, and the man pages are clean groff.
@Suite struct ManPageTests {
    /// Long options in the OPTIONS part of `--help`.
    func helpOptions(_ command: String) throws -> Set<String> {
        let help = try Shell.run("\"$BIN/\(command)\" --help").out
        guard let start = help.range(of: "OPTIONS:") else { return [] }
        return options(in: String(help[start.upperBound...]), pattern: "--([a-z0-9][a-z0-9-]*)")
    }

    /// Long options in the man page's OPTIONS section (`\-\-name` in groff).
    func manOptions(_ command: String) throws -> Set<String> {
        let page = try String(contentsOf: Shell.packageRoot.appendingPathComponent("man/man1/\(command).1"), encoding: .utf8)
        guard let start = page.range(of: ".SH OPTIONS\n") else { return [] }
        var section = String(page[start.upperBound...])
        if let end = section.range(of: "\n.SH ") { section = String(section[..<end.lowerBound]) }
        // Only the option names introduced by .TP items, not options mentioned in descriptions.
        let lines = section.split(separator: "\n", omittingEmptySubsequences: false)
        var heads: [String] = []
        for (i, line) in lines.enumerated() where line == ".TP" && i + 1 < lines.count { heads.append(String(lines[i + 1])) }
        return options(in: heads.joined(separator: "\n"), pattern: #"\\-\\-([a-z0-9][a-z0-9\\-]*)"#)
    }

    func options(in text: String, pattern: String) -> Set<String> {
        let re = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return Set(re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map {
            ns.substring(with: $0.range(at: 1)).replacingOccurrences(of: "\\-", with: "-")
        })
    }

    @Test(arguments: ["grade", "pair", "eval", "sample"]) func helpAndManPageAgree(_ command: String) throws {
        let help = try helpOptions(command)
        let man = try manOptions(command)
        #expect(help.contains("help") && help.count > 1)
        #expect(help == man, "only in --help: \(help.subtracting(man)); only in the man page: \(man.subtracting(help))")
    }

    @Test(arguments: ["grade", "pair", "eval"]) func manPageIsCleanGroff(_ command: String) throws {
        let r = try Shell.run("command -v groff >/dev/null || exit 0; groff -man -ww -z '\(Shell.packageRoot.path)/man/man1/\(command).1'")
        #expect(r.status == 0)
        #expect(r.err == "")
    }
}

/// The man pages' examples that need no model, run as written.
@Suite struct ManPageExampleTests {
    @Test func gradeGoldSelfCheckExample() throws {
        let test = Shell.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/gsm8k/test.jsonl").path
        let r = try Shell.run("""
        command -v jq >/dev/null || { echo true; exit 0; }
        export PATH="$BIN:$PATH"
        jq -c '.completion = .answer' '\(test)' | grade | jq -s 'all(.correct)'
        """)
        #expect(r.status == 0)
        #expect(r.out == "true\n")
    }
}
