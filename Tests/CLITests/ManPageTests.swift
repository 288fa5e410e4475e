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

    static let commands = ["irpo", "sample", "grade", "pair", "dpo-train", "eval", "arith-problems"]
    static let pages = commands.map { "man1/\($0).1" } + ["man7/irpo.7"]

    static func page(_ path: String) throws -> String {
        try String(contentsOf: Shell.packageRoot.appendingPathComponent("man/" + path), encoding: .utf8)
    }

    @Test(arguments: commands) func helpAndManPageAgree(_ command: String) throws {
        let help = try helpOptions(command)
        let man = try manOptions(command)
        #expect(help.contains("help") && help.count > 1)
        #expect(help == man, "only in --help: \(help.subtracting(man)); only in the man page: \(man.subtracting(help))")
    }

    @Test(arguments: pages) func manPageIsCleanGroff(_ page: String) throws {
        // make deps installs groff; without it the page cannot be checked, which is a failure.
        let r = try Shell.run("groff -man -ww -z '\(Shell.packageRoot.path)/man/\(page)'")
        #expect(r.status == 0 && r.err == "", "\(page): \(r.err)")
    }

    @Test(arguments: commands) func manPageHasEverySection(_ command: String) throws {
        let sections = try Self.page("man1/\(command).1").split(separator: "\n").filter { $0.hasPrefix(".SH ") }
            .map { $0.dropFirst(4).replacingOccurrences(of: "\"", with: "") }
        let required = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "INPUT AND OUTPUT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"]
        #expect(required.allSatisfy(sections.contains), "\(command).1 lacks \(required.filter { !sections.contains($0) })")
        #expect(try Self.page("man7/irpo.7").contains(".BR \(command.replacingOccurrences(of: "-", with: "\\-")) (1)"))
    }

    /// Each option's `(default: X)` in `--help`, by its first name (`--top-p`, `-n`).
    func helpDefaults(_ command: String) throws -> [String: String] {
        let help = try Shell.run("\"$BIN/\(command)\" --help").out
        guard let start = help.range(of: "OPTIONS:") else { return [:] }
        // An option's entry starts at "  -" and runs over its wrapped lines.
        let entries = help[start.upperBound...].components(separatedBy: "\n  -").dropFirst()
        var out: [String: String] = [:]
        for e in entries {
            let text = ("-" + e).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            // ArgumentParser ends an entry with "(default: X)" or "(values: ...; default: X)".
            guard let d = text.range(of: "default: ", options: .backwards), text.hasSuffix(")") else { continue }
            let name = String(text.prefix { !$0.isWhitespace && $0 != "," })
            out[name] = String(text[d.upperBound..<text.index(before: text.endIndex)])
        }
        return out
    }

    /// The man page's OPTIONS items as plain text (macros, quotes and escapes gone), by first option name.
    func manItems(_ command: String) throws -> [String: String] {
        let page = try Self.page("man1/\(command).1")
        guard let start = page.range(of: ".SH OPTIONS\n") else { return [:] }
        var section = String(page[start.upperBound...])
        if let end = section.range(of: "\n.SH ") { section = String(section[..<end.lowerBound]) }
        var out: [String: String] = [:]
        for item in section.components(separatedBy: ".TP\n").dropFirst() {
            let plain = item.split(separator: "\n").map { line -> String in
                var l = String(line)
                if l.hasPrefix("."), let space = l.firstIndex(of: " ") { l = String(l[space...]) } else if l.hasPrefix(".") { l = "" }
                return l
            }.joined(separator: " ").replacingOccurrences(of: "\\-", with: "-").replacingOccurrences(of: "\"", with: "")
                .replacingOccurrences(of: "\\fB", with: "").replacingOccurrences(of: "\\fR", with: "")
                .replacingOccurrences(of: "\\fI", with: "")
            let words = plain.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if let name = words.split(separator: " ").first { out[String(name)] = words }
        }
        return out
    }

    /// `irpo` has no option with a default to compare.
    @Test(arguments: commands.filter { $0 != "irpo" }) func helpAndManPageDefaultsAgree(_ command: String) throws {
        let items = try manItems(command)
        let defaults = try helpDefaults(command)
        #expect(!defaults.isEmpty)
        for (option, value) in defaults {
            guard let item = items[option] else { Issue.record("\(command): \(option) has no item in the man page"); continue }
            // "(default 1e-6)" agrees with --help's 1e-06, "constant (default)" with constant.
            let stated = item.components(separatedBy: "default").dropFirst().compactMap { rest -> String? in
                let v = rest.drop { $0 == ":" || $0 == " " }.prefix { !" ;)".contains($0) }
                let trimmed = v.hasSuffix(",") || v.hasSuffix(".") ? v.dropLast() : v[...]
                return trimmed.isEmpty ? nil : String(trimmed)
            }
            let same = stated.contains { $0 == value || (Double($0) != nil && Double($0) == Double(value)) }
                || item.contains("\(value) (default")
            #expect(same, "\(command) \(option): --help says default \(value), the man page: \(item)")
        }
    }

    @Test func shardDefaultReadsAsTyped() throws {
        let help = try Shell.run(#""$BIN/sample" --help"#).out
        #expect(help.contains("(default: 0/1)"), "\(help)")
        #expect(try Self.page("man1/sample.1").contains("(default 0/1, the whole input)"))
    }
}

