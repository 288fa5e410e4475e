import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a model directory or bundle holds: weights (with their config), tokenizer, other files.
public struct Checkpoint: Sendable {
    /// The parameters; `weights.config` is what config.json says.
    public var weights: ModelWeights
    /// tokenizer.json exactly as read, or nil when the checkpoint has none.
    public var tokenizerJSON: Data?
    /// Other top-level files (generation_config.json, tokenizer_config.json, ...) carried along
    /// unchanged, by file name; never weights and never training state.
    public var extraFiles: [String: Data]

    /// A checkpoint of `weights`, with the files to carry along.
    public init(weights: ModelWeights, tokenizerJSON: Data? = nil, extraFiles: [String: Data] = [:]) {
        self.weights = weights
        self.tokenizerJSON = tokenizerJSON
        self.extraFiles = extraFiles
    }

    /// The model's configuration.
    public var config: LlamaConfig { weights.config }
}

/// State for resuming training, kept in files of its own beside the model: named Float tensors
/// with a string map in `training_state.safetensors`, plus any `training_state*` files.
public struct TrainingStateFile: Sendable, Equatable {
    /// One named tensor, e.g. an AdamW moment.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        /// A tensor of `values`; a flat one when `shape` is nil.
        public init(name: String, shape: [Int]? = nil, values: [Float]) {
            self.name = name
            self.shape = shape ?? [values.count]
            self.values = values
        }
    }

    public var tensors: [Tensor]
    /// The `__metadata__` map: step, RNG state, data position, written as strings.
    public var metadata: [String: String]
    /// Extra files by name (e.g. `training_state.json`); names must start with `training_state`.
    public var files: [String: Data]

    /// Training state of `tensors`, `metadata` and extra `files`.
    public init(tensors: [Tensor] = [], metadata: [String: String] = [:], files: [String: Data] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.files = files
    }

    /// The tensor with this name, if present.
    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }
}

/// Reads and writes checkpoints in the HF transformers layout, as directories or tar bundles.
public enum CheckpointIO {
    static let configName = "config.json"
    static let weightsName = "model.safetensors"
    static let indexName = "model.safetensors.index.json"
    static let tokenizerName = "tokenizer.json"
    static let trainingPrefix = "training_state"
    static let trainingStateName = "training_state.safetensors"

    /// Files of other weight formats: carrying them along would keep stale weights beside ours.
    static let weightSuffixes = [".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx", ".npz"]

    /// Loads a checkpoint from a directory, a .tar, .tar.gz or .tgz bundle, or a GGUF v3 file;
    /// strict about every tensor. With `forDecoding` the caller only decodes the weights, packing
    /// them with `DecodeWeights(releasingSource: true)`: a GGUF file's block
    /// matrices are then packed from its blocks without ever being dequantised, so loading does not
    /// hold the model in F32 (the weights count as released: they cannot train or be saved).
    public static func load(_ path: String, forDecoding: Bool = false) throws -> Checkpoint {
        try read(path, trainingState: false, head: .lmHead, deferringBlocks: forDecoding).0
    }

