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
            Admin routes (POST /admin/reload, /admin/switch, GET /admin/variants) need --admin-token or PLUMB_ADMIN_TOKEN. SIGTERM drains in-flight requests and \
            the log, then exits 0.

            Canary, A/B and blue-green: with --canary, --variant or --standby several versions are loaded \
            ("variants"). Each request goes to one, by a stable hash (64-bit FNV-1a, then fmix64) of its routing key: the \
            X-Plumb-Key header, else the --route-by feature's value, else the request id; so a key always \
            sees the same variant. Answers name it (X-Plumb-Variant header, "variant" in the JSON), the \
            prediction log records variant and key, /metrics counts each. Every variant must take the served \
            model's features. POST /admin/switch {"to": NAME} (admin token) sends all traffic to one variant \
            at once; GET /admin/variants lists them.

            Example:
              plumb serve --model models:/california@champion --port 8080
              plumb serve --model models:/california@champion --canary models:/california@challenger --canary-percent 10
              plumb serve --variant a=models:/california/3:50 --variant b=models:/california/4:50 --route-by Latitude
              plumb serve --model models:/california/3 --standby models:/california/4 --admin-token s3cret  # blue, green
              curl -s localhost:8080/predict -H 'content-type: application/json' \\
                -d '{"MedInc":8.3,"HouseAge":41,"AveRooms":6.98,"AveBedrms":1.02,"Population":322,"AveOccup":2.56,"Latitude":37.88,"Longitude":-122.23}'
            """
    )

    @Option(help: "Model file or registry URI (models:/NAME@ALIAS follows the alias). Required unless --variant is given.")
    var model: String?

    @Option(help: "Canary model (e.g. models:/NAME@challenger) answering --canary-percent of requests; --model answers the rest.")
    var canary: String?

    @Option(help: "Percent of requests the canary answers, in (0, 100).")
    var canaryPercent: Double?

    @Option(help: ArgumentHelp("A/B variant NAME=URI:WEIGHT (repeat; instead of --model): requests are split by weight.",
                               valueName: "name=uri:weight"))
    var variant: [VariantArgument] = []

    @Option(help: "Blue-green: a second model loaded beside --model (variant 'green', no traffic) until POST /admin/switch {\"to\":\"green\"}.")
    var standby: String?

    @Option(help: "Feature whose value routes a request to a variant when it has no X-Plumb-Key header (default: the request id).")
    var routeBy: String?

    @Option(help: "Bearer token for /admin routes (default: $PLUMB_ADMIN_TOKEN; none: admin routes are off).")
    var adminToken: String?

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
        guard (model == nil) != variant.isEmpty else {
            throw ValidationError(model == nil ? "give --model (optionally with --canary or --standby) or --variant NAME=URI:WEIGHT twice or more"
                                               : "--model and --variant do not go together: name every model with --variant NAME=URI:WEIGHT")
        }
        if variant.count == 1 { throw ValidationError("--variant: give two or more (got only '\(variant[0].name)')") }
        for v in variant {
            guard VariantConfiguration.isValidName(v.name) else { throw ValidationError("--variant \(v.name)=…: the name must match [A-Za-z0-9_-]+") }
            guard v.weight > 0, v.weight.isFinite else { throw ValidationError("--variant \(v.name)=…: the weight must be > 0, got \(v.weight)") }
        }
        if let dup = Dictionary(grouping: variant, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("--variant: the name '\(dup)' is given twice")
        }
        switch (canary, canaryPercent) {
        case (nil, nil): break
        case (nil, _?): throw ValidationError("--canary-percent needs --canary URI")
        case (_?, nil): throw ValidationError("--canary needs --canary-percent P (0 < P < 100)")
        case (_?, let p?):
            guard p > 0, p < 100 else { throw ValidationError("--canary-percent must be in (0, 100), got \(p)") }
            guard model != nil else { throw ValidationError("--canary goes with --model (the champion answering the other requests)") }
        }
        if standby != nil {
            guard model != nil, canary == nil else { throw ValidationError("--standby goes with --model alone (not with --canary or --variant)") }
        }
        if routeBy != nil, canary == nil, variant.isEmpty, standby == nil {
            throw ValidationError("--route-by needs variants (--canary, --variant or --standby)")
        }
        if let adminToken, adminToken.isEmpty { throw ValidationError("--admin-token must not be empty") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be > 0") }
        guard pollSeconds > 0 else { throw ValidationError("--poll-seconds must be > 0") }
        guard (1...256).contains(ioThreads) else { throw ValidationError("--io-threads must be in 1…256, got \(ioThreads)") }
    }

    /// The models to serve, the served one first: --model alone; --model as "champion" and
    /// --canary as "canary" (weights 100 − P and P); --model as "blue" (100) and --standby as
    /// "green" (0); or the --variant list.
    func servedVariants() -> [VariantArgument] {
        guard let model else { return variant }
        if let canary, let p = canaryPercent {
            return [VariantArgument(name: "champion", reference: model, weight: 100 - p), VariantArgument(name: "canary", reference: canary, weight: p)]
        }
        if let standby {
            return [VariantArgument(name: "blue", reference: model, weight: 100), VariantArgument(name: "green", reference: standby, weight: 0)]
        }
        return [VariantArgument(name: "model", reference: model, weight: 100)]
    }

    func run() async throws {
        let logger = ServerLogHandler.logger(label: "plumb.serve")
        let startup = EarlyShutdownGuard(logger: logger)
        try await runReportingErrors {
            let storePath = store ?? defaultStorePath()
            let served = servedVariants()
            // Load once up front so that a wrong path or URI, or a variant whose features are not
            // the served model's, is an immediate, clear error.
            var reference: ServableLoadedModel?
            for v in served {
                let located = ServableLoadedModel(try ModelLocator.load(v.reference, storePath: storePath))
                if let reference {
                    try VariantConfiguration.checkSchema(variant: v.name, source: v.reference, located.features, servedFeatures: reference.features)
                    try VariantConfiguration.checkOutputs(variant: v.name, source: v.reference, located.classifier, served: reference.classifier)
                } else {
                    reference = located
                }
            }
            if let routeBy, let reference, !reference.features.contains(where: { $0.name == routeBy }) {
                throw ValidationError("--route-by \(routeBy): not a feature of \(served[0].reference) (features: \(reference.features.map(\.name).joined(separator: ", ")))")
            }
            let shadowProvider = shadow.map { LocatorModelProvider(reference: $0, storePath: storePath) }
            // The log's store checkpoints on a thread of its own: requests never queue behind one.
            let sink = StorePredictionLog(store: try TrackingStore(path: storePath, checkpoints: .background()))
            let config = ServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes,
                                             adminToken: adminToken ?? ServerConfiguration.adminTokenFromEnvironment(),
                                             pollInterval: .milliseconds(Int(pollSeconds * 1000)), ioThreads: ioThreads)
            let providers = served.map { LocatorModelProvider(reference: $0.reference, storePath: storePath) }
            let variants = served.count < 2 ? nil : try VariantConfiguration(
                variants: zip(served, providers).map { ServedVariant(name: $0.name, weight: $0.weight, provider: $1) }, routeBy: routeBy)
            try await serve(configuration: config, provider: providers[0], shadow: shadowProvider, variants: variants, sink: sink,
                            logger: logger, startup: startup)
        }
    }
}
