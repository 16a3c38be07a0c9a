import ArgumentParser
import Foundation
import Tracking

/// `plumb models promote NAME`: apply the promotion policy (one audited transaction).
struct ModelsPromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Apply the promotion policy: qualifying versions → Staging, the best → Production (@champion).",
        discussion: """
            Default policy: r2 > 0.70 → Staging; best r2 (ties: lower rmse) > 0.75 → Production and \
            alias champion, the previous Production version is archived. A policy JSON file may set \
            metric, higher_is_better, staging_threshold, production_threshold, tie_break. Any logged metric \
            works in its natural direction (higher: r2, accuracy, f1, roc_auc, average_precision, \
            balanced_accuracy; lower: rmse, mae, mape, log_loss, brier, ece), and the gates may carry it: \
            {"metric": "roc_auc", "staging": "> 0.85", "production": "> 0.9", "tie_break": "log_loss"} \
            (the tie-break defaults to log_loss for a classification score, roc_auc for a loss, rmse for r2).

            Production can also require limits on the segment and fairness evaluations stored with a version \
            (`plumb evaluate --model models:/NAME/V FILE --segment-by COL --sensitive COL --record`) and a named \
            approval (`plumb models approve NAME/V --reason …`): \
            {"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25, "min_rows": 30}, \
            "fairness": {"sensitive": "sex", "max_equalized_odds_difference": 0.1}, "require_approval": true}. \
            A version failing a limit is passed over and the output names the segment or groups; without an \
            approval the best version stops at Staging and the output says so.

            Example:
              plumb models promote housing --policy policy.json --reason "nightly retrain"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Option(help: "Only consider this version.") var version: Int?
    @Option(help: "Promotion policy JSON file.") var policy: String?
    @Option(help: "Reason recorded in the audit trail.") var reason: String = ""
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try TrackingCLI.run {
            let store = try storeOptions.open()
            let p = try policy.map { try PromotionPolicy.load(path: $0) } ?? .default
            let outcome = try store.promote(model: name, version: version, policy: p, reason: reason)
            if json { try TrackingCLI.printJSON(outcome); return }
            print(outcome.message)
            if !outcome.staged.isEmpty { print("staged: " + outcome.staged.map { "v\($0)" }.joined(separator: ", ")) }
            if !outcome.archived.isEmpty { print("archived: " + outcome.archived.map { "v\($0)" }.joined(separator: ", ")) }
        }
    }
}
