import BenchSupport
import Drift
import Foundation
import Tabular

/// drift: per numeric column KS + Wasserstein + PSI between two CSVs (read before timing);
/// with --report, the timed work also renders the HTML report and writes it.
func driftScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    let reference = try CSVReader.read(path: try o.string("reference"))
    let current = try CSVReader.read(path: try o.string("current"))
    let report = o.optionalString("report")
    let repeats = try o.repeats
    _ = (reference, current, report, repeats)
    throw BenchUsageError("drift: not wired to the Drift module yet")
}
