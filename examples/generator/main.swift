import ArgumentParser
import Foundation
import IRPOCore

/// `arith-problems`: writes the example task's splits (GSM8K-format JSONL) from a seed.
struct ArithProblems: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arith-problems",
        abstract: "Generate the bundled example task: multi-step arithmetic word problems in GSM8K's format.",
        discussion: """
        Writes test.jsonl, dev.jsonl and train.jsonl into --out-dir, one problem per line with \
        "id", "question" and "answer" (one line per arithmetic step, then "#### N"), as GSM8K's \
        files are. Problems have 2-4 steps of +, - and * with small numbers, in two story shapes \
        and several wordings. Solutions follow the order the question gives its numbers; with \
        --varied-order each sum and product takes either operand order, and a bill either cost \
        first, so a problem has several correct gold paths (the questions stay the same); with \
        --varied-steps a stock's sums and differences come in any order that keeps the stock \
        positive, a bill's costs in either order, and a bill's change is worked out from the \
        total or one cost at a time, so most varied paths pass through different numbers. The splits are drawn from one seeded stream in the order test, dev, \
        train, and a question already drawn is never drawn again, so no question is in two splits \
        and changing --train leaves test and dev unchanged. dev is the slice held out of train \
        for choosing checkpoints. The same seed gives the same bytes.

        examples/m0 was trained on the first 6,000 train problems of seed 1 and the demo's IRPO \
        iterations sample the next 1,000: --train 200 writes 200 problems M0 has seen, so an \
        iteration by hand should take lines past 6,000 of the default 8,000.
        """,
        version: IRPOVersion.string)

    @Option(parsing: .unconditional, help: "Seed of the problem stream.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Directory to write the splits into (created if missing).", valueName: "dir"))
    var outDir: String

    @Option(parsing: .unconditional, help: "Training problems.")
    var train = 8000

    @Option(parsing: .unconditional, help: "Held-out problems for checkpoint selection.")
    var dev = 300

    @Option(parsing: .unconditional, help: "Test problems.")
    var test = 500

    @Flag(help: "Write sums, products and a bill's costs in either order, a coin per step.")
    var variedOrder = false

    @Flag(help: "Take a stock's sums and differences in any order, and a bill's costs and change either way.")
    var variedSteps = false

    @Option(help: ArgumentHelp("Also write the byte-level tokenizer.json the example model uses here.", valueName: "file"))
    var tokenizer: String?

    func run() throws {
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var generator = ProblemGenerator(seed: seed, variedOrder: variedOrder, variedSteps: variedSteps)
        var seen = Set<String>()
        for (split, count) in [("test", test), ("dev", dev), ("train", train)] {
            var out: [UInt8] = []
            var written = 0
            while written < count {
                let problem = generator.next()
                guard seen.insert(problem.question).inserted else { continue }
                written += 1
                let record = JSONObject(["id": .string("\(split)-\(written)"), "question": .string(problem.question),
                                         "answer": .string(problem.answer)])
                JSONSerializer.write(.object(record), into: &out)
                out.append(UInt8(ascii: "\n"))
            }
            try Data(out).write(to: URL(fileURLWithPath: "\(outDir)/\(split).jsonl"), options: .atomic)
        }
        if let tokenizer {
            try Tokenizer.byteLevel(specials: ["<|endoftext|>"]).jsonData()
                .write(to: URL(fileURLWithPath: tokenizer), options: .atomic)
        }
    }
}

ArithProblems.main()
