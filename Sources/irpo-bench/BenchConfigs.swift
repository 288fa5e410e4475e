import Dispatch
import IRPOCore

/// The two model sizes of ../shared/bench/README.md, so our numbers and PyTorch's describe the same work.
enum BenchConfig: String, CaseIterable {
    case S, M

    var llama: LlamaConfig {
        switch self {
        case .S: return try! LlamaConfig(vocabSize: 512, hiddenSize: 256, intermediateSize: 768, numHiddenLayers: 4,
                                         numAttentionHeads: 4, maxPositionEmbeddings: 256, rmsNormEps: 1e-5)
        case .M: return try! LlamaConfig(vocabSize: 512, hiddenSize: 512, intermediateSize: 1536, numHiddenLayers: 8,
                                         numAttentionHeads: 8, maxPositionEmbeddings: 256, rmsNormEps: 1e-5)
        }
    }

    /// N_mm = L·(4d² + 3·d·ffn) + V·d: the parameters that take part in matrix products.
    var matmulParameters: Double {
        let c = llama
        let d = Double(c.hiddenSize), f = Double(c.intermediateSize)
        return Double(c.numHiddenLayers) * (4 * d * d + 3 * d * f) + Double(c.vocabSize) * d
    }

    /// 6·N_mm + 12·L·d·T, the bench README's (PaLM-style) training FLOPs per token at T = 256.
    var trainFlopsPerToken: Double {
        let c = llama
        return 6 * matmulParameters + 12 * Double(c.numHiddenLayers) * Double(c.hiddenSize) * 256
    }
}

/// Median of a list of timings.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Records the GEMMs of one run of `body` and times them replayed alone (median of `runs`):
/// the BLAS rate the work's own products reach. Returns the shapes, their FLOPs and GFLOP/s.
func gemmReplayRate(runs: Int, _ body: () -> Void) -> (shapes: [GEMMShape], flops: Double, gflops: Double) {
    let shapes = GEMMRecorder.recording(body)
    let flops = shapes.map(\.flops).reduce(0, +)
    let biggest = shapes.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1
    let a = UnsafeMutablePointer<Float>.allocate(capacity: biggest), b = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for p in [a, b, c] { p.initialize(repeating: 0.01, count: biggest) }
    GEMMRecorder.replay(shapes, scratch: a, b, c)
    let times = (0..<runs).map { _ in seconds { GEMMRecorder.replay(shapes, scratch: a, b, c) } }
    return (shapes, flops, flops / median(times) / 1e9)
}
