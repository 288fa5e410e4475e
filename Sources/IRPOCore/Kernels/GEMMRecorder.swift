/// The shape of one recorded GEMM call.
public struct GEMMShape: Sendable, Hashable {
    public let transA: Transpose, transB: Transpose
    public let m: Int, n: Int, k: Int
    /// 2·M·N·K.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Records the shapes of the GEMMs a piece of code makes, so a benchmark can time exactly
/// those GEMMs alone (ours and OpenBLAS's) and report the rate the model's own work could reach.
public enum GEMMRecorder {
    nonisolated(unsafe) static var isRecording = false
    nonisolated(unsafe) private static var shapes: [GEMMShape] = []

    static func record(_ shape: GEMMShape) { shapes.append(shape) }

    /// Runs `body` on one thread (so that parallel loops cannot append at once) and returns every
    /// GEMM it made, in order.
    public static func recording(_ body: () -> Void) -> [GEMMShape] {
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
    public static func replay(_ list: [GEMMShape], scratch a: UnsafeMutablePointer<Float>,
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
