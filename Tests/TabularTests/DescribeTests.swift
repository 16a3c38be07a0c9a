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
                    var scratch = values
                    #expect(Describe.quantile(selecting: &scratch, q) == Describe.quantile(sorted: sorted, q), "n \(n) q \(q)")
                    #expect(scratch.sorted() == sorted)
                }
            }
        }
        var empty: [Double] = []
        #expect(Describe.quantile(selecting: &empty, 0.5).isNaN)
    }
}
