import Foundation
import Testing
import IRPOCore
import IRPOTestSupport

/// The trainer's log-probs, loss and gradients against the plain Double oracle, the tree
/// packing against separate sequences, learning on a toy set, and bit-exact resume.
@Suite struct TrainerTests {
    static func tinyConfig(vocab: Int = 13) throws -> LlamaConfig {
        try LlamaConfig(vocabSize: vocab, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4,
                        numKeyValueHeads: 2, maxPositionEmbeddings: 64, rmsNormEps: 1e-5, ropeTheta: 10000, eosTokenIds: [2])
    }

    static let pairs: [TrainingExample] = [
        TrainingExample(prompt: [1, 5, 7], chosen: [4, 10, 11, 2], rejected: [7, 2]),
        TrainingExample(prompt: [3, 3, 8, 1, 9], chosen: [12, 2], rejected: [6, 6, 0, 2]),
        TrainingExample(prompt: [11], chosen: [1, 2, 3, 4, 5, 2], rejected: [9, 2]),
    ]

    /// Weights far enough from uniform that every path carries signal.
    static func weights(seed: UInt64) throws -> ModelWeights {
        let w = ModelWeights.random(config: try tinyConfig(), seed: seed, std: 0.3)
        var rng = SplitMix64(seed: seed ^ 0xabc)
        for off in w.layout.normOffsets { for c in 0..<16 { w.data[off + c] = 1 + Float(rng.nextGaussian() * 0.2) } }
        return w
    }

    @Test(arguments: PreferenceLossKind.allCases)
    func logprobsLossAndGradientsMatchTheOracle(_ kind: PreferenceLossKind) throws {
        let policy = try Self.weights(seed: 7), ref = try Self.weights(seed: 8)
        var options = PreferenceTrainingOptions()
        options.loss = PreferenceLossParameters(kind: kind, alpha: 0.7, beta: 0.5, lambda: 3)
        options.batchSize = 3
        options.gradientAccumulation = 2
        let examples = kind == .sft ? Self.pairs.map { TrainingExample(prompt: $0.prompt, chosen: $0.chosen, rejected: nil) } : Self.pairs
        let trainer = try PreferenceTrainer(weights: policy, examples: examples, options: options)
        trainer.computeReference(weights: ref)
        trainer.model.zeroGradients()
        let metrics = trainer.accumulate([0, 1, 2])

        var oracle = ReferenceLlama(weights: policy)
        let refOracle = ReferenceLlama(weights: ref)
        // The four log-probs.
        var logpError = 0.0
        for (i, e) in Self.pairs.enumerated() where kind != .sft {
            logpError = max(logpError, abs(trainer.reference[i].chosen - refOracle.logprob(e.prompt + e.chosen, scoreFrom: e.prompt.count)),
                            abs(trainer.reference[i].rejected - refOracle.logprob(e.prompt + e.rejected!, scoreFrom: e.prompt.count)))
        }
        let refLogps = Self.pairs.map { e in
            (refOracle.logprob(e.prompt + e.chosen, scoreFrom: e.prompt.count),
             refOracle.logprob(e.prompt + e.rejected!, scoreFrom: e.prompt.count))
        }
        func oracleLoss(_ o: ReferenceLlama) -> (loss: Double, chosen: Double, rejected: Double) {
            var total = 0.0, chosen = 0.0, rejected = 0.0
            for (i, e) in Self.pairs.enumerated() {
                let pc = o.logprob(e.prompt + e.chosen, scoreFrom: e.prompt.count)
                let pr = kind == .sft ? 0 : o.logprob(e.prompt + e.rejected!, scoreFrom: e.prompt.count)
                let p = PairLogProbs(policyChosen: pc, policyRejected: pr, referenceChosen: refLogps[i].0,
                                     referenceRejected: refLogps[i].1, chosenLength: e.chosen.count, rejectedLength: e.rejected!.count)
                total += LossTests.formula(p, kind, alpha: 0.7, beta: 0.5, lambda: 3)
                chosen += pc; rejected += pr
            }
            return (total / 3, chosen / 3, rejected / 3)
        }
        let expected = oracleLoss(oracle)
        logpError = max(logpError, abs(metrics.logpsChosen - expected.chosen), abs(metrics.logpsRejected - expected.rejected))
        let lossError = abs(metrics.loss - expected.loss)
        // float32 sums of ≤ 6 log-probs of magnitude ~3: a few 1e-6 at most.
        #expect(logpError < 2e-5, "log-prob error \(logpError)")
        #expect(lossError < 2e-5, "loss error \(lossError)")

        // Every tensor's gradient against central differences of the whole Double loss.
        var rng = SplitMix64(seed: 5)
        var worst = 0.0
        let h = 1e-5
        for slot in policy.layout.slots {
            var maxDiff = 0.0, maxRef = 0.0
            let entries = slot.count <= 24 ? Array(0..<slot.count) : (0..<24).map { _ in Int(rng.next() % UInt64(slot.count)) }
            for j in entries {
                let idx = slot.offset + j, saved = oracle.params[idx]
                oracle.params[idx] = saved + h
                let up = oracleLoss(oracle).loss
                oracle.params[idx] = saved - h
                let down = oracleLoss(oracle).loss
                oracle.params[idx] = saved
                let numeric = (up - down) / (2 * h)
                maxDiff = max(maxDiff, abs(numeric - Double(trainer.model.gradients[idx])))
                maxRef = max(maxRef, abs(numeric))
            }
            let relative = maxDiff / max(maxRef, 1e-12)
            worst = max(worst, relative)
            #expect(relative < 1e-3, "\(kind) \(slot.name): relative gradient error \(relative)")
            #expect(maxRef > 0, "\(slot.name) gets no gradient")
        }
        print("\(kind): log-prob error \(logpError), loss error \(lossError), worst relative gradient error \(worst)")
    }

