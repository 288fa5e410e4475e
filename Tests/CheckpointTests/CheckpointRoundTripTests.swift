import Foundation
import Testing
import IRPOCore
#if canImport(Glibc)
import Glibc
#endif

/// save -> load is bit-exact for directories and bundles; overwrites are safe; training state rides along.
@Suite struct CheckpointRoundTripTests {
    static let tokenizer = Data(#"{"version":"1.0","model":{"type":"BPE","vocab":{"a":0}}}"#.utf8)
    static let generation = Data(#"{"bos_token_id":1,"eos_token_id":2}"#.utf8)

    func sampleCheckpoint(tied: Bool = false, seed: UInt64 = 1) throws -> Checkpoint {
        Checkpoint(weights: patternWeights(try tinyConfig(tied: tied), seed: seed), tokenizerJSON: Self.tokenizer,
                   extraFiles: ["generation_config.json": Self.generation])
    }

    func sampleState() -> TrainingStateFile {
        TrainingStateFile(
            tensors: [.init(name: "adamw.m", shape: [2, 3], values: [1, -2, 3.5, 0, -0.0, 1e-30]),
                      .init(name: "adamw.v", values: [0.25, 7])],
            metadata: ["step": "42", "rng": "0x1234abcd", "data_position": "pairs.jsonl:17"],
            files: ["training_state.json": Data(#"{"lr":1e-6}"#.utf8)])
    }

    func expectSame(_ loaded: Checkpoint, _ saved: Checkpoint) {
        #expect(loaded.config == saved.config)
        #expect(sameBits(loaded.weights, saved.weights))
        #expect(loaded.tokenizerJSON == saved.tokenizerJSON)
        #expect(loaded.extraFiles == saved.extraFiles)
    }

    @Test(arguments: [false, true])
    func directoryRoundTripIsBitExact(tied: Bool) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = try sampleCheckpoint(tied: tied)
        let path = dir.appendingPathComponent("m1").path
        try CheckpointIO.save(saved, to: path, trainingState: sampleState())
        expectSame(try CheckpointIO.load(path), saved)
        #expect(try CheckpointIO.loadConfig(path) == saved.config)
        #expect(try CheckpointIO.loadTrainingState(path) == sampleState())
        let (both, state) = try CheckpointIO.loadWithTrainingState(path)
        expectSame(both, saved)
        #expect(state == sampleState())
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        #expect(names == ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                          "training_state.json", "training_state.safetensors"])
        // Nothing but the checkpoint is left beside it: no temporary directories.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m1"])
    }

    @Test(arguments: ["m2.tar.gz", "m2.tar", "m2.tgz", "m2.tar.xz", "m2.tar.zst"])
    func bundleRoundTripIsBitExact(_ name: String) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = try sampleCheckpoint()
        let path = dir.appendingPathComponent(name).path
        try CheckpointIO.save(saved, to: path, trainingState: sampleState())
        expectSame(try CheckpointIO.load(path), saved)
        #expect(try CheckpointIO.loadConfig(path) == saved.config)
        #expect(try CheckpointIO.loadTrainingState(path) == sampleState())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [name])
        // The system tar unpacks it into a directory named after the bundle, which loads too.
        let out = dir.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try shell("tar -xf '\(path)' -C '\(out.path)'")
        expectSame(try CheckpointIO.load(out.appendingPathComponent("m2").path), saved)
    }

    @Test func bundlesMadeByTarLoadWithFilesAtTopLevelOrUnderOneFolder() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = try sampleCheckpoint()
        let model = dir.appendingPathComponent("model")
        try CheckpointIO.save(saved, to: model.path)
        try shell("cd '\(dir.path)' && tar -czf top.tar.gz -C model . && tar -czf folder.tgz model && tar -cf plain.tar model")
        for bundle in ["top.tar.gz", "folder.tgz", "plain.tar"] {
            let path = dir.appendingPathComponent(bundle).path
            expectSame(try CheckpointIO.load(path), saved)
            #expect(try CheckpointIO.loadConfig(path) == saved.config)
            #expect(try CheckpointIO.loadTrainingState(path) == nil)
        }
    }

    @Test func bundleWithoutCheckpointOrWithTwoIsRejected() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try CheckpointIO.save(try sampleCheckpoint(), to: dir.appendingPathComponent("a").path)
        try CheckpointIO.save(try sampleCheckpoint(), to: dir.appendingPathComponent("b").path)
        try Data("hello".utf8).write(to: dir.appendingPathComponent("readme.txt"))
        try shell("cd '\(dir.path)' && tar -czf two.tar.gz a b && tar -czf none.tar.gz readme.txt")
        let two = checkpointError { _ = try CheckpointIO.load(dir.appendingPathComponent("two.tar.gz").path) }
        #expect(two?.description.contains("two.tar.gz") == true)
        #expect(two?.problem.contains("several checkpoints") == true)
        let none = checkpointError { _ = try CheckpointIO.load(dir.appendingPathComponent("none.tar.gz").path) }
        #expect(none?.problem.contains("no config.json") == true)
        // Not a tar at all.
        let junk = dir.appendingPathComponent("junk.tar.gz")
        try Data(repeating: 0x41, count: 1000).write(to: junk)
        #expect(checkpointError { _ = try CheckpointIO.load(junk.path) }?.description.contains("junk.tar.gz") == true)
    }

    @Test func truncatedBundleIsAnError() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.tar.gz").path
        try CheckpointIO.save(try sampleCheckpoint(), to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let error = checkpointError { _ = try CheckpointIO.load(path) }
        #expect(error?.description.contains("m.tar.gz") == true)
    }

    @Test func overwritingACheckpointReplacesItWhole() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out").path
        try CheckpointIO.save(try sampleCheckpoint(seed: 1), to: path, trainingState: sampleState())
        let second = try sampleCheckpoint(seed: 2)
        try CheckpointIO.save(second, to: path + "/")
        expectSame(try CheckpointIO.load(path), second)
        // The old training state went with the old checkpoint.
        #expect(try CheckpointIO.loadTrainingState(path) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
        // The same for bundles.
        let bundle = dir.appendingPathComponent("out.tar.gz").path
        try CheckpointIO.save(try sampleCheckpoint(seed: 1), to: bundle)
        try CheckpointIO.save(second, to: bundle)
        expectSame(try CheckpointIO.load(bundle), second)
    }

