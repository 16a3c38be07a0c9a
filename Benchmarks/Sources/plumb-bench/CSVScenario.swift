import BenchSupport
import Foundation
import Tabular

/// csv: read a whole CSV file into a `Table` (type inference, numeric parsing); best of --repeats.
func csvScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    let file = try o.string("file")
    let repeats = try o.repeats
    let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let (seconds, table) = try BenchTimer.best(of: repeats) { try CSVReader.read(path: file) }
    return ["seconds": .number(seconds), "rows": .int(table.rowCount), "columns": .int(table.columns.count),
            "bytes": .int(bytes), "mb_per_second": .number(Double(bytes) / seconds / 1e6), "repeats": .int(repeats)]
}
