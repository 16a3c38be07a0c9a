import ArgumentParser
import Foundation
import Tracking

/// `plumb models alias NAME ALIAS VERSION`: point an alias at a version.
struct ModelsAliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Point ALIAS (e.g. champion, challenger) of model NAME at VERSION.",
        discussion: """
            Aliases match [A-Za-z0-9_-]+ and are resolved by URIs like models:/housing@challenger.

            Example:
              plumb models alias housing challenger 4 --reason "shadow test"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Argument(help: "Alias name.") var alias: String
    @Argument(help: "Version number.") var version: Int
    @Option(help: "Reason recorded in the audit trail.") var reason: String = ""

    func validate() throws {
        if !TrackingStore.isValidAlias(alias) { throw ValidationError("alias \"\(alias)\" must match [A-Za-z0-9_-]+") }
        if version < 1 { throw ValidationError("version must be ≥ 1, got \(version)") }
    }

    func run() throws {
        try TrackingCLI.run {
            try storeOptions.open().setAlias(model: name, alias: alias, version: version, reason: reason)
            print("models:/\(name)@\(alias) → version \(version)")
        }
    }
}
