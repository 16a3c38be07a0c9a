import ArgumentParser
import Foundation
import Tracking

/// `plumb runs list`: MLflow-style search over runs, printed as an aligned table or JSON.
struct RunsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Search runs with an MLflow-style filter.",
        discussion: """
            Filter grammar: comparisons over metrics.X, params.X, tags.X and attributes.X (status, \
            run_name, run_id, user, start_time, end_time) joined by AND; operators = != < <= > >= \
            LIKE ILIKE IN; strings in single or double quotes; keys with spaces in `back quotes`.

            Example:
              plumb runs list --experiment housing --filter "metrics.r2 > 0.7 AND attributes.status = 'FINISHED'" --order-by "metrics.r2 DESC" --limit 10
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Only runs of this experiment.") var experiment: String?
    @Option(help: "Filter expression, e.g. \"metrics.rmse < 0.5 AND params.model = 'gbm'\".") var filter: String?
    @Option(name: .customLong("order-by"), help: "Ordering term, e.g. \"metrics.r2 DESC\" (repeatable).") var orderBy: [String] = []
    @Option(help: "Maximum number of runs.") var limit: Int?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be ≥ 0, got \(limit)") }
    }

    func run() throws {
        try TrackingCLI.run {
            let store = try storeOptions.open()
            let runs = try store.searchRuns(experiment: experiment, filter: filter, orderBy: orderBy, limit: limit)
            if json { try TrackingCLI.printJSON(runs); return }
            let metricKeys = Array(Set(runs.flatMap { $0.metrics.keys }).sorted().prefix(8))
            let paramKeys = Array(Set(runs.flatMap { $0.params.keys }).sorted().prefix(6))
            let headers = ["RUN", "NAME", "EXPERIMENT", "STATUS", "START (UTC)"] + metricKeys + paramKeys.map { "params.\($0)" }
            let rows = runs.map { r in
                [String(r.id.prefix(12)), r.name, r.experiment, r.status.rawValue, TrackingCLI.time(r.startMs)]
                    + metricKeys.map { TrackingCLI.num(r.metrics[$0]) } + paramKeys.map { r.params[$0] ?? "-" }
            }
            print(TrackingCLI.table(headers, rows, right: Set(5..<(5 + metricKeys.count))))
            print("\(runs.count) run\(runs.count == 1 ? "" : "s")")
        }
    }
}
