import Foundation

/// The PyTorch side of `make bench`: runs a script of bench/pytorch with a Python that has torch
/// and reads the one JSON line it prints, so our number and PyTorch's come from the same hour on
/// the same machine.
struct PeerBench {
    /// The Python interpreter with torch and transformers (`make bench-deps` makes one).
    let python: String
    /// The folder holding train_bench.py, dpo_bench.py and the rest.
    let scripts: URL

    /// The scripts beside this package, run by `python`.
    init(python: String) {
        self.python = python
        scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../bench/pytorch").standardized
    }

    /// `key` of the JSON line `script arguments` prints, or a sentence saying why there is none.
    func value(_ script: String, _ arguments: [String], key: String) -> Result<Double, PeerFailure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [scripts.appendingPathComponent(script).path] + arguments
        process.currentDirectoryURL = scripts
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(PeerFailure("cannot run \(python): \(error)")) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard process.terminationStatus == 0,
              let line = lines.last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let number = object[key] as? Double else {
            return .failure(PeerFailure("\(script) \(arguments.joined(separator: " ")) exited \(process.terminationStatus) without \(key)"))
        }
        return .success(number)
    }

    /// One line setting our rate beside PyTorch's `theirs` for `what`.
    static func line(_ what: String, ours: Double, unit: String, theirs: Result<Double, PeerFailure>, peerName: String) -> String {
        switch theirs {
        case let .success(theirs):
            return String(format: "peer    %@: irpo %.2f %@, %@ %.2f %@  -> %.2fx", what, ours, unit, peerName, theirs, unit,
                          ours / theirs)
        case let .failure(why):
            return "peer    \(what): PyTorch not measured (\(why.reason))"
        }
    }
}

/// Why the PyTorch side gave no number.
struct PeerFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Our training step's lines and, with a peer, PyTorch's rate beside it.
func printTraining(_ size: BenchConfig, steps: Int, threads: Int, peer: PeerBench?) {
    let ours = EngineBench.training(size, steps: steps)
    ours.lines.forEach { print($0) }
    guard let peer else { return }
    let theirs = peer.value("train_bench.py", ["--config", size.rawValue, "--impl", "hf", "--threads", "\(threads)"],
                            key: "tok_s_median")
    print(PeerBench.line("training \(size.rawValue), fwd+bwd+AdamW 8x256", ours: ours.tokensPerSecond, unit: "tok/s",
                         theirs: theirs, peerName: "PyTorch eager (HF)"))
}

/// Our DPO step's lines and, with a peer, PyTorch's rate beside both of our accountings.
func printDPO(_ size: BenchConfig, threads: Int, peer: PeerBench?) throws {
    let ours = try dpoBench(config: size.rawValue)
    ours.lines.forEach { print($0) }
    guard let peer else { return }
    let theirs = peer.value("dpo_bench.py", ["--config", size.rawValue, "--threads", "\(threads)"], key: "pairs_s_median")
    print(PeerBench.line("DPO+NLL step \(size.rawValue), reference precomputed", ours: ours.pairsPerSecond, unit: "pairs/s",
                         theirs: theirs, peerName: "PyTorch (HF)"))
    print(PeerBench.line("DPO+NLL step \(size.rawValue), reference forward counted", ours: ours.withReference,
                         unit: "pairs/s", theirs: theirs, peerName: "PyTorch (HF)"))
}
