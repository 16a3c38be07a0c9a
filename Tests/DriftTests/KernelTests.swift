import Foundation
import Testing
import Tabular
@testable import Drift

/// Standard normal draws (Box–Muller) from the project's seeded generator.
func normals(_ n: Int, mean: Double = 0, sd: Double = 1, rng: inout SeededGenerator) -> [Double] {
    (0..<n).map { _ in
        let u1 = max(rng.unit(), 1e-300), u2 = rng.unit()
        return mean + sd * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

@Suite struct KernelTests {
    @Test func radixSortAgreesWithStandardSort() {
        var rng = SeededGenerator(seed: 1)
        var values = normals(5000, sd: 1e3, rng: &rng)
        values += [0.0, -0.0, .infinity, -.infinity, 1e-310, -1e-310, 5, 5, 5, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        values += (0..<300).map { Double($0 % 7) }
        values += [.nan, .nan]
        let fast = SortedSample.sortedNonMissing(values)
        let plain = values.filter { !$0.isNaN }.sorted()
        #expect(fast.count == plain.count)
        #expect(zip(fast, plain).allSatisfy { $0 == $1 })
        // A small array takes the comparison-sort path.
        #expect(SortedSample.sortedNonMissing([3, .nan, -1, 2]) == [-1, 2, 3])
    }

    @Test func orderedKeyIsMonotone() {
        let xs: [Double] = [-.infinity, -1e300, -2, -1e-300, -0.0, 0.0, 1e-300, 3, 1e300, .infinity]
        for (a, b) in zip(xs, xs.dropFirst()) {
            #expect(SortedSample.orderedKey(a) <= SortedSample.orderedKey(b))
            #expect(SortedSample.double(fromKey: SortedSample.orderedKey(a)).bitPattern == a.bitPattern)
        }
    }

    @Test(arguments: [(7, 11), (40, 40), (300, 250), (1000, 37)])
    func mergeKernelMatchesNaive(sizes: (Int, Int)) {
        var rng = SeededGenerator(seed: UInt64(sizes.0 * 31 + sizes.1))
        // Rounded values give plenty of ties.
        let a = normals(sizes.0, rng: &rng).map { ($0 * 10).rounded() / 10 }.sorted()
        let b = normals(sizes.1, mean: 0.3, sd: 1.4, rng: &rng).map { ($0 * 10).rounded() / 10 }.sorted()
        let fast = TwoSampleStatistics.ksAndWasserstein(a, b)
        let slow = TwoSampleStatistics.ksAndWassersteinNaive(a, b)
        #expect(abs(fast.ks - slow.ks) < 1e-15)
        #expect(abs(fast.wasserstein - slow.wasserstein) <= 1e-12 * slow.wasserstein)
        // Symmetry of both statistics.
        let swapped = TwoSampleStatistics.ksAndWasserstein(b, a)
        #expect(abs(swapped.ks - fast.ks) < 1e-15)
        #expect(abs(swapped.wasserstein - fast.wasserstein) <= 1e-12 * fast.wasserstein)
    }

    /// The multi-lane merge against the naive evaluation for sizes around the lane cuts (tiny
    /// samples, one sample ending long before the other, identical and disjoint samples, ties
    /// across the cuts).
    @Test func mergeLanesMatchNaive() {
        var rng = SeededGenerator(seed: 99)
        var pairs: [([Double], [Double])] = []
        for n in [1, 2, 3, 4, 5, 7, 8, 9, 16, 33] {
            for m in [1, 2, 3, 5, 8, 13, 40] {
                let a = normals(n, rng: &rng).map { ($0 * 4).rounded() / 4 }.sorted()
                let b = normals(m, mean: 0.2, rng: &rng).map { ($0 * 4).rounded() / 4 }.sorted()
                pairs.append((a, b))
            }
        }
        let x = normals(500, rng: &rng).map { ($0 * 20).rounded() / 20 }.sorted()
        pairs.append((x, x))                                   // identical: D = 0, W = 0
        pairs.append((x, x.map { $0 + 100 }))                  // disjoint, a first
        pairs.append((x.map { $0 + 100 }, x))                  // disjoint, b first
        pairs.append((x, Array(x.prefix(3))))                  // b ends long before a
        pairs.append((Array(x.suffix(2)), x))                  // a is the tail of b
        pairs.append(([Double](repeating: 1, count: 50), [Double](repeating: 1, count: 70) + [2]))
        pairs.append(([-0.0, 0.0, 0.0], [0.0, -0.0]))
        for (a, b) in pairs {
            let fast = TwoSampleStatistics.ksAndWasserstein(a, b)
            let slow = TwoSampleStatistics.ksAndWassersteinNaive(a, b)
            #expect(abs(fast.ks - slow.ks) < 1e-15, "n \(a.count) m \(b.count)")
            #expect(abs(fast.wasserstein - slow.wasserstein) <= 1e-12 * max(slow.wasserstein, 1e-300), "n \(a.count) m \(b.count)")
        }
        // Infinite values: KS is still exact.
        let ia: [Double] = [-.infinity, -1, 0, 2, .infinity], ib: [Double] = [-.infinity, 0.5, 3, .infinity, .infinity]
        #expect(abs(TwoSampleStatistics.ksAndWasserstein(ia, ib).ks - TwoSampleStatistics.ksAndWassersteinNaive(ia, ib).ks) < 1e-15)
    }

    @Test func wassersteinOfShiftedSampleIsTheShift() {
        let a = (0..<100).map { Double($0) }
        let b = a.map { $0 + 2.5 }
        let r = TwoSampleStatistics.ksAndWasserstein(a, b)
        #expect(abs(r.wasserstein - 2.5) < 1e-12)
        #expect(abs(r.ks - 0.03) < 1e-12)  // 3 of 100 steps apart
    }

    @Test func quantileMatchesDefinition() {
        let s: [Double] = [1, 2, 4, 8, 16]
        #expect(SortedSample.quantile(sorted: s, 0) == 1)
        #expect(SortedSample.quantile(sorted: s, 1) == 16)
        #expect(SortedSample.quantile(sorted: s, 0.5) == 4)
        #expect(abs(SortedSample.quantile(sorted: s, 0.3) - 2.4) < 1e-15)  // index 1.2
        #expect(abs(SortedSample.quantile(sorted: s, 0.9) - 12.8) < 1e-14)  // index 3.6: 8 + 0.6 × 8
    }

    @Test func psiIsZeroForIdenticalAndUsesEpsilonForEmptyBins() {
        #expect(TwoSampleStatistics.psi(reference: [0.5, 0.5], current: [0.5, 0.5]) == 0)
        let v = TwoSampleStatistics.psi(reference: [0.5, 0.5, 0], current: [0.4, 0.4, 0.2])
        let want = (0.4 - 0.5) * log(0.4 / 0.5) * 2 + (0.2 - 0.0001) * log(0.2 / 0.0001)
        #expect(abs(v - want) < 1e-14)
    }

    @Test func chiSquareWithUnseenCategoryIsInfinite() {
        let o = TwoSampleStatistics.chiSquare(referenceCounts: [10, 20, 0], currentCounts: [10, 20, 5])
        #expect(o.statistic == .infinity)
        #expect(o.pValue == 0)
        let one = TwoSampleStatistics.chiSquare(referenceCounts: [10], currentCounts: [7])
        #expect(one.pValue == 1)
    }

    @Test func chiSquareOfTwoDegreesIsExponential() {
        // chi2.sf(x, 2) = exp(−x/2) in closed form.
        for x in [0.1, 1.0, 7.5, 60.0] {
            #expect(close(SpecialFunctions.chiSquareSurvival(x, degreesOfFreedom: 2), exp(-x / 2), rel: 1e-13))
        }
        #expect(close(SpecialFunctions.logGamma(0.5), 0.5 * log(Double.pi), rel: 1e-14))
        #expect(close(SpecialFunctions.logGamma(11), log(3_628_800.0), rel: 1e-14))
    }

    @Test func exactTwoSampleDistributionMatchesEnumeration() {
        // All C(7,3) = 35 equally likely splits of ranks; P(D ≥ d) by brute force.
        let n1 = 3, n2 = 4
        var stats: [Double] = []
        for mask in 0..<(1 << 7) where mask.nonzeroBitCount == n1 {
            var fa = 0.0, fb = 0.0, d = 0.0
            for k in 0..<7 {
                if mask & (1 << k) != 0 { fa += 1.0 / 3 } else { fb += 1.0 / 4 }
                d = max(d, abs(fa - fb))
            }
            stats.append(d)
        }
        for d in Set(stats.map { ($0 * 12).rounded() / 12 }) where d > 0 {
            let brute = Double(stats.filter { $0 >= d - 1e-9 }.count) / Double(stats.count)
            let p = TwoSampleStatistics.ksPValue(statistic: d, n1: n1, n2: n2).pValue ?? -1
            #expect(abs(p - brute) < 1e-12, "d = \(d)")
        }
        // Equal sizes, n = 3: C(6,3) = 20 splits.
        var eq: [Double] = []
        for mask in 0..<(1 << 6) where mask.nonzeroBitCount == 3 {
            var fa = 0.0, fb = 0.0, d = 0.0
            for k in 0..<6 {
                if mask & (1 << k) != 0 { fa += 1.0 / 3 } else { fb += 1.0 / 3 }
                d = max(d, abs(fa - fb))
            }
            eq.append(d)
        }
        for h in 1...3 {
            let d = Double(h) / 3
            let brute = Double(eq.filter { $0 >= d - 1e-9 }.count) / Double(eq.count)
            #expect(abs((TwoSampleStatistics.ksPValue(statistic: d, n1: 3, n2: 3).pValue ?? -1) - brute) < 1e-12)
        }
    }

    @Test func limitingKolmogorovIsConsistentAcrossItsTwoSeries() {
        // Both series are used on either side of 0.82; near it they must agree, and K(1) is known.
        #expect(abs(Kolmogorov.limitingSurvival(0.8199999) - Kolmogorov.limitingSurvival(0.8200001)) < 1e-6)
        #expect(abs(Kolmogorov.limitingSurvival(1.0) - 0.269_999_671_677_354_56) < 1e-12)
    }

    @Test func sampleIndicesAreDistinctSortedAndSeeded() {
        var r1 = SeededGenerator(seed: 9), r2 = SeededGenerator(seed: 9)
        let a = ReferenceProfile.sampleIndices(count: 50_000, k: 1000, rng: &r1)
        let b = ReferenceProfile.sampleIndices(count: 50_000, k: 1000, rng: &r2)
        #expect(a == b)
        #expect(a.count == 1000 && Set(a).count == 1000)
        #expect(a == a.sorted())
        #expect(a.allSatisfy { $0 >= 0 && $0 < 50_000 })
    }
}
