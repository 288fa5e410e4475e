// The Llama MLP's gate: h = silu(gate) ⊙ up, with gate and up side by side in one (N, 2F) row.

/// h (N,F) = silu(gateUp[:, :F]) ⊙ gateUp[:, F:]. gateUp (N,2F).
public func swigluForward(out: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, width F: Int) {
    parallelFor(rows, grain: 8) { range in
        for i in range { swigluRow(out: out + i * F, gate: gateUp + i * 2 * F, up: gateUp + i * 2 * F + F, width: F) }
    }
}

/// One row of `swigluForward`: whole vectors in place, the tail (F not a multiple of 8)
/// through zero-padded copies, so that `exp8` has a single call site in plain vector code, which
/// the optimiser keeps inlined and vectorised. Lane for lane the operations are the same.
func swigluRow(out h: UnsafeMutablePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
               width F: Int) {
    let body = F / 8 * 8
    swigluVectors(out: h, gate: g, up: u, vectors: body / 8)
    guard body < F else { return }
    vectorTail(F - body, inputs: [g + body, u + body], outputs: [h + body]) { t in
        swigluVectors(out: t, gate: t + 8, up: t + 16, vectors: 1)
    }
}

/// h = silu(g) ⊙ u over `vectors` × 8 floats.
@inline(never)
func swigluVectors(out h: UnsafeMutablePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
                   vectors: Int) {
    for v in 0..<vectors {
        let j = v * 8, x = load8(g, j)
        store8((x / (1 + exp8(-x))) * load8(u, j), h, j)
    }
}

/// Backward of `swigluForward`: dgateUp (N,2F) = ∂L/∂[gate, up] given dout (N,F).
public func swigluBackward(dgateUp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                           gateUp: UnsafePointer<Float>, rows: Int, width F: Int) {
    parallelFor(rows, grain: 8) { range in
        for i in range {
            swigluBackwardRow(dgate: dgateUp + i * 2 * F, dup: dgateUp + i * 2 * F + F, dout: dout + i * F,
                              gate: gateUp + i * 2 * F, up: gateUp + i * 2 * F + F, width: F)
        }
    }
}

/// One row of `swigluBackward`, whole vectors in place and the tail padded, as `swigluRow`.
func swigluBackwardRow(dgate dg: UnsafeMutablePointer<Float>, dup du: UnsafeMutablePointer<Float>,
                       dout dhi: UnsafePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
                       width F: Int) {
    let body = F / 8 * 8
    swigluBackwardVectors(dgate: dg, dup: du, dout: dhi, gate: g, up: u, vectors: body / 8)
    guard body < F else { return }
    vectorTail(F - body, inputs: [dhi + body, g + body, u + body], outputs: [dg + body, du + body]) { t in
        swigluBackwardVectors(dgate: t, dup: t + 8, dout: t + 16, gate: t + 24, up: t + 32, vectors: 1)
    }
}

/// The gradients of `swigluVectors` over `vectors` × 8 floats.
@inline(never)
func swigluBackwardVectors(dgate dg: UnsafeMutablePointer<Float>, dup du: UnsafeMutablePointer<Float>,
                           dout dhi: UnsafePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
                           vectors: Int) {
    // silu(x) = x·σ(x);  silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
    for v in 0..<vectors {
        let j = v * 8, x = load8(g, j), d = load8(dhi, j)
        let sig = 1 / (1 + exp8(-x))
        store8(d * (x * sig), du, j)
        store8(d * load8(u, j) * sig * (1 + x * (1 - sig)), dg, j)
    }
}
