import Foundation

// The Llama MLP's gate: h = silu(gate) ⊙ up, with gate and up side by side in one (N, 2F) row.

/// h (N,F) = silu(gateUp[:, :F]) ⊙ gateUp[:, F:]. gateUp (N,2F).
public func swigluForward(out: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, width F: Int) {
    let o = SendablePointer(out), gu = SendablePointer(UnsafeMutablePointer(mutating: gateUp))
    parallelFor(rows, grain: 8) { range in
        for i in range {
            let g = gu + i * 2 * F, u = g + F, h = o + i * F
            for j in 0..<F {
                let x = g[j]
                h[j] = (x / (1 + Foundation.exp(-x))) * u[j]
            }
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
            for j in 0..<F {
                // silu(x) = x·σ(x);  silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
                let x = g[j]
                let sig = 1 / (1 + Foundation.exp(-x))
                du[j] = dhi[j] * (x * sig)
                dg[j] = dhi[j] * u[j] * sig * (1 + x * (1 - sig))
            }
        }
    }
}
