import Foundation
import Testing
import Tabular
@testable import Drift

/// The profile code as it was before selection replaced the sort (commit 0d5eefc), copied
/// verbatim: sort with `SortedSample.sortedNonMissing`, Kahan mean and an 8-lane plain sum of
/// squares in sorted order, quantiles / PSI bins / histogram by binary search.
enum LegacyProfile {
    static func build(column v: [Double], maxSample: Int, psiBins: Int, histogramBins: Int = 30,
                      rng: inout SeededGenerator) -> NumericProfile {
        let s = SortedSample.sortedNonMissing(v)
        let n = s.count
        let (mean, std) = meanAndStd(s)
        let exact = n <= maxSample
        let sample: [Double] = exact ? s : ReferenceProfile.sampleIndices(count: n, k: maxSample, rng: &rng).map { s[$0] }
        let edges = n > 0 ? psiEdges(s, bins: psiBins) : []
        let props = n > 0 ? proportions(s, edges: edges) : []
        return NumericProfile(count: n, missing: v.count - n, mean: mean, std: std,
                              min: s.first ?? .nan, max: s.last ?? .nan, sample: sample, sampleIsExact: exact,
                              psiEdges: edges, psiProportions: props, histogram: trimmed(s, bins: histogramBins))
    }

    static func meanAndStd(_ v: [Double]) -> (mean: Double, std: Double) {
        let n = v.count
        guard n > 0 else { return (.nan, .nan) }
        let mean = kahanSum(v) / Double(n)
        let q = v.withUnsafeBufferPointer { p -> Double in
            var q0 = SIMD4<Double>(), q1 = SIMD4<Double>()
            let m = SIMD4<Double>(repeating: mean)
            var i = 0
            while i + 8 <= n {
                let d0 = SIMD4(p[i], p[i + 1], p[i + 2], p[i + 3]) - m
                let d1 = SIMD4(p[i + 4], p[i + 5], p[i + 6], p[i + 7]) - m
                q0 += d0 * d0
                q1 += d1 * d1
                i += 8
            }
            var total = (q0 + q1).sum()
            while i < n { let d = p[i] - mean; total += d * d; i += 1 }
            return total
        }
        return (mean, (q / Double(n)).squareRoot())
    }

    static func kahanSum(_ v: [Double]) -> Double {
        v.withUnsafeBufferPointer { p in
            var s0 = SIMD4<Double>(), c0 = SIMD4<Double>(), s1 = SIMD4<Double>(), c1 = SIMD4<Double>()
            let n = p.count
            var i = 0
            while i + 8 <= n {
                let y0 = SIMD4(p[i], p[i + 1], p[i + 2], p[i + 3]) - c0
                let y1 = SIMD4(p[i + 4], p[i + 5], p[i + 6], p[i + 7]) - c1
                let t0 = s0 + y0, t1 = s1 + y1
                c0 = (t0 - s0) - y0
                c1 = (t1 - s1) - y1
                s0 = t0
                s1 = t1
                i += 8
            }
            var total = 0.0, comp = 0.0
            var rest: [Double] = []
            for l in 0..<4 { rest += [s0[l], -c0[l], s1[l], -c1[l]] }
            while i < n { rest.append(p[i]); i += 1 }
            for x in rest {
                let y = x - comp
                let t = total + y
                comp = (t - total) - y
                total = t
            }
            return total
        }
    }

    static func quantile(_ s: [Double], _ q: Double) -> Double {
        let n = s.count
        let vi = Double(n - 1) * q
        let prev = min(max(Int(vi.rounded(.down)), 0), n - 1)
        let next = min(prev + 1, n - 1)
        let gamma = vi - Double(prev)
        let a = s[prev], b = s[next]
        let diff = b - a
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
    }

    static func psiEdges(_ s: [Double], bins k: Int) -> [Double] {
        let step = 1.0 / Double(k)
        return (1..<k).map { quantile(s, Double($0) * step) }
    }

    static func proportions(_ s: [Double], edges: [Double]) -> [Double] {
        let n = Double(s.count)
        var out = [Double]()
        var below = 0
        for e in edges {
            let c = SortedSample.countAtMost(s, e)
            out.append(Double(c - below) / n)
            below = c
        }
        out.append(Double(s.count - below) / n)
        return out
    }

    static func equalWidth(_ s: [Double], bins: Int) -> Histogram {
        guard let lo = s.first, let hi = s.last else { return Histogram(edges: [0], counts: []) }
        let (a, b) = lo < hi ? (lo, hi) : (lo - 0.5, hi + 0.5)
        let width = (b - a) / Double(bins)
        var edges = (0...bins).map { a + Double($0) * width }
        edges[bins] = b
        return counting(s, edges: edges)
    }

