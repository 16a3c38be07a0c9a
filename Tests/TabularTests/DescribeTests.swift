import Foundation
import Testing
@testable import Tabular

@Suite struct DescribeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= tol * max(1, abs(b))
    }

    @Test func naiveFormulas() {
        let v: [Double] = [4, .nan, 1, 3, 2, 10]
        let t = Table(columns: [
            Column(name: "v", data: .numeric(v)),
            Column(name: "w", data: .numeric([1, 2, 3, .nan, 5, 6])),
            Column(name: "k", data: .categorical(codes: [0, 1, 1, -1, 2, 1], levels: ["a", "b", "c"])),
        ])
        let s = Describe.summarize(t)
        let n = s.numeric.first
        #expect(n?.count == 5 && n?.missing == 1)
        #expect(n?.mean == 4)
        // ddof = 1: sum of squares 0+9+1+4+36 = 50, / 4
        #expect(close(n?.std ?? 0, (50.0 / 4).squareRoot()))
        // sorted 1 2 3 4 10: positions 1, 2, 3
        #expect(n?.q25 == 2 && n?.median == 3 && n?.q75 == 4 && n?.min == 1 && n?.max == 10)
        let k = s.categorical[0]
        #expect(k.count == 5 && k.missing == 1 && k.unique == 3 && k.top == "b" && k.freq == 3)
        #expect(k.levels.map(\.level) == ["b", "a", "c"])
        // Pairwise complete rows for (v, w): indices 0, 2, 4, 5.
        let a = [4.0, 1, 2, 10], b = [1.0, 3, 5, 6]
        let ma = a.reduce(0, +) / 4, mb = b.reduce(0, +) / 4
        let cov = zip(a, b).map { ($0 - ma) * ($1 - mb) }.reduce(0, +)
        let r = cov / (a.map { ($0 - ma) * ($0 - ma) }.reduce(0, +) * b.map { ($0 - mb) * ($0 - mb) }.reduce(0, +)).squareRoot()
        #expect(close(s.correlation("v", "w") ?? .nan, r))
        #expect(s.correlation("v", "v") == 1)
        #expect(Describe.quantile(sorted: [1, 2], 0.25) == 1.25)
        let text = s.render()
        #expect(text.contains("mean") && text.contains("corr") && text.contains("top b"))
    }

    @Test func matchesNumpyFixture() throws {
        let table = try CSVReader.read(path: Self.fixtures.appendingPathComponent("describe_input.csv").path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("describe_expected.json"))) as? [String: Any]
        let expected = try #require(json)
        let s = Describe.summarize(table)
        #expect(s.rowCount == expected["rowCount"] as? Int)
        let numeric = try #require(expected["numeric"] as? [String: [String: Double]])
        for stats in s.numeric {
            let e = try #require(numeric[stats.name])
            #expect(Double(stats.count) == e["count"] && Double(stats.missing) == e["missing"])
            for (label, value) in [("mean", stats.mean), ("std", stats.std), ("min", stats.min), ("q25", stats.q25),
                                   ("median", stats.median), ("q75", stats.q75), ("max", stats.max)] {
                #expect(close(value, e[label] ?? .nan), "\(stats.name) \(label): \(value) vs \(String(describing: e[label]))")
            }
        }
        let cats = try #require(expected["categorical"] as? [String: [String: Any]])
        let cat = try #require(cats["cat"])
        let c = try #require(s.categorical.first)
        #expect(c.count == cat["count"] as? Int && c.missing == cat["missing"] as? Int)
        let levels = try #require(cat["levels"] as? [[Any]])
        #expect(c.levels.map(\.level) == levels.map { $0[0] as? String ?? "" })
        #expect(c.levels.map(\.count) == levels.map { $0[1] as? Int ?? -1 })
        let names = try #require(expected["correlationColumns"] as? [String])
        let corr = try #require(expected["correlation"] as? [[Double]])
        #expect(s.correlationColumns == names)
        for (i, a) in names.enumerated() {
            for (j, b) in names.enumerated() {
                #expect(close(s.correlation(a, b) ?? .nan, corr[i][j], 1e-10), "corr \(a) \(b)")
            }
        }
        // Codable round trip.
        let back = try JSONDecoder().decode(TableSummary.self, from: JSONEncoder().encode(s))
        #expect(back.numeric.map(\.mean) == s.numeric.map(\.mean))
    }

    /// Selection gives exactly the sort-based quantile (same interpolation), on few and many
    /// values, heavy repeats, already sorted and reversed input.
    @Test func selectionQuantileEqualsSortedQuantile() {
        var rng = SeededGenerator(seed: 41)
        for n in [1, 2, 3, 10, 17, 100, 1_001, 20_000] {
            let shapes: [[Double]] = [
                (0..<n).map { _ in rng.unit() * 100 - 50 },
                (0..<n).map { _ in Double(rng.below(4)) },
                (0..<n).map(Double.init),
                (0..<n).map { Double(n - $0) },
            ]
            for values in shapes {
                let sorted = values.sorted()
                for q in [0, 0.1, 0.25, 0.5, 0.75, 0.999, 1] {
                    #expect(Describe.quantile(of: values, q) == Describe.quantile(sorted: sorted, q), "n \(n) q \(q)")
                }
            }
        }
        #expect(Describe.quantile(of: [], 0.5).isNaN)
    }

    // MARK: - Kernels against plain twins

    /// Plain twin of the correlation kernels: two passes over the pairwise complete rows, scalar
    /// sums, pandas' NaN rules (fewer than 2 rows, or a constant column on those rows).
    static func naivePearson(_ a: [Double], _ b: [Double]) -> Double {
        let rows = a.indices.filter { !a[$0].isNaN && !b[$0].isNaN }
        guard rows.count >= 2 else { return .nan }
        let x = rows.map { a[$0] }, y = rows.map { b[$0] }
        guard x.min() != x.max(), y.min() != y.max() else { return .nan }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (u, v) in zip(x, y) {
            sxy += (u - mx) * (v - my); sxx += (u - mx) * (u - mx); syy += (v - my) * (v - my)
        }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Columns that stress selection: ties, NaNs, both signs and ±0, infinities, a cluster far
    /// narrower than the range (several digit levels deep), constants, and tiny lengths.
    static func awkwardColumns(_ rng: inout SeededGenerator) -> [[Double]] {
        var columns: [[Double]] = [[], [.nan], [3], [.nan, -2, .nan], [5, -5], [0.0, -0.0, 0.0, -0.0, 1],
                                   [7, 7, 7, 7, 7, 7, 7, 7, 7], [.infinity, 1, 1, -.infinity, 2], [.infinity]]
        for n in [3, 4, 7, 8, 9, 63, 64, 65, 1_000, 5_003, 70_001] {
            columns.append((0..<n).map { _ in rng.unit() * 200 - 100 })
            columns.append((0..<n).map { _ in rng.below(10) == 0 ? .nan : Double(rng.below(5)) - 2 })
            columns.append((0..<n).map { _ in
                // 1e6 plus a few ulps, rare huge outliers of both signs: the digit must narrow in stages.
                switch rng.below(1000) {
                case 0: -1e300
                case 1: 1e300
                default: 1e6 + Double(rng.below(64)) * 1e6.ulp
                }
            })
            columns.append((0..<n).map { _ in (rng.unit() - 0.5) * pow(10, Double(rng.below(40)) - 20) })
        }
        return columns
    }

    @Test func orderStatisticsEqualSorting() {
        var rng = SeededGenerator(seed: 7)
        for column in Self.awkwardColumns(&rng) {
            let sorted = column.filter { !$0.isNaN }.sorted()
            guard !sorted.isEmpty else { continue }
            let ranks = sorted.count <= 70 ? Array(sorted.indices)
                : [0, 1, sorted.count / 4, sorted.count / 2, sorted.count / 2 + 1, sorted.count - 1, sorted.count / 2]
            let m = column.withUnsafeBufferPointer { Describe.moments($0) }
            let got = column.withUnsafeBufferPointer {
                Describe.orderStatistics($0, ranks: ranks, count: m.count, min: m.min, max: m.max)
            }
            // (== counts −0 and +0 as the same order statistic, as a sort does.)
            #expect(got == ranks.map { sorted[$0] }, "n \(column.count)")
        }
    }

    @Test func quantilesEqualSortedQuantiles() {
        var rng = SeededGenerator(seed: 8)
        for column in Self.awkwardColumns(&rng) {
            let sorted = column.filter { !$0.isNaN }.sorted()
            for q in [0, 0.25, 0.5, 0.75, 1, 0.3] {
                let got = Describe.quantile(of: column, q), want = Describe.quantile(sorted: sorted, q)
                #expect(got == want || (got.isNaN && want.isNaN), "n \(column.count) q \(q): \(got) vs \(want)")
            }
        }
        // numpy's interpolation from the nearer end, and its NaN for inf − inf.
        #expect(Describe.quantile(sorted: [0, 1], 0.75) == 1 - (1 - 0) * 0.25)
        #expect(Describe.quantile(of: [1, 1, .infinity, .infinity, .infinity], 0.25).isNaN)
        #expect(Describe.quantile(of: [.infinity], 0.5).isNaN)
        #expect(Describe.quantile(of: [.nan, 5], 0.75) == 5)
    }

    @Test func momentsMatchNaiveSums() {
        var rng = SeededGenerator(seed: 9)
        for column in Self.awkwardColumns(&rng) {
            let present = column.filter { !$0.isNaN }
            let m = column.withUnsafeBufferPointer { Describe.moments($0) }
            #expect(m.count == present.count)
            if present.isEmpty { continue }
            #expect(m.min == present.min() && m.max == present.max())
            // Any summation order is within n·ε·Σ|x| of another; both orders here are much closer.
            let sum = present.reduce(0, +), scale = present.reduce(0) { $0 + abs($1) }
            #expect(m.sum == sum || (m.sum.isNaN && sum.isNaN) || abs(m.sum - sum) <= 1e-12 * scale, "n \(column.count)")
            guard m.mean.isFinite else { continue }
            let ss = present.reduce(0) { $0 + ($1 - m.mean) * ($1 - m.mean) }
            let got = column.withUnsafeBufferPointer { Describe.centredSumOfSquares($0, mean: m.mean) }
            #expect(got == ss || close(got, ss, 1e-12), "n \(column.count): \(got) vs \(ss)")
        }
    }

    /// Random table: correlated columns, one constant, one with missing values, one with a
    /// single present value; rows span several parts of the blocked kernel and a ragged tail.
    static func correlationTable(rows: Int, missing: Bool, _ rng: inout SeededGenerator) -> [[Double]] {
        let base = (0..<rows).map { _ in rng.unit() }
        var columns: [[Double]] = [
            base.map { $0 * 1000 + 1e6 },
            base.map { _ in rng.unit() * 2 - 1 },
            base.map { -3 * $0 + rng.unit() * 0.1 },
            base.map { _ in Double(rng.below(7)) },
            [Double](repeating: 0.1, count: rows),
        ]
        if missing {
            columns.append(base.map { rng.below(5) == 0 ? .nan : $0 + rng.unit() })
            columns.append((0..<rows).map { $0 == rows / 2 ? 4 : .nan })
            columns.append(base.map { _ in rng.below(3) == 0 ? .nan : Double(rng.below(3)) })
        }
        return columns
    }

    @Test(arguments: [false, true])
    func correlationKernelsMatchNaivePearson(missing: Bool) {
        var rng = SeededGenerator(seed: missing ? 11 : 10)
        for rows in [1, 2, 3, 130, 20_011] {
            let columns = Self.correlationTable(rows: rows, missing: missing, &rng)
            let moments = columns.map { c in c.withUnsafeBufferPointer { Describe.moments($0) } }
            let corr = Describe.correlationMatrix(columns, moments: moments)
            let k = columns.count
            for i in 0..<k {
                for j in 0..<k {
                    let want = i == j ? (Self.naivePearson(columns[i], columns[i]).isNaN ? .nan : 1) : Self.naivePearson(columns[i], columns[j])
                    #expect(close(corr[i * k + j], want), "rows \(rows) (\(i), \(j)): \(corr[i * k + j]) vs \(want)")
                    // The pairwise kernel (the fallback for columns with missing values) agrees too.
                    let pairwise = columns[i].withUnsafeBufferPointer { a in
                        columns[j].withUnsafeBufferPointer { b in Describe.pairwisePearson(a, b) }
                    }
                    if i != j { #expect(close(pairwise, want), "pairwise rows \(rows) (\(i), \(j))") }
                }
            }
        }
    }

    /// The blocked all-pairs kernel against plain sums of centred products, per entry.
    @Test func crossProductsMatchNaiveSums() {
        var rng = SeededGenerator(seed: 12)
        for rows in [1, 5, 128, 129, 20_000] {
            let columns = (0..<6).map { j in (0..<rows).map { _ in rng.unit() * Double(j + 1) - 0.5 } }
            let means = columns.map { $0.reduce(0, +) / Double(rows) }
            let got = Describe.centredCrossProducts(columns, means: means)
            for i in 0..<6 {
                for j in 0..<6 {
                    var want = 0.0
                    for r in 0..<rows { want += (columns[i][r] - means[i]) * (columns[j][r] - means[j]) }
                    #expect(close(got[i * 6 + j], want, 1e-11), "rows \(rows) (\(i), \(j))")
                }
            }
        }
    }

    /// `summarize` on a table with NaNs equals statistics computed the plain way.
    @Test func summarizeMatchesPlainStatistics() {
        var rng = SeededGenerator(seed: 13)
        let columns = Self.correlationTable(rows: 9_999, missing: true, &rng)
        let table = Table(columns: columns.enumerated().map { Column(name: "c\($0.offset)", data: .numeric($0.element)) })
        let s = Describe.summarize(table)
        for (j, stats) in s.numeric.enumerated() {
            let present = columns[j].filter { !$0.isNaN }
            let sorted = present.sorted()
            #expect(stats.count == present.count && stats.missing == columns[j].count - present.count)
            let mean = present.isEmpty ? .nan : present.reduce(0, +) / Double(present.count)
            let std = present.count < 2 ? .nan : (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(present.count - 1)).squareRoot()
            #expect(close(stats.mean, mean) && close(stats.std, std), "c\(j) mean/std")
            #expect(stats.min == sorted.first && stats.max == sorted.last)
            for (got, q) in [(stats.q25, 0.25), (stats.median, 0.5), (stats.q75, 0.75)] {
                #expect(got == Describe.quantile(sorted: sorted, q), "c\(j) q \(q)")
            }
        }
    }
}
