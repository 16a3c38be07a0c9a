/// Deterministic random numbers (xoshiro256**, seeded by SplitMix64): the same seed gives the
/// same stream on every platform and Swift version, which `SystemRandomNumberGenerator` and
/// Swift's shuffle algorithms do not promise. Every seeded step in Plumb draws from this.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    @inlinable public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire's method).
    @inlinable public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    @inlinable public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Fisher–Yates shuffle with this generator's own, platform-independent algorithm.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }

    /// A derived generator for stream `k` (e.g. one per tree), independent of draw order.
    public static func stream(seed: UInt64, _ k: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (k &* 0xD1B5_4A32_D192_ED03) &+ 0x8CB9_2BA7_2F3D_8DD7)
    }
}
