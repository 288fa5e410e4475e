import ArgumentParser
import Foundation
import IRPOCore
import IRPOMPI

/// `make bench`: prints the engine's speed on the bench configurations of bench/pytorch.
struct IRPOBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irpo-bench",
        abstract: "Measure irpo's speed: training and DPO tokens/s and GFLOP/s, sgemm GFLOP/s, decode and sample tokens/s.",
        discussion: """
        Runs on randomly initialised models of the sizes of bench/pytorch/README.md (S and M by \
        default; 135M, SmolLM2-135M's shape, with --configs) \
        and prints one line per measurement. Compare with the PyTorch scripts there, run one after \
        the other on an idle machine. Built with IRPO_MPI=1, `mpirun -np P irpo-bench --only \
        dpo-ranks` measures data-parallel training steps over P ranks (make bench-mpi).
        """)

    @Option(name: .long, help: "Model sizes to run, comma-separated: S, M, or 135M (SmolLM2-135M's shape; minutes a part).")
    var configs: String = "S,M"

    @Option(name: .long, help: "Threads for the GEMMs and the hand-written loops.")
    var threads: Int = 2

    @Option(name: .long, help: "Parts to run, comma-separated: tokenizer, gemm, train, dpo, matmul, decode, sample, dpo-ranks.")
    var only: String = "tokenizer,gemm,train,dpo,matmul,decode,sample"

    @Option(name: .long, help: "Timed training steps per configuration (the median is printed).")
    var steps: Int = 5

    @Option(help: ArgumentHelp("A Python with torch and transformers: runs bench/pytorch's scripts beside ours and prints both with the ratio.",
                               valueName: "python"))
    var peer: String?

    @Option(name: .long, help: "Decode stream counts, comma-separated.")
    var streams: String = "1,32"

    mutating func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        for c in configs.split(separator: ",") where BenchConfig(rawValue: String(c)) == nil {
            throw ValidationError("unknown config \(c) (\(BenchConfig.names))")
        }
        for n in streams.split(separator: ",") where (Int(n) ?? 0) < 1 {
            throw ValidationError("--streams takes positive counts, not \(n)")
        }
    }

    func run() throws {
        let job = try ParallelJob.start()
        defer { job.finish() }
        ComputeThreads.set(threads)
        let parts = Set(only.split(separator: ",").map(String.init))
        let sizes = configs.split(separator: ",").compactMap { BenchConfig(rawValue: String($0)) }
        if job.group.size > 1 {
            // Every rank would run and print the single-process parts.
            guard parts == ["dpo-ranks"] else { throw ValidationError("under mpirun only --only dpo-ranks runs") }
            for size in sizes { try dataParallelBenchLines(config: size.rawValue, group: job.group, steps: steps).forEach { print($0) } }
            return
        }
        print("irpo-bench: \(MachineDescription.line(threads: threads)); OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")")
        if parts.contains("tokenizer") {
            let train = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../data/gsm8k/train.jsonl").standardized.path
            do { try tokenizerBenchLines(gsm8kTrain: train).forEach { print($0) } }
            catch { print("tokenizer  skipped: \(error)") }
        }
        if parts.contains("gemm") { EngineBench.gemmShapes().forEach { print($0) } }
        for size in sizes {
            let torch = peer.map { PeerBench(python: $0) }
            if parts.contains("train") { printTraining(size, steps: steps, threads: threads, peer: torch) }
            if parts.contains("dpo") { try printDPO(size, threads: threads, peer: torch) }
            if parts.contains("matmul") { EngineBench.decodeMatmul(size).forEach { print($0) } }
            if parts.contains("decode") {
                for n in streams.split(separator: ",").compactMap({ Int($0) }) {
                    print(EngineBench.decoding(size, streams: n, runs: 3))
                }
            }
            if parts.contains("sample") { try sampleBenchLines(config: size.rawValue).forEach { print($0) } }
            if parts.contains("dpo-ranks") {
                try dataParallelBenchLines(config: size.rawValue, group: job.group, steps: steps).forEach { print($0) }
            }
        }
    }
}

IRPOBench.main()