    /// Loads a reward model: a LlamaForSequenceClassification directory or bundle with one label,
    /// as strictly as `load`. Its weights' layout has no lm_head (see `ModelHead.score`); the
    /// score head's row comes back beside them.
    public static func loadRewardModel(_ path: String) throws -> (checkpoint: Checkpoint, score: [Float]) {
        do {
            if try !isDirectory(path) && GGUFModel.isGGUF(path) {
                throw CheckpointError(file: path, "a reward model is read from a directory or bundle, not GGUF")
            }
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
        let (checkpoint, _, score) = try read(path, trainingState: false, head: .score)
        return (checkpoint, score!)
    }

    /// Loads a checkpoint and its training state (nil if it has none) in one pass over the bundle.
    public static func loadWithTrainingState(_ path: String) throws -> (Checkpoint, TrainingStateFile?) {
        let (checkpoint, state, _) = try read(path, trainingState: true, head: .lmHead)
        return (checkpoint, state)
    }

    /// Reads only config.json, without touching the weights.
    public static func loadConfig(_ path: String) throws -> LlamaConfig {
        do {
            if try isDirectory(path) {
                let file = AtomicWrite.join(path, configName)
                return try decodeConfig(try readFile(file, display: file, missing: "no config.json: not a checkpoint directory"), display: file)
            }
            if GGUFModel.isGGUF(path) { return try GGUFModel.loadConfig(path) }
            let (data, display) = try CheckpointBundle.readConfig(path)
            return try decodeConfig(data, display: display)
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
    }

    /// Reads a config.json file on its own (a model made from scratch), with errors that name it.
    public static func loadConfigFile(_ path: String) throws -> LlamaConfig {
        try decodeConfig(try readFile(path, display: path, missing: "no such file"), display: path)
    }

    /// Reads a file given apart from a checkpoint (a tokenizer.json), with errors that name it.
    public static func readFile(_ path: String) throws -> Data {
        try readFile(path, display: path, missing: "no such file")
    }

    /// Reads the named top-level files of a checkpoint directory or bundle (chat_template.jinja,
    /// tokenizer_config.json, ...) without its weights; names it lacks are left out.
    public static func readFiles(_ path: String, named names: [String]) throws -> [String: Data] {
        func read(_ dir: String, _ display: (String) -> String) throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in names where isPlainName(name) {
                let file = AtomicWrite.join(dir, name)
                var info = stat()
                guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                files[name] = try readFile(file, display: display(name))
            }
            return files
        }
        do {
            if try isDirectory(path) { return try read(path, { AtomicWrite.join(path, $0) }) }
            return try CheckpointBundle.withExtracted(path) { root, display in try read(root, display) }
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
    }

    /// Loads only the training state of a checkpoint; nil when it has none.
    public static func loadTrainingState(_ path: String) throws -> TrainingStateFile? {
        do {
            if try isDirectory(path) {
                return try readTrainingState(path, display: { AtomicWrite.join(path, $0) })
            }
            if GGUFModel.isGGUF(path) { return nil }
            return try CheckpointBundle.withExtracted(path) { root, display in try readTrainingState(root, display: display) }
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
    }

    /// Writes atomically to a directory, or a bundle when `path` ends in .tar, .tar.gz or .tgz
    /// (also .tar.xz, .tar.zst); an existing checkpoint at `path` is replaced safely, and a
    /// non-empty directory without config.json is refused rather than deleted.
    public static func save(_ checkpoint: Checkpoint, to path: String, trainingState: TrainingStateFile? = nil) throws {
        precondition(!checkpoint.weights.matricesReleased, "these weights gave their matrices up for decoding")
        do {
            try refuseGGUFOutput(path)
            let files = try outputFiles(checkpoint, trainingState: trainingState)
            if let compression = CheckpointBundle.compression(forPath: path) {
                try AtomicWrite.bundle(path, files: files, folder: CheckpointBundle.folderName(forPath: path), compression: compression)
            } else {
                try AtomicWrite.directory(path, files: files)
            }
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
    }

    /// Throws unless a model can later be written to `path`, before any work: its folder exists
    /// and is writable, it is none of `inputs` (the model being read), and it holds no model
    /// already unless `overwrite` (never anything that is not a model). A run that would fail to
    /// save fails at once, not after hours of training.
    public static func checkCanWrite(_ path: String, overwrite: Bool, inputs: [String]) throws {
        try refuseGGUFOutput(path)
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw CheckpointError(file: path, "is also the model being read (\(input)); write the new model elsewhere")
        }
        let (parent, _) = AtomicWrite.split(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError(file: path, "cannot be written: \(parent) is not a directory")
        }
        guard access(parent, W_OK) == 0 else { throw CheckpointError(file: path, "cannot be written: \(parent) is not writable") }
        guard FileManager.default.fileExists(atPath: path) else { return }
        let empty: Bool
        if CheckpointBundle.compression(forPath: path) != nil {
            empty = false
        } else {
            try AtomicWrite.refuseToReplaceNonCheckpoint(path)
            empty = (try? FileManager.default.contentsOfDirectory(atPath: path).isEmpty) ?? false
        }
        if !overwrite && !empty { throw CheckpointError(file: path, "exists; give --overwrite to replace it") }
    }

    /// Removes the half-written copies that killed writers of `path` left beside it (saving
    /// does this too; a run that may never save, such as a resumed one, calls it at its start).
    public static func removeStaleTemporaries(of path: String) {
        let (parent, base) = AtomicWrite.split(path)
        AtomicWrite.removeStaleTemporaries(parent, base)
    }

    /// GGUF is read, never written: a directory or bundle keeps the weights in Float32.
    private static func refuseGGUFOutput(_ path: String) throws {
        if GGUFModel.isGGUF(path) {
            throw CheckpointError(file: path, "GGUF files are read but not written; write a directory or a .tar.gz bundle")
        }
    }

    // MARK: reading

    private static func read(_ path: String, trainingState: Bool, head: ModelHead,
                             deferringBlocks: Bool = false) throws -> (Checkpoint, TrainingStateFile?, [Float]?) {
        do {
            if try isDirectory(path) {
                return try readDirectory(path, trainingState: trainingState, head: head, display: { AtomicWrite.join(path, $0) })
            }
            if GGUFModel.isGGUF(path) { return (try GGUFModel.load(path, deferringBlocks: deferringBlocks), nil, nil) }
            return try CheckpointBundle.withExtracted(path) { root, display in
                try readDirectory(root, trainingState: trainingState, head: head, display: display)
            }
        } catch {
            throw CheckpointError.wrapping(error, file: path)
        }
    }

    private static func isDirectory(_ path: String) throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AtomicWrite.posixError(path, "cannot open checkpoint") }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { return true }
        if type == S_IFREG { return false }
        throw CheckpointError(file: path, "neither a checkpoint directory nor a bundle file")
    }

    private static func readDirectory(_ dir: String, trainingState: Bool, head: ModelHead,
                                      display: (String) -> String) throws -> (Checkpoint, TrainingStateFile?, [Float]?) {
        let configFile = AtomicWrite.join(dir, configName)
        let config = try decodeConfig(
            try readFile(configFile, display: display(configName), missing: "no config.json: not a checkpoint directory"),
            display: display(configName), head: head)
        let (weights, score) = try readWeights(dir, config: config, head: head, display: display)
        let tokenizerFile = AtomicWrite.join(dir, tokenizerName)
        let tokenizer = access(tokenizerFile, F_OK) == 0 ? try readFile(tokenizerFile, display: display(tokenizerName)) : nil
        var extra: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where isCarried(name) {
            let file = AtomicWrite.join(dir, name)
            var info = stat()
            guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            extra[name] = try readFile(file, display: display(name))
        }
        let checkpoint = Checkpoint(weights: weights, tokenizerJSON: tokenizer, extraFiles: extra)
        return (checkpoint, trainingState ? try readTrainingState(dir, display: display) : nil, score)
    }

    /// Whether a top-level file travels in `extraFiles`.
    static func isCarried(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasPrefix(trainingPrefix) { return false }
        if [configName, tokenizerName, indexName].contains(name) { return false }
        return !weightSuffixes.contains { name.lowercased().hasSuffix($0) }
    }

    private static func readFile(_ path: String, display: String, missing: String? = nil) throws -> Data {
        if let missing, access(path, F_OK) != 0 { throw CheckpointError(file: display, missing) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointError(file: display, "cannot read: \(error.localizedDescription)")
        }
    }

    private static func decodeConfig(_ data: Data, display: String, head: ModelHead = .lmHead) throws -> LlamaConfig {
        do {
            let keys = try JSONDecoder().decode(ModelHead.ConfigKeys.self, from: data)
            try head.check(keys, display: display)
            let config = try JSONDecoder().decode(LlamaConfig.self, from: data)
            try head.checkFamily(keys, config: config, display: display)
            return config
        } catch {
            throw CheckpointError.wrapping(error, file: display)
        }
    }

    // MARK: weights

    /// Fills a new ModelWeights from model.safetensors or the shards its index names; every
    /// tensor of the layout (and the score head of a reward model) must appear exactly once with
    /// its exact shape, and nothing else.
    private static func readWeights(_ dir: String, config: LlamaConfig, head: ModelHead,
                                    display: (String) -> String) throws -> (ModelWeights, [Float]?) {
        let weights = ModelWeights(config: head.bodyConfig(config))
        var slots: [String: TensorSlot] = [:]
        for slot in weights.layout.slots { slots[slot.name] = slot }
        var filled: [String: String] = [:]   // tensor -> file that held it
        var tiedHead: (SafeTensorsReader, SafeTensorsEntry)?
        var score: [Float]?
        let (shards, weightMap) = try weightShards(dir, display: display)
        for shard in shards {
            let shown = display(shard)
            let path = AtomicWrite.join(dir, shard)
            let reader = try SafeTensorsReader(path: path, display: shown)
            for entry in reader.entries {
                if let weightMap, weightMap[entry.name] != shard {
                    let listed = weightMap[entry.name].map { "the index puts it in \($0)" } ?? "the index does not list it"
                    throw CheckpointError(file: shown, tensor: entry.name, "found here but \(listed)")
                }
                if entry.name.hasSuffix(".rotary_emb.inv_freq") { continue }  // derived from rope_theta, not a parameter
                if let earlier = filled[entry.name] {
                    throw CheckpointError(file: shown, tensor: entry.name, "appears twice (also in \(earlier))")
                }
                if let slot = slots[entry.name] {
                    guard entry.shape == slot.shape else {
                        throw CheckpointError(file: shown, tensor: entry.name, "shape \(entry.shape) but config.json implies \(slot.shape)")
                    }
                    try reader.read(entry, into: weights.tensor(slot))
                } else if head == .score && entry.name == ModelHead.scoreName {
                    guard entry.shape == [1, config.hiddenSize] else {
                        throw CheckpointError(file: shown, tensor: entry.name, "shape \(entry.shape) but config.json implies [1, \(config.hiddenSize)]")
                    }
                    score = try reader.floats(entry)
                } else if head == .lmHead && entry.name == "lm_head.weight" && config.tieWordEmbeddings {
                    tiedHead = (reader, entry)
                } else {
                    throw CheckpointError(file: shown, tensor: entry.name, head.unexpected)
                }
                filled[entry.name] = shown
            }
        }
        if let weightMap, let absent = weightMap.keys.sorted().first(where: { filled[$0] == nil && !$0.hasSuffix(".rotary_emb.inv_freq") }) {
            throw CheckpointError(file: display(weightMap[absent]!), tensor: absent, "listed in \(indexName) but not in the file")
        }
        let missing = weights.layout.slots.map(\.name).filter { filled[$0] == nil } + (head == .score && score == nil ? [ModelHead.scoreName] : [])
        if let first = missing.first {
            let more = missing.count > 1 ? " (and \(missing.count - 1) more)" : ""
            throw CheckpointError(file: display(weightMap == nil ? weightsName : indexName), tensor: first, "missing\(more)")
        }
        if let (reader, entry) = tiedHead {
            let embedding = weights.tensor(weights.layout.slots[0])
            guard entry.shape == weights.layout.slots[0].shape else {
                throw CheckpointError(file: reader.display, tensor: entry.name, "shape \(entry.shape) but config.json implies \(weights.layout.slots[0].shape)")
            }
            let head = try reader.floats(entry)
            if !head.elementsEqual(embedding, by: { $0.bitPattern == $1.bitPattern }) {
                throw CheckpointError(file: reader.display, tensor: entry.name,
                                      "differs from model.embed_tokens.weight but config.json says tie_word_embeddings true")
            }
        }
        return (weights, score)
    }

    /// The safetensors files holding the weights: model.safetensors alone, else the shards the
    /// index names (with its weight map), each checked to exist.
    private static func weightShards(_ dir: String, display: (String) -> String) throws -> ([String], [String: String]?) {
        let single = AtomicWrite.join(dir, weightsName)
        let indexFile = AtomicWrite.join(dir, indexName)
        if access(single, F_OK) == 0 { return ([weightsName], nil) }
        guard access(indexFile, F_OK) == 0 else {
            var problem = "no model.safetensors or model.safetensors.index.json"
            if access(AtomicWrite.join(dir, "pytorch_model.bin"), F_OK) == 0 {
                problem += " (pytorch_model.bin is not read: convert it to safetensors)"
            }
            throw CheckpointError(file: display(weightsName), problem)
        }
        let map = try readIndex(indexFile, display: display(indexName))
        let shards = Array(Set(map.values)).sorted()
        for shard in shards where access(AtomicWrite.join(dir, shard), F_OK) != 0 {
            throw CheckpointError(file: display(shard), "missing (named by \(indexName))")
        }
        return (shards, map)
    }

    /// The index's weight_map, with shard names checked to be plain file names in the directory.
    private static func readIndex(_ path: String, display: String) throws -> [String: String] {
        struct Index: Decodable {
            var weightMap: [String: String]
            enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
        }
        let data = try readFile(path, display: display)
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: data) } catch { throw CheckpointError.wrapping(error, file: display) }
        for (tensor, shard) in index.weightMap where !isPlainName(shard) || !shard.hasSuffix(".safetensors") {
            throw CheckpointError(file: display, tensor: tensor, "shard name \"\(shard)\" is not a .safetensors file in this directory")
        }
        return index.weightMap
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    // MARK: training state

