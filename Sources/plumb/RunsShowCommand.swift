import ArgumentParser
import Foundation
import Tracking

/// `plumb runs show ID`: every recorded fact about one run.
struct RunsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: params, metrics, tags, datasets, artifacts, children.",
        discussion: """
            ID may be a unique prefix (at least 4 hex characters) of the run id.

            Example:
              plumb runs show 3f2a9c1e --json
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Run id or unique prefix.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try TrackingCLI.run {
            let d = try storeOptions.open().run(id)
            if json { try TrackingCLI.printJSON(d); return }
            let r = d.run
            var lines = [
                "Run:        \(r.id)", "Name:       \(r.name)", "Experiment: \(r.experiment)", "Status:     \(r.status.rawValue)",
                "Start:      \(TrackingCLI.time(r.startMs)) UTC", "End:        \(TrackingCLI.time(r.endMs))\(r.endMs == nil ? "" : " UTC")",
                "User:       \(r.user)",
            ]
            if let c = r.sourceCommit { lines.append("Commit:     \(c)") }
            if let p = r.parentID { lines.append("Parent:     \(p)") }
            if let e = r.errorMessage { lines.append("Error:      \(e)") }
            print(lines.joined(separator: "\n"))
            func section(_ title: String, _ body: String) { print("\n\(title)\n" + body) }
            if !r.params.isEmpty {
                section("Params", TrackingCLI.table(["KEY", "VALUE"], r.params.keys.sorted().map { [$0, r.params[$0] ?? ""] }))
            }
            if !r.metrics.isEmpty {
                section("Metrics (latest)", TrackingCLI.table(["KEY", "VALUE"], r.metrics.keys.sorted().map { [$0, TrackingCLI.num(r.metrics[$0])] }, right: [1]))
            }
            if !r.tags.isEmpty {
                section("Tags", TrackingCLI.table(["KEY", "VALUE"], r.tags.keys.sorted().map { [$0, r.tags[$0] ?? ""] }))
            }
            if !d.datasets.isEmpty {
                section("Datasets", TrackingCLI.table(["CONTEXT", "NAME", "ROWS", "DIGEST", "SOURCE"],
                                                      d.datasets.map { [$0.context.rawValue, $0.name, String($0.rows), String($0.digest.prefix(16)), $0.source] }, right: [2]))
            }
            if !d.artifacts.isEmpty {
                section("Artifacts", TrackingCLI.table(["NAME", "SIZE", "SHA256"], d.artifacts.map { [$0.name, String($0.size), $0.sha256] }, right: [1]))
            }
            if !d.children.isEmpty { section("Children", d.children.joined(separator: "\n")) }
        }
    }
}