    static func trimmed(_ s: [Double], bins: Int, tail: Double = 0.005) -> Histogram {
        guard !s.isEmpty else { return Histogram(edges: [0], counts: []) }
        let lo = quantile(s, tail), hi = quantile(s, 1 - tail)
        guard lo < hi else { return equalWidth(s, bins: bins) }
        let width = (hi - lo) / Double(bins)
        var edges = (0...bins).map { lo + Double($0) * width }
        edges[bins] = hi
        var h = counting(s, edges: edges)
        h.counts[0] += SortedSample.countBelow(s, edges[0])
        h.counts[bins - 1] += s.count - SortedSample.countAtMost(s, edges[bins])
        return h
    }

    static func counting(_ s: [Double], edges: [Double]) -> Histogram {
        var counts = [Int]()
        for k in 0..<(edges.count - 1) {
            let lo = SortedSample.countBelow(s, edges[k])
            let hi = k == edges.count - 2 ? SortedSample.countAtMost(s, edges[k + 1]) : SortedSample.countBelow(s, edges[k + 1])
            counts.append(hi - lo)
        }
        return Histogram(edges: edges, counts: counts)
    }
}

/// The new profile against the code it replaced. Every stored field is bit for bit the same
/// except two:
/// - mean and std. The old ones summed in sorted order (Kahan for the sum, a plain 8-lane sum for
///   the squares), which a build without the sort cannot reproduce; the new ones are exactly
///   rounded sums (`ExactSum`), the same in any order. On finite columns they differ in the last
///   bits (measured here: mean ≤ 1 ulp, std up to ~150 ulps on 60,000 values with ties — the old
///   uncompensated sum of squares was the less accurate one). With +∞ in a column the old Kahan
///   mean was NaN (∞ − ∞ in the compensation); the new one is +∞. Near ±Double.greatestFiniteMagnitude
///   the old compensation overflowed; the new sum is exact.
/// - the sign of zeros: the old bucket sort left −0 and +0 in an input-dependent order; the new
///   order puts −0 first. Zeros are compared with `==`, everything else by bits.
@Suite struct LegacyProfileTests {
    /// Bits of `v` with −0 read as +0, NaN kept.
    static func bits(_ v: [Double]) -> [UInt64] { v.map { ($0 == 0 ? 0.0 : $0).bitPattern } }

    /// Checks every field but mean and std exactly; returns both profiles.
    static func compare(_ name: String, _ values: [Double], maxSample: Int, psiBins: Int = 10,
                        histogramBins: Int = 30, seed: UInt64) -> (new: NumericProfile, old: NumericProfile) {
        var r1 = SeededGenerator(seed: seed), r2 = SeededGenerator(seed: seed)
        let new = NumericProfile.build(column: values, maxSample: maxSample, psiBins: psiBins,
                                       histogramBins: histogramBins, rng: &r1)
        let old = LegacyProfile.build(column: values, maxSample: maxSample, psiBins: psiBins,
                                      histogramBins: histogramBins, rng: &r2)
        let label = "\(name), n \(values.count), maxSample \(maxSample)"
        #expect(new.count == old.count && new.missing == old.missing && new.sampleIsExact == old.sampleIsExact, "\(label)")
        #expect(bits([new.min, new.max]) == bits([old.min, old.max]), "\(label): extremes")
        #expect(bits(new.sample) == bits(old.sample), "\(label): sample")
        #expect(bits(new.psiEdges) == bits(old.psiEdges), "\(label): PSI edges")
        #expect(bits(new.psiProportions) == bits(old.psiProportions), "\(label): PSI proportions")
        #expect(bits(new.histogram.edges) == bits(old.histogram.edges), "\(label): histogram edges")
        #expect(new.histogram.counts == old.histogram.counts, "\(label): histogram counts")
        #expect(r1.next() == r2.next(), "\(label)")
        return (new, old)
    }

    static func closeTo(_ a: Double, _ b: Double, relative: Double) -> Bool {
        a == b || abs(a - b) <= relative * abs(b)
    }

    @Test(arguments: [0, 1, 2, 3, 50, 51, 257, 1000, 60_000])
    func selectionMatchesTheOldSortedProfile(n: Int) {
        var rng = SeededGenerator(seed: UInt64(500 + n))
        for (name, values) in awkwardColumns(count: n, rng: &rng) {
            for maxSample in n > 1000 ? [10_000, 300] : [0, 1, 50] {
                let (new, old) = Self.compare(name, values, maxSample: maxSample, seed: UInt64(n + maxSample))
                let finite = values.allSatisfy { $0.isNaN || abs($0) < 1e300 }
                if finite {
                    #expect(Self.closeTo(new.mean, old.mean, relative: 1e-15) || (new.mean.isNaN && old.mean.isNaN), "\(name) n \(n)")
                    #expect(Self.closeTo(new.std, old.std, relative: 1e-12) || (new.std.isNaN && old.std.isNaN), "\(name) n \(n)")
                } else if name == "plus infinity only" {
                    #expect(new.mean == .infinity && new.std.isNaN, "\(name) n \(n)")
                }
            }
        }
    }
}
