import Foundation
import MLCore
@testable import Pipeline
import Serving
import Tabular
import Testing
import TreeModels

/// `plumb bench MODEL` end to end on tiny models: shapes and counts, never times.
@Suite struct LatencyBenchTests {
    /// A GBM regression on two numeric features (the preallocated path), written as a file.
    static func numericModel() throws -> (LocatedModel, String) {
        var g = SeededGenerator(seed: 7)
        var a: [Double] = [], b: [Double] = [], y: [Double] = []
        for i in 0..<400 {
            let x1 = Double.random(in: 0..<1, using: &g), x2 = Double.random(in: -3..<3, using: &g)
            a.append(i % 50 == 0 ? .nan : x1); b.append(x2); y.append(3 * x1 - x2 * x2 + 0.1 * Double.random(in: 0..<1, using: &g))
        }
        var p = GBMParameters()
        p.rounds = 20
        var r = TrainingRequest(train: Table(columns: [Column(name: "a", data: .numeric(a)), Column(name: "b", data: .numeric(b)),
                                                       Column(name: "y", data: .numeric(y))]), target: "y", model: .gbm(p))
        r.preprocessing.scale = true
        let o = try Trainer.train(r)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-bench-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/model.plumb"
        try AtomicFile.write(try ModelFile.encode(header: o.model.header, regressor: o.model.regressor), to: path)
        return (try ModelLocator.load(path, storePath: dir + "/unused.db"), dir)
    }

    /// The preallocated per-worker path scores exactly what the server's path does.
    @Test func preallocatedScorerMatchesTheServingPath() throws {
        let (located, _) = try Self.numericModel()
        let servable = ServableLoadedModel(located)
        let rows = BenchRows.synthesised(features: servable.features, steps: located.model.header.preprocessor.steps, count: 40)
        let pool = FeatureRows(kinds: rows.kinds, rows: rows.rows + [[nil, .number(1)]])
        let expected = try servable.predict(pool)
        for batch in [1, 8] {
            let scorer = RowMajorScorer(located.model, batch: batch)
            var got: [Double] = []
            pool.values.withUnsafeBufferPointer { values in
                for start in stride(from: 0, through: pool.count - batch, by: batch) {
                    scorer.score(values, start: start)
                    got += scorer.predictions
                }
            }
            #expect(got == Array(expected.prefix(got.count)), "batch \(batch)")
        }
    }

    @Test func reportCountsEveryCallAndEncodesEveryFigure() throws {
        let (located, _) = try Self.numericModel()
        let rows = BenchRows.synthesised(features: ServableLoadedModel(located).features, steps: located.model.header.preprocessor.steps, count: 100)
        let options = LatencyBench.Options(batches: [1, 8, 150], threads: [1, 2], seconds: 600, maxCallsPerWorker: 25)
        let report = try LatencyBench.run(located, loadSeconds: 0.001, rows: rows, options: options)
        #expect(report.path == .rowMajorPreallocated && report.features == 2 && report.rows_source == "schema" && report.distinct_rows == 100)
        #expect(report.cases.map { [$0.batch, $0.threads] } == [[1, 1], [1, 2], [8, 1], [8, 2], [150, 1], [150, 2]])
        for c in report.cases {
            #expect(c.calls == 25 * c.threads && c.latency.count == c.calls && c.rows == c.calls * c.batch)
            #expect(c.latency.p50_us <= c.latency.p90_us && c.latency.p90_us <= c.latency.p99_us
                    && c.latency.p99_us <= c.latency.p999_us && c.latency.p999_us <= c.latency.max_us)
            #expect(c.rows_per_second > 0 && c.seconds > 0)
        }
        #expect(report.cold.first_call_us > 0 && report.cold.load_ms == 1)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["model", "version", "kind", "features", "path", "call", "rows_source", "distinct_rows", "cold", "cases"])
        let first = (json?["cases"] as? [[String: Any]])?.first
        #expect(Set(first?.keys.map { $0 } ?? []) == ["batch", "threads", "calls", "rows", "seconds", "rows_per_second", "calls_per_second", "latency"])
        #expect(Set((first?["latency"] as? [String: Any])?.keys.map { $0 } ?? []) == ["count", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us"])
    }

    /// A model with a categorical feature goes through the table path; rows come from its profile.
    @Test func categoricalModelUsesTheTablePathAndItsProfile() throws {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        let located = try ModelLocator.load(f.modelPath, storePath: f.dir + "/unused.db")
        let features = ServableLoadedModel(located).features
        let profile = try ModelLocator.profile(for: located, storePath: f.dir + "/unused.db")
        let rows = BenchRows.synthesised(from: profile, features: features, steps: located.model.header.preprocessor.steps, count: 50)
        #expect(rows.source == "reference profile")
        for row in rows.rows {
            if case .string(let s)? = row[2] { #expect(["p", "q", "r"].contains(s)) } else { Issue.record("kind is not a label: \(row)") }
        }
        let report = try LatencyBench.run(located, loadSeconds: 0, rows: rows, options: .init(batches: [1, 64], threads: [2], seconds: 600, maxCallsPerWorker: 10))
        #expect(report.path == .table)
        #expect(report.cases.map(\.calls) == [20, 20] && report.cases.map(\.rows) == [20, 1280])
    }

    @Test func rowsFromAFileNameAMissingColumn() throws {
        let (located, dir) = try Self.numericModel()
        let features = ServableLoadedModel(located).features
        let good = dir + "/rows.csv", bad = dir + "/bad.csv"
        try "a,b,y\n0.5,1,3\n,2,1\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "a,c\n0.5,1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let rows = try BenchRows.read(good, features: features)
        #expect(rows.rows == [[.number(0.5), .number(1)], [nil, .number(2)]])
        #expect(rows.jsonObject(1) == #"{"a":null,"b":2.0}"#)
        #expect(rows.v2InferBody(0) == #"{"inputs":[{"name":"a","shape":[1],"datatype":"FP64","data":[0.5]},{"name":"b","shape":[1],"datatype":"FP64","data":[1.0]}]}"#)
        #expect { try BenchRows.read(bad, features: features) } throws: { "\($0)".contains("bad.csv") && "\($0)".contains("\"b\"") }
    }
}
