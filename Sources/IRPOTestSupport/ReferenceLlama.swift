import Foundation
import IRPOCore

/// A second, deliberately naive Llama in Double precision: plain loops, no BLAS, no fusing,
/// written from the HF `LlamaForCausalLM` equations. It is the oracle the real model is
/// checked against, and its finite differences are the oracle for the backward pass, in the
/// model tests and the trainer's alike.
public struct ReferenceLlama {
    /// The model's shape.
    public let config: LlamaConfig
    /// Every parameter, in `layout`'s order; tests nudge them for finite differences.
    public var params: [Double]
    /// Where each tensor is in `params`.
    public let layout: ParameterLayout

    /// The oracle of `weights`, copied to Double.
    public init(weights: ModelWeights) {
        config = weights.config
        layout = weights.layout
        params = (0..<weights.count).map { Double(weights.data[$0]) }
    }

    /// y (out) = W (out,in) x (in), W at `offset`.
    public func linear(_ x: [Double], _ offset: Int, out: Int) -> [Double] {
        let inp = x.count
        return (0..<out).map { o in
            var s = 0.0
            for i in 0..<inp { s += params[offset + o * inp + i] * x[i] }
            return s
        }
    }

    /// x plus the bias at `offset`, or x when there is none.
    public func biased(_ x: [Double], _ offset: Int?) -> [Double] {
        guard let offset else { return x }
        return x.indices.map { x[$0] + params[offset + $0] }
    }

    /// RMSNorm of x with the gains at `offset`.
    public func rmsnorm(_ x: [Double], _ offset: Int) -> [Double] {
        let ms = x.map { $0 * $0 }.reduce(0, +) / Double(x.count)
        let r = 1 / (ms + Double(config.rmsNormEps)).squareRoot()
        return x.indices.map { params[offset + $0] * x[$0] * r }
    }

    /// An inverse frequency under the config's RoPE scaling, transformers' formulas in Double.
    func scaled(_ inv: Double) -> Double {
        switch config.ropeScaling {
        case nil: return inv
        case .linear(let factor)?: return inv / Double(factor)
        case .llama3(let factor, let low, let high, let original)?:
            let wavelength = 2 * Double.pi / inv, f = Double(factor)
            if wavelength > Double(original) / Double(low) { return inv / f }
            if wavelength < Double(original) / Double(high) { return inv }
            let smooth = (Double(original) / wavelength - Double(low)) / Double(high - low)
            return (1 - smooth) * inv / f + smooth * inv
        }
    }

    /// Rotary embedding of `heads` heads of v in place (rotate-half layout).
    public func rope(_ v: inout [Double], heads: Int, position: Int) {
        let hs = config.headDim, half = hs / 2
        for h in 0..<heads {
            for j in 0..<half {
                let inv = scaled(1 / pow(Double(config.ropeTheta), Double(2 * j) / Double(hs)))
                let c = cos(Double(position) * inv), s = sin(Double(position) * inv)
                let a = v[h * hs + j], b = v[h * hs + j + half]
                v[h * hs + j] = a * c - b * s
                v[h * hs + j + half] = b * c + a * s
            }
        }
    }

    /// Σ log p(ids[t] | ids[<t]) for t ≥ scoreFrom: one causal sequence from position 0.
    public func logprob(_ ids: [Int32], scoreFrom: Int) -> Double {
        var batch = PackedBatch()
        _ = batch.appendSequence(ids, scoreFrom: scoreFrom)
        return logprobs(batch).reduce(0, +)
    }

    /// The log-probability of every scored token of `batch`, in its order.
    public func logprobs(_ batch: PackedBatch) -> [Double] {
        let c = config, C = c.hiddenSize, HS = c.headDim, NH = c.numAttentionHeads, NKV = c.numKeyValueHeads
        let N = batch.count
        var x = (0..<N).map { i in (0..<C).map { params[layout.embedding + Int(batch.tokens[i]) * C + $0] } }
        for lw in layout.layers {
            let h1 = x.map { rmsnorm($0, lw.attentionNorm) }
            var q = h1.map { biased(linear($0, lw.q, out: NH * HS), lw.qkvBias) }
            var k = h1.map { biased(linear($0, lw.k, out: NKV * HS), lw.qkvBias.map { $0 + NH * HS }) }
            let v = h1.map { biased(linear($0, lw.v, out: NKV * HS), lw.qkvBias.map { $0 + (NH + NKV) * HS }) }
            for i in 0..<N {
                rope(&q[i], heads: NH, position: Int(batch.positions[i]))
                rope(&k[i], heads: NKV, position: Int(batch.positions[i]))
            }
            var attended = [[Double]](repeating: [Double](repeating: 0, count: NH * HS), count: N)
            for i in 0..<N {
                let keys = (0..<N).filter { batch.canAttend(query: i, key: $0) }
                for h in 0..<NH {
                    let g = h / (NH / NKV)
                    let scores = keys.map { j in
                        (0..<HS).map { q[i][h * HS + $0] * k[j][g * HS + $0] }.reduce(0, +) / Double(HS).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for (n, j) in keys.enumerated() {
                        for d in 0..<HS { attended[i][h * HS + d] += e[n] / z * v[j][g * HS + d] }
                    }
                }
            }
            for i in 0..<N {
                let o = linear(attended[i], lw.o, out: C)
                for d in 0..<C { x[i][d] += o[d] }
                let h2 = rmsnorm(x[i], lw.mlpNorm)
                let gate = linear(h2, lw.gate, out: c.intermediateSize)
                let up = linear(h2, lw.up, out: c.intermediateSize)
                let hidden = gate.indices.map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = linear(hidden, lw.down, out: C)
                for d in 0..<C { x[i][d] += down[d] }
            }
        }
        return zip(batch.scoredTokens, batch.scoredPredecessors).map { tok, pred in
            let hN = rmsnorm(x[Int(pred)], layout.finalNorm)
            let logits = linear(hN, layout.lmHead, out: c.vocabSize)
            let m = logits.max()!
            let lse = m + log(logits.map { exp($0 - m) }.reduce(0, +))
            return logits[Int(batch.tokens[Int(tok)])] - lse
        }
    }
}
