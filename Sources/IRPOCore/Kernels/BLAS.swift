import COpenBLAS

// The only file that imports COpenBLAS: every matrix product of the project goes through here.

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C (M,N) = alpha * op(A) (M,K) * op(B) (K,N) + beta * C, row-major, with explicit leading dimensions.
///
/// OpenBLAS runs single-threaded; a large product is split here into blocks of rows (or
/// columns) of C, one per thread. Splitting M or N never changes how an element's K-sum is
/// accumulated, so the bits do not depend on the thread count, and one thread pool serves both
/// the GEMMs and the loops between them (OpenBLAS's own workers would spin against ours).
public func sgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let threads = ComputeThreads.count
    let work = Double(m) * Double(n) * Double(max(k, 1))
    if threads <= 1 || work < 262_144 || ParallelRegion.isActive || max(m, n) < 32 {
        sgemmSerial(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
        return
    }
    if GEMMRecorder.isRecording { GEMMRecorder.record(GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k)) }
    let splitRows = m >= n
    let extent = splitRows ? m : n
    let parts = min(threads, extent / 16)
    let pa = SendablePointer(UnsafeMutablePointer(mutating: a)), pb = SendablePointer(UnsafeMutablePointer(mutating: b))
    let pc = SendablePointer(c)
    parallelFor(parts) { range in
        for part in range {
            // chunk boundaries on multiples of 16 keep the micro-kernels on full tiles
            let lo = (extent * part / parts) & ~15, hi = part == parts - 1 ? extent : (extent * (part + 1) / parts) & ~15
            if lo >= hi { continue }
            if splitRows {
                let aOff = transA == .none ? lo * lda : lo
                cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(hi - lo), Int32(n), Int32(k),
                            alpha, pa + aOff, Int32(lda), pb.base, Int32(ldb), beta, pc + lo * ldc, Int32(ldc))
            } else {
                let bOff = transB == .none ? lo : lo * ldb
                cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(hi - lo), Int32(k),
                            alpha, pa.base, Int32(lda), pb + bOff, Int32(ldb), beta, pc + lo, Int32(ldc))
            }
        }
    }
}

/// The same product on the calling thread only, for use inside a parallel loop.
@inline(__always)
public func sgemmSerial(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                        b: UnsafePointer<Float>, ldb: Int,
                        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if GEMMRecorder.isRecording { GEMMRecorder.record(GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k)) }
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// y (N) = x (K) * W^T for a row-major W (N,K), accumulated into y when beta is 1; rows of W
/// are split across threads.
public func sgemvRows(w: UnsafePointer<Float>, rows: Int, cols: Int, x: UnsafePointer<Float>,
                      beta: Float = 0, y: UnsafeMutablePointer<Float>) {
    let pw = SendablePointer(UnsafeMutablePointer(mutating: w)), px = SendablePointer(UnsafeMutablePointer(mutating: x))
    let py = SendablePointer(y)
    parallelFor(rows, grain: max(64, 65_536 / max(cols, 1))) { range in
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(range.count), Int32(cols), 1, pw + range.lowerBound * cols,
                    Int32(cols), px.base, 1, beta, py + range.lowerBound, 1)
    }
}

/// Sets the number of threads OpenBLAS uses inside each call (irpo keeps it at 1 and splits work itself).
public func setBLASThreads(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
}

/// The number of threads OpenBLAS currently uses.
public func blasThreads() -> Int { Int(openblas_get_num_threads()) }

/// The shape of one recorded GEMM call.
public struct GEMMShape: Sendable, Hashable {
    public let transA: Transpose, transB: Transpose
    public let m: Int, n: Int, k: Int
    /// 2·M·N·K.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Records the shapes of the GEMMs a piece of code makes, so a benchmark can time exactly
/// those GEMMs alone and report the BLAS rate the model's own work could reach.
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

    /// Runs each shape once on scratch operands (contiguous, leading dimension = row width).
    public static func replay(_ list: [GEMMShape], scratch a: UnsafeMutablePointer<Float>,
                              _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        for s in list {
            let lda = s.transA == .none ? s.k : s.m
            let ldb = s.transB == .none ? s.n : s.k
            sgemm(s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: s.n)
        }
    }
}
