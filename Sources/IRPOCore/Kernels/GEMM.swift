import Foundation
import IRPOKernelsAVX512

// The matrix product of training, DPO and reference scoring. A BLAS picks its kernel (and so its
// rounding) by CPU model and matrix shape, so its results change from one CPU to the next, and
// on a CPU it does not know it falls back to slow generic kernels. Here every element of C is one
// k-ordered chain of fused multiply-adds, started from zero (or from C's own value when
// accumulating), whatever the CPU, the vector width, the thread count or the blocking:
//
//     acc = accumulate ? C[i,j] : 0
//     for p in 0..<k { acc = fma(alpha·A[i,p], B[p,j], acc) }      (alpha·A[i,p] rounded first)
//     C[i,j] = acc
//
// The blocking splits k into pieces of `kc`, but a piece ends by storing acc into C and the next
// starts by loading it back, which is exact, so the chain is the same for any `kc`. Operands are
// copied into the register tiles' layouts (BLIS style): a block of `mr` rows of A as (kc, mr),
// a panel of `nr` columns of B as (kc, nr); the micro-kernel is an outer product of the two.

/// C (m, n) = alpha·op(A) (m, k) · op(B) (k, n), or C += it with `accumulate`, row-major with
/// explicit leading dimensions; each element the ordered chain described above, so the result
/// does not depend on `path`, the thread count or any other element. `dynamic` so that irpo-bench
/// can stand in for it to record the products a step makes; no call here looks for a recorder.
public dynamic func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 accumulate: Bool = false, c: UnsafeMutablePointer<Float>, ldc: Int,
                 path: KernelPath = .best) {
    gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate,
         c: c, ldc: ldc, tiles: GEMMTiling(path))
}

/// `gemm` on an explicit tiling (the tests run the vector paths' geometry through the portable kernel).
func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, tiles: GEMMTiling) {
    if m <= 0 || n <= 0 { return }
    let op = GEMMOperands(transA: transA, transB: transB, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                          accumulate: accumulate, c: c, ldc: ldc, k: k)
    // a thread is worth its hand-off for about 128k multiply-adds
    let work = m * n * max(k, 1)
    let rowTiles = (m + tiles.mr - 1) / tiles.mr, colTiles = (n + tiles.nr - 1) / tiles.nr
    let splitRows = rowTiles >= colTiles
    let parts = min(ComputeThreads.count, work / 131_072, splitRows ? rowTiles : colTiles)
    // (k = 0 only clears C, which one thread does)
    if parts <= 1 || ParallelRegion.isActive || k == 0 {
        gemmBlocked(op, rows: 0..<m, cols: 0..<n, tiles: tiles)
        return
    }
    // Part boundaries fall on whole tiles; each part owns its elements of C outright.
    if splitRows {
        gemmSharingB(op, m: m, n: n, parts: parts, rowTiles: rowTiles, tiles: tiles)
        return
    }
    parallelFor(parts) { range in
        for part in range {
            let lo = colTiles * part / parts * tiles.nr, hi = min(n, colTiles * (part + 1) / parts * tiles.nr)
            if lo < hi { gemmBlocked(op, rows: 0..<m, cols: lo..<hi, tiles: tiles) }
        }
    }
}

/// The product split by rows over `parts` threads that share one packed copy of each block of B
/// (in the calling thread's scratch): the threads pack it together, then each multiplies its own
/// rows by it, rather than each packing all of B for itself.
private func gemmSharingB(_ op: GEMMOperands, m: Int, n: Int, parts: Int, rowTiles: Int, tiles t: GEMMTiling) {
    let packedB = GEMMScratch.forThisThread(floats: t.scratchFloatsInAll) + t.scratchFloats.a
    for jc in stride(from: 0, to: n, by: t.nc) {
        let ncur = min(t.nc, n - jc)
        for pc in stride(from: 0, to: op.k, by: t.kc) {
            let kcur = min(t.kc, op.k - pc)
            parallelFor((ncur + t.nr - 1) / t.nr) { panels in
                for panel in panels {
                    let j = jc + panel * t.nr
                    packColumns(op, k0: pc, kc: kcur, col0: j, cols: min(t.nr, jc + ncur - j), nr: t.nr,
                                into: packedB + panel * kcur * t.nr)
                }
            }
            parallelFor(parts) { range in
                for part in range {
                    let lo = rowTiles * part / parts * t.mr, hi = min(m, rowTiles * (part + 1) / parts * t.mr)
                    if lo < hi {
                        multiplyByPackedB(op, rows: lo..<hi, cols: jc..<(jc + ncur), k0: pc, kc: kcur,
                                          packedB: UnsafePointer(packedB), tiles: t)
                    }
                }
            }
        }
    }
}

