import Dispatch
import IRPOCore

/// The model sizes of bench/pytorch/README.md, so our numbers and PyTorch's describe the same work.
enum BenchConfig: String, CaseIterable {
    case S, M
    /// SmolLM2-135M's shape (its GGUF's metadata), so the random model's speed compares with runs of the real one.
    case L135M = "135M"

    var llama: LlamaConfig {
        switch self {
        case .S: return try! LlamaConfig(vocabSize: 512, hiddenSize: 256, intermediateSize: 768, numHiddenLayers: 4,
                                         numAttentionHeads: 4, maxPositionEmbeddings: 256, rmsNormEps: 1e-5)
        case .M: return try! LlamaConfig(vocabSize: 512, hiddenSize: 512, intermediateSize: 1536, numHiddenLayers: 8,
                                         numAttentionHeads: 8, maxPositionEmbeddings: 256, rmsNormEps: 1e-5)
        case .L135M: return try! LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30,
                                             numAttentionHeads: 9, numKeyValueHeads: 3, maxPositionEmbeddings: 8192,
                                             rmsNormEps: 1e-5, ropeTheta: 100000, tieWordEmbeddings: true)
        }
    }

    /// The names `--configs` accepts, for its help and its errors.
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// N_mm = L·(2d² + 2·d·kv + 3·d·ffn) + V·d: the parameters that take part in matrix products
    /// (kv the key/value width; the head counts once, tied or not, since it multiplies either way).
    var matmulParameters: Double {
        let c = llama
        let d = Double(c.hiddenSize), f = Double(c.intermediateSize), kv = Double(c.keyValueWidth)
        return Double(c.numHiddenLayers) * (2 * d * d + 2 * d * kv + 3 * d * f) + Double(c.vocabSize) * d
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

/// Wall-clock seconds of `run(i)` for i = 0, 1, ...: at least `minimum` runs and, when runs are
/// short, more until about `budget` seconds are measured (31 runs at most): the median of a few
/// short runs is one hiccup of a shared machine away from another number.
func timedRuns(minimum: Int, budget: Double = 1.5, _ run: (Int) -> Void) -> [Double] {
    var times = [seconds { run(0) }]
    let wanted = max(minimum, min(31, Int((budget / max(times[0], 1e-6)).rounded(.up))))
    while times.count < wanted { let i = times.count; times.append(seconds { run(i) }) }
    return times
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A step's timing beside the rate its own GEMMs reach replayed alone.
struct StepAgainstGEMMs {
    /// Median seconds of a step.
    let step: Double
    let shapes: [GEMMShape]
    /// FLOPs of the step's GEMMs.
    let flops: Double
    /// Median GFLOP/s of the GEMMs replayed alone.
    let gemmRate: Double
    /// Median over runs of (GEMMs alone time) / (step time), i.e. the step's GEMM-counted rate as
    /// a fraction of the replay's, each run's step timed right next to its own replay.
    let fractionOfGEMMRate: Double
}

/// Records the GEMMs of `step(0)`, then times `runs` steps, each followed at once by a replay of
/// those GEMMs alone. Pairing each step with its own replay keeps the ratio honest on a machine
/// whose speed drifts from one second to the next.
func timeAgainstGEMMs(runs: Int, _ step: (Int) -> Void) -> StepAgainstGEMMs {
    let shapes = GEMMRecorder.recording { step(0) }
    let flops = shapes.map(\.flops).reduce(0, +)
    let biggest = shapes.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1
    let a = UnsafeMutablePointer<Float>.allocate(capacity: biggest), b = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: biggest)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for p in [a, b, c] { p.initialize(repeating: 0.01, count: biggest) }
    step(1)
    GEMMRecorder.replay(shapes, scratch: a, b, c)
    var steps: [Double] = [], replays: [Double] = [], fractions: [Double] = []
    for i in 0..<runs {
        let s = seconds { step(i) }
        let r = seconds { GEMMRecorder.replay(shapes, scratch: a, b, c) }
        steps.append(s)
        replays.append(r)
        fractions.append(r / s)
    }
    return StepAgainstGEMMs(step: median(steps), shapes: shapes, flops: flops, gemmRate: flops / median(replays) / 1e9,
                            fractionOfGEMMRate: median(fractions))
}
