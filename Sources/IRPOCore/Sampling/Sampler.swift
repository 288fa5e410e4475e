import Foundation

/// How the next token is drawn from the model's logits: temperature, then top-k, then top-p,
/// in that order, as HF transformers applies them.
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits; 0 means greedy (argmax, the lowest id on a tie).
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
    public var topP: Float

    /// Parameters; the defaults sample from the model's own distribution.
    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// Whether every draw is the argmax (and no random numbers are used).
    public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}

/// The log-sum-exp of a row of logits, so that log p(t) = logits[t] − logSumExp.
public func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Float {
    var m = -Float.infinity
    for z in logits where z > m { m = z }
    var sum: Double = 0
    for z in logits { sum += Double(Foundation.exp(z - m)) }
    return m + Float(Foundation.log(sum))
}

/// A token sampler with its own random stream; one per generated sequence, so the draws of a
/// sequence do not depend on which other sequences run beside it.
public struct Sampler: Sendable {
    /// The rules of the draw.
    public let parameters: SamplingParameters
    /// The sequence's random stream; one number is taken per non-greedy draw.
    public private(set) var rng: SplitMix64
    private var candidates: [Int32] = []

    /// A sampler drawing with `parameters` from `rng`.
    public init(parameters: SamplingParameters, rng: SplitMix64) {
        self.parameters = parameters
        self.rng = rng
    }

    /// Draws the next token from one row of logits.
    public mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let p = parameters
        if p.isGreedy { return Self.argmax(logits) }
        let invT = 1 / p.temperature
        var m = -Float.infinity
        for z in logits where z > m { m = z }
        let V = logits.count
        let filtered = (p.topK > 0 && p.topK < V) || p.topP < 1
        let u = rng.nextUnitDouble()
        if !filtered {
            var total: Double = 0
            for z in logits { total += Double(Foundation.exp((z - m) * invT)) }
            var target = u * total
            for (i, z) in logits.enumerated() {
                target -= Double(Foundation.exp((z - m) * invT))
                if target < 0 { return Int32(i) }
            }
            return Self.lastPositive(logits)
        }
        // Most likely first; ties broken by id so the order never depends on the sort algorithm.
        if candidates.count != V { candidates = (0..<Int32(V)).map { $0 } } else {
            for i in 0..<V { candidates[i] = Int32(i) }
        }
        candidates.sort { a, b in
            let za = logits[Int(a)], zb = logits[Int(b)]
            return za != zb ? za > zb : a < b
        }
        var keep = p.topK > 0 ? min(p.topK, V) : V
        var weights = [Double](repeating: 0, count: keep)
        var total: Double = 0
        for j in 0..<keep {
            weights[j] = Double(Foundation.exp((logits[Int(candidates[j])] - m) * invT))
            total += weights[j]
        }
        if p.topP < 1 {
            // The smallest prefix whose probability reaches top-p (the first token always stays).
            var cumulative: Double = 0
            var cut = keep
            for j in 0..<keep {
                cumulative += weights[j] / total
                if cumulative >= Double(p.topP) { cut = j + 1; break }
            }
            keep = cut
            total = 0
            for j in 0..<keep { total += weights[j] }
        }
        var target = u * total
        for j in 0..<keep {
            target -= weights[j]
            if target < 0 { return candidates[j] }
        }
        return candidates[keep - 1]
    }

    /// The first index of the largest logit.
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var m = -Float.infinity
        for (i, z) in logits.enumerated() where z > m { m = z; best = i }
        return Int32(best)
    }

    /// Rounding can leave the draw a hair past the end: give it to the last token with any weight.
    private static func lastPositive(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var i = logits.count - 1
        while i > 0 && logits[i] == -Float.infinity { i -= 1 }
        return Int32(i)
    }
}