/// The operands of one `gemm` call, sendable into its parallel parts.
struct GEMMOperands: @unchecked Sendable {
    let transA: Transpose, transB: Transpose
    let alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let accumulate: Bool
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let k: Int
}

/// A path's register tile (`mr` × `nr`), its block sizes, and its micro-kernel. The blocking sets
/// the speed only: the chain through C makes every block size give the same bits.
struct GEMMTiling {
    let mr: Int, nr: Int
    /// Rows of A packed at once (a multiple of `mr`), kept in L2 while the panels of B pass.
    let mc: Int
    /// The piece of k one pass covers: a (kc, nr) panel of B stays in L1 across the row blocks.
    let kc: Int
    /// Columns of B packed at once (a multiple of `nr`).
    let nc: Int
    /// C tile (mr, nr) at `c` (row stride `ldc`) = chain over `kc` steps of the packed `a` (kc, mr)
    /// and `b` (kc, nr), from C's values when `load`, else from zero.
    let kernel: (_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                 _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) -> Void
    /// The micro-kernel reading A unpacked, row r's step p at `a[r·lda + p]`, where the path has one.
    let rowsKernel: ((_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool) -> Void)?

    init(_ path: KernelPath) {
        switch path {
        case .avx512:
            self.init(mr: 12, nr: 32, mc: 144, kc: 256, nc: 2048, kernel: gemmTile12x32)
        case .avx2:
            self.init(mr: 4, nr: 24, mc: 144, kc: 256, nc: 2016, kernel: gemmTile4x24,
                      rowsKernel: { gemmTile4x24($0, rows: $1, lda: $2, $3, $4, $5, $6) })
        case .portable:
            self.init(portableTile: 4, 8, mc: 64, kc: 256, nc: 512)
        }
    }

    /// The portable kernel on a tile and blocking of any size: with the vector paths' geometry, it
    /// checks the packing and edge handling they rely on on any CPU.
    init(portableTile mr: Int, _ nr: Int, mc: Int, kc: Int, nc: Int) {
        self.init(mr: mr, nr: nr, mc: mc, kc: kc, nc: nc) { kc, a, b, c, ldc, load in
            gemmTilePortable(mr: mr, nr: nr, kc, a, b, c, ldc, load)
        }
    }

    private init(mr: Int, nr: Int, mc: Int, kc: Int, nc: Int,
                 kernel: @escaping (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Bool) -> Void,
                 rowsKernel: ((Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Bool) -> Void)? = nil) {
        (self.mr, self.nr, self.mc, self.kc, self.nc) = (mr, nr, mc, kc, nc)
        self.kernel = kernel
        self.rowsKernel = rowsKernel
    }

    /// Floats of packing scratch one thread needs: a block of A and a block of B.
    var scratchFloats: (a: Int, b: Int) { (mc * kc, kc * nc) }
    /// Floats of one thread's scratch: a block of A, a block of B, and an edge tile, in that order.
    var scratchFloatsInAll: Int { mc * kc + kc * nc + mr * nr }
}

/// The product over C's rows `rows` and columns `cols`, on the calling thread.
func gemmBlocked(_ op: GEMMOperands, rows: Range<Int>, cols: Range<Int>, tiles t: GEMMTiling) {
    let k = op.k
    if k == 0 {
        if !op.accumulate {
            for i in rows { (op.c + i * op.ldc + cols.lowerBound).update(repeating: 0, count: cols.count) }
        }
        return
    }
    let packedB = GEMMScratch.forThisThread(floats: t.scratchFloatsInAll) + t.scratchFloats.a
    for jc in stride(from: cols.lowerBound, to: cols.upperBound, by: t.nc) {
        let ncur = min(t.nc, cols.upperBound - jc)
        for pc in stride(from: 0, to: k, by: t.kc) {
            let kcur = min(t.kc, k - pc)
            for (panel, j) in stride(from: jc, to: jc + ncur, by: t.nr).enumerated() {
                packColumns(op, k0: pc, kc: kcur, col0: j, cols: min(t.nr, jc + ncur - j), nr: t.nr,
                            into: packedB + panel * kcur * t.nr)
            }
            multiplyByPackedB(op, rows: rows, cols: jc..<(jc + ncur), k0: pc, kc: kcur, packedB: UnsafePointer(packedB),
                              tiles: t)
        }
    }
}

