import Foundation

/// The transformers families that are the same decoder as Llama: what a checkpoint calls itself,
/// and what it keeps when saved again.
public enum ModelFamily: String, Codable, Sendable, CaseIterable {
    /// `LlamaForCausalLM` (Llama 2 and 3, SmolLM2, TinyLlama, ...).
    case llama
    /// `MistralForCausalLM`: Llama's layers; the sliding window must cover the whole context.
    case mistral
    /// `Qwen2ForCausalLM`: Llama's layers with biases on the q, k and v projections.
    case qwen2

    /// The `architectures` entry of config.json.
    public var architecture: String {
        switch self {
        case .llama: "LlamaForCausalLM"
        case .mistral: "MistralForCausalLM"
        case .qwen2: "Qwen2ForCausalLM"
        }
    }

    /// The family whose causal LM is `architecture`, if we run it.
    public init?(architecture: String) {
        guard let family = Self.allCases.first(where: { $0.architecture == architecture }) else { return nil }
        self = family
    }
}

/// How RoPE's frequencies are stretched for contexts longer than the model was trained on, as
/// transformers' `rope_type` "linear" and "llama3" compute them. Both leave cos and sin unscaled.
public enum RopeScaling: Sendable, Equatable {
    /// Every inverse frequency divided by `factor`.
    case linear(factor: Float)
    /// Llama 3.1's: long wavelengths divided by `factor`, short ones kept, a smooth blend between.
    case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalMaxPositions: Int)

    /// `inverseFrequency` (1 / θ^(2j/d)) as this scaling changes it, in float32 with torch's
    /// roundings: a Python scalar divided by a tensor is the tensor's reciprocal times the scalar.
    func scale(_ inverseFrequency: Float) -> Float {
        switch self {
        case .linear(let factor):
            return inverseFrequency / factor
        case .llama3(let factor, let low, let high, let original):
            let lowWavelength = Float(Double(original) / Double(low))
            let highWavelength = Float(Double(original) / Double(high))
            let wavelength = (1 / inverseFrequency) * Float(2 * Double.pi)
            if wavelength > lowWavelength { return inverseFrequency / factor }
            if wavelength < highWavelength { return inverseFrequency }
            let smooth = ((1 / wavelength) * Float(original) - low) / Float(Double(high) - Double(low))
            return (1 - smooth) * inverseFrequency / factor + smooth * inverseFrequency
        }
    }
}
