import ArgumentParser
import Foundation
import Tracking

/// `plumb models history NAME`: the audit trail.
struct ModelsHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a model's registry audit trail (who changed what, when, why).",
        discussion: """
            Example:
              plumb models history housing --json
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try TrackingCLI.run {
            let entries = try storeOptions.open().history(model: name)
            if json { try TrackingCLI.printJSON(entries); return }
            let rows = entries.map { e in
                [TrackingCLI.time(e.timeMs), e.user, e.action, e.version.map { "v\($0)" } ?? "-",
                 (e.alias.map { "@\($0) " } ?? "") + "\(e.from ?? "-") → \(e.to ?? "-")", e.reason]
            }
            print(TrackingCLI.table(["TIME (UTC)", "USER", "ACTION", "VERSION", "CHANGE", "REASON"], rows))
        }
    }
}
