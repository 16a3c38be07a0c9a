import ArgumentParser
import Foundation
import Tracking

/// `plumb models rollback NAME`: restore the previous champion.
struct ModelsRollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Restore the previous champion (from the audit trail) and archive the current one.",
        discussion: """
            Example:
              plumb models rollback housing --reason "v7 underpredicts large houses"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Option(help: "Reason recorded in the audit trail.") var reason: String = ""

    func run() throws {
        try TrackingCLI.run {
            print(try storeOptions.open().rollback(model: name, reason: reason).message)
        }
    }
}
