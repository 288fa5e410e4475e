import Foundation
import Testing

/// The README's one-iteration-by-hand block, run as written on fewer problems (100 to train
/// on, 200 to test): every file it names appears and the trained model beats the bundled one.
/// Training is the same bits on every CPU, so the outcome does not depend on the machine.
@Suite struct ReadmeQuickStartTests {
    /// The first sh block after "## Quick start".
    static func quickStart() throws -> String {
        let readme = try String(contentsOf: Shell.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Quick start"),
              let open = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex) else { return "" }
        return String(readme[open.upperBound..<close.lowerBound])
    }

    @Test func theIterationByHandRunsAndTheModelGains() throws {
        let block = try Self.quickStart()
        // Only the sizes change: the commands are the README's.
        let script = block
            .replacingOccurrences(of: #"export PATH="$PWD/.build/release:$PATH""#, with: #"export PATH="$BIN:$PATH""#)
            .replacingOccurrences(of: "NR <= 7000", with: "NR <= 6100")
            .replacingOccurrences(of: " data/test.jsonl", with: " test-200.jsonl")
        #expect(script != block && script.contains("NR <= 6100") && script.contains("test-200.jsonl"), "\(block)")
        let r = try Shell.run("""
            set -e
            mkdir examples && ln -s '\(Shell.packageRoot.path)/examples/m0' examples/m0
            irpo() { "$BIN/irpo" "$@"; }
            "$BIN/arith-problems" --out-dir data > /dev/null && head -n 200 data/test.jsonl > test-200.jsonl
            \(script)
            for f in unseen.jsonl graded.jsonl pairs.jsonl m1/model.safetensors m0.test.jsonl m1.test.jsonl; do test -s $f; done
            wc -l < unseen.jsonl | tr -d ' '
            "$BIN/eval" --json --k 1 m0.test.jsonl m1.test.jsonl | jq -c '[.problems, .accuracy]'
            """)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").suffix(3).map(String.init)
        #expect(lines.count == 3 && lines[0] == "100", "\(r.out)")
        let accuracies = lines.dropFirst().compactMap { line -> Double? in
            let parts = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
            return parts.count == 2 && parts[0] == "200" ? Double(parts[1]) : nil
        }
        #expect(accuracies.count == 2 && accuracies[1] > accuracies[0] + 0.03, "M0 then M1: \(accuracies)")
    }
}
