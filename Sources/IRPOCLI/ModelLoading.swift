import ArgumentParser
import Foundation
import IRPOCore

/// A checkpoint with its tokenizer, as every command that reads a model needs them.
public struct LoadedModel {
    /// The weights, config and files of the checkpoint.
    public let checkpoint: Checkpoint
    /// The tokenizer, checked against the config.
    public let tokenizer: Tokenizer
    /// The tokenizer's file, saved with a trained model.
    public let tokenizerJSON: Data

    /// The model's configuration.
    public var config: LlamaConfig { checkpoint.config }
}

extension LoadedModel {
    /// The model's irpo.json defaults (with its generation_config.json) and the prompt template:
    /// `flag` first, then irpo.json's, then gsm8k; a bad one is reported on `diagnostics` and ends the command with status 1.
    /// Also notes that only --stop and --max-tokens end samples when the config names no EOS.
    public func promptSetup(template flag: String?, display: String,
                            diagnostics: Diagnostics) throws -> (ModelDefaults, PromptTemplate) {
        if config.eosTokenIds.isEmpty {
            diagnostics.note("\(display): config.json names no eos_token_id; only --stop and --max-tokens end samples")
        }
        var defaults: ModelDefaults
        do {
            defaults = try ModelDefaults(of: checkpoint, display: display)
            defaults.recommended = try GenerationConfig(files: checkpoint.extraFiles, display: display)
        } catch {
            diagnostics.error(error is CheckpointError ? "\(error)" : "\(display): \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        do {
            if let flag { return (defaults, try PromptTemplate.resolve(flag)) }
            // irpo.json holds a built-in name or the template's text itself
            let text = defaults.template ?? "gsm8k"
            return (defaults, try PromptTemplate.named(text) ?? PromptTemplate(text: text))
        } catch {
            diagnostics.error(flag == nil ? "\(display)/\(ModelDefaults.fileName): template: \(error)" : "\(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}

extension LoadedModel {
    /// The model's chat template ready for prompts; a model without one, or with one that does
    /// not parse, is reported on `diagnostics` (naming `flag`) and ends the command with status 1.
    public func chatPrompt(display: String, flag: String, diagnostics: Diagnostics) throws -> ChatPrompt {
        let template: ModelChatTemplate?
        do { template = try ModelChatTemplate(files: checkpoint.extraFiles, display: display) } catch {
            diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.failure)
        }
        guard let template else {
            diagnostics.error("\(display): no chat template (chat_template.jinja, or chat_template in "
                + "tokenizer_config.json) for \(flag)")
            throw ExitCode(ExitStatus.failure)
        }
        return ChatPrompt(template: template, tokenizer: tokenizer)
    }
}

extension LoadedModel {
    /// The model's chat template for conversational records, or why it cannot serve them; read
    /// only when such a record comes, so a model whose template is outside the supported subset
    /// still trains on plain records.
    public func chatPromptIfAny(display: String) -> Result<ChatPrompt, RecordFieldError> {
        let why = "a conversational record needs the model's chat template, and \(display) "
        do {
            guard let template = try ModelChatTemplate(files: checkpoint.extraFiles, display: display) else {
                return .failure(RecordFieldError(field: "prompt", reason: why + "has none"))
            }
            return .success(ChatPrompt(template: template, tokenizer: tokenizer))
        } catch {
            return .failure(RecordFieldError(field: "prompt", reason: why + "has one that cannot be used: \(error)"))
        }
    }
}

/// Loads models for the commands with one wording for every failure, before any output.
public enum ModelLoader {
    /// The checkpoint at `path` with its tokenizer.json, or `tokenizerFile` instead; a failure is
    /// reported on `diagnostics` naming the file, and ends the command with status 1. With
    /// `forDecoding` the weights are only decoded, packed releasing them (see `CheckpointIO.load`).
    public static func load(_ path: String, tokenizerFile: String? = nil, forDecoding: Bool = false,
                            diagnostics: Diagnostics) throws -> LoadedModel {
        try reporting(path, tokenizerFile, diagnostics) { try CheckpointIO.load(path, forDecoding: forDecoding) }
    }

    /// The reward model (LlamaForSequenceClassification, one label) at `path` with its
    /// tokenizer.json, and its score head's row; failures are reported as `load` reports them.
    public static func loadRewardModel(_ path: String, diagnostics: Diagnostics) throws -> (LoadedModel, score: [Float]) {
        var score: [Float] = []
        let loaded = try reporting(path, nil, diagnostics) {
            let (checkpoint, head) = try CheckpointIO.loadRewardModel(path)
            score = head
            return checkpoint
        }
        return (loaded, score)
    }

    /// A seeded random initialisation of the config.json at `configFile`, with `tokenizerFile`.
    public static func initialise(_ configFile: String, seed: UInt64, tokenizerFile: String,
                                  diagnostics: Diagnostics) throws -> LoadedModel {
        try reporting(configFile, tokenizerFile, diagnostics) {
            Checkpoint(weights: .random(config: try CheckpointIO.loadConfigFile(configFile), seed: seed))
        }
    }

    private static func reporting(_ path: String, _ tokenizerFile: String?, _ diagnostics: Diagnostics,
                                  _ load: () throws -> Checkpoint) throws -> LoadedModel {
        do {
            let checkpoint = try load()
            let json: Data
            if let tokenizerFile {
                json = try CheckpointIO.readFile(tokenizerFile)
            } else if let inside = checkpoint.tokenizerJSON {
                json = inside
            } else {
                diagnostics.error("\(path): no tokenizer.json (give one with --tokenizer where the command has it)")
                throw ExitCode(ExitStatus.failure)
            }
            let tokenizer: Tokenizer
            do {
                tokenizer = try Tokenizer(json: json)
                try tokenizer.checkFits(checkpoint.config)
            } catch {
                // The error starts "tokenizer.json: ": inside the model, or the file given.
                diagnostics.error(tokenizerFile.map { "\($0): \(error)" } ?? "\(path)/\(error)")
                throw ExitCode(ExitStatus.failure)
            }
            return LoadedModel(checkpoint: checkpoint, tokenizer: tokenizer, tokenizerJSON: json)
        } catch let e as ExitCode {
            throw e
        } catch let e as CheckpointError {
            diagnostics.error("\(e)")  // it names the file
            throw ExitCode(ExitStatus.failure)
        } catch {
            diagnostics.error("\(path): \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}

/// `--threads` and `--progress`, as every long-running command takes them.
public struct ComputeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads (0: all cores).", valueName: "n"))
    public var threads = 0

    @Flag(help: "Show progress on standard error even when it is not a terminal.")
    public var progress = false

    /// Defaults.
    public init() {}

    public func validate() throws {
        if threads < 0 { throw ValidationError("--threads must not be negative") }
    }

    /// Whether progress shows: asked for, or standard error is a terminal.
    public var showsProgress: Bool { progress || isatty(2) != 0 }

    /// Sets the compute threads when given.
    public func apply() { if threads > 0 { ComputeThreads.set(threads) } }
}
