import ArgumentParser
import Foundation
import Logging
import Pipeline
import Serving
import Tracking

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve predictions over HTTP (JSON /predict, Open Inference Protocol v2, /metrics).",
        discussion: """
            Follows a registry alias: when `plumb models promote` moves it, the server loads the new version \
            and swaps it in without failing a request. Every prediction is logged to the tracking store for \
            `plumb monitor --from-log`; POST /feedback {"request_id": …, "actual": …} records ground truth. \
            Admin routes (POST /admin/reload) need PLUMB_ADMIN_TOKEN. SIGTERM drains in-flight requests and \
            the log, then exits 0.

            Example:
              plumb serve --model models:/california@champion --port 8080
              curl -s localhost:8080/predict -H 'content-type: application/json' \\
                -d '{"MedInc":8.3,"HouseAge":41,"AveRooms":6.98,"AveBedrms":1.02,"Population":322,"AveOccup":2.56,"Latitude":37.88,"Longitude":-122.23}'
            """
    )

    @Option(help: "Model file or registry URI (models:/NAME@ALIAS follows the alias).")
    var model: String

    @Option(help: "Second model scored on every request and logged, never returned.")
    var shadow: String?

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 = any free port).")
    var port: Int = 8080

    @Option(help: "Largest request body in bytes (413 above).")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Seconds between checks of the followed alias.")
    var pollSeconds: Double = 2

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Option(help: "Event-loop threads for socket I/O (default: one per four cores, at least one).")
    var ioThreads: Int = ServerConfiguration.defaultIOThreads

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be > 0") }
        guard pollSeconds > 0 else { throw ValidationError("--poll-seconds must be > 0") }
        guard (1...256).contains(ioThreads) else { throw ValidationError("--io-threads must be in 1…256, got \(ioThreads)") }
    }

    func run() async throws {
        let logger = ServerLogHandler.logger(label: "plumb.serve")
        let startup = EarlyShutdownGuard(logger: logger)
        try await runReportingErrors {
            let storePath = store ?? defaultStorePath()
            // Load once up front so that a wrong path or URI is an immediate, clear error.
            _ = try ModelLocator.load(model, storePath: storePath)
            let provider = LocatorModelProvider(reference: model, storePath: storePath)
            let shadowProvider = shadow.map { LocatorModelProvider(reference: $0, storePath: storePath) }
            // The log's store checkpoints on a thread of its own: requests never queue behind one.
            let sink = StorePredictionLog(store: try TrackingStore(path: storePath, checkpoints: .background()))
            let config = ServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes,
                                             pollInterval: .milliseconds(Int(pollSeconds * 1000)), ioThreads: ioThreads)
            try await serve(configuration: config, provider: provider, shadow: shadowProvider, sink: sink, logger: logger, startup: startup)
        }
    }
}
