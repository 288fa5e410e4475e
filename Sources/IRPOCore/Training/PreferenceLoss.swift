import Foundation

/// Which objective `dpo-train` minimises.
public enum PreferenceLossKind: String, Sendable, CaseIterable {
    /// DPO + α·NLL(winner)/|yw| (the paper's v3 loss).
    case irpo
    /// DPO alone (the paper's α = 0 ablation).
    case dpo
    /// NLL of the winner (or of a plain completion), per token of that completion.
    case sft
    /// IPO (Azar et al.) on length-normalised log-ratios, as TRL's `loss_type="ipo"`.
    case ipo
    /// DPO-Positive (Pal et al. 2024): DPO with a penalty when the winner falls below the reference.
    case dpop

    /// Whether the loss needs reference log-probs (and a rejected completion).
    public var needsReference: Bool { self != .sft }
}

/// The constants of the losses.
public struct PreferenceLossParameters: Sendable, Equatable {
    public var kind: PreferenceLossKind
    /// Weight of the winner's length-normalised NLL (used by `irpo` only).
    public var alpha: Double
    /// Inverse temperature of the implicit reward (DPO, DPOP; IPO's margin is 1/(2β)).
    public var beta: Double
    /// DPOP's penalty weight λ.
    public var lambda: Double

    /// Parameters with the paper's defaults (α = 1, β = 0.1) and DPOP's λ = 50.
    public init(kind: PreferenceLossKind = .irpo, alpha: Double = 1, beta: Double = 0.1, lambda: Double = 50) {
        self.kind = kind; self.alpha = alpha; self.beta = beta; self.lambda = lambda
    }
}

/// The four summed completion log-probs of one pair and the two completion lengths.
public struct PairLogProbs: Sendable, Equatable {
    public var policyChosen: Double, policyRejected: Double
    public var referenceChosen: Double, referenceRejected: Double
    /// |yw| and |yl| in tokens (EOS included).
    public var chosenLength: Int, rejectedLength: Int

    /// The log-probs of one pair; for `sft` the rejected and reference values are ignored.
    public init(policyChosen: Double, policyRejected: Double = 0, referenceChosen: Double = 0,
                referenceRejected: Double = 0, chosenLength: Int, rejectedLength: Int = 1) {
        self.policyChosen = policyChosen; self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen; self.referenceRejected = referenceRejected
        self.chosenLength = chosenLength; self.rejectedLength = rejectedLength
    }
}

/// One pair's loss, its derivatives by the two policy log-probs, and TRL's per-pair metrics.
public struct PairLoss: Sendable, Equatable {
    public var loss: Double
    /// ∂loss/∂log πθ(yw|x) and ∂loss/∂log πθ(yl|x); spread over the tokens of each completion by the caller.
    public var dPolicyChosen: Double, dPolicyRejected: Double
    /// −log πθ(yw|x)/|yw|, reported whatever the loss.
    public var nll: Double
    /// β·(log πθ − log πref) of each completion (TRL's `rewards/chosen`, `rewards/rejected`).
    public var rewardChosen: Double, rewardRejected: Double
}

/// Numerically stable log(1 + eˣ).
@inline(__always) func softplus(_ x: Double) -> Double {
    x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
}

/// Numerically stable 1/(1 + e⁻ˣ).
@inline(__always) func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
}

/// The loss of one pair as a pure function of its four log-probs.
///
/// Rewards are always β times the summed log-ratios (also for IPO, whose loss uses
/// length-normalised ones), so the reward metrics mean the same thing across variants.
public func pairLoss(_ p: PairLogProbs, _ params: PreferenceLossParameters) -> PairLoss {
    let beta = params.beta
    let nw = Double(max(p.chosenLength, 1)), nl = Double(max(p.rejectedLength, 1))
    let ratioW = p.policyChosen - p.referenceChosen, ratioL = p.policyRejected - p.referenceRejected
    let nll = -p.policyChosen / nw
    var out = PairLoss(loss: 0, dPolicyChosen: 0, dPolicyRejected: 0, nll: nll,
                       rewardChosen: beta * ratioW, rewardRejected: beta * ratioL)
    switch params.kind {
    case .sft:
        out.rewardChosen = 0; out.rewardRejected = 0
        out.loss = nll
        out.dPolicyChosen = -1 / nw
    case .irpo, .dpo:
        // L = softplus(−z), z = β(ratioW − ratioL); dL/dz = −σ(−z).
        let z = beta * (ratioW - ratioL)
        let dz = -sigmoid(-z)
        out.loss = softplus(-z)
        out.dPolicyChosen = dz * beta
        out.dPolicyRejected = -dz * beta
        if params.kind == .irpo {
            out.loss += params.alpha * nll
            out.dPolicyChosen -= params.alpha / nw
        }
    case .dpop:
        // z = β(ratioW − ratioL) − βλ·max(0, log πref(yw) − log πθ(yw)); the max's derivative
        // by log πθ(yw) is −1 where the winner is below the reference, 0 elsewhere.
        let below = -ratioW
        let z = beta * (ratioW - ratioL) - beta * params.lambda * max(0, below)
        let dz = -sigmoid(-z)
        out.loss = softplus(-z)
        out.dPolicyChosen = dz * (beta + (below > 0 ? beta * params.lambda : 0))
        out.dPolicyRejected = -dz * beta
    case .ipo:
        // h = ratioW/|yw| − ratioL/|yl| (TRL averages IPO's log-probs per token); L = (h − 1/(2β))².
        let h = ratioW / nw - ratioL / nl
        let r = h - 1 / (2 * beta)
        out.loss = r * r
        out.dPolicyChosen = 2 * r / nw
        out.dPolicyRejected = -2 * r / nl
    }
    return out
}
