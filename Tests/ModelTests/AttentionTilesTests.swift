import Foundation
import Testing
@testable import IRPOCore
import IRPOTestSupport

/// The attention products skip the tiles the mask zeroes: every attended key must still be in a
/// computed tile, and the results must keep every bit of the whole T × T products.
@Suite struct AttentionTilesTests {
    /// Plain sequences and prompt trees whose parts straddle tile boundaries.
    static func batch(seed: UInt64) -> PackedBatch {
        var rng = SplitMix64(seed: seed)
        func ids(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(rng.next() % 40) } }
        var batch = PackedBatch()
        batch.appendSequence(ids(131), scoreFrom: 1)
        batch.appendTree(prefix: ids(64), branches: [ids(97), ids(150)])
        batch.appendTree(prefix: ids(5), branches: [ids(40), ids(3), ids(61)])
        batch.appendTree(prefix: ids(100), branches: [ids(1), ids(48)])
        return batch
    }

    @Test func everyAttendedKeyIsInAComputedTile() {
        let batch = Self.batch(seed: 1)
        for block in batch.blocks {
            let tiles = AttentionTiles(blockStart: block.lowerBound, count: block.count,
                                       sharedEnd: batch.sharedEnd, branchStart: batch.branchStart)
            #expect(tiles.queryTiles.flatMap { Array($0.rows) } == Array(0..<block.count))
            #expect(tiles.keyTiles.flatMap { Array($0.keys) } == Array(0..<block.count))
            var skipped = 0
            for q in 0..<block.count {
                let queryTile = tiles.queryTiles.first { $0.rows.contains(q) }!
                for key in 0..<block.count {
                    let attends = batch.canAttend(query: block.lowerBound + q, key: block.lowerBound + key)
                    let computed = queryTile.keyRanges.contains { $0.contains(key) }
                    let keyTile = tiles.keyTiles.first { $0.keys.contains(key) }!
                    if attends {
                        #expect(computed && keyTile.queries.contains(q), "block \(block): query \(q) attends key \(key)")
                    }
                    if queryTile.gap.contains(key) { #expect(!attends, "block \(block): key \(key) in query \(q)'s tile gap") }
                    if !computed && !keyTile.queries.contains(q) { skipped += 1 }
                }
            }
            // the trees leave their siblings out, not only the upper triangle
            if block.count > 2 * AttentionTiles.size { #expect(skipped > block.count * block.count / 4, "block \(block)") }
        }
    }

    /// The products over the whole blocks, masked afterwards: the computation before tiling.
    static func wholeProducts(qkv: UnsafePointer<Float>, dattended: UnsafePointer<Float>, batch: PackedBatch,
                              config c: LlamaConfig, kernel: KernelPath) -> (attended: [Float], dqkv: [Float]) {
        let NH = c.numAttentionHeads, HS = c.headDim, QW = c.queryWidth, KW = c.keyValueWidth, QKV = c.qkvWidth
        let groupSize = NH / c.numKeyValueHeads, scale = 1 / Float(HS).squareRoot()
        let attended = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * QW)
        let dqkv = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * QKV)
        let T0 = batch.longestBlock, P = UnsafeMutablePointer<Float>.allocate(capacity: T0 * T0)
        let dP = UnsafeMutablePointer<Float>.allocate(capacity: T0 * T0)
        defer { attended.deallocate(); dqkv.deallocate(); P.deallocate(); dP.deallocate() }
        for block in batch.blocks {
            let T = block.count, start = block.lowerBound, rows = qkv + start * QKV, drows = dqkv + start * QKV
            for h in 0..<NH {
                let g = h / groupSize, first = h % groupSize == 0, dAtt = dattended + start * QW + h * HS
                gemm(.none, .transposed, m: T, n: T, k: HS, alpha: scale, a: rows + h * HS, lda: QKV,
                     b: rows + QW + g * HS, ldb: QKV, c: P, ldc: T, path: kernel)
                batch.sharedEnd.withUnsafeBufferPointer { s in batch.branchStart.withUnsafeBufferPointer { b in
                    maskedSoftmaxRows(P, blockSize: T, blockStart: start, sharedEnd: s.baseAddress!, branchStart: b.baseAddress!)
                }}
                gemm(.none, .none, m: T, n: HS, k: T, a: P, lda: T, b: rows + QW + KW + g * HS,
                     ldb: QKV, c: attended + start * QW + h * HS, ldc: QW, path: kernel)
                gemm(.none, .transposed, m: T, n: T, k: HS, a: dAtt, lda: QW, b: rows + QW + KW + g * HS,
                     ldb: QKV, c: dP, ldc: T, path: kernel)
                gemm(.transposed, .none, m: T, n: HS, k: T, a: P, lda: T, b: dAtt, ldb: QW,
                     accumulate: !first, c: drows + QW + KW + g * HS, ldc: QKV, path: kernel)
                softmaxRowsBackward(dP, probs: P, blockSize: T)
                gemm(.none, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                     b: rows + QW + g * HS, ldb: QKV, c: drows + h * HS, ldc: QKV, path: kernel)
                gemm(.transposed, .none, m: T, n: HS, k: T, alpha: scale, a: dP, lda: T,
                     b: rows + h * HS, ldb: QKV, accumulate: !first, c: drows + QW + g * HS, ldc: QKV, path: kernel)
            }
        }
        return (Array(UnsafeBufferPointer(start: attended, count: batch.count * QW)),
                Array(UnsafeBufferPointer(start: dqkv, count: batch.count * QKV)))
    }

    @Test(arguments: KernelPath.available)
    func tiledProductsKeepEveryBit(kernel: KernelPath) throws {
        let c = try LlamaConfig(vocabSize: 40, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 1,
                                numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 512)
        let batch = Self.batch(seed: 2)
        var rng = SplitMix64(seed: 3)
        let qkv = (0..<(batch.count * c.qkvWidth)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
        let dattended = (0..<(batch.count * c.queryWidth)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
        let blocks = AttentionBlocks(batch, heads: c.numAttentionHeads)
        var attended = [Float](repeating: .nan, count: batch.count * c.queryWidth)
        var probs = [Float](repeating: .nan, count: blocks.probsPerLayer)
        var dqkv = [Float](repeating: .nan, count: batch.count * c.qkvWidth)
        let threads = ComputeThreads.count
        // NaN scratch: a masked entry the tiles read without writing it first would show
        var dP = [Float](repeating: .nan, count: threads * blocks.longest * blocks.longest)
        attentionForward(attended: &attended, probs: &probs, qkv: qkv, blocks: blocks, config: c, kernel: kernel)
        attentionBackward(dqkv: &dqkv, dattended: dattended, qkv: qkv, probs: probs, blocks: blocks, dPScratch: &dP,
                          threads: threads, config: c, kernel: kernel)
        let whole = Self.wholeProducts(qkv: qkv, dattended: dattended, batch: batch, config: c, kernel: kernel)
        #expect(attended.map(\.bitPattern) == whole.attended.map(\.bitPattern))
        #expect(dqkv.map(\.bitPattern) == whole.dqkv.map(\.bitPattern))
    }
}