/// The man pages' examples, run as written on the small files of `ExampleFixture`.
@Suite struct ManPageExampleTests {
    /// The command blocks (`.EX` ... `.EE`) of a page's EXAMPLES section, as a shell reads them.
    static func examples(_ page: String) throws -> [String] {
        let text = try ManPageTests.page(page)
        guard let start = text.range(of: "\n.SH EXAMPLES\n") else { return [] }
        var section = String(text[start.upperBound...])
        if let end = section.range(of: "\n.SH ") { section = String(section[..<end.lowerBound]) }
        var blocks: [String] = [], current: [String]?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == ".EX" { current = [] } else if line == ".EE" {
                if let c = current { blocks.append(c.joined(separator: "\n")) }
                current = nil
            } else if current != nil {
                current!.append(unescape(String(line)))
            }
        }
        return blocks
    }

    /// groff's escapes in example text, undone.
    static func unescape(_ line: String) -> String {
        line.replacingOccurrences(of: "\\-", with: "-").replacingOccurrences(of: "\\(aq", with: "'")
            .replacingOccurrences(of: "\\(dq", with: "\"").replacingOccurrences(of: "\\&", with: "")
            .replacingOccurrences(of: "\\e", with: "\\").replacingOccurrences(of: "\\(rs", with: "\\")
    }

    @Test(arguments: ManPageTests.pages) func examplesRun(_ page: String) throws {
        let blocks = try Self.examples(page)
        #expect(!blocks.isEmpty, "\(page) has no examples")
        let dir = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Shell.run("cp -a '\(ExampleFixture.dir)/.' .", in: dir)
        // A model an example trains is new there, as in a reader's directory (dpo-train refuses
        // to replace one without --overwrite); other pages read the fixture's copy.
        let outputs = blocks.flatMap { $0.components(separatedBy: "--out ").dropFirst().map { $0.prefix { !$0.isWhitespace } } }
        for name in outputs where !name.isEmpty { try? FileManager.default.removeItem(atPath: dir + "/" + name) }
        // Blocks run in order in one directory: a later one may read what an earlier one wrote.
        for block in blocks {
            let r = try Shell.run(#"PATH="$BIN:$PATH" bash -eo pipefail example.sh"#, in: dir, files: ["example.sh": block + "\n"])
            #expect(r.status == 0, "\(page): the example\n\(block)\nfailed with status \(r.status): \(r.err)")
        }
    }

    @Test func gradeGoldSelfCheckExample() throws {
        // grade(1)'s check on the whole GSM8K test set: every gold solution grades as correct.
        let test = Shell.packageRoot.appendingPathComponent("data/gsm8k/test.jsonl").path
        let r = try Shell.run("""
        set -e
        export PATH="$BIN:$PATH"
        jq -c '.completion = .answer' '\(test)' > gold.jsonl
        grade gold.jsonl > graded.jsonl
        jq -s 'all(.correct)' graded.jsonl
        """)
        #expect(r.status == 0)
        #expect(r.out == "true\n")
    }
}