/// C's rows `rows` and columns `cols` through the piece k0 ..< k0+kc of the chain, B's panels for
/// those columns and that piece already packed at `packedB`; A's blocks are packed into this
/// thread's scratch (whose B region `packedB` may be, when this thread packed it).
private func multiplyByPackedB(_ op: GEMMOperands, rows: Range<Int>, cols: Range<Int>, k0 pc: Int, kc kcur: Int,
                               packedB: UnsafePointer<Float>, tiles t: GEMMTiling) {
    let scratch = GEMMScratch.forThisThread(floats: t.scratchFloatsInAll)
    let packedA = scratch, edge = scratch + t.scratchFloats.a + t.scratchFloats.b
    let load = op.accumulate || pc > 0, jc = cols.lowerBound, ncur = cols.count
    // a row-major A scaled by 1 is read where it lies by the kernels that can; edge tiles still
    // get a packed copy
    let inPlace = op.transA == .none && op.alpha == 1 ? t.rowsKernel : nil
    for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: t.mc) {
        let mcur = min(t.mc, rows.upperBound - ic)
        for (block, i) in stride(from: ic, to: ic + mcur, by: t.mr).enumerated()
            where inPlace == nil || i + t.mr > ic + mcur || ncur % t.nr != 0 {
            packRows(op, k0: pc, kc: kcur, row0: i, rows: min(t.mr, ic + mcur - i), mr: t.mr,
                     into: packedA + block * kcur * t.mr)
        }
        for (panel, j) in stride(from: jc, to: jc + ncur, by: t.nr).enumerated() {
            let width = min(t.nr, jc + ncur - j)
            let bp = packedB + panel * kcur * t.nr
            for (block, i) in stride(from: ic, to: ic + mcur, by: t.mr).enumerated() {
                let height = min(t.mr, ic + mcur - i)
                let ap = UnsafePointer(packedA + block * kcur * t.mr)
                let tile = op.c + i * op.ldc + j
                if height == t.mr && width == t.nr {
                    if let inPlace {
                        inPlace(kcur, op.a + i * op.lda + pc, op.lda, bp, tile, op.ldc, load)
                    } else {
                        t.kernel(kcur, ap, bp, tile, op.ldc, load)
                    }
                } else {
                    edgeTile(t, kcur, ap, bp, tile, op.ldc, load, height: height, width: width, buffer: edge)
                }
            }
        }
    }
}

/// A tile cut by the edge of C: the micro-kernel runs on a full copy, and only the part inside C
/// goes back. Zero padding rows and columns never meet a valid element's chain.
@inline(__always)
private func edgeTile(_ t: GEMMTiling, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ load: Bool, height: Int, width: Int,
                      buffer e: UnsafeMutablePointer<Float>) {
    e.update(repeating: 0, count: t.mr * t.nr)
    if load { for r in 0..<height { (e + r * t.nr).update(from: c + r * ldc, count: width) } }
    t.kernel(kc, a, b, e, t.nr, true)
    for r in 0..<height { (c + r * ldc).update(from: e + r * t.nr, count: width) }
}

/// Copies rows row0 ..< row0+rows, k k0 ..< k0+kc of alpha·op(A) into (kc, mr), zero past `rows`.
private func packRows(_ op: GEMMOperands, k0: Int, kc: Int, row0: Int, rows: Int, mr: Int,
                      into dst: UnsafeMutablePointer<Float>) {
    // A[i, p] is a[i·lda + p] as stored, a[p·lda + i] transposed.
    packPanel(op.a, ld: op.lda, alongK: op.transA == .none, k0: k0, kc: kc, first: row0, count: rows, width: mr,
              scale: op.alpha, into: dst)
}

