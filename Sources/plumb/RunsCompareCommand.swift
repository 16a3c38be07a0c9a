import ArgumentParser
import Foundation
import Tracking

/// `plumb runs compare ID ID…`: params and metrics side by side.
struct RunsCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare params and latest metrics of several runs side by side.",
        discussion: """
            Example:
              plumb runs compare 3f2a9c1e 77b01d4a --json
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Two or more run ids (or unique prefixes).") var ids: [String]
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if ids.count < 2 { throw ValidationError("compare needs at least two run ids, got \(ids.count)") }
    }

    struct Comparison: Encodable {
        var runs: [String]
        var names: [String]
        var params: [String: [String?]]
        var metrics: [String: [Double?]]
    }

    func run() throws {
        try TrackingCLI.run {
            let store = try storeOptions.open()
            let runs = try ids.map { try store.run($0).run }
            let paramKeys = Set(runs.flatMap { $0.params.keys }).sorted()
            let metricKeys = Set(runs.flatMap { $0.metrics.keys }).sorted()
            let cmp = Comparison(runs: runs.map(\.id), names: runs.map(\.name),
                                 params: Dictionary(uniqueKeysWithValues: paramKeys.map { k in (k, runs.map { $0.params[k] }) }),
                                 metrics: Dictionary(uniqueKeysWithValues: metricKeys.map { k in (k, runs.map { $0.metrics[k] }) }))
            if json { try TrackingCLI.printJSON(cmp); return }
            let headers = ["KEY"] + runs.map { "\(String($0.id.prefix(8))) (\($0.name))" }
            var rows: [[String]] = []
            for k in paramKeys {
                let values = runs.map { $0.params[k] ?? "-" }
                rows.append(["params.\(k)" + (Set(values).count > 1 ? " *" : "")] + values)
            }
            for k in metricKeys { rows.append(["metrics.\(k)"] + runs.map { TrackingCLI.num($0.metrics[k]) }) }
            print(TrackingCLI.table(headers, rows, right: Set(1...runs.count)))
            if paramKeys.contains(where: { k in Set(runs.map { $0.params[k] ?? "-" }).count > 1 }) { print("* params that differ") }
        }
    }
}
