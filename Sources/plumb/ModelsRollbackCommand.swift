import ArgumentParser
import Foundation
import Pipeline
import Tracking

/// `plumb models rollback NAME`: restore the previous champion, in the registry and, with
/// `--server`, on a running server.
struct ModelsRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Restore the previous champion (from the audit trail) and archive the current one.",
        discussion: """
            With --server URL --admin-token T the running server reloads at once (POST /admin/reload), so \
            a server following models:/NAME@champion answers with the restored version without waiting \
            for its next poll. The server is reached before the registry changes: an unreachable server or \
            a refused token changes nothing.

            Example:
              plumb models rollback housing --reason "v7 underpredicts large houses"
              plumb models rollback housing --server http://127.0.0.1:8080 --admin-token "$PLUMB_ADMIN_TOKEN"
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Model name.") var name: String
    @Option(help: "Reason recorded in the audit trail.") var reason: String = ""
    @OptionGroup var serverOptions: ServerOptions

    func run() async throws {
        try await runReportingErrors {
            let store = try storeOptions.open()
            // The server is reached first (a reload, harmless): a refused token changes nothing.
            if let server = serverOptions.server, let token = serverOptions.token {
                _ = try await ServerAdmin.post(server: server, path: "/admin/reload", token: token)
            }
            print(try store.rollback(model: name, reason: reason).message)
            guard let server = serverOptions.server, let token = serverOptions.token else { return }
            let answer = try await ServerAdmin.post(server: server, path: "/admin/reload", token: token)
            print("server \(server): \(answer)")
        }
    }
}
