extension ModelWeights {
    /// Fresh weights for training from scratch: every matrix N(0, std²) (HF's
    /// `initializer_range`, 0.02 by default), every norm gain 1, every bias 0, all from `seed`.
    public static func random(config: LlamaConfig, seed: UInt64, std: Double = 0.02) -> ModelWeights {
        let weights = ModelWeights(config: config)
        var rng = SplitMix64(seed: seed)
        for slot in weights.layout.slots {
            let t = weights.tensor(slot)
            if slot.shape.count == 1 {
                t.update(repeating: slot.name.hasSuffix(".bias") ? 0 : 1)
            } else {
                for i in t.indices { t[i] = Float(rng.nextGaussian() * std) }
            }
        }
        return weights
    }
}
