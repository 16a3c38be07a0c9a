// CSV ingest: a generated 1,000,000 × 21 numeric file (written once to a temp dir at setup)
// read into a Table; then `Describe.summarize` of that table (statistics, exact quartiles and
// the 21 × 21 correlation matrix, as `plumb data describe`). Throughput is in rows (scaling
// factor mega: one iteration = 1M rows).
import BenchSupport
import Benchmark
import Foundation
import Tabular

let rows = 1_000_000
let columns = 21

let benchmarks: @Sendable () -> Void = {
    Benchmark("CSV read 1Mx21 numeric", configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                                          warmupIterations: 1, scalingFactor: .mega,
                                                          maxDuration: .seconds(15), maxIterations: 10)) { (benchmark: Benchmark, file: URL) in
        do {
            let table = try CSVReader.read(path: file.path)
            precondition(table.rowCount == rows && table.columns.count == columns, "CSV read \(table.rowCount)×\(table.columns.count)")
            blackHole(table)
        } catch {
            benchmark.error("CSV read failed: \(error)")
        }
    } setup: {
        let dir = try BenchData.temporaryDirectory("plumb-csv-bench")
        let file = dir.appendingPathComponent("numeric_1m.csv")
        try BenchData.writeNumericCSV(path: file.path, rows: rows, columns: columns)
        return file
    }

    Benchmark("Describe 1Mx21 numeric", configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                                           warmupIterations: 1, scalingFactor: .mega,
                                                           maxDuration: .seconds(15), maxIterations: 20)) { (benchmark: Benchmark, table: Table) in
        let summary = Describe.summarize(table)
        precondition(summary.numeric.count == columns && summary.correlation.count == columns * columns, "describe \(summary.numeric.count) columns")
        blackHole(summary)
    } setup: {
        let dir = try BenchData.temporaryDirectory("plumb-describe-bench")
        let file = dir.appendingPathComponent("numeric_1m.csv")
        try BenchData.writeNumericCSV(path: file.path, rows: rows, columns: columns)
        return try CSVReader.read(path: file.path)
    }
}
