import ArgumentParser
import Foundation
import Tracking

/// `plumb models show NAME`: one model and all its versions.
struct ModelsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a model's versions, stages, aliases and metric snapshots.",
        discussion: """
            Example:
              plumb models show housing --json
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    struct Output: Encodable {
        var model: RegisteredModel
        var versions: [ModelVersion]
    }

    func run() throws {
        try TrackingCLI.run {
            let store = try storeOptions.open()
            let out = Output(model: try store.model(name), versions: try store.versions(model: name))
            if json { try TrackingCLI.printJSON(out); return }
            print("Model:   \(out.model.name)")
            if !out.model.description.isEmpty { print("About:   \(out.model.description)") }
            print("Created: \(TrackingCLI.time(out.model.createdMs)) UTC")
            if !out.model.tags.isEmpty { print("Tags:    " + out.model.tags.keys.sorted().map { "\($0)=\(out.model.tags[$0] ?? "")" }.joined(separator: ", ")) }
            let keys = Array(Set(out.versions.flatMap { $0.metrics.keys }).sorted().prefix(6))
            let rows = out.versions.map { v in
                ["v\(v.version)", v.stage.rawValue, v.aliases.joined(separator: ",")] + keys.map { TrackingCLI.num(v.metrics[$0]) }
                    + [v.runID.map { String($0.prefix(12)) } ?? "-", String(v.artifactSHA256.prefix(12)), TrackingCLI.time(v.createdMs)]
            }
            print("")
            print(TrackingCLI.table(["VERSION", "STAGE", "ALIASES"] + keys + ["RUN", "ARTIFACT", "CREATED (UTC)"], rows,
                                    right: Set(3..<(3 + keys.count))))
        }
    }
}