    private static func readTrainingState(_ dir: String, display: (String) -> String) throws -> TrainingStateFile? {
        var state = TrainingStateFile()
        var found = false
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(trainingPrefix) }.sorted()
        for name in names {
            let path = AtomicWrite.join(dir, name)
            found = true
            if name == trainingStateName {
                let reader = try SafeTensorsReader(path: path, display: display(name))
                state.metadata = reader.metadata
                for entry in reader.entries {
                    state.tensors.append(.init(name: entry.name, shape: entry.shape, values: try reader.floats(entry)))
                }
            } else {
                state.files[name] = try readFile(path, display: display(name))
            }
        }
        return found ? state : nil
    }

    // MARK: writing

    private static func outputFiles(_ checkpoint: Checkpoint, trainingState: TrainingStateFile?) throws -> [OutputFile] {
        let weights = checkpoint.weights
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // config.json first, so that loadConfig finds it early in a compressed bundle.
        var files: [OutputFile] = [.data(configName, try encoder.encode(weights.config) + Data("\n".utf8))]
        if let tokenizer = checkpoint.tokenizerJSON { files.append(.data(tokenizerName, tokenizer)) }
        for (name, data) in checkpoint.extraFiles.sorted(by: { $0.key < $1.key }) {
            guard isPlainName(name), isCarried(name) else {
                throw CheckpointError(file: name, "cannot be an extra file (not a plain name, or reserved for weights, tokenizer or training state)")
            }
            files.append(.data(name, data))
        }
        let tensors = weights.layout.slots.map { slot in
            F32TensorSource(name: slot.name, shape: slot.shape) { sink in
                try sink.write(UnsafeRawBufferPointer(weights.tensor(slot)))
            }
        }
        // transformers refuses a safetensors file whose metadata lacks format "pt".
        files.append(SafeTensorsWriter.file(named: weightsName, tensors: tensors, metadata: ["format": "pt"]))
        if let state = trainingState { files += try trainingFiles(state) }
        return files
    }

    private static func trainingFiles(_ state: TrainingStateFile) throws -> [OutputFile] {
        var seen = Set<String>()
        for t in state.tensors {
            guard !t.name.isEmpty, t.name != "__metadata__", seen.insert(t.name).inserted else {
                throw CheckpointError(file: trainingStateName, tensor: t.name, "empty, reserved or repeated tensor name")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw CheckpointError(file: trainingStateName, tensor: t.name, "shape \(t.shape) does not match \(t.values.count) values")
            }
        }
        var files = [SafeTensorsWriter.file(
            named: trainingStateName,
            tensors: state.tensors.map { .array($0.name, shape: $0.shape, $0.values) },
            metadata: state.metadata)]
        for (name, data) in state.files.sorted(by: { $0.key < $1.key }) {
            guard isPlainName(name), name.hasPrefix(trainingPrefix), name != trainingStateName else {
                throw CheckpointError(file: name, "training-state file names must start with \"\(trainingPrefix)\" and differ from \(trainingStateName)")
            }
            files.append(.data(name, data))
        }
        return files
    }
}
