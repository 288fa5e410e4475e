/// One tokenized training record: a prompt with a winner and, for preference losses, a loser.
public struct TrainingExample: Sendable, Equatable {
    /// The conditioning ids (BOS if the tokenizer adds one, then the prompt), possibly cut from the left.
    public var prompt: [Int32]
    /// encode(chosen) + [EOS]: every id scored.
    public var chosen: [Int32]
    /// encode(rejected) + [EOS]; nil for an SFT example.
    public var rejected: [Int32]?

    /// An example from ids already built by the tokenizing rule.
    public init(prompt: [Int32], chosen: [Int32], rejected: [Int32]?) {
        self.prompt = prompt; self.chosen = chosen; self.rejected = rejected
    }

    /// Tokens this example puts in a packed batch (the prompt once).
    public var packedTokens: Int { prompt.count + chosen.count + (rejected?.count ?? 0) }

    /// Tokenizes by the project's one rule (`Tokenizer.tokenizePair`): the prompt's ids are those
    /// of `tokenizePrompt`, each completion's are the rest of `tokenizePair` for it.
    public static func tokenize(prompt: String, chosen: String, rejected: String?, tokenizer: Tokenizer,
                                eosTokenId: Int32) -> TrainingExample {
        let w = tokenizer.tokenizePair(prompt: prompt, completion: chosen, eosTokenId: eosTokenId)
        let promptIds = Array(w.ids[..<w.completionStart])
        let l = rejected.map { tokenizer.tokenizePair(prompt: prompt, completion: $0, eosTokenId: eosTokenId) }
        return TrainingExample(prompt: promptIds, chosen: Array(w.ids[w.completionStart...]),
                               rejected: l.map { Array($0.ids[$0.completionStart...]) })
    }

    /// Cuts the prompt from the left so prompt + longer completion fit in `maxLength` tokens;
    /// nil when the completion alone leaves no room for even one prompt token (the first
    /// completion token must be predicted from something), or the prompt is empty.
    public func fitted(maxLength: Int) -> TrainingExample? {
        let longest = max(chosen.count, rejected?.count ?? 0)
        let room = maxLength - longest
        guard room >= 1, !prompt.isEmpty else { return nil }
        if prompt.count <= room { return self }
        var cut = self
        cut.prompt = Array(prompt.suffix(room))
        return cut
    }
}

/// Where an example's scores sit in a packed batch's log-prob array.
public struct PackedExample: Sendable, Equatable {
    public var chosen: Range<Int>
    public var rejected: Range<Int>?
}

extension PackedBatch {
    /// Appends `examples` with each distinct prompt once and, under it, each distinct completion
    /// once: pairs that share a prompt (a problem's K pairs) or a completion (round-robin pairing
    /// reuses winners and losers) are scored from one copy, and a caller adds the pairs' gradients
    /// into it. Every log-prob is the same bits as when its example is packed alone (no product
    /// mixes rows, and attention stays inside a sequence's own prompt and branch). SFT examples,
    /// which have no second completion, keep one sequence each.
    public mutating func appendSharing(_ examples: [TrainingExample]) -> [PackedExample] {
        var placed = [PackedExample?](repeating: nil, count: examples.count)
        var groups: [(prompt: [Int32], completions: [[Int32]], members: [Int])] = []
        var groupOf: [[Int32]: Int] = [:]
        for (i, example) in examples.enumerated() {
            guard example.rejected != nil else { placed[i] = append(example); continue }
            if let g = groupOf[example.prompt] {
                groups[g].members.append(i)
            } else {
                groupOf[example.prompt] = groups.count
                groups.append((example.prompt, [], [i]))
            }
        }
        for group in groups {
            var branchOf: [[Int32]: Int] = [:]
            var completions: [[Int32]] = []
            for i in group.members {
                for completion in [examples[i].chosen, examples[i].rejected!] where branchOf[completion] == nil {
                    branchOf[completion] = completions.count
                    completions.append(completion)
                }
            }
            let ranges = appendTree(prefix: group.prompt, branches: completions)
            for i in group.members {
                placed[i] = PackedExample(chosen: ranges[branchOf[examples[i].chosen]!],
                                          rejected: ranges[branchOf[examples[i].rejected!]!])
            }
        }
        return placed.map { $0! }
    }

    /// Appends the prompt once with its completions as branches of one tree, so the prompt's
    /// forward and backward are computed once per pair (equal to the separate computation).
    public mutating func append(_ example: TrainingExample) -> PackedExample {
        if let rejected = example.rejected {
            let r = appendTree(prefix: example.prompt, branches: [example.chosen, rejected])
            return PackedExample(chosen: r[0], rejected: r[1])
        }
        let r = appendSequence(example.prompt + example.chosen, scoreFrom: example.prompt.count)
        return PackedExample(chosen: r, rejected: nil)
    }
}

/// Sums a range of Float log-probs in Double, in index order.
@inline(__always) func sum(_ values: [Float], _ range: Range<Int>) -> Double {
    var s = 0.0
    for i in range { s += Double(values[i]) }
    return s
}
