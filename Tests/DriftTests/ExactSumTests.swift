import Foundation
import Testing
import Tabular
@testable import Drift

/// Shewchuk's exact summation with a correctly rounded result (CPython's `math.fsum`): the
/// plain twin of `ExactSum` for finite inputs whose partial sums stay finite.
func fsum(_ xs: [Double]) -> Double {
    var partials: [Double] = []
    for value in xs {
        var x = value
        var i = 0
        for p in partials {
            var y = p
            if abs(x) < abs(y) { swap(&x, &y) }
            let hi = x + y
            let lo = y - (hi - x)
            if lo != 0 {
                partials[i] = lo
                i += 1
            }
            x = hi
        }
        partials.removeSubrange(i...)
        partials.append(x)
    }
    var n = partials.count
    guard n > 0 else { return 0 }
    n -= 1
    var hi = partials[n], lo = 0.0
    while n > 0 {
        let x = hi
        n -= 1
        let y = partials[n]
        hi = x + y
        lo = y - (hi - x)
        if lo != 0 { break }
    }
    // Half-way case: round towards the sign of the rest.
    if n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0)) {
        let y = lo * 2, x = hi + y
        if y == x - hi { hi = x }
    }
    return hi
}

@Suite struct ExactSumTests {
    static func sum(_ v: [Double]) -> Double {
        let s = ExactSum()
        v.withUnsafeBufferPointer { s.addSkippingNaN($0) }
        return s.rounded()
    }

    @Test func matchesShewchuk() {
        var rng = SeededGenerator(seed: 3)
        for trial in 0..<300 {
            let n = rng.below(300) + 1
            let spread = Double(rng.below(600))
            let v: [Double] = (0..<n).map { _ in
                let x = (rng.unit() - 0.5) * pow(2, Double(rng.below(Int(spread) + 1)) - spread / 2)
                // Some exact cancellations and repeated values.
                return rng.below(10) == 0 ? -x : x
            }
            let want = fsum(v)
            let got = Self.sum(v)
            #expect(got.bitPattern == want.bitPattern || (got == 0 && want == 0), "trial \(trial): \(got) vs \(want)")
        }
    }

    @Test func roundsOnceToNearestEven() {
        let ulp = 0x1p-52
        #expect(Self.sum([1, ulp / 2]) == 1)                             // tie: to even
        #expect(Self.sum([1 + ulp, ulp / 2]) == 1 + 2 * ulp)             // tie: to even
        #expect(Self.sum([1, ulp / 2, 0x1p-120]) == 1 + ulp)             // just above the tie
        #expect(Self.sum([1, ulp / 2, -0x1p-120]) == 1)                  // just below it
        #expect(Self.sum([1e308, 1e308, -1e308]) == 1e308)               // no intermediate overflow
        #expect(Self.sum([1e308, 1e308]) == .infinity)
        #expect(Self.sum([-1e308, -1e308]) == -.infinity)
        #expect(Self.sum([.greatestFiniteMagnitude, 0x1p970]) == .infinity)               // rounds up past max
        #expect(Self.sum([.greatestFiniteMagnitude, 0x1p969]) == .greatestFiniteMagnitude) // tie: to even
        #expect(Self.sum([1, 1e-300, -1]) == 1e-300)
        #expect(Self.sum([5e-324, 5e-324, 5e-324]) == 1.5e-323)           // subnormal, exact
        #expect(Self.sum([0x1p-1022, -5e-324]) == 0x1p-1022 - 5e-324)     // normal to subnormal
        #expect(Self.sum([0.1, 0.2, 0.3, -0.6]) == fsum([0.1, 0.2, 0.3, -0.6]))
        #expect(Self.sum([]).bitPattern == (0.0).bitPattern)
        #expect(Self.sum([-0.0, -0.0]).bitPattern == (0.0).bitPattern)
        #expect(Self.sum([3, .nan, 4]) == 7)                              // NaN = missing
        #expect(Self.sum([1, .infinity]) == .infinity)
        #expect(Self.sum([1, -.infinity]) == -.infinity)
        #expect(Self.sum([.infinity, -.infinity]).isNaN)
        // Squared deviations: a NaN term (∞ − ∞) is not a missing value.
        let s = ExactSum()
        [Double.infinity, 1].withUnsafeBufferPointer { s.addSquaredDeviations($0, from: .infinity) }
        #expect(s.rounded().isNaN)
    }

    @Test func ignoresOrder() {
        var rng = SeededGenerator(seed: 9)
        var v = (0..<20_000).map { _ in (rng.unit() - 0.5) * pow(10, Double(rng.below(30)) - 15) }
        let first = Self.sum(v)
        for _ in 0..<4 {
            rng.shuffle(&v)
            #expect(Self.sum(v).bitPattern == first.bitPattern)
        }
        #expect(first.bitPattern == fsum(v).bitPattern)
    }
}
