import Foundation
import IRPOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What every filter owes a shell: compressed inputs, `-`, a closed pipe, Ctrl-C and kill -9.
@Suite struct UnixBehaviourTests {
    /// Per command: its input file and a shell function `run` whose output depends only on what
    /// was read, not on the input's name.
    static let setups: [String: (input: String, run: String)] = [
        "grade": (GradeCLITests.samples, #"run() { "$BIN/grade" --quiet "$@"; }"#),
        "pair": (PairEvalCLITests.graded, #"run() { "$BIN/pair" --quiet "$@"; }"#),
        "eval": (PairEvalCLITests.graded, #"run() { "$BIN/eval" --json "$@" | sed 's/"file":"[^"]*","model":"[^"]*",//'; }"#),
        "sample": (SampleFixture.problems(3),
                   #"run() { "$BIN/sample" --model '\#(SampleFixture.modelDir)' --template plain --max-tokens 3 -n 2 "$@"; }"#),
        "dpo-train": (DPOTrainFixture.records(count: 12, pairs: true), """
            \(DPOTrainFixture.makeM0) || exit 9
            run() { rm -rf o; "$BIN/dpo-train" --model m0 --out o --batch-size 4 --max-steps 2 --lr 1e-3 "$@" && cksum < o/model.safetensors; }
            """),
    ]

    @Test(arguments: ["grade", "pair", "eval", "sample", "dpo-train"])
    func compressedInputsAndStandardInput(_ command: String) throws {
        let setup = Self.setups[command]!
        let r = try Shell.run("""
            \(setup.run)
            gzip -k in.jsonl && xz -k in.jsonl && zstd -q -k in.jsonl || exit 9
            run in.jsonl > plain.out || echo "plain run failed"
            test -s plain.out || echo "no output"
            for f in in.jsonl.gz in.jsonl.xz in.jsonl.zst; do run "$f" | cmp -s - plain.out || echo "differs: $f"; done
            run - < in.jsonl.xz | cmp -s - plain.out || echo "differs: - from xz"
            run < in.jsonl.gz | cmp -s - plain.out || echo "differs: standard input from gz"
            cat in.jsonl.zst | run - | cmp -s - plain.out || echo "differs: - from a zst pipe"
            """, files: DPOTrainFixture.files.merging(["in.jsonl": setup.input]) { _, new in new })
        #expect(r.status == 0 && r.out == "" && r.err == "", "\(command): \(r.out)\(r.err)")
    }

    @Test(arguments: ["gzip", "xz", "zstd"]) func truncatedCompressedInputStopsAtALine(_ tool: String) throws {
        // Half of a compressed file: grade writes the lines before the damage and names the line.
        let r = try Shell.run(#"""
            awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":%d,\"completion\":\"Final answer: %d\",\"answer\":\"#### %d\"}\n", i, i, i }' > s.jsonl
            \#(tool) -c s.jsonl > s.z && head -c $(($(wc -c < s.z) / 2)) s.z > cut.z
            "$BIN/grade" --quiet cut.z > cut.out 2> cut.err; echo "$?"
            n=$(wc -l < cut.out); test "$n" -gt 0 && "$BIN/grade" --quiet s.jsonl | head -n "$n" | cmp -s - cut.out && echo prefix
            echo "$((n + 1))"; cat cut.err
            """#)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[0] == "1" && lines[1] == "prefix", "\(tool): \(r.out) \(r.err)")
        if lines.count == 4 {
            #expect(lines[3].hasPrefix("grade: cut.z:\(lines[2]): corrupt compressed data: "), "\(tool): \(lines[3])")
        }
    }

    @Test func closedPipeEndsPairAndEvalQuietly() throws {
        let r = try Shell.run(#"""
            awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"id\":%d,\"prompt\":\"P\",\"completion\":\"c%d\",\"pred\":\"1\",\"correct\":%s}\n", i / 2, i, (i % 2 ? "true" : "false") }' > big.jsonl
            { "$BIN/pair" --quiet big.jsonl; echo $? > pair.status; } | head -1 > /dev/null
            { "$BIN/eval" big.jsonl; echo $? > eval.status; } | true
            cat pair.status eval.status
            """#)
        #expect(r.out == "0\n0\n")
        #expect(r.err == "")
    }

    /// Whether `path` holds only whole JSON lines.
    func wholeLines(_ path: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if data.isEmpty { return true }
        guard data.last == 0x0A else { return false }
        return data.split(separator: 0x0A).allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0))) is [String: Any] }
    }

    @Test func interruptedSampleLeavesWholeLines() throws {
        let dir = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleFixture.problems(2000).write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        for i in 0..<3 {
            let out = "out\(i).jsonl"
            let p = try Shell.launch("sample", ["--model", SampleFixture.modelDir, "--template", "plain", "--max-tokens", "24",
                                                "-n", "3", "--batch", "6", "in.jsonl"], in: dir, stdout: out)
            // Wait for the first lines, then a little longer each time, so Ctrl-C lands at
            // different moments of the work.
            let start = Date()
            while ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + out)[.size] as? Int) ?? 0) == 0,
                  Date().timeIntervalSince(start) < 60, p.isRunning {
                usleep(2_000)
            }
            usleep(UInt32(i) * 30_000)
            p.interrupt()
            // An ignored Ctrl-C must fail the test, not hang it.
            let sent = Date()
            while p.isRunning && Date().timeIntervalSince(sent) < 30 { usleep(5_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGINT,
                    "sample ended with \(p.terminationReason) \(p.terminationStatus), not by SIGINT")
            #expect(try wholeLines(dir + "/" + out), "\(out) ends in half a line")
        }
    }

    /// A dpo-train run on the tiny fixture model, saving its state every step, and where it was made.
    struct TrainingRun {
        let dir: String
        let flags = ["--model", "m0", "--batch-size", "2", "--max-steps", "10", "--lr", "1e-3", "--seed", "3", "--save-every", "1"]
        /// The uninterrupted run's weights and how long it took.
        let reference: Data
        let seconds: Double

        init() throws {
            dir = try Shell.temporaryDirectory()
            let made = try Shell.run(DPOTrainFixture.makeM0, in: dir, files: DPOTrainFixture.files)
            guard made.status == 0 else { throw SetupFailed(message: made.err) }
            // the training alone is timed: the interrupts below fall within its span
            let start = Date()
            let r = try Shell.run(#""$BIN/dpo-train" "# + flags.joined(separator: " ") + " --out ref pairs.jsonl", in: dir)
            guard r.status == 0 else { throw SetupFailed(message: r.err) }
            seconds = Date().timeIntervalSince(start)
            reference = try Data(contentsOf: URL(fileURLWithPath: dir + "/ref/model.safetensors"))
        }

        /// Starts training into `out` and sends `signal` after `delay` seconds.
        func interrupt(out: String, after delay: Double, with signal: Int32) throws -> Process {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix(out) || name.hasPrefix(".") {
                try FileManager.default.removeItem(atPath: dir + "/" + name)
            }
            let p = try Shell.launch("dpo-train", flags + ["--out", out, "pairs.jsonl"], in: dir)
            usleep(UInt32(delay * 1e6))
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            return p
        }

        /// What is left of `out`: nil when absent, else whether it loads (with training state for OUT.state).
        func loads(_ path: String, state: Bool) -> Bool? {
            guard FileManager.default.fileExists(atPath: dir + "/" + path) else { return nil }
            if state { return ((try? CheckpointIO.loadWithTrainingState(dir + "/" + path))?.1) != nil }
            return (try? CheckpointIO.load(dir + "/" + path)) != nil
        }

        /// Files a write in progress would leave: temporary and set-aside checkpoints.
        func leftovers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") && !$0.hasPrefix(".std") }
        }
    }

    @Test func ctrlCDuringDPOTrainLeavesNoHalfCheckpoint() throws {
        let run = try TrainingRun()
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        var rng = SplitMix64(seed: 11)
        var interrupted = 0, attempts = 0
        // The reference run was timed under whatever load the other suites put on the machine; a run
        // that finishes before its Ctrl-C shows this moment is faster, so later moments are drawn earlier.
        var latest = run.seconds * 1.1
        while interrupted < 4 && attempts < 16 {
            attempts += 1
            let delay = Double.random(in: 0.05...max(0.06, latest), using: &rng)
            let p = try run.interrupt(out: "k", after: delay, with: SIGINT)
            let byInterrupt = p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGINT
            #expect(byInterrupt || p.terminationStatus == 0, "after \(delay) s: ended with \(p.terminationStatus)")
            if byInterrupt { interrupted += 1 } else { latest = delay * 0.7 }
            #expect(try run.leftovers() == [], "Ctrl-C after \(delay) s left a write half done")
            #expect(run.loads("k", state: false) != false, "Ctrl-C after \(delay) s: k is not a loadable checkpoint")
            #expect(run.loads("k.state", state: true) != false, "Ctrl-C after \(delay) s: k.state is not a loadable state")
        }
        // Moments inside the run must have ended it there.
        #expect(interrupted >= 4, "only \(interrupted) of \(attempts) runs ended by Ctrl-C")
    }

    @Test func killedDPOTrainResumesToTheSameWeights() throws {
        let run = try TrainingRun()
        defer { try? FileManager.default.removeItem(atPath: run.dir) }
        var rng = SplitMix64(seed: 20)
        for i in 0..<20 {
            let delay = Double.random(in: 0...(run.seconds * 1.1), using: &rng)
            _ = try run.interrupt(out: "k", after: delay, with: SIGKILL)
            let out = run.loads("k", state: false), state = run.loads("k.state", state: true)
            #expect(out != false && state != false, "kill \(i) after \(delay) s: k loads \(String(describing: out)), k.state \(String(describing: state))")
            // A state set aside but not yet replaced would mean a moment with no k.state at all.
            #expect(try run.leftovers().filter { $0.contains(".old-") } == [], "kill \(i) after \(delay) s")
            let resume = state == true ? " --resume" : ""
            let r = try Shell.run(#""$BIN/dpo-train" \#(run.flags.joined(separator: " ")) --out k --overwrite\#(resume) pairs.jsonl"#, in: run.dir)
            #expect(r.status == 0, "kill \(i) after \(delay) s: \(r.err)")
            let weights = try? Data(contentsOf: URL(fileURLWithPath: run.dir + "/k/model.safetensors"))
            #expect(weights == run.reference, "kill \(i) after \(delay) s:\(resume) did not end with the uninterrupted weights")
            // The finished run cleared what the killed one left half written.
            let left = try run.leftovers()
            #expect(left == [], "kill \(i) after \(delay) s: left \(left)")
        }
    }
}

/// A test's setup script failed; the message is its standard error.
struct SetupFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
