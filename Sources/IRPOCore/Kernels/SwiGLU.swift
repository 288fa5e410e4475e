// The Llama MLP's gate: h = silu(gate) ⊙ up, with gate and up side by side in one (N, 2F) row.

/// h (N,F) = silu(gateUp[:, :F]) ⊙ gateUp[:, F:]. gateUp (N,2F).
public func swigluForward(out: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, width F: Int) {
    let o = SendablePointer(out), gu = SendablePointer(UnsafeMutablePointer(mutating: gateUp))
    parallelFor(rows, grain: 8) { range in
        for i in range {
            let g = gu + i * 2 * F, u = g + F, h = o + i * F
            var j = 0
            while j + 8 <= F {
                let x = load8(g, j)
                store8((x / (1 + exp8(-x))) * load8(u, j), h, j)
                j += 8
            }
            while j < F { let x = g[j]; h[j] = (x / (1 + exp1(-x))) * u[j]; j += 1 }
        }
    }
}

/// Backward of `swigluForward`: dgateUp (N,2F) = ∂L/∂[gate, up] given dout (N,F).
public func swigluBackward(dgateUp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                           gateUp: UnsafePointer<Float>, rows: Int, width F: Int) {
    let d = SendablePointer(dgateUp), dh = SendablePointer(UnsafeMutablePointer(mutating: dout))
    let gu = SendablePointer(UnsafeMutablePointer(mutating: gateUp))
    parallelFor(rows, grain: 8) { range in
        for i in range {
            let g = gu + i * 2 * F, u = g + F, dhi = dh + i * F
            let dg = d + i * 2 * F, du = dg + F
            // silu(x) = x·σ(x);  silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
            var j = 0
            while j + 8 <= F {
                let x = load8(g, j), d = load8(dhi, j)
                let sig = 1 / (1 + exp8(-x))
                store8(d * (x * sig), du, j)
                store8(d * load8(u, j) * sig * (1 + x * (1 - sig)), dg, j)
                j += 8
            }
            while j < F {
                let x = g[j]
                let sig = 1 / (1 + exp1(-x))
                du[j] = dhi[j] * (x * sig)
                dg[j] = dhi[j] * u[j] * sig * (1 + x * (1 - sig))
                j += 1
            }
        }
    }
}
