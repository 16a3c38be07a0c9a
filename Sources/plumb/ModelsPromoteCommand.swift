import ArgumentParser
import Foundation
import Pipeline
import Tracking

/// `plumb models promote NAME`: apply the promotion policy (one audited transaction), or with
/// `--from-canary` make the canary's version the champion.
struct ModelsPromoteCommand: AsyncParsableCommand {
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

            --from-canary: the version behind the canary alias (--canary-alias, default challenger) becomes \
            Production and champion, audited; the policy's metric thresholds do not apply (the canary's live \
            results are the evidence), its segment, fairness and approval gates do. With --server URL --admin-token T the \
            running server reloads at once, so its champion variant serves the promoted version (the server is \
            reached first: an unreachable server or a refused token changes nothing).

            Example:
              plumb models promote housing --policy policy.json --reason "nightly retrain"
              plumb models promote housing --from-canary --reason "canary v4: rmse 0.47 vs 0.52 over 3 days" \\
                --server http://127.0.0.1:8080 --admin-token "$PLUMB_ADMIN_TOKEN"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Option(help: "Only consider this version.") var version: Int?
    @Option(help: "Promotion policy JSON file.") var policy: String?
    @Option(help: "Reason recorded in the audit trail.") var reason: String = ""
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Promote the version behind the canary alias to champion (no policy).") var fromCanary = false
    @Option(help: "The canary's alias (with --from-canary).") var canaryAlias: String = "challenger"
    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        if fromCanary, version != nil { throw ValidationError("--from-canary promotes the canary alias's version: it takes no --version") }
    }

    func run() async throws {
        try await runReportingErrors {
            let store = try storeOptions.open()
            let p = try policy.map { try PromotionPolicy.load(path: $0) } ?? .default
            try await checkServer()
            if fromCanary {
                let outcome = try store.promote(model: name, fromAlias: canaryAlias, policy: p, reason: reason)
                if json { try TrackingCLI.printJSON(outcome) } else { print(outcome.message) }
                if !json, !outcome.archived.isEmpty { print("archived: " + outcome.archived.map { "v\($0)" }.joined(separator: ", ")) }
                try await reloadServer()
                return
            }
            let outcome = try store.promote(model: name, version: version, policy: p, reason: reason)
            if json { try TrackingCLI.printJSON(outcome); return }
            print(outcome.message)
            if !outcome.staged.isEmpty { print("staged: " + outcome.staged.map { "v\($0)" }.joined(separator: ", ")) }
            if !outcome.archived.isEmpty { print("archived: " + outcome.archived.map { "v\($0)" }.joined(separator: ", ")) }
            if outcome.changed { try await reloadServer() }
        }
    }

    /// Reaches --server with its token before the registry changes (a reload, harmless), so
    /// an unreachable server or a refused token changes nothing.
    func checkServer() async throws {
        guard let server = serverOptions.server, let token = serverOptions.token else { return }
        _ = try await ServerAdmin.post(server: server, path: "/admin/reload", token: token)
    }

    /// POST /admin/reload on --server, when given.
    func reloadServer() async throws {
        guard let server = serverOptions.server, let token = serverOptions.token else { return }
        let answer = try await ServerAdmin.post(server: server, path: "/admin/reload", token: token)
        print("server \(server): \(answer)")
    }
}
