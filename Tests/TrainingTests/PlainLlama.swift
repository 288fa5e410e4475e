import Foundation
import IRPOCore

/// A plain Double-precision Llama that scores one causal sequence at a time (positions 0...,
/// no packing, no trees): the independent oracle for the trainer's log-probs and gradients.
struct PlainLlama {
    let config: LlamaConfig
    let layout: ParameterLayout
    var params: [Double]

    init(_ weights: ModelWeights) {
        config = weights.config
        layout = weights.layout
        params = (0..<weights.count).map { Double(weights.data[$0]) }
    }

    func matvec(_ x: [Double], _ offset: Int, rows: Int) -> [Double] {
        (0..<rows).map { r in
            var s = 0.0
            for i in x.indices { s += params[offset + r * x.count + i] * x[i] }
            return s
        }
    }

    func norm(_ x: [Double], _ offset: Int) -> [Double] {
        let r = 1 / (x.map { $0 * $0 }.reduce(0, +) / Double(x.count) + Double(config.rmsNormEps)).squareRoot()
        return x.indices.map { x[$0] * r * params[offset + $0] }
    }

    /// Rotates pairs (j, j + HS/2) of every head by position·θ^(−2j/HS), HF's rotate_half convention.
    func rotate(_ v: [Double], heads: Int, position: Int) -> [Double] {
        let hs = config.headDim
        var out = v
        for h in 0..<heads {
            for j in 0..<(hs / 2) {
                let angle = Double(position) / pow(Double(config.ropeTheta), Double(2 * j) / Double(hs))
                let a = v[h * hs + j], b = v[h * hs + j + hs / 2]
                out[h * hs + j] = a * cos(angle) - b * sin(angle)
                out[h * hs + j + hs / 2] = b * cos(angle) + a * sin(angle)
            }
        }
        return out
    }

    /// Σ log p(ids[t] | ids[<t]) for t ≥ scoreFrom.
    func logprob(_ ids: [Int32], scoreFrom: Int) -> Double {
        let C = config.hiddenSize, HS = config.headDim, NH = config.numAttentionHeads, NKV = config.numKeyValueHeads
        var x = ids.map { id in (0..<C).map { params[layout.embedding + Int(id) * C + $0] } }
        for l in layout.layers {
            let h = x.map { norm($0, l.attentionNorm) }
            let q = h.indices.map { rotate(matvec(h[$0], l.q, rows: NH * HS), heads: NH, position: $0) }
            let k = h.indices.map { rotate(matvec(h[$0], l.k, rows: NKV * HS), heads: NKV, position: $0) }
            let v = h.map { matvec($0, l.v, rows: NKV * HS) }
            for t in x.indices {
                var att = [Double](repeating: 0, count: NH * HS)
                for head in 0..<NH {
                    let g = head / (NH / NKV)
                    var s: [Double] = []
                    for j in 0...t {
                        var dot = 0.0
                        for d in 0..<HS { dot += q[t][head * HS + d] * k[j][g * HS + d] }
                        s.append(dot / Double(HS).squareRoot())
                    }
                    let m = s.max()!
                    let e = s.map { exp($0 - m) }, z = e.reduce(0, +)
                    for j in 0...t { for d in 0..<HS { att[head * HS + d] += e[j] / z * v[j][g * HS + d] } }
                }
                let o = matvec(att, l.o, rows: C)
                for d in 0..<C { x[t][d] += o[d] }
            }
            for t in x.indices {
                let h2 = norm(x[t], l.mlpNorm)
                let gate = matvec(h2, l.gate, rows: config.intermediateSize)
                let up = matvec(h2, l.up, rows: config.intermediateSize)
                let down = matvec(gate.indices.map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }, l.down, rows: C)
                for d in 0..<C { x[t][d] += down[d] }
            }
        }
        var total = 0.0
        for t in scoreFrom..<ids.count {
            let logits = matvec(norm(x[t - 1], layout.finalNorm), layout.lmHead, rows: config.vocabSize)
            let m = logits.max()!
            total += logits[Int(ids[t])] - (m + log(logits.map { exp($0 - m) }.reduce(0, +)))
        }
        return total
    }
}
