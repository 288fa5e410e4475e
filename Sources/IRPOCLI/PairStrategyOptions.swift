import ArgumentParser
import IRPOCore

/// How `pair` chooses pairs: the paper's right-over-wrong rule, or by a score field.
public enum PairStrategy: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// Correct completions over wrong ones (IRPO).
    case correct
    /// The highest-scored completion over the lowest (Self-Rewarding LMs).
    case bestWorst = "best-worst"
    /// Every two completions whose scores differ by more than --min-gap (RS-DPO).
    case gap

    /// The score-ranked rule, nil for the right-over-wrong one.
    public var scored: ScorePairStrategy? { ScorePairStrategy(rawValue: rawValue) }
}

/// `--strategy`, `--score-field` and `--min-gap`.
public struct PairStrategyOptions: ParsableArguments {
    @Option(help: "How pairs are chosen: correct over wrong, the highest score over the lowest (best-worst), or every two scores further apart than --min-gap (gap).")
    public var strategy: PairStrategy = .correct

    @Option(help: ArgumentHelp("Field holding each sample's score, for best-worst and gap.", valueName: "name"))
    public var scoreField = "score"

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep only pairs whose score gap exceeds this (best-worst and gap).", valueName: "gap"))
    public var minGap: Double = 0

    /// Defaults.
    public init() {}

    /// What `pair --help` says about the score-ranked strategies.
    public static let discussion = """
        --strategy best-worst or gap ranks by a number instead: --score-field ("score" as grade \
        --judge writes it, "reward" for a reward model). A sample whose score is null takes no \
        part; identical completions count once. best-worst (Self-Rewarding LMs) pairs a \
        problem's highest-scored completion with its lowest, the first in input order among \
        equals; gap (RS-DPO) pairs every two whose scores differ by more than --min-gap, at most \
        --max-pairs of them, chosen by the seeded shuffle. A pair whose gap is not above \
        --min-gap (0 by default: equal scores never pair) is dropped. These pairs carry \
        "chosen_score" and "rejected_score" instead of the preds; the summary counts problems \
        with fewer than two scored samples, problems with no gap above --min-gap, and samples \
        without a score.
        """

    public func validate() throws {
        if !(minGap >= 0) || !minGap.isFinite { throw ValidationError("--min-gap must be 0 or more") }
        if strategy == .correct && (minGap != 0 || scoreField != "score") {
            throw ValidationError("--score-field and --min-gap are used with --strategy best-worst or gap")
        }
    }

    /// Refuses --gold-winners with a score-ranked strategy: a gold solution has no score.
    public func check(goldWinners: Bool) throws {
        if goldWinners && strategy != .correct {
            throw ValidationError("--gold-winners is used with --strategy correct (a gold solution has no score)")
        }
    }

    /// The score field to read, nil for the right-over-wrong rule.
    public var field: String? { strategy == .correct ? nil : scoreField }
}
