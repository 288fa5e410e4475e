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
    /// The sample's score when pairs are ranked by `scoreField`; nil when it is null.
    var score: Double?
    /// The whole record, for the modes that read more of it (pair --prefixes, --continuations).
    var record: JSONRecord

    init(record: JSONRecord, goldField: String?, scoreField: String? = nil) throws {
        self.record = record
        prompt = try record.requireString("prompt")
        completion = try record.requireString("completion")
        if let scoreField {
            guard record[scoreField] != nil else {
                throw LineError("missing field \"\(scoreField)\" (score the samples first, e.g. grade --judge)")
            }
            score = try record.number(scoreField)
            correct = false
        } else {
            guard let c = try record.correct() else {
                throw LineError("missing field \"correct\" (grade the samples first)")
            }
            correct = c
        }
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
        /// Score-ranked: problems with fewer than two distinct scored samples.
        var tooFew = 0
        /// Score-ranked: problems where no two scores differ by more than the threshold.
        var noGap = 0
        /// Score-ranked: samples whose score is null.
        var unscored = 0
    }

    let maxPairs: Int
    let seed: UInt64
    let goldField: String?
    let stepLevel: Bool
    /// The score-ranked rule and its threshold; nil for the right-over-wrong one.
    let scoring: (strategy: ScorePairStrategy, minGap: Double)?
    private(set) var summary = Summary()

    init(maxPairs: Int, seed: UInt64, goldField: String?, stepLevel: Bool,
         scoring: (strategy: ScorePairStrategy, minGap: Double)? = nil) {
        self.maxPairs = maxPairs
        self.seed = seed
        self.goldField = goldField
        self.stepLevel = stepLevel
        self.scoring = scoring
    }

    mutating func emit(_ g: ProblemGroup, to writer: LineWriter) {
        summary.problems += 1
        if let scoring { return emitScored(g, scoring, to: writer) }
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
            write(g, chosen: w.text, rejected: l.text, to: writer, ("chosen_pred", w.pred), ("rejected_pred", l.pred))
        }
        summary.pairs += pairs.count
    }

    private mutating func emitScored(_ g: ProblemGroup, _ scoring: (strategy: ScorePairStrategy, minGap: Double),
                                     to writer: LineWriter) {
        let scored = g.samples.compactMap { s in s.score.map { ScoredCompletion(text: s.completion, score: $0) } }
        summary.unscored += g.samples.count - scored.count
        switch ScoredPairs.forProblem(scored, strategy: scoring.strategy, minGap: scoring.minGap, maxPairs: maxPairs,
                                      seed: seed, problemKey: g.key) {
        case .tooFew: summary.tooFew += 1
        case .noGap: summary.noGap += 1
        case let .pairs(pairs):
            for p in pairs {
                write(g, chosen: p.chosen.text, rejected: p.rejected.text, to: writer,
                      ("chosen_score", JudgeScore.json(p.chosen.score)), ("rejected_score", JudgeScore.json(p.rejected.score)))
            }
            summary.pairs += pairs.count
        }
    }

    /// One pair line: prompt, chosen, rejected (cut at their first differing line with --step),
    /// id, then the two fields that say why chosen won.
    private func write(_ g: ProblemGroup, chosen: String, rejected: String, to writer: LineWriter,
                       _ chosenWhy: (String, JSONValue), _ rejectedWhy: (String, JSONValue)) {
        var o = JSONObject()
        if stepLevel {
            let cut = PreferencePairs.cutAtFirstDifferentLine(prompt: g.prompt, chosen: chosen, rejected: rejected)
            o["prompt"] = .string(cut.prompt)
            o["chosen"] = .string(String(cut.chosen))
            o["rejected"] = .string(String(cut.rejected))
        } else {
            o["prompt"] = .string(g.prompt)
            o["chosen"] = .string(chosen)
            o["rejected"] = .string(rejected)
        }
        o["id"] = g.id
        o[chosenWhy.0] = chosenWhy.1
        o[rejectedWhy.0] = rejectedWhy.1
        writer.write(.object(o))
    }

    /// The summary line for standard error.
    var summaryLine: String {
        let s = summary
        guard let scoring else {
            return "\(s.problems) problems, \(s.allRight) skipped (all right), "
                + "\(s.allWrong) skipped (all wrong), \(s.pairs) pairs written"
        }
        let gap = JSONSerializer.string(JudgeScore.json(scoring.minGap))
        return "\(s.problems) problems, \(s.tooFew) skipped (fewer than two scored), "
            + "\(s.noGap) skipped (no score gap above \(gap)), \(s.pairs) pairs written, "
            + "\(s.unscored) samples without a score"
    }
}
