// The RoPE scaling a GGUF file describes, as the transformers scaling it was converted from.
//
// llama.cpp's converter writes "linear" scaling as metadata (`<arch>.rope.scaling.type` and
// `.factor`), but Llama 3.1's "llama3" scaling only as a tensor, `rope_freqs.weight`: one divisor
// per frequency, computed from the HF config's factor, low_freq_factor, high_freq_factor and
// original_max_position_embeddings, which are not stored. We find the parameters that give those
// divisors, so the model computes RoPE as transformers does from its config.json, and a model
// trained from the file is saved with that rope_scaling.
import Foundation

enum GGUFRopeScaling {
    /// The tensor llama.cpp's converter writes for Llama 3.1's scaling.
    static let factorsTensor = "rope_freqs.weight"

    /// The scaling of the file's metadata and `rope_freqs.weight`, nil for plain RoPE; throws,
    /// naming the key or tensor, for a scaling transformers' llama3 or linear does not give.
    static func scaling(of file: GGUFFile, _ meta: GGUFMetadata, prefix p: String, headDim: Int,
                        theta: Float) throws -> RopeScaling? {
        let type = try meta.optionalString(p + "rope.scaling.type") ?? "none"
        let factors = try storedFactors(file, count: headDim / 2)
        switch (type, factors) {
        case ("none", nil):
            return nil
        case ("linear", nil):
            let factor = try meta.double(p + "rope.scaling.factor")
            return .linear(factor: Float(factor))
        case ("none", let factors?):
            guard let found = llama3(matching: factors, headDim: headDim, theta: theta) else {
                throw CheckpointError(file: file.display, tensor: factorsTensor,
                                      "per-frequency RoPE factors that no Llama 3 scaling gives (not supported)")
            }
            return found
        default:
            throw CheckpointError(file: file.display, "unsupported RoPE scaling '\(type)' (\(p)rope.scaling.type; only linear, and Llama 3's as \(factorsTensor))")
        }
    }

    /// The divisors of `rope_freqs.weight`, when the file has it: `count` F32 values.
    private static func storedFactors(_ file: GGUFFile, count: Int) throws -> [Float]? {
        guard let t = file.tensor(named: factorsTensor) else { return nil }
        guard t.type == .f32, t.shape == [count] else {
            throw CheckpointError(file: file.display, tensor: t.name, "\(t.type) of shape \(t.shape), expected F32 of shape [\(count)] (half the head size)")
        }
        let raw = file.bytes(of: t)
        return (0..<count).map { raw.load(fromByteOffset: 4 * $0, as: Float.self) }
    }

    /// Llama 3.1's scaling whose divisors are `factors`: the factor is the largest divisor (the
    /// long wavelengths'); low and high frequency factors and the original context are searched
    /// among the values Llama 3 models and their derivatives use, Meta's own (1, 4, 8192) first.
    /// A match is within a few float32 roundings of every divisor (the converter computed them in
    /// torch), far closer than the divisors of any two candidates that differ.
    static func llama3(matching factors: [Float], headDim: Int, theta: Float) -> RopeScaling? {
        guard let factor = factors.max(), factor >= 1, factors.allSatisfy({ $0 >= 1 }) else { return nil }
        let contexts = [8192] + (4...20).map { 1 << $0 }.filter { $0 != 8192 }
        for original in contexts {
            for (low, high) in [(1, 4), (1, 2), (1, 8), (2, 4), (2, 8), (4, 8)] {
                let scaling = RopeScaling.llama3(factor: factor, lowFreqFactor: Float(low), highFreqFactor: Float(high),
                                                 originalMaxPositions: original)
                let close = factors.indices.allSatisfy { j in
                    let plain = RopeTable.inverseFrequency(j, headDim: headDim, theta: theta)
                    let divisor = plain / scaling.scale(plain)
                    return abs(divisor - factors[j]) <= 1e-5 * factors[j]
                }
                if close { return scaling }
            }
        }
        return nil
    }
}
