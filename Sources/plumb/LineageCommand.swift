import ArgumentParser
import Foundation
import Pipeline
import Tracking

struct LineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Where a registered model came from: data digests, spec hash, code version, seed, parent runs.",
        discussion: "Example:\n  plumb lineage models:/california-housing@champion"
    )

    @Argument(help: "Registry URI: models:/NAME/VERSION or models:/NAME@ALIAS.")
    var uri: String

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    func run() async throws {
        try await runReportingErrors {
            let s = try TrackingStore(path: store ?? defaultStorePath())
            let v = try s.resolve(uri)
            print("\(uri) → \(v.model) v\(v.version) (\(v.stage.rawValue)\(v.aliases.isEmpty ? "" : ", aliases \(v.aliases.joined(separator: ", "))"))")
            print("model file     sha256 \(v.artifactSHA256)")
            guard let runID = v.runID else { print("no source run recorded"); return }
            var run: RunDetail? = try s.run(runID)
            var depth = 0
            while let r = run {
                let indent = String(repeating: "  ", count: depth)
                print("\(indent)run \(r.run.id) \"\(r.run.name)\" \(r.run.status.rawValue), experiment \(r.run.experiment), user \(r.run.user)")
                if let c = r.run.sourceCommit { print("\(indent)  code          git \(c)") }
                for key in ["plumb_version", "spec_hash", "pipeline", "seed", "model", "target", "source_format", "source_file", "source_sha256"] {
                    if let value = r.run.params[key] { print("\(indent)  \(key.padding(toLength: 13, withPad: " ", startingAt: 0)) \(value)") }
                }
                for d in r.datasets {
                    print("\(indent)  data          \(d.context.rawValue): \(d.name), \(d.rows) rows, sha256 \(d.digest.prefix(16))…")
                }
                run = try r.run.parentID.map { try s.run($0) }
                depth += 1
            }
        }
    }
}
