import ArgumentParser
import Foundation
import Tracking

/// `plumb models card URI`: Markdown model card generated from the store.
struct ModelsCardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Write a Markdown model card (lineage, params, metrics, importances, limitations, history).",
        discussion: """
            Example:
              plumb models card housing@champion --out MODEL_CARD.md
              plumb models card models:/housing/3
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "NAME@ALIAS, NAME/VERSION, or a models:/ URI.") var uri: String
    @Option(help: "Write to this file instead of stdout.") var out: String?

    func run() throws {
        try TrackingCLI.run {
            let card = try storeOptions.open().modelCard(try ModelURI.parse(uri.hasPrefix("models:/") ? uri : "models:/" + uri))
            if let out {
                do { try Data(card.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw TrackingError(code: .io, message: "\(out): cannot write model card (\(error.localizedDescription))", underlying: error)
                }
                print("wrote \(out)")
            } else {
                print(card, terminator: "")
            }
        }
    }
}