    @Test func refusesToReplaceADirectoryThatIsNotACheckpoint() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let precious = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: precious, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: precious.appendingPathComponent("notes.txt"))
        let error = checkpointError { try CheckpointIO.save(try sampleCheckpoint(), to: precious.path) }
        #expect(error?.problem.contains("not a checkpoint") == true)
        #expect(FileManager.default.fileExists(atPath: precious.appendingPathComponent("notes.txt").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes"])
        // An empty directory is fine to fill.
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try CheckpointIO.save(try sampleCheckpoint(), to: empty.path)
        #expect(try CheckpointIO.loadConfig(empty.path) == (try tinyConfig()))
    }

    @Test func rejectsBadExtraAndTrainingFileNames() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = try sampleCheckpoint()
        c.extraFiles = ["../escape.json": Data()]
        #expect(checkpointError { try CheckpointIO.save(c, to: dir.appendingPathComponent("a").path) } != nil)
        c.extraFiles = ["model.safetensors": Data()]
        #expect(checkpointError { try CheckpointIO.save(c, to: dir.appendingPathComponent("a").path) } != nil)
        c.extraFiles = [:]
        let state = TrainingStateFile(files: ["optimizer.json": Data()])
        #expect(checkpointError { try CheckpointIO.save(c, to: dir.appendingPathComponent("a").path, trainingState: state) } != nil)
        let badShape = TrainingStateFile(tensors: [.init(name: "m", shape: [3], values: [1, 2])])
        #expect(checkpointError { try CheckpointIO.save(c, to: dir.appendingPathComponent("a").path, trainingState: badShape) }?.tensor == "m")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// The written file follows the spec byte for byte: header length, space padding to a
    /// multiple of 8, the "pt" format tag transformers asks for, contiguous F32 data.
    @Test func writtenSafetensorsFollowTheSpec() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = try sampleCheckpoint()
        let path = dir.appendingPathComponent("m").path
        try CheckpointIO.save(saved, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors")))
        let n = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + saved.weights.count * 4)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any]
        #expect((header?["__metadata__"] as? [String: String])?["format"] == "pt")
        let q = header?["model.layers.1.self_attn.k_proj.weight"] as? [String: Any]
        #expect(q?["dtype"] as? String == "F32")
        #expect(q?["shape"] as? [Int] == [4, 8])
        #expect(header?.count == saved.weights.layout.slots.count + 1)
        #expect(bytes[8 + n - 1] == UInt8(ascii: " ") || bytes[8 + n - 1] == UInt8(ascii: "}"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))) as? [String: Any]
        #expect(config?["model_type"] as? String == "llama")
        #expect(config?["tie_word_embeddings"] as? Bool == false)
    }

    @Test func missingCheckpointNamesThePath() {
        let error = checkpointError { _ = try CheckpointIO.load("/nonexistent/irpo/m1") }
        #expect(error?.description.contains("/nonexistent/irpo/m1") == true)
    }

    @Test func savingClearsWhatKilledWritersLeftButNotALiveOnes() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A PID that surely has no process: one that has just ended.
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run()
        done.waitUntilExit()
        let dead = done.processIdentifier, alive = getpid()
        let names = [".m1.tmp-\(dead)-ab", ".m1.old-\(dead)-cd", ".m1.tmp-\(alive)-ef", ".m10.tmp-\(dead)-01", ".m1.state.tmp-\(dead)-02"]
        for n in names { try FileManager.default.createDirectory(at: dir.appendingPathComponent(n), withIntermediateDirectories: false) }
        try CheckpointIO.save(try sampleCheckpoint(), to: dir.appendingPathComponent("m1").path)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        // Only m1's leftovers of the dead writer go; the live writer's and other targets' stay.
        #expect(left == ["m1", ".m1.tmp-\(alive)-ef", ".m10.tmp-\(dead)-01", ".m1.state.tmp-\(dead)-02"].sorted())
    }

}
