import IRPOCore

/// The shape of one recorded GEMM call.
struct GEMMShape: Sendable, Hashable {
    let transA: Transpose, transB: Transpose
    let m: Int, n: Int, k: Int
    /// 2·M·N·K.
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Records the shapes of the GEMMs a piece of code makes, so a benchmark can time exactly
/// those GEMMs alone (ours and OpenBLAS's) and report the rate the model's own work could reach.
enum GEMMRecorder {
    nonisolated(unsafe) fileprivate static var isRecording = false
    nonisolated(unsafe) fileprivate static var shapes: [GEMMShape] = []

    /// Runs `body` on one thread (so that parallel loops cannot append at once) and returns every
    /// GEMM it made, in order.
    static func recording(_ body: () -> Void) -> [GEMMShape] {
        let threads = ComputeThreads.count
        ComputeThreads.set(1)
        shapes = []
        isRecording = true
        body()
        isRecording = false
        ComputeThreads.set(threads)
        defer { shapes = [] }
        return shapes
    }

    /// Runs each shape once on scratch operands (contiguous, leading dimension = row width), through
    /// our `gemm` or, with `openBLAS`, through OpenBLAS.
    static func replay(_ list: [GEMMShape], scratch a: UnsafeMutablePointer<Float>,
                       _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, openBLAS: Bool = false) {
        for s in list {
            let lda = s.transA == .none ? s.k : s.m
            let ldb = s.transB == .none ? s.n : s.k
            if openBLAS {
                openBLASGEMM(s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: s.n)
            } else {
                gemm(s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: s.n)
            }
        }
    }
}

/// IRPOCore's `gemm` as this process runs it: the shape of every non-empty product is noted
/// while `GEMMRecorder.recording` runs, then the product is made as always.
@_dynamicReplacement(for: gemm(_:_:m:n:k:alpha:a:lda:b:ldb:accumulate:c:ldc:path:))
func recordingGEMM(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, path: KernelPath) {
    if GEMMRecorder.isRecording && m > 0 && n > 0 {
        GEMMRecorder.shapes.append(GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k))
    }
    gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate,
         c: c, ldc: ldc, path: path)
}
