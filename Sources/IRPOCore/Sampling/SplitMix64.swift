import Foundation

/// A small seeded random number generator (SplitMix64): fast, 64-bit state, fully reproducible.
///
/// Every random choice in irpo flows from a value of this type built from the user's seed,
/// never from global state.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: UInt64

    /// A generator whose whole future is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for one item of a larger job, e.g. (seed, problem, sample): streams for
    /// different keys are unrelated, whatever order the items are processed in.
    public init(seed: UInt64, keys: UInt64...) {
        var s = SplitMix64(seed: seed)
        for key in keys { s = SplitMix64(seed: s.next() ^ Self.mix(key &+ 0x632B_E59B_D9B4_E019)) }
        self = s
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample (Box-Muller; one of the pair is dropped so the stream stays simple).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextUnitDouble(), u2 = nextUnitDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    private static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A stable 64-bit hash of a string (FNV-1a), for deriving per-item random streams from ids.
public func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return h
}

