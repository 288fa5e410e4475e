/// The parts of one attention block's T × T products that its mask leaves nonzero, in tiles of
/// `size` tokens. Outside them P and dS are 0, and a zero term of a chain of fused multiply-adds
/// leaves the chain as it was, so the products skip them and every other element keeps its bits.
struct AttentionTiles: Sendable {
    /// Tokens per tile: a multiple of every kernel path's register-tile height.
    static let size = 48

    /// A tile of query rows and the keys any of them attends: `shared` (from the block's start)
    /// then `own` (up to the tile's last row); `shared` is empty when one range covers both.
    struct QueryTile: Sendable {
        let rows: Range<Int>
        let shared: Range<Int>
        let own: Range<Int>
        /// The key ranges in order, empty ones left out.
        var keyRanges: [Range<Int>] { shared.isEmpty ? [own] : [shared, own] }
        /// Keys between the two ranges: attended by none of the tile's rows.
        var gap: Range<Int> { shared.isEmpty ? own.lowerBound..<own.lowerBound : shared.upperBound..<own.lowerBound }
    }

    /// A tile of keys and the query rows that may attend them (a contiguous superset).
    struct KeyTile: Sendable {
        let keys: Range<Int>
        let queries: Range<Int>
    }

    let queryTiles: [QueryTile]
    let keyTiles: [KeyTile]

    /// The tiles of the block of `T` tokens starting at `start`, whose token q sees
    /// `[start, sharedEnd[q]) ∪ [branchStart[q], q]` (`PackedBatch`).
    init(blockStart start: Int, count T: Int, sharedEnd: [Int32], branchStart: [Int32]) {
        let size = Self.size
        func seen(_ r: Int) -> (shared: Int, branch: Int) {
            (Int(sharedEnd[start + r]) - start, Int(branchStart[start + r]) - start)
        }
        queryTiles = stride(from: 0, to: T, by: size).map { r0 in
            let rows = r0..<min(T, r0 + size)
            var sharedHi = 0, branchLo = rows.lowerBound
            for r in rows {
                let s = seen(r)
                sharedHi = max(sharedHi, s.shared)
                branchLo = min(branchLo, s.branch)
            }
            if sharedHi >= branchLo { return QueryTile(rows: rows, shared: 0..<0, own: 0..<rows.upperBound) }
            return QueryTile(rows: rows, shared: 0..<sharedHi, own: branchLo..<rows.upperBound)
        }
        keyTiles = stride(from: 0, to: T, by: size).map { c0 in
            let keys = c0..<min(T, c0 + size)
            // a query before the tile sees none of it (causal); the last one that sees any key ends the range
            var last = c0
            for r in c0..<T {
                let s = seen(r)
                if keys.lowerBound < s.shared || max(keys.lowerBound, s.branch) <= min(keys.upperBound - 1, r) { last = r }
            }
            return KeyTile(keys: keys, queries: c0..<(last + 1))
        }
    }
}
