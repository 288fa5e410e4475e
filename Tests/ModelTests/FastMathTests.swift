import Foundation
import Testing
import IRPOCore

/// The vectorised exp against the C library's, in units in the last place.
@Suite struct FastMathTests {
    static func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        return abs(Int(a.bitPattern) - Int(b.bitPattern))
    }

    @Test func expIsWithinTwoUlpOfLibm() {
        // 400,001 evenly spaced points over [−87, 88] plus tiny magnitudes around 0.
        var worst = 0, worstAt: Float = 0
        var points: [Float] = (0...400_000).map { (i: Int) -> Float in -87 + 175.72 * Float(i) / 400_000 }
        for e in -30 ... -1 {
            let tiny = Float(pow(10.0, Double(e)))
            points += [tiny, -tiny]
        }
        for x in points {
            let u = Self.ulps(exp1(x), Foundation.exp(x))
            if u > worst { worst = u; worstAt = x }
        }
        #expect(worst <= 2, "worst \(worst) ulp at \(worstAt)")
    }

    @Test func expHandlesTheEnds() {
        #expect(exp1(0) == 1)
        #expect(exp1(-.infinity) == 0)
        #expect(exp1(-1000) == 0)
        #expect(exp1(100) == .infinity)
        #expect(Self.ulps(exp1(88.7), Foundation.exp(88.7)) <= 2)
        let v = exp8(SIMD8<Float>(-3, -2, -1, 0, 1, 2, 3, 4))
        for i in 0..<8 { #expect(Self.ulps(v[i], Foundation.exp(Float(i) - 3)) <= 2) }
    }

    /// SwiGLU's rows run whole vectors in place and the tail through padded copies: every
    /// element, in the body or the tail, must be exactly the one-lane formula, so a row's
    /// result cannot depend on where its width falls against the vector length.
    @Test(arguments: [1, 7, 8, 9, 15, 16, 20, 27])
    func swigluIsTheLaneFormulaAtEveryWidth(width F: Int) {
        let rows = 3
        let gateUp = (0..<rows * 2 * F).map { Float(sin(Double($0) * 0.37)) * 6 }
        let dout = (0..<rows * F).map { Float(cos(Double($0) * 0.53)) }
        var h = [Float](repeating: .nan, count: rows * F), d = [Float](repeating: .nan, count: rows * 2 * F)
        swigluForward(out: &h, gateUp: gateUp, rows: rows, width: F)
        swigluBackward(dgateUp: &d, dout: dout, gateUp: gateUp, rows: rows, width: F)
        for i in 0..<rows {
            for j in 0..<F {
                let x = gateUp[i * 2 * F + j], u = gateUp[i * 2 * F + F + j], g = dout[i * F + j]
                let sig = 1 / (1 + exp1(-x))
                #expect(h[i * F + j] == (x / (1 + exp1(-x))) * u, "h[\(i)][\(j)]")
                #expect(d[i * 2 * F + F + j] == g * (x * sig), "d up[\(i)][\(j)]")
                #expect(d[i * 2 * F + j] == g * u * sig * (1 + x * (1 - sig)), "d gate[\(i)][\(j)]")
            }
        }
    }
}
