import ArgumentParser
import Foundation
import Tracking

/// `plumb models approve NAME/VERSION --reason …`: a named person's approval for Production.
struct ModelsApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Record a named approval of a version for Production in the registry's audit trail.",
        discussion: """
            A promotion policy with "require_approval": true (or require_approval: true under promotion: in a \
            pipeline spec) only moves a version to Production once it has an approval; until then \
            `plumb models promote` stops it at Staging and says so. The approval is an audit entry (action \
            approve) with the approver, the time and the reason; the model card lists it.

            Example:
              plumb models approve housing/4 --reason "segment report reviewed, INLAND within 20 %" --by "A. Chen"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("The version to approve, NAME/VERSION (or models:/NAME/VERSION).", valueName: "NAME/VERSION"))
    var target: String
    @Option(help: "Why it is approved (required; recorded in the audit trail).") var reason: String
    @Option(help: "Who approves (default: $PLUMB_USER, $USER or the account name).") var by: String?
    @Flag(help: "Print JSON.") var json = false

    /// NAME and VERSION from `NAME/VERSION` or `models:/NAME/VERSION`.
    static func nameAndVersion(_ text: String) -> (name: String, version: Int)? {
        let rest = text.hasPrefix("models:/") ? String(text.dropFirst("models:/".count)) : text
        guard let slash = rest.lastIndex(of: "/"), let v = Int(rest[rest.index(after: slash)...]), v >= 1 else { return nil }
        let name = String(rest[..<slash])
        return name.isEmpty || name.contains("/") ? nil : (name, v)
    }

    func validate() throws {
        guard Self.nameAndVersion(target) != nil else { throw ValidationError("expected NAME/VERSION such as housing/4, got \"\(target)\"") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why the version is approved") }
        if let by, by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by must name the approver") }
    }

    func run() throws {
        try TrackingCLI.run {
            guard let (name, version) = Self.nameAndVersion(target) else { return }
            let entry = try storeOptions.open().approve(model: name, version: version, reason: reason, by: by)
            if json { try TrackingCLI.printJSON(entry); return }
            print("\(name)/\(version) approved by \(entry.user): \(entry.reason)")
        }
    }
}