    @Test func sharedPromptEqualsSeparateSequences() throws {
        let w = try Self.weights(seed: 11)
        let model = Transformer(weights: w)
        var tree = PackedBatch(), separate = PackedBatch()
        var treeRanges: [PackedExample] = [], sepRanges: [Range<Int>] = []
        for e in Self.pairs {
            treeRanges.append(tree.append(e))
            sepRanges.append(separate.appendSequence(e.prompt + e.chosen, scoreFrom: e.prompt.count))
            sepRanges.append(separate.appendSequence(e.prompt + e.rejected!, scoreFrom: e.prompt.count))
        }
        let treeLp = model.forward(tree)
        let weightsOf = { (n: Int) in (0..<n).map { Float(($0 * 37) % 11) / 10 - 0.5 } }
        let dTree = weightsOf(treeLp.count)
        model.zeroGradients()
        model.backward(dTree)
        let treeGrad = Array(UnsafeBufferPointer(start: model.gradients, count: w.count))

        let sepLp = model.forward(separate)
        // The same per-token weights, mapped onto the separate layout.
        var dSep = [Float](repeating: 0, count: sepLp.count)
        var maxLp: Float = 0
        for (i, r) in treeRanges.enumerated() {
            for (a, b) in zip(r.chosen, sepRanges[2 * i]) { dSep[b] = dTree[a]; maxLp = max(maxLp, abs(treeLp[a] - sepLp[b])) }
            for (a, b) in zip(r.rejected!, sepRanges[2 * i + 1]) { dSep[b] = dTree[a]; maxLp = max(maxLp, abs(treeLp[a] - sepLp[b])) }
        }
        model.zeroGradients()
        model.backward(dSep)
        var maxGrad: Float = 0, scale: Float = 0
        for i in 0..<w.count { maxGrad = max(maxGrad, abs(treeGrad[i] - model.gradients[i])); scale = max(scale, abs(treeGrad[i])) }
        print("tree vs separate: max log-prob diff \(maxLp), max gradient diff \(maxGrad) (largest gradient \(scale))")
        #expect(maxLp < 1e-5)
        #expect(maxGrad < 1e-5 * scale)
        #expect(tree.count < separate.count)
    }

    @Test func tokenizationIsThePairRule() throws {
        let tok = Tokenizer.byteLevel(specials: ["<eos>"])
        let e = TrainingExample.tokenize(prompt: "Q: 2+2?\n", chosen: " 4", rejected: " five", tokenizer: tok, eosTokenId: 256)
        let w = tok.tokenizePair(prompt: "Q: 2+2?\n", completion: " 4", eosTokenId: 256)
        #expect(e.prompt + e.chosen == w.ids && e.prompt.count == w.completionStart)
        #expect(e.prompt == tok.tokenizePrompt("Q: 2+2?\n"))
        #expect(e.rejected == tok.encode(" five") + [256])
        // Cut from the left to fit; dropped when the completion leaves no room for a prompt token.
        let fitted = e.fitted(maxLength: 8)!
        #expect(fitted.prompt == Array(e.prompt.suffix(8 - 6)) && fitted.rejected == e.rejected)
        #expect(e.fitted(maxLength: 6) == nil)
        #expect(e.fitted(maxLength: 100) == e)
    }

