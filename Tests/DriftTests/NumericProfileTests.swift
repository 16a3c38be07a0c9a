import Foundation
import Testing
import Tabular
@testable import Drift

/// Columns that stress a reference profile: ties, NaN, signed zeros, infinities, subnormals,
/// heavy duplicates, constants, long tails, clusters narrower than a digit.
func awkwardColumns(count n: Int, rng: inout SeededGenerator) -> [(String, [Double])] {
    let normal = normals(n, rng: &rng)
    func sprinkle(_ base: [Double], every k: Int, _ extra: [Double]) -> [Double] {
        var out = base
        for i in stride(from: k / 2, to: out.count, by: k) { out[i] = extra[(i / k) % extra.count] }
        return out
    }
    var cluster = normal
    for i in stride(from: 0, to: n, by: 3) { cluster[i] = 1 + Double(i % 97) * 1e-15 }
    return [
        ("normal", normal),
        ("six decimals", normal.map { ($0 * 1e6).rounded() / 1e6 }),
        ("ties", normal.map { ($0 * 3).rounded() }),
        ("two levels", normal.map { $0 < 0.3 ? 0 : 1 }),
        ("constant", [Double](repeating: 2.5, count: n)),
        ("signed zeros", normal.map { $0 < -0.5 ? -0.0 : $0 < 0.5 ? 0.0 : $0 }),
        ("only signed zeros", normal.map { $0 < 0 ? -0.0 : 0.0 }),
        ("only negative zeros", [Double](repeating: -0.0, count: n)),
        ("NaN-heavy", normal.enumerated().map { $0.offset % 3 == 0 ? .nan : $0.element }),
        ("NaN only", [Double](repeating: .nan, count: n)),
        ("infinities", sprinkle(normal, every: 37, [.infinity, -.infinity, .nan, 0.0, -0.0])),
        ("plus infinity only", sprinkle(normal, every: 11, [.infinity])),
        ("subnormals", normal.map { $0 * 1e-310 }),
        ("huge and tiny", normal.map { $0 < 0 ? $0 * 1e-300 : $0 * 1e300 }),
        ("extremes", sprinkle(normal, every: 23, [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 5e-324, -5e-324])),
        ("exponential scales", normal.map { exp(20 * $0) }),
        ("lognormal", normal.map { (exp(3 + 1.5 * $0) * 1e4).rounded() / 1e4 }),
        ("negatives", normal.map { -abs($0) - 1 }),
        ("integers", (0..<n).map { _ in Double(rng.below(Swift.max(1, n / 20))) }),
        ("uniform", (0..<n).map { _ in rng.unit() }),
        ("crowded cluster", cluster),
        ("sorted", normal.sorted()),
        ("reversed", normal.sorted(by: >)),
    ]
}

/// Equal bit for bit (NaN included), field by field.
func identical(_ a: NumericProfile, _ b: NumericProfile) -> Bool {
    func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }
    return a.count == b.count && a.missing == b.missing && a.sampleIsExact == b.sampleIsExact
        && bits([a.mean, a.std, a.min, a.max]) == bits([b.mean, b.std, b.min, b.max])
        && bits(a.sample) == bits(b.sample) && bits(a.psiEdges) == bits(b.psiEdges)
        && bits(a.psiProportions) == bits(b.psiProportions)
        && bits(a.histogram.edges) == bits(b.histogram.edges) && a.histogram.counts == b.histogram.counts
}

