import ArgumentParser
import IRPOCore

/// How `sample` draws tokens and ends completions.
public struct SamplingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Sampling temperature; 0 is greedy decoding.", valueName: "t"))
    public var temperature: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the most likely tokens whose probability reaches p (1 keeps all).", valueName: "p"))
    public var topP: Float = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the k most likely tokens (0 keeps all).", valueName: "k"))
    public var topK = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Most completion tokens per sample, the EOS included (default: the model's irpo.json, else 512).", valueName: "n"))
    public var maxTokens: Int?

    @Option(parsing: .unconditional, help: "Seed of the random streams; the same seed gives the same output.")
    public var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Text that ends a completion, cut before it (repeatable; default: the model's irpo.json); EOS always ends one.",
                               valueName: "string"))
    public var stop: [String] = []

    /// Defaults.
    public init() {}

    public func validate() throws {
        if !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if topK < 0 { throw ValidationError("--top-k must be 0 or more") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if stop.contains("") { throw ValidationError("--stop needs a non-empty string") }
    }

    /// The generator's options: these flags, then the model's irpo.json, then the built-in defaults.
    public func generation(samples: Int, batchSize: Int, defaults: ModelDefaults) -> GenerationOptions {
        GenerationOptions(samples: samples, maxTokens: maxTokens ?? defaults.maxTokens ?? 512,
                          sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP),
                          seed: seed, stops: stop.isEmpty ? defaults.stop ?? [] : stop, batchSize: batchSize)
    }
}
