// The HTTP server: configuration, shared state (current model, metrics, prediction log), the
// Hummingbird application with every route, and the `serve` entry point used by the CLI.
import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import MLCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Settings of the HTTP server.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes: Int
    /// Larger `instances` batches are refused with 422 (`too_long`).
    public var maxBatchRows: Int
    /// Bearer token for /admin routes; nil disables them (404).
    public var adminToken: String?
    /// How often the model providers are polled for a moved alias.
    public var pollInterval: Duration
    /// How often the prediction log queue is drained to the sink.
    public var logFlushInterval: Duration
    /// Entries per `PredictionLogSink.append` call.
    public var logBatchSize: Int
    /// Maximum queued log rows; when full, requests wait for room (up to 2 s, then their rows
    /// are dropped and counted in /metrics).
    public var logQueueCapacity: Int
    /// Value of the `Server` response header (nil: none).
    public var serverName: String?
    /// Event-loop threads for socket I/O, which also answer small /predict requests
    /// (`PredictFastPath`). Router handlers run on the Swift concurrency pool, one thread per
    /// core; on a small machine every extra runnable thread adds scheduling delay to the slowest
    /// requests, hence one per four cores.
    public var ioThreads: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 1 << 20,
                maxBatchRows: Int = 100_000,
                adminToken: String? = ServerConfiguration.adminTokenFromEnvironment(),
                pollInterval: Duration = .seconds(2), logFlushInterval: Duration = .milliseconds(200),
                logBatchSize: Int = 10_000, logQueueCapacity: Int = 1_000_000, serverName: String? = nil,
                ioThreads: Int = ServerConfiguration.defaultIOThreads) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchRows = maxBatchRows
        self.adminToken = adminToken
        self.pollInterval = pollInterval
        self.logFlushInterval = logFlushInterval
        self.logBatchSize = logBatchSize
        self.logQueueCapacity = logQueueCapacity
        self.serverName = serverName
        self.ioThreads = max(1, ioThreads)
    }

    public static var defaultIOThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 4) }

    /// `PLUMB_ADMIN_TOKEN` from the environment, nil when unset or empty.
    public static func adminTokenFromEnvironment() -> String? {
        guard let t = ProcessInfo.processInfo.environment["PLUMB_ADMIN_TOKEN"], !t.isEmpty else { return nil }
        return t
    }
}

/// Issues request ids "<8 hex process prefix>-<hex counter>" (≤ 15 bytes for the first 16M rows,
/// so they stay inline Swift strings). The random prefix separates server runs.
final class RequestIDGenerator: Sendable {
    let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        var g = SystemRandomNumberGenerator()
        let p = String(UInt32.random(in: 0...UInt32.max, using: &g), radix: 16)
        prefix = String(repeating: "0", count: 8 - p.count) + p + "-"
    }

    /// Reserves `n` consecutive ids; returns the counter of the first (ids are prefix + hex counter).
    func reserve(_ n: Int) -> UInt64 {
        counter.wrappingAdd(UInt64(n), ordering: .relaxed).oldValue + 1
    }
}

/// The serving state shared by every route and background service.
public final class PlumbServer: Sendable {
    public let configuration: ServerConfiguration
    let provider: any ModelProvider
    let shadowProvider: (any ModelProvider)?
    let primary: ModelBox
    let shadow: ModelBox?
    /// Canary / A/B / blue-green variants; nil for a single model (no routing work per request).
    let variants: VariantRouter?
    let metrics: ServingMetrics
    let log: PredictionLogQueue
    let logger: Logger
    let ids = RequestIDGenerator()
    private let reloadMutex = AsyncMutex()

    /// - Parameters:
    ///   - provider: source of the primary model (answers every request).
    ///   - shadow: optional source of a shadow model scored on every logged row, never returned.
    ///   - sink: destination of the prediction log.
    public convenience init(configuration: ServerConfiguration, provider: any ModelProvider, shadow: (any ModelProvider)? = nil,
                            sink: any PredictionLogSink, logger: Logger = ServerLogHandler.logger(label: "plumb.serve")) {
        self.init(configuration: configuration, provider: provider, variants: nil, shadow: shadow, sink: sink, logger: logger)
    }

    /// A server answering each request with one of several variants (canary, A/B, blue-green):
    /// the first variant is the served model.
    /// - Parameters:
    ///   - variants: the variants, their weights and the routing feature.
    ///   - shadow: optional source of a shadow model scored on every logged row, never returned.
    ///   - sink: destination of the prediction log.
    public convenience init(configuration: ServerConfiguration, variants: VariantConfiguration, shadow: (any ModelProvider)? = nil,
                            sink: any PredictionLogSink, logger: Logger = ServerLogHandler.logger(label: "plumb.serve")) {
        self.init(configuration: configuration, provider: variants.variants[0].provider, variants: variants, shadow: shadow,
                  sink: sink, logger: logger)
    }