    /// Pairs whose winner continues the prompt's last token with one fixed rule and the loser another.
    static func toySet() -> [TrainingExample] {
        var rng = SplitMix64(seed: 3)
        return (0..<24).map { _ in
            let p = (0..<4).map { _ in Int32(3 + rng.next() % 10) }
            let good = (p[3] + 1 - 3) % 10 + 3, bad = (p[3] + 5 - 3) % 10 + 3
            return TrainingExample(prompt: p, chosen: [good, 2], rejected: [bad, 2])
        }
    }

    @Test func accuraciesRiseOnAToyPreferenceSet() throws {
        let w = ModelWeights.random(config: try Self.tinyConfig(), seed: 1)
        var options = PreferenceTrainingOptions()
        options.loss = .init(kind: .dpo, beta: 0.5)
        options.learningRate = 3e-3
        options.batchSize = 8
        options.epochs = 15
        let trainer = try PreferenceTrainer(weights: w, examples: Self.toySet(), options: options)
        trainer.computeReference()
        var first: TrainingMetrics?, last: TrainingMetrics?
        while !trainer.finished {
            let m = try trainer.trainStep()
            if first == nil { first = m }
            last = m
        }
        trainer.model.zeroGradients()
        let all = trainer.accumulate(Array(0..<24))
        print("toy set: step 1 accuracy \(first!.rewardsAccuracies) loss \(first!.loss); step \(last!.step) accuracy \(last!.rewardsAccuracies); all pairs \(all.rewardsAccuracies) loss \(all.loss) margin \(all.rewardsMargins)")
        #expect(first!.rewardsAccuracies == 0)  // policy = reference: no pair is ahead yet
        #expect(all.rewardsAccuracies >= 0.9)
        #expect(all.loss < first!.loss - 0.1)
    }

    @Test func resumeIsBitExact() throws {
        var options = PreferenceTrainingOptions()
        options.learningRate = 1e-2
        options.batchSize = 5
        options.epochs = 3
        options.schedule = .cosine
        options.warmupSteps = 2
        options.weightDecay = 0.1
        options.seed = 9
        let start = ModelWeights.random(config: try Self.tinyConfig(), seed: 4)
        let examples = Self.toySet()

        let whole = start.copy()
        let a = try PreferenceTrainer(weights: whole, examples: examples, options: options)
        a.computeReference()
        while !a.finished { try a.trainStep() }

        let first = start.copy()
        let b = try PreferenceTrainer(weights: first, examples: examples, options: options)
        b.computeReference()
        for _ in 0..<7 { try b.trainStep() }
        let state = b.trainingState()

        // A fresh process: the reference from the starting model, then the saved weights and state.
        let resumed = start.copy()
        let c = try PreferenceTrainer(weights: resumed, examples: examples, options: options)
        c.computeReference()
        resumed.data.update(from: first.data, count: first.count)
        try c.restore(state)
        while !c.finished { try c.trainStep() }
        #expect(a.totalSteps == 15 && c.step == 15)
        #expect(memcmp(whole.data, resumed.data, whole.count * 4) == 0, "resumed weights differ")

        var other = options
        other.seed = 10
        let d = try PreferenceTrainer(weights: start.copy(), examples: examples, options: other)
        #expect(throws: TrainingError.self) { try d.restore(state) }
    }

    @Test func nonFiniteLossStopsNamingTheStep() throws {
        let w = try Self.weights(seed: 2)
        let trainer = try PreferenceTrainer(weights: w, examples: Self.pairs, options: PreferenceTrainingOptions())
        trainer.computeReference()
        w.data[w.layout.finalNorm] = .nan
        let before = Array(w.buffer)
        #expect(throws: TrainingError.nonFinite(step: 1, what: "the loss")) { try trainer.trainStep() }
        #expect(memcmp(before, w.data, w.count * 4) == 0)
        #expect(trainer.step == 0)
    }

    @Test func epochsShuffleDifferentlyAndCoverEveryExample() {
        let a = PreferenceTrainer.shuffledOrder(count: 50, seed: 1, epoch: 0)
        let b = PreferenceTrainer.shuffledOrder(count: 50, seed: 1, epoch: 1)
        #expect(a.sorted() == Array(0..<50) && b.sorted() == Array(0..<50) && a != b)
        #expect(a == PreferenceTrainer.shuffledOrder(count: 50, seed: 1, epoch: 0))
    }
}
