/// Sequences of different lengths packed end to end, with no padding, for one training pass.
///
/// Each token attends only inside its block, and there to the keys
/// `[blockStart, sharedEnd) ∪ [branchStart, self]`: a plain sequence has an empty shared part,
/// and a prompt with several completions (a tree) lets each completion see the prompt and
/// itself but not its siblings. Positions are explicit so that each completion of a tree
/// restarts right after the prompt. Only listed tokens are scored: their log-probability given
/// everything before them (their predecessor's hidden state) comes out of the forward pass.
public struct PackedBatch: Sendable {
    public private(set) var tokens: [Int32] = []
    public private(set) var positions: [Int32] = []
    public private(set) var sharedEnd: [Int32] = []
    public private(set) var branchStart: [Int32] = []
    /// Attention blocks: token ranges that see nothing outside themselves.
    public private(set) var blocks: [Range<Int>] = []
    /// Scored tokens: their index in `tokens` and the index of the token whose hidden state predicts them.
    public private(set) var scoredTokens: [Int32] = []
    public private(set) var scoredPredecessors: [Int32] = []

    /// An empty batch.
    public init() {}

    /// Total tokens (the N of every activation).
    public var count: Int { tokens.count }
    /// Longest attention block.
    public var longestBlock: Int { blocks.map(\.count).max() ?? 0 }

    /// Appends one causal sequence; tokens `scoreFrom...` are scored (scoreFrom ≥ 1: the first
    /// token has nothing to be predicted from). Returns the indices of its scores.
    @discardableResult
    public mutating func appendSequence(_ ids: [Int32], scoreFrom: Int) -> Range<Int> {
        precondition(!ids.isEmpty && scoreFrom >= 1 && scoreFrom <= ids.count, "scoreFrom out of range")
        let start = tokens.count
        appendTokens(ids, firstPosition: 0, sharedEnd: start, branchStart: start)
        blocks.append(start..<tokens.count)
        let first = scoredTokens.count
        for t in scoreFrom..<ids.count {
            scoredTokens.append(Int32(start + t))
            scoredPredecessors.append(Int32(start + t - 1))
        }
        return first..<scoredTokens.count
    }

    /// Appends a prefix with several continuations that share it; every continuation token is
    /// scored. Returns, per branch, the indices of its scores.
    @discardableResult
    public mutating func appendTree(prefix: [Int32], branches: [[Int32]]) -> [Range<Int>] {
        precondition(!prefix.isEmpty, "a tree needs a non-empty prefix to predict its branches from")
        let start = tokens.count
        appendTokens(prefix, firstPosition: 0, sharedEnd: start, branchStart: start)
        let prefixEnd = tokens.count
        var ranges: [Range<Int>] = []
        for branch in branches {
            let branchBegin = tokens.count
            let first = scoredTokens.count
            appendTokens(branch, firstPosition: prefix.count, sharedEnd: prefixEnd, branchStart: branchBegin)
            for t in branch.indices {
                scoredTokens.append(Int32(branchBegin + t))
                scoredPredecessors.append(Int32(t == 0 ? prefixEnd - 1 : branchBegin + t - 1))
            }
            ranges.append(first..<scoredTokens.count)
        }
        blocks.append(start..<tokens.count)
        return ranges
    }

    /// Appends tokens at consecutive positions that all see `[blockStart, sharedEnd) ∪ [branchStart, self]`.
    private mutating func appendTokens(_ ids: [Int32], firstPosition: Int, sharedEnd shared: Int, branchStart branch: Int) {
        for (t, id) in ids.enumerated() {
            tokens.append(id)
            positions.append(Int32(firstPosition + t))
            sharedEnd.append(Int32(shared))
            branchStart.append(Int32(branch))
        }
    }

    /// Whether token `query` may attend to token `key` (both absolute indices in one block).
    @inline(__always)
    public func canAttend(query: Int, key: Int) -> Bool {
        key <= query && (key < Int(sharedEnd[query]) || key >= Int(branchStart[query]))
            && key >= (blocks.first { $0.contains(query) }?.lowerBound ?? 0)
    }
}