    private init(configuration: ServerConfiguration, provider: any ModelProvider, variants: VariantConfiguration?,
                 shadow: (any ModelProvider)?, sink: any PredictionLogSink, logger: Logger) {
        self.configuration = configuration
        self.provider = provider
        self.shadowProvider = shadow
        self.shadow = shadow == nil ? nil : ModelBox()
        let primary = ModelBox()
        self.primary = primary
        self.variants = variants.map { VariantRouter($0, primary: primary) }
        self.metrics = ServingMetrics(variants: variants?.variants.map(\.name) ?? [])
        self.logger = logger
        self.log = PredictionLogQueue(sink: sink, capacity: configuration.logQueueCapacity,
                                      batchSize: configuration.logBatchSize, metrics: metrics, shadow: self.shadow)
    }

    /// The primary model being served (nil before the first successful load).
    public var model: (any ServableModel)? { primary.current?.model }
    /// The shadow model (nil when none is configured or loaded).
    public var shadowModel: (any ServableModel)? { shadow?.current?.model }
    /// Prediction log entries not yet written to the sink.
    public var predictionLogDepth: Int { log.depth }

    /// Loads the primary (and shadow) model now, replacing any loaded one.
    /// - Throws: the provider's error.
    public func loadModels() async throws {
        try await reloadMutex.withLock {
            let m = try await provider.load()
            if let variants {
                // Every variant is loaded and checked before any is served.
                var loaded = [m]
                for v in variants.variants.dropFirst() {
                    let vm = try await v.provider.load()
                    try VariantConfiguration.checkSchema(variant: v.name, source: v.provider.description, vm.features, servedFeatures: m.features)
                    try VariantConfiguration.checkOutputs(variant: v.name, source: v.provider.description, vm.classifier, served: m.classifier)
                    loaded.append(vm)
                }
                try checkRouteBy(m)
                for (v, vm) in zip(variants.variants, loaded) {
                    v.box.set(vm)
                    logger.info("variant \(v.name): model \(vm.name) version \(vm.version) (\(vm.kind))")
                }
            } else {
                primary.set(m)
                logger.info("serving model \(m.name) version \(m.version) (\(m.kind))")
            }
            if let shadowProvider, let shadow {
                let s = try await shadowProvider.load()
                shadow.set(s)
                logger.info("shadow model \(s.name) version \(s.version) (\(s.kind))")
            }
        }
    }

    /// Polls the providers once and swaps in any new model (loads when nothing is loaded yet).
    /// - Returns: true when a model was swapped in.
    @discardableResult
    public func reload() async throws -> Bool {
        try await reloadMutex.withLock {
            var swapped = false
            if primary.current == nil {
                let m = try await provider.load()
                try checkVariantSchema(m, variant: 0)
                primary.set(m)
                swapped = true
            } else if let m = try await provider.poll() {
                try checkVariantSchema(m, variant: 0)
                primary.set(m)
                swapped = true
            }
            if let variants {
                for (i, v) in variants.variants.enumerated().dropFirst() {
                    let m: (any ServableModel)?
                    if v.box.current == nil { m = try await v.provider.load() } else { m = try await v.provider.poll() }
                    guard let m else { continue }
                    try checkVariantSchema(m, variant: i)
                    v.box.set(m)
                    metrics.addModelSwap()
                    logger.info("variant \(v.name) now serves model \(m.name) version \(m.version)")
                    swapped = true
                }
            }
            if swapped, let m = primary.current?.model {
                metrics.addModelSwap()
                logger.info("now serving model \(m.name) version \(m.version)")
            }
            if let shadowProvider, let shadow {
                if shadow.current == nil {
                    shadow.set(try await shadowProvider.load())
                    swapped = true
                } else if let s = try await shadowProvider.poll() {
                    shadow.set(s)
                    swapped = true
                    logger.info("now shadowing model \(s.name) version \(s.version)")
                }
            }
            return swapped
        }
    }

    /// Refuses a model for variant `index` whose features or outputs are not those of the other
    /// variants (the served model's, or for the served model itself, variant 1's): a request
    /// decoded for one variant must be scorable by any, and answered alike.
    private func checkVariantSchema(_ m: any ServableModel, variant index: Int) throws {
        guard let variants else { return }
        let v = variants.variants[index]
        let other = index == 0 ? variants.variants[1] : variants.variants[0]
        guard let reference = other.box.current?.model else { return }
        try VariantConfiguration.checkSchema(variant: v.name, source: v.provider.description, m.features, servedFeatures: reference.features)
        try VariantConfiguration.checkOutputs(variant: v.name, source: v.provider.description, m.classifier, served: reference.classifier)
        if index == 0 { try checkRouteBy(m) }
    }

