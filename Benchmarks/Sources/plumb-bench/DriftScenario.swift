import BenchSupport
import Drift
import Foundation
import Tabular

/// drift: reference profile (every value kept, 10 reference-quantile PSI bins) + per-column KS,
/// Wasserstein and PSI of the current CSV against it; both CSVs are read before timing. With
/// --report, the timed work also renders the HTML report and writes it.
/// Prints the statistics per column so compare.py can check them against scipy.
func driftScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    let referencePath = try o.string("reference"), currentPath = try o.string("current")
    let reference = try CSVReader.read(path: referencePath)
    let current = try CSVReader.read(path: currentPath)
    let reportPath = o.optionalString("report")
    let repeats = try o.repeats
    let (seconds, analysis) = try BenchTimer.best(of: repeats) { () throws -> DriftAnalysis in
        let profile = try ReferenceProfile.build(table: reference, target: nil, predictions: nil, seed: 42,
                                                 maxSample: Int.max, psiBins: 10)
        let analysis = try DriftAnalyzer.analyze(reference: profile, current: current)
        if let reportPath {
            let html = HTMLReport.render(result: analysis.result, reference: profile, current: analysis.current)
            try Data(html.utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        }
        return analysis
    }
    var columns: [String: JSONValue] = [:]
    for c in analysis.current.columns {
        guard let s = c.statistics else { continue }
        columns[c.name] = .object(["ks": .number(s.ks), "wasserstein": .number(s.wasserstein), "psi": .number(s.psi)])
    }
    return ["seconds": .number(seconds), "reference_rows": .int(reference.rowCount), "current_rows": .int(current.rowCount),
            "drift_share": .number(analysis.result.driftShare), "columns": .object(columns), "repeats": .int(repeats)]
}
