import COpenBLAS

// The only file that imports COpenBLAS. OpenBLAS is on no product path (`gemm` is ours, the same
// bits on every CPU): it is the independent oracle the kernel tests compare against and the peer
// `make bench` prints beside our numbers.

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C (M,N) = alpha * op(A) (M,K) * op(B) (K,N) + beta * C through OpenBLAS's cblas_sgemm, row-major.
///
/// OpenBLAS runs single-threaded; a large product is split here into blocks of rows (or
/// columns) of C, one per thread, so it gets the same threads as `gemm`. Its rounding depends
/// on the kernel OpenBLAS picks for the CPU and shape: a reference to compare with, not a result.
public func openBLASGEMM(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let threads = ComputeThreads.count
    let work = Double(m) * Double(n) * Double(max(k, 1))
    if threads <= 1 || work < 262_144 || ParallelRegion.isActive || max(m, n) < 32 {
        openBLASGEMMSerial(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
        return
    }
    let splitRows = m >= n
    let extent = splitRows ? m : n
    let parts = min(threads, extent / 16)
    parallelFor(parts) { range in
        for part in range {
            // chunk boundaries on multiples of 16 keep the micro-kernels on full tiles
            let lo = (extent * part / parts) & ~15, hi = part == parts - 1 ? extent : (extent * (part + 1) / parts) & ~15
            if lo >= hi { continue }
            if splitRows {
                let aOff = transA == .none ? lo * lda : lo
                cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(hi - lo), Int32(n), Int32(k),
                            alpha, a + aOff, Int32(lda), b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
            } else {
                let bOff = transB == .none ? lo : lo * ldb
                cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(hi - lo), Int32(k),
                            alpha, a, Int32(lda), b + bOff, Int32(ldb), beta, c + lo, Int32(ldc))
            }
        }
    }
}

/// The same product on the calling thread only.
public func openBLASGEMMSerial(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                        b: UnsafePointer<Float>, ldb: Int,
                        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Sets the number of threads OpenBLAS uses inside each call (irpo keeps it at 1 and splits work itself).
public func setBLASThreads(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
}

