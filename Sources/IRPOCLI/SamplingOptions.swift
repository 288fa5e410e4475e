import ArgumentParser
import IRPOCore

/// How `sample` draws tokens and ends completions.
public struct SamplingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Sampling temperature; 0 is greedy decoding (default: the model's generation_config.json, else 1).", valueName: "t"))
    public var temperature: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the most likely tokens whose probability reaches p (default: the model's generation_config.json, else 1, all).", valueName: "p"))
    public var topP: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the k most likely tokens (default: the model's generation_config.json, else 0, all).", valueName: "k"))
    public var topK: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Most completion tokens per sample, the EOS included (default: the model's irpo.json, else 512).", valueName: "n"))
    public var maxTokens: Int?

    @Option(parsing: .unconditional, help: "Seed of the random streams; the same seed gives the same output.")
    public var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Text that ends a completion, cut before it (repeatable; default: the model's irpo.json); EOS always ends one.",
                               valueName: "string"))
    public var stop: [String] = []

    @Option(help: ArgumentHelp("How decoding keeps the weight matrices: auto (what loses nothing, matrix by matrix: a GGUF file's blocks as they are, bf16 for bf16 values, else f32; the same bytes as f32), f32, or bf16 (half the memory and the bytes read per token; rounds values that are not bf16).",
                               valueName: "type"))
    public var dtype: WeightTypeChoice = .auto

    /// Defaults.
    public init() {}

    public func validate() throws {
        if let temperature, !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let topK, topK < 0 { throw ValidationError("--top-k must be 0 or more") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if stop.contains("") { throw ValidationError("--stop needs a non-empty string") }
    }

    /// The generator's options: these flags, then the model's irpo.json and generation_config.json
    /// (whose `do_sample` false means greedy, and whose `eos_token_id` list also ends completions),
    /// then the built-in defaults.
    public func generation(samples: Int, batchSize: Int, defaults: ModelDefaults) -> GenerationOptions {
        let file = defaults.recommended
        let fileTemperature = file?.doSample == false ? 0 : file?.temperature.map(Float.init)
        var options = GenerationOptions(
            samples: samples, maxTokens: maxTokens ?? defaults.maxTokens ?? 512,
            sampling: SamplingParameters(temperature: temperature ?? fileTemperature ?? 1, topK: topK ?? file?.topK ?? 0,
                                         topP: topP ?? file?.topP.map(Float.init) ?? 1),
            seed: seed, stops: stop.isEmpty ? defaults.stop ?? [] : stop, batchSize: batchSize)
        options.endTokens = file?.eosTokenIds ?? []
        options.weightType = dtype
        return options
    }
}
