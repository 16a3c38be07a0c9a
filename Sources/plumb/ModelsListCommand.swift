import ArgumentParser
import Foundation
import Tracking

/// `plumb models list`: registered models with latest version and champion.
struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List registered models.",
        discussion: """
            Example:
              plumb models list --json
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try TrackingCLI.run {
            let models = try storeOptions.open().models()
            if json { try TrackingCLI.printJSON(models); return }
            let rows = models.map { m in
                [m.name, m.latestVersion.map(String.init) ?? "-", m.aliases["champion"].map { "v\($0)" } ?? "-",
                 m.aliases.keys.sorted().map { "\($0)=v\(m.aliases[$0] ?? 0)" }.joined(separator: ","), m.description]
            }
            print(TrackingCLI.table(["MODEL", "LATEST", "CHAMPION", "ALIASES", "DESCRIPTION"], rows, right: [1]))
        }
    }
}