/// The profile built from the unsorted column (selection) against its plain twin built from the
/// sorted values.
@Suite struct NumericProfileTests {
    static func check(_ name: String, _ values: [Double], maxSample: Int, psiBins: Int = 10,
                      histogramBins: Int = 30, seed: UInt64) {
        var r1 = SeededGenerator(seed: seed), r2 = SeededGenerator(seed: seed)
        let fast = NumericProfile.build(column: values, maxSample: maxSample, psiBins: psiBins,
                                        histogramBins: histogramBins, rng: &r1)
        let sorted = SortedSample.sortedNonMissingRadix(values)
        let plain = NumericProfile.buildReference(sorted: sorted, missing: values.count - sorted.count, maxSample: maxSample,
                                                  psiBins: psiBins, histogramBins: histogramBins, rng: &r2)
        let label = "\(name), n \(values.count), maxSample \(maxSample), psi \(psiBins), bins \(histogramBins)"
        #expect(identical(fast, plain), "\(label)")
        // `==` as well wherever no field is NaN (NaN != NaN).
        let hasNaN = ([fast.mean, fast.std, fast.min, fast.max] + fast.psiEdges + fast.histogram.edges).contains { $0.isNaN }
        if !hasNaN { #expect(fast == plain, "\(label)") }
        // Both draw the same random numbers: the next draw agrees.
        #expect(r1.next() == r2.next(), "\(label)")
    }

    @Test(arguments: [0, 1, 2, 3, 49, 50, 51, 52, 64, 100, 257, 1000])
    func selectionMatchesSortedTwinAroundMaxSample(n: Int) {
        var rng = SeededGenerator(seed: UInt64(1000 + n))
        for (name, values) in awkwardColumns(count: n, rng: &rng) {
            for maxSample in [0, 1, 50] {
                Self.check(name, values, maxSample: maxSample, seed: UInt64(n * 7 + maxSample))
            }
        }
    }

    @Test func selectionMatchesSortedTwinOnLargerColumns() {
        var rng = SeededGenerator(seed: 31)
        for (name, values) in awkwardColumns(count: 60_000, rng: &rng) {
            Self.check(name, values, maxSample: 10_000, seed: 5)
            Self.check(name, values, maxSample: 300, psiBins: 7, histogramBins: 13, seed: 6)
        }
    }

    @Test func selectionMatchesSortedTwinOnRandomShapes() {
        var rng = SeededGenerator(seed: 77)
        for trial in 0..<200 {
            let n = rng.below(400) + 1
            let levels = rng.below(5) == 0 ? 1 + rng.below(4) : 0  // heavy duplicates
            let scale = pow(10, Double(rng.below(12)) - 6)
            let values: [Double] = (0..<n).map { _ in
                switch rng.below(20) {
                case 0: return .nan
                case 1: return rng.below(2) == 0 ? 0.0 : -0.0
                case 2: return rng.below(8) == 0 ? (rng.below(2) == 0 ? .infinity : -.infinity) : scale
                default:
                    let x = (rng.unit() - 0.3) * scale
                    return levels > 0 ? (x * Double(levels) / scale).rounded() : x
                }
            }
            Self.check("trial \(trial)", values, maxSample: rng.below(60), psiBins: 1 + rng.below(12),
                       histogramBins: 1 + rng.below(40), seed: UInt64(trial))
        }
    }

    /// The profile of a table equals the profiles of its columns' sorted twins, column by column.
    @Test func referenceProfileUsesTheSelection() throws {
        var rng = SeededGenerator(seed: 8)
        let x = normals(30_000, rng: &rng), y = x.map { $0 < 0 ? -0.0 : ($0 * 4).rounded() }
        let table = Table(columns: [Column(name: "x", data: .numeric(x)), Column(name: "y", data: .numeric(y))])
        let p = try ReferenceProfile.build(table: table, target: "y", seed: 3, maxSample: 500)
        for (k, (profile, values)) in [(p.features[0].numeric, x), (p.target, y)].enumerated() {
            var r = SeededGenerator.stream(seed: 3, UInt64(k))
            let s = SortedSample.sortedNonMissingRadix(values)
            let twin = NumericProfile.buildReference(sorted: s, missing: 0, maxSample: 500, psiBins: 10, rng: &r)
            #expect(try identical(#require(profile), twin))
        }
    }

    /// The branch-free copy of the present values equals a filter, for every kind of NaN and
    /// the values next to ±∞.
    @Test func nonMissingKeepsExactlyTheNonNaNValues() {
        let specials: [Double] = [.nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
                                  Double(bitPattern: 0xFFFF_FFFF_FFFF_FFFF), .infinity, -.infinity,
                                  .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0.0, 5e-324, 1]
        var rng = SeededGenerator(seed: 2)
        for n in [0, 1, 2, 7, 100] {
            let v = (0..<n).map { _ in specials[rng.below(specials.count)] }
            let want = v.filter { !$0.isNaN }
            let got = v.withUnsafeBufferPointer { NumericProfile.nonMissing($0, count: want.count) }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "n \(n)")
        }
    }

    /// Mean and standard deviation do not depend on the order of the values (the sums are
    /// exactly rounded), so the twin's sorted order and the column's order agree.
    @Test func meanAndStdIgnoreOrder() {
        var rng = SeededGenerator(seed: 12)
        var v = normals(5000, sd: 1e3, rng: &rng) + [1e15, -1e15, 3e-300]
        let (m, s) = NumericProfile.meanAndStd(v)
        for _ in 0..<5 {
            rng.shuffle(&v)
            let (m2, s2) = NumericProfile.meanAndStd(v)
            #expect(m.bitPattern == m2.bitPattern && s.bitPattern == s2.bitPattern)
        }
        #expect(NumericProfile.meanAndStd([]).mean.isNaN)
        #expect(NumericProfile.meanAndStd([3, 3, 3]) == (3, 0))
        #expect(NumericProfile.meanAndStd([1, .infinity]).mean == .infinity)
        #expect(NumericProfile.meanAndStd([1, .infinity]).std.isNaN)
    }
}
