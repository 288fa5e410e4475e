import Foundation
import Testing

/// `irpo COMMAND` runs the command's executable with its arguments; every command has --version.
@Suite struct IrpoCLITests {
    @Test func runsEachCommandWithItsArgumentsAndStatus() throws {
        let r = try Shell.run("""
            "$BIN/irpo" grade < samples.jsonl > via-irpo.jsonl; echo "grade $?"
            "$BIN/grade" < samples.jsonl | cmp - via-irpo.jsonl && echo same
            "$BIN/irpo" eval --k 1 via-irpo.jsonl > /dev/null; echo "eval $?"
            echo '{"completion":"x"}' | "$BIN/irpo" grade > /dev/null 2> bad.err; echo "bad line $?"
            "$BIN/irpo" grade --task nope < /dev/null 2> /dev/null; echo "usage $?"
            "$BIN/irpo" frobnicate 2> unknown.err; echo "unknown $?"
            grep -c "unknown command 'frobnicate'" unknown.err
            """, files: ["samples.jsonl": GradeCLITests.samples])
        #expect(r.out == "grade 0\nsame\neval 0\nbad line 1\nusage 64\nunknown 64\n1\n", "\(r.out)\(r.err)")
    }

    @Test func everyCommandHasAVersion() throws {
        let r = try Shell.run("""
            for c in irpo sample grade pair dpo-train eval arith-problems; do "$BIN/$c" --version; done
            for c in sample grade pair dpo-train eval problems; do "$BIN/irpo" $c --version; done
            """)
        let lines = r.out.split(separator: "\n")
        #expect(r.status == 0 && lines.count == 13 && Set(lines).count == 1, "\(r.out)\(r.err)")
        #expect(lines.first?.split(separator: ".").count == 3)
    }

    /// `irpo help COMMAND` opens the page from the source tree the binaries were built in.
    @Test func helpOpensTheManPage() throws {
        let r = try Shell.run("""
            export MANPAGER=cat MANWIDTH=80
            "$BIN/irpo" help grade | head -n 1
            "$BIN/irpo" help problems | grep -c "irpo problems"
            "$BIN/irpo" help irpo | head -n 1
            "$BIN/irpo" help | head -n 1
            "$BIN/irpo" help nothing-here 2>&1; echo "missing $?"
            """)
        let lines = r.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.count == 6, "\(r.out)\(r.err)")
        if lines.count == 6 {
            #expect(lines[0].hasPrefix("GRADE(1)") && Int(lines[1])! >= 1 && lines[2].hasPrefix("IRPO(7)")
                    && lines[3].hasPrefix("IRPO(1)"), "\(r.out)")
            #expect(lines[4].hasPrefix("irpo: no man page for nothing-here") && lines[5] == "missing 1", "\(r.out)")
        }
    }
}
