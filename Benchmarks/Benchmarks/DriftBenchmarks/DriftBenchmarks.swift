// Drift between a 1,000,000-row reference and a 1,000,000-row current sample, 8 numeric
// columns: reference profile (exact, every value kept) + per-column KS, Wasserstein and PSI.
import BenchSupport
import Benchmark
import Drift
import Foundation
import Tabular

/// 8 columns × rows normal draws; `shifted` moves and scales half of the columns.
func sample(rows: Int, seed: UInt64, shifted: Bool) -> Table {
    Table(columns: (0..<8).map { j in
        var v = BenchData.normals(rows, seed: seed &* 31 &+ UInt64(j))
        if shifted && j % 2 == 0 { for i in v.indices { v[i] = v[i] * 1.2 + 0.1 } }
        return Column(name: "f\(j)", data: .numeric(v))
    })
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("drift 1M vs 1M x 8 (KS + Wasserstein + PSI)",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1,
                                   maxDuration: .seconds(15), maxIterations: 10)) { (benchmark: Benchmark, tables: (Table, Table)) in
        do {
            let profile = try ReferenceProfile.build(table: tables.0, target: nil, predictions: nil, seed: 42,
                                                     maxSample: Int.max, psiBins: 10)
            blackHole(try DriftAnalyzer.analyze(reference: profile, current: tables.1))
        } catch {
            benchmark.error("drift failed: \(error)")
        }
    } setup: {
        (sample(rows: 1_000_000, seed: 1, shifted: false), sample(rows: 1_000_000, seed: 2, shifted: true))
    }
}
