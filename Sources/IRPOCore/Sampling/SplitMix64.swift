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

extension SplitMix64 {
    /// `items` shuffled by Fisher–Yates with draws from this generator, so the order never
    /// depends on the standard library's shuffle algorithm.
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        var i = a.count - 1
        while i > 0 {
            a.swapAt(i, Int(next() % UInt64(i + 1)))
            i -= 1
        }
        return a
    }
}

/// FNV-1a over 64-bit words: the same value in every process and on every machine (Swift's
/// `Hasher` is seeded per process), for keying random streams by id and comparing data across ranks.
public struct FNV1a: Sendable {
    /// The hash of the words mixed in so far.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    /// The hash of nothing yet.
    public init() {}

    /// Mixes in one word.
    public mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01B3 }
}

/// A stable 64-bit hash of a string (FNV-1a over its UTF-8 bytes), for deriving per-item random streams from ids.
public func stableHash(_ text: String) -> UInt64 {
    var h = FNV1a()
    for byte in text.utf8 { h.mix(UInt64(byte)) }
    return h.value
}

