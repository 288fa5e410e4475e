import Foundation
import Testing
import IRPOCore

/// Each loss variant against its formula written out here, and its two derivatives against
/// central differences of the pure function (all in Double, so the match is to ~1e-9).
@Suite struct LossTests {
    static let cases: [PairLogProbs] = [
        PairLogProbs(policyChosen: -12.5, policyRejected: -9.75, referenceChosen: -12.0, referenceRejected: -10.5,
                     chosenLength: 7, rejectedLength: 4),
        PairLogProbs(policyChosen: -3.0, policyRejected: -40.0, referenceChosen: -5.5, referenceRejected: -20.0,
                     chosenLength: 3, rejectedLength: 11),
        PairLogProbs(policyChosen: -8.0, policyRejected: -8.0, referenceChosen: -8.0, referenceRejected: -8.0,
                     chosenLength: 5, rejectedLength: 5),
    ]

    /// The formulas of the issue, typed in independently of PreferenceLoss.swift.
    static func formula(_ p: PairLogProbs, _ k: PreferenceLossKind, alpha: Double = 1, beta: Double = 0.1, lambda: Double = 50) -> Double {
        let dw = p.policyChosen - p.referenceChosen, dl = p.policyRejected - p.referenceRejected
        let logSigmoid = { (x: Double) in -log(1 + exp(-x)) }
        switch k {
        case .irpo: return -logSigmoid(beta * dw - beta * dl) + alpha * (-p.policyChosen) / Double(p.chosenLength)
        case .dpo: return -logSigmoid(beta * dw - beta * dl)
        case .sft: return -p.policyChosen / Double(p.chosenLength)
        case .dpop: return -logSigmoid(beta * dw - beta * dl - beta * lambda * max(0, p.referenceChosen - p.policyChosen))
        case .ipo:
            let h = dw / Double(p.chosenLength) - dl / Double(p.rejectedLength)
            return (h - 1 / (2 * beta)) * (h - 1 / (2 * beta))
        }
    }

    @Test(arguments: PreferenceLossKind.allCases)
    func lossMatchesFormulaAndDerivativesMatchFiniteDifferences(_ kind: PreferenceLossKind) {
        let params = PreferenceLossParameters(kind: kind, alpha: 1, beta: 0.1, lambda: 50)
        var worst = 0.0
        for p in Self.cases {
            let l = pairLoss(p, params)
            #expect(abs(l.loss - Self.formula(p, kind)) < 1e-12, "\(kind) loss \(l.loss) vs \(Self.formula(p, kind))")
            // DPOP's max() has a kink where the winner equals its reference: no derivative there.
            if kind == .dpop && p.policyChosen == p.referenceChosen { continue }
            let h = 1e-6
            var up = p, down = p
            up.policyChosen += h; down.policyChosen -= h
            let dw = (pairLoss(up, params).loss - pairLoss(down, params).loss) / (2 * h)
            up = p; down = p
            up.policyRejected += h; down.policyRejected -= h
            let dl = (pairLoss(up, params).loss - pairLoss(down, params).loss) / (2 * h)
            worst = max(worst, abs(dw - l.dPolicyChosen), abs(dl - l.dPolicyRejected))
        }
        print("\(kind): max |analytic - finite difference| of the two derivatives \(worst)")
        #expect(worst < 1e-7)
    }

    @Test func variantsRelateAsTheirFormulasSay() {
        let p = Self.cases[0]
        let irpo = pairLoss(p, .init(kind: .irpo)), dpo = pairLoss(p, .init(kind: .dpo))
        // irpo = dpo + α·nll, and α scales only the NLL term.
        #expect(abs(irpo.loss - (dpo.loss + irpo.nll)) < 1e-12)
        #expect(abs(pairLoss(p, .init(kind: .irpo, alpha: 0)).loss - dpo.loss) < 1e-12)
        #expect(abs(irpo.nll - 12.5 / 7) < 1e-12)
        // At policy = reference DPO is log 2 and IPO is (1/(2β))².
        let tie = Self.cases[2]
        #expect(abs(pairLoss(tie, .init(kind: .dpo)).loss - log(2)) < 1e-12)
        #expect(abs(pairLoss(tie, .init(kind: .ipo, beta: 0.1)).loss - 25) < 1e-12)
        // DPOP adds nothing while the winner is above its reference, and penalises when below.
        let above = Self.cases[1]
        #expect(pairLoss(above, .init(kind: .dpop)).loss == pairLoss(above, .init(kind: .dpo)).loss)
        #expect(pairLoss(p, .init(kind: .dpop)).loss > dpo.loss + 1)
        // TRL's reward metrics.
        #expect(abs(dpo.rewardChosen - 0.1 * (-0.5)) < 1e-12 && abs(dpo.rewardRejected - 0.1 * 0.75) < 1e-12)
        // SFT ignores the loser.
        #expect(pairLoss(p, .init(kind: .sft)).dPolicyRejected == 0)
    }

    @Test func extremeMarginsStayFinite() {
        var p = Self.cases[0]
        p.policyChosen = -1e6
        for kind in PreferenceLossKind.allCases {
            let l = pairLoss(p, .init(kind: kind))
            #expect(l.loss.isFinite && l.dPolicyChosen.isFinite && l.dPolicyRejected.isFinite, "\(kind)")
        }
    }
}