    /// Refuses a `routeBy` feature the served model does not have.
    private func checkRouteBy(_ m: any ServableModel) throws {
        guard let routeBy = variants?.routeBy, !m.features.contains(where: { $0.name == routeBy }) else { return }
        throw ServingError(code: "variant_config", message: "route-by: '\(routeBy)' is not a feature of model \(m.name) (features: \(m.features.map(\.name).joined(separator: ", ")))")
    }

    /// Writes every queued prediction log entry to the sink.
    public func flushPredictionLog() async throws {
        try await log.flush()
    }

    /// Background services: the model poller and the prediction log drainer.
    public var services: [any Service] {
        [PredictionLogDrainer(queue: log, interval: configuration.logFlushInterval, logger: logger),
         ModelPoller(server: self, interval: configuration.pollInterval, logger: logger)]
    }

    /// One event-loop group per thread count for the process's lifetime (servers built in tests
    /// share it instead of each leaking its threads).
    static func eventLoopGroup(threads: Int) -> MultiThreadedEventLoopGroup {
        eventLoopGroups.withLock { groups in
            if let g = groups[threads] { return g }
            let g = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            groups[threads] = g
            return g
        }
    }
    private static let eventLoopGroups = Mutex<[Int: MultiThreadedEventLoopGroup]>([:])

    /// Builds the Hummingbird application (routes + background services) bound to host:port.
    public func buildApplication() -> Application<PlumbResponder> {
        let router = Router(context: BasicRequestContext.self)
        addRoutes(to: router)
        return Application(
            responder: PlumbResponder(server: self, router: router.buildResponder()),
            server: HTTPServerBuilder { responder in PlumbHTTP1Channel(inner: HTTP1Channel(responder: responder), server: self) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: configuration.serverName),
            services: services,
            eventLoopGroupProvider: .shared(Self.eventLoopGroup(threads: configuration.ioThreads)),
            logger: logger
        )
    }
}

/// The server's responder: `POST /predict`, the hot route, is answered directly; every other
/// request goes through the router (whose route table also lists /predict, for tests); a known path asked with another method is
/// answered 405 with `Allow`.
public struct PlumbResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let server: PlumbServer
    let router: RouterResponder<BasicRequestContext>

    public func respond(to request: Request, context: Context) async throws -> Response {
        if request.method == .post, request.uri.path == "/predict" {
            return await server.timed(.predict) { await server.predict(request) }
        }
        let response = try await router.respond(to: request, context: context)
        // The router answers 404 for a known path asked with another method; that is a 405.
        if response.status == .notFound, let refused = PlumbServer.methodNotAllowed(request) { return refused }
        return response
    }
}

/// Runs the server until SIGTERM/SIGINT: stops accepting, finishes in-flight requests, drains the
/// prediction log, then returns. A failed initial load is logged and retried every poll interval
/// (/ready answers 503 meanwhile).
public func serve(configuration: ServerConfiguration, provider: any ModelProvider, shadow: (any ModelProvider)? = nil,
                  variants: VariantConfiguration? = nil,
                  sink: any PredictionLogSink, logger: Logger = ServerLogHandler.logger(label: "plumb.serve"),
                  startup: EarlyShutdownGuard? = nil) async throws {
    // A signal before the service group installs its handlers would otherwise kill the process
    // with the default action (exit 143); nothing is in flight yet, so stopping is a clean exit 0.
    let early = startup ?? EarlyShutdownGuard(logger: logger)
    let server = variants.map { PlumbServer(configuration: configuration, variants: $0, shadow: shadow, sink: sink, logger: logger) }
        ?? PlumbServer(configuration: configuration, provider: provider, shadow: shadow, sink: sink, logger: logger)
    do {
        try await server.loadModels()
    } catch {
        logger.error("initial model load failed (will retry every poll interval): \(error)")
    }
    let app = server.buildApplication()
    early.handOver()
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
}

/// Handles SIGTERM/SIGINT while the server is still starting: exits 0 at once. After
/// `handOver()` it does nothing and the service group's own graceful shutdown takes over (both
/// are Dispatch signal sources, which coexist).
public final class EarlyShutdownGuard: Sendable {
    private let starting = Locked(true)
    private let handlers: SignalHandlers

    /// Create it first thing in a command, before any slow start-up work.
    public init(signals: [Int32] = [SIGTERM, SIGINT], logger: Logger) {
        let starting = self.starting
        handlers = SignalHandlers(signals) { sig in
            guard starting.withLock({ $0 }) else { return }
            logger.info("signal \(sig) while starting: nothing in flight, exiting")
            exit(0)
        }
    }

    public func handOver() { starting.withLock { $0 = false } }
}
