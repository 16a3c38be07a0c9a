// Tracking store (SQLite via GRDB) in a temp folder: one batch of 10,000 metric points into a
// run, and an MLflow-style filtered search over 10,000 runs.
import BenchSupport
import Benchmark
import Foundation
import Tabular
import Tracking

/// A store with one experiment holding `runs` finished runs, each with params model/alpha and
/// metrics r2/rmse; returns the store.
func populatedStore(runs: Int) throws -> TrackingStore {
    let dir = try BenchData.temporaryDirectory("plumb-tracking-bench")
    let store = try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
    var rng = SeededGenerator(seed: 11)
    for i in 0..<runs {
        let id = try store.startRun(experiment: "bench", name: "run-\(i)")
        try store.logParams(run: id, ["model": i % 3 == 0 ? "gbm" : i % 3 == 1 ? "forest" : "ridge", "alpha": "\(i % 10)"])
        try store.logMetrics(run: id, [MetricPoint(key: "r2", value: rng.unit()), MetricPoint(key: "rmse", value: rng.unit())])
        try store.endRun(id)
    }
    return store
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("log 10,000 metric points (one batch)",
              configuration: .init(metrics: [.wallClock],  // one batch per iteration: time is per 10,000 points
                                   maxDuration: .seconds(10), maxIterations: 50)) { (benchmark: Benchmark, store: TrackingStore) in
        do {
            let run = try store.startRun(experiment: "metrics")
            let points = (0..<10_000).map { MetricPoint(key: "loss", value: 1 / Double($0 + 1), step: Int64($0)) }
            benchmark.startMeasurement()
            try store.logMetrics(run: run, points)
        } catch {
            benchmark.error("logMetrics failed: \(error)")
        }
    } setup: {
        let dir = try BenchData.temporaryDirectory("plumb-tracking-bench")
        return try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
    }

    Benchmark("search 10,000 runs with a filter",
              configuration: .init(metrics: [.wallClock], maxDuration: .seconds(10), maxIterations: 50)) { (benchmark: Benchmark, store: TrackingStore) in
        do {
            let runs = try store.searchRuns(experiment: "bench", filter: "metrics.r2 > 0.5 AND params.model = 'gbm'",
                                            orderBy: ["metrics.r2 DESC"])
            blackHole(runs)
        } catch {
            benchmark.error("searchRuns failed: \(error)")
        }
    } setup: {
        try populatedStore(runs: 10_000)
    }
}
