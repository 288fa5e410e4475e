/// What one optimizer step reports, under TRL's metric names.
public struct TrainingMetrics: Sendable, Equatable {
    /// 1-based step number.
    public var step: Int
    /// Fractional epoch reached at the end of the step.
    public var epoch: Double
    public var pairs: Int
    public var loss: Double
    public var nll: Double
    public var rewardsChosen: Double, rewardsRejected: Double
    /// Fraction of pairs whose chosen reward exceeds the rejected one.
    public var rewardsAccuracies: Double
    /// Mean summed log-probs of the completions under the policy.
    public var logpsChosen: Double, logpsRejected: Double
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    public var learningRate: Double
    /// Policy tokens (prompt once per pair) through forward and backward per second of the step.
    public var tokensPerSecond: Double
    /// Whether the reward and rejected metrics mean anything (not for SFT).
    public var preference: Bool

    /// TRL's `rewards/margins`.
    public var rewardsMargins: Double { rewardsChosen - rewardsRejected }

    /// One JSON object with TRL's names (the preference-only ones left out for SFT).
    public var jsonLine: String {
        var fields: [(String, Double)] = [("loss", loss), ("nll", nll)]
        if preference {
            fields += [("rewards/chosen", rewardsChosen), ("rewards/rejected", rewardsRejected),
                       ("rewards/margins", rewardsMargins), ("rewards/accuracies", rewardsAccuracies),
                       ("logps/chosen", logpsChosen), ("logps/rejected", logpsRejected)]
        } else {
            fields += [("logps/chosen", logpsChosen)]
        }
        fields += [("grad_norm", gradNorm), ("learning_rate", learningRate), ("tokens_per_second", tokensPerSecond)]
        var object = JSONObject(["step": JSONValue(step), "epoch": JSONValue(epoch)])
        for (k, v) in fields { object[k] = JSONValue(v) }
        return JSONSerializer.string(.object(object))
    }

    /// A short human-readable line for progress on standard error.
    public func progressLine(totalSteps: Int) -> String {
        var s = "step \(step)/\(totalSteps)  loss \(Self.short(loss))  nll \(Self.short(nll))"
        if preference {
            s += "  margin \(Self.short(rewardsMargins))  acc \(Self.short(rewardsAccuracies))"
        }
        s += "  |g| \(Self.short(gradNorm))  lr \(Self.short(learningRate))  \(Int(tokensPerSecond.rounded())) tok/s"
        return s
    }

    /// Seconds as "45s", "3m12s" or "2h05m", for progress lines.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
    }

    static func short(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        if x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e5) {
            var e = 0, m = abs(x)
            while m >= 10 { m /= 10; e += 1 }
            while m < 1 { m *= 10; e -= 1 }
            var rounded = Double(Int((m * 100).rounded())) / 100
            // 9.999 rounds up to 10.0: write 1.0e(e+1), never 10.0e(e)
            if rounded >= 10 { rounded /= 10; e += 1 }
            return "\(x < 0 ? "-" : "")\(rounded)e\(e)"
        }
        return "\(Double(Int((x * 10000).rounded())) / 10000)"
    }
}
