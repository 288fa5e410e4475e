import IRPOCLI
import IRPOCore

/// The fields of one graded sample that pairing needs.
struct PairSample {
    var prompt: String
    var completion: String
    var pred: JSONValue
    var correct: Bool
    var gold: String?
    var goldPred: JSONValue
    /// The whole record, for the modes that read more of it (pair --prefixes, --continuations).
    var record: JSONRecord

    init(record: JSONRecord, goldField: String?) throws {
        self.record = record
        prompt = try record.requireString("prompt")
        completion = try record.requireString("completion")
        guard let c = try record.correct() else {
            throw LineError("missing field \"correct\" (grade the samples first)")
        }
        correct = c
        _ = try record.pred()  // a string, a number or null, as grade writes it and eval reads it
        pred = record["pred"] ?? .null
        if let goldField {
            guard let g = try record.string(goldField) else { throw RecordFieldError.missing(goldField) }
            gold = g
            goldPred = record["gold"] ?? .null
        } else {
            gold = nil
            goldPred = .null
        }
    }
}

/// All samples of one problem.
struct ProblemGroup {
    var id: JSONValue
    var key: String
    var prompt: String
    var promptPosition: InputPosition
    var lastPosition: InputPosition
    var samples: [PairSample] = []
}

/// Groups samples by id: contiguous groups stream (one group in memory), `--unsorted` keeps all.
struct GroupTracker {
    let unsorted: Bool
    private var current: ProblemGroup?
    private var ended: [String: InputPosition] = [:]
    private var all: [ProblemGroup] = []
    private var index: [String: Int] = [:]

    init(unsorted: Bool) { self.unsorted = unsorted }

    /// Where the group of this id ended, when it already has and the input must be contiguous.
    func endedGroup(of key: String) -> InputPosition? {
        unsorted ? nil : ended[key]
    }

    /// Adds a sample; calls `finished` with a group that the new sample's id closes.
    mutating func add(_ s: PairSample, id: JSONValue, key: String, at position: InputPosition,
                      finished: (ProblemGroup) -> Void) throws {
        if unsorted {
            if let i = index[key] {
                try Self.checkPrompt(s, all[i], at: position)
                all[i].samples.append(s)
                all[i].lastPosition = position
            } else {
                index[key] = all.count
                all.append(ProblemGroup(id: id, key: key, prompt: s.prompt, promptPosition: position,
                                        lastPosition: position, samples: [s]))
            }
            return
        }
        if var g = current, g.key == key {
            try Self.checkPrompt(s, g, at: position)
            current = nil  // keep the samples array uniquely referenced while appending
            g.samples.append(s)
            g.lastPosition = position
            current = g
            return
        }
        if let g = current {
            ended[g.key] = g.lastPosition
            finished(g)
        }
        current = ProblemGroup(id: id, key: key, prompt: s.prompt, promptPosition: position,
                               lastPosition: position, samples: [s])
    }

    /// The groups not yet emitted, in order of first appearance.
    mutating func drain() -> [ProblemGroup] {
        if unsorted { defer { all = [] }; return all }
        defer { current = nil }
        return current.map { [$0] } ?? []
    }

    static func checkPrompt(_ s: PairSample, _ g: ProblemGroup, at position: InputPosition) throws {
        if s.prompt != g.prompt {
            throw LineError("prompt differs from the prompt of id \(g.key) at \(g.promptPosition)")
        }
    }
}

/// Chooses and writes the pairs of each problem, and counts what it did.
struct PairBuilder {
    struct Summary {
        var problems = 0
        var allRight = 0
        var allWrong = 0
        var pairs = 0
    }

    let maxPairs: Int
    let seed: UInt64
    let goldField: String?
    let stepLevel: Bool
    private(set) var summary = Summary()

    init(maxPairs: Int, seed: UInt64, goldField: String?, stepLevel: Bool) {
        self.maxPairs = maxPairs
        self.seed = seed
        self.goldField = goldField
        self.stepLevel = stepLevel
    }

    mutating func emit(_ g: ProblemGroup, to writer: LineWriter) {
        summary.problems += 1
        let graded = g.samples.map { GradedCompletion(text: $0.completion, pred: $0.pred, correct: $0.correct) }
        let gold = goldField == nil ? nil : g.samples.first.flatMap { first in
            first.gold.map { GradedCompletion(text: $0, pred: first.goldPred, correct: true) }
        }
        let pairs: [(GradedCompletion<JSONValue>, GradedCompletion<JSONValue>)]
        switch PreferencePairs.forProblem(graded, gold: gold, maxPairs: maxPairs, seed: seed, problemKey: g.key) {
        case .allRight: summary.allRight += 1; return
        case .allWrong: summary.allWrong += 1; return
        case let .pairs(chosen): pairs = chosen
        }
        for (w, l) in pairs {
            var o = JSONObject()
            if stepLevel {
                let cut = PreferencePairs.cutAtFirstDifferentLine(prompt: g.prompt, chosen: w.text, rejected: l.text)
                o["prompt"] = .string(cut.prompt)
                o["chosen"] = .string(String(cut.chosen))
                o["rejected"] = .string(String(cut.rejected))
            } else {
                o["prompt"] = .string(g.prompt)
                o["chosen"] = .string(w.text)
                o["rejected"] = .string(l.text)
            }
            o["id"] = g.id
            o["chosen_pred"] = w.pred
            o["rejected_pred"] = l.pred
            writer.write(.object(o))
        }
        summary.pairs += pairs.count
    }
}