/// Copies columns col0 ..< col0+cols, k k0 ..< k0+kc of op(B) into (kc, nr), zero past `cols`.
private func packColumns(_ op: GEMMOperands, k0: Int, kc: Int, col0: Int, cols: Int, nr: Int,
                         into dst: UnsafeMutablePointer<Float>) {
    // B[p, j] is b[p·ldb + j] as stored, b[j·ldb + p] transposed.
    packPanel(op.b, ld: op.ldb, alongK: op.transB == .transposed, k0: k0, kc: kc, first: col0, count: cols, width: nr,
              scale: 1, into: dst)
}

/// Copies lanes first ..< first+count, k k0 ..< k0+kc of a strided operand, times `scale` (1 is
/// exact), into (kc, width), zero past `count`. With `alongK` a lane's values are consecutive in
/// memory (lane j, step p at src[j·ld + p]), else a step's lanes are (src[p·ld + j]).
private func packPanel(_ src: UnsafePointer<Float>, ld: Int, alongK: Bool, k0: Int, kc: Int, first: Int, count: Int,
                       width: Int, scale: Float, into dst: UnsafeMutablePointer<Float>) {
    if count < width { dst.update(repeating: 0, count: kc * width) }
    if alongK {
        // Four lanes at a time, 8 steps each: read as four vectors, written as eight 4-lane groups.
        let scale8 = SIMD8<Float>(repeating: scale)
        var lane = 0
        while lane &+ 4 <= count {
            let run = src + ((first + lane) &* ld &+ k0)
            var out = dst + lane, p = 0
            while p &+ 8 <= kc {
                let r0 = load8(run, p) * scale8, r1 = load8(run + ld, p) * scale8
                let r2 = load8(run + 2 &* ld, p) * scale8, r3 = load8(run + 3 &* ld, p) * scale8
                for s in 0..<8 {
                    UnsafeMutableRawPointer(out + s &* width).storeBytes(of: SIMD4<Float>(r0[s], r1[s], r2[s], r3[s]),
                                                                         as: SIMD4<Float>.self)
                }
                out += 8 &* width
                p &+= 8
            }
            for q in p..<kc {
                for l in 0..<4 { dst[q &* width &+ lane &+ l] = scale * run[l &* ld &+ q] }
            }
            lane &+= 4
        }
        // Read 8 steps of a lane at once and store each where its step of k starts.
        for lane in lane..<count {
            let run = src + ((first + lane) &* ld &+ k0)
            var out = dst + lane, p = 0
            while p &+ 8 <= kc {
                let v = load8(run, p) * scale8
                out[0] = v[0]; out[width] = v[1]; out[2 &* width] = v[2]; out[3 &* width] = v[3]
                out[4 &* width] = v[4]; out[5 &* width] = v[5]; out[6 &* width] = v[6]; out[7 &* width] = v[7]
                out += 8 &* width
                p &+= 8
            }
            while p < kc { out[0] = scale * run[p]; out += width; p &+= 1 }
        }
    } else {
        var row = src + (k0 &* ld &+ first), out = dst
        for _ in 0..<kc {
            // a plain copy where there is nothing to scale (B always): the same values, faster; a
            // few lanes, so inline rather than through memmove
            var lane = 0
            if scale == 1 {
                while lane &+ 8 <= count { store8(load8(row, lane), out, lane); lane &+= 8 }
                while lane < count { out[lane] = row[lane]; lane &+= 1 }
            } else {
                for lane in 0..<count { out[lane] = scale * row[lane] }
            }
            row += ld
            out += width
        }
    }
}

/// Packing space kept per thread and grown on demand, so a product allocates nothing once warm.
enum GEMMScratch {
    private final class Buffer {
        let base: UnsafeMutablePointer<Float>
        let count: Int
        init(count: Int) {
            self.count = count
            base = HugePages.allocate(floats: count)
        }
        deinit { HugePages.free(base) }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            #if os(Linux)
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
            #else
            Unmanaged<AnyObject>.fromOpaque(pointer).release()
            #endif
        }
        return key
    }()

    /// At least `floats` floats of this thread's scratch (contents undefined).
    static func forThisThread(floats: Int) -> UnsafeMutablePointer<Float> {
        if let raw = pthread_getspecific(key) {
            let buffer = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Buffer
            if buffer.count >= floats { return buffer.base }
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
        let buffer = Buffer(count: floats)
        pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(buffer as AnyObject).toOpaque())
        return buffer.base
    }
}
