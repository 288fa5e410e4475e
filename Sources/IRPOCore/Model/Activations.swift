/// Everything the training forward saves for backward, sized for one batch shape and reused.
///
/// One arena holds all of it; the slices are named here.
final class Activations {
    struct Layer {
        var input: Int          // (N,C) residual stream entering the layer
        var rstd1: Int          // (N)
        var normed1: Int        // (N,C) input to the q/k/v GEMM
        var qkv: Int            // (N,QKV) q and k after RoPE, v
        var probs: Int          // Σ_blocks NH·T² attention probabilities
        var attended: Int       // (N,QW) attention output, input to o_proj
        var mid: Int            // (N,C) residual stream after attention
        var rstd2: Int          // (N)
        var normed2: Int        // (N,C) input to the gate/up GEMM
        var gateUp: Int         // (N,2F)
        var hidden: Int         // (N,F) silu(gate)⊙up, input to down_proj
    }
    let tokens: Int, scored: Int, logitRows: Int, probsPerLayer: Int
    let layers: [Layer]
    let output: Int             // (N,C) residual stream after the last layer
    let rstdFinal: Int          // (N)
    let normedFinal: Int        // (N,C)
    let gathered: Int           // (S,C) final hidden states of the scored tokens' predecessors
    let logits: Int             // (R,V) one lm_head chunk's logits, softmax probabilities after it
    let arena: Arena

    init(config: LlamaConfig, tokens N: Int, scored S: Int, logitRows R: Int, probsPerLayer: Int) {
        let layout = Self.layout(config: config, tokens: N, scored: S, logitRows: R, probsPerLayer: probsPerLayer)
        layers = layout.layers
        (output, rstdFinal, normedFinal, gathered, logits) = layout.tail
        logitRows = R
        tokens = N
        scored = S
        self.probsPerLayer = probsPerLayer
        arena = Arena(layout.plan)
    }

    /// Where each slice goes for a batch of this shape: one plan, read by `init` and `floats`.
    private static func layout(config: LlamaConfig, tokens N: Int, scored S: Int, logitRows R: Int, probsPerLayer: Int)
        -> (plan: ArenaPlan, layers: [Layer], tail: (Int, Int, Int, Int, Int)) {
        let C = config.hiddenSize, F = config.intermediateSize, V = config.vocabSize
        let QKV = config.qkvWidth
        var plan = ArenaPlan()
        func take(_ n: Int) -> Int { plan.take(n) }
        var layers: [Layer] = []
        for _ in 0..<config.numHiddenLayers {
            layers.append(Layer(input: take(N * C), rstd1: take(N), normed1: take(N * C), qkv: take(N * QKV),
                                probs: take(probsPerLayer), attended: take(N * config.queryWidth), mid: take(N * C),
                                rstd2: take(N), normed2: take(N * C), gateUp: take(N * 2 * F), hidden: take(N * F)))
        }
        let tail = (take(N * C), take(N), take(N * C), take(S * C), take(R * V))
        return (plan, layers, tail)
    }

    /// Floats held.
    var count: Int { arena.count }

    /// Floats the activations of a batch of this shape take.
    static func floats(config c: LlamaConfig, tokens N: Int, scored S: Int, logitRows R: Int, probsPerLayer P: Int) -> Int {
        layout(config: c, tokens: N, scored: S, logitRows: R, probsPerLayer: P).plan.count
    }

    /// Whether a batch of this shape fits without reallocating.
    func fits(tokens N: Int, scored S: Int, logitRows R: Int, probsPerLayer P: Int) -> Bool {
        N <= tokens && S <= scored && R <= logitRows && P <= probsPerLayer
    }

    subscript(_ offset: Int) -> UnsafeMutablePointer<Float> { arena[offset] }
}
