import Foundation
@testable import Pipeline
import Serving
import Testing

/// `plumb bench --url` against an in-process `plumb serve` over a real loopback socket:
/// every request answered, none failed, and the server logged exactly the predictions sent.
@Suite(.serialized) struct HTTPLoadGeneratorTests {
    static let features = [FeatureSpec(name: "x", kind: .numeric), FeatureSpec(name: "size", kind: .categorical, levels: ["s", "m", "l"])]

    /// Runs `body` against a server for a toy linear model; returns the server's prediction log.
    static func withServer(_ body: (HTTPLoadGenerator.Target) async throws -> Void) async throws -> InMemoryPredictionLog {
        let model = LinearToyModel(name: "toy", version: "3", features: features, intercept: 1, weights: [2, 0],
                                   effects: [[:], ["s": 0, "m": 1, "l": 2]])
        let port = try FreePort.find()
        var config = ServerConfiguration(host: "127.0.0.1", port: port)
        config.logFlushInterval = .milliseconds(20)
        let log = InMemoryPredictionLog()
        let server = PlumbServer(configuration: config, provider: InMemoryModelProvider(model), sink: log,
                                 logger: ServerLogHandler.logger(label: "bench-test", level: .critical))
        try await server.loadModels()
        let app = server.buildApplication()
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        try await HTTPReplay.waitUntilReady("http://127.0.0.1:\(port)")
        try await body(try HTTPLoadGenerator.Target(url: "http://localhost:\(port)"))
        try await server.flushPredictionLog()
        return log
    }

    @Test(arguments: HTTPLoadGenerator.WireProtocol.allCases)
    func closedLoopAnswersEveryRequest(_ wire: HTTPLoadGenerator.WireProtocol) async throws {
        var result: HTTPLoadGenerator.Case?
        let log = try await Self.withServer { target in
            let served = try await HTTPLoadGenerator.servedModel(target)
            #expect(served.name == "toy" && served.version == "3" && served.features == Self.features)
            let rows = BenchRows.synthesised(features: served.features, steps: nil, count: 20)
            let requests = HTTPLoadGenerator.requests(rows, wire: wire, model: served.name, target: target)
            result = await HTTPLoadGenerator.run(target, requests: requests, options: .init(concurrency: 4, seconds: 0.3))
        }
        let c = try #require(result)
        #expect(c.mode == "closed" && c.concurrency == 4 && c.service_time == nil)
        #expect(c.ok > 0 && c.non_2xx == 0 && c.connection_errors == 0 && c.requests == c.ok && c.latency.count == c.ok)
        #expect(log.entries.count == c.ok)
    }

    /// The open loop sends exactly the scheduled requests, however late some start.
    @Test func openLoopSendsTheScheduleAndCountsErrorsApart() async throws {
        var result: HTTPLoadGenerator.Case?, bad: HTTPLoadGenerator.Case?
        let log = try await Self.withServer { target in
            let served = try await HTTPLoadGenerator.servedModel(target)
            let rows = BenchRows.synthesised(features: served.features, steps: nil, count: 7)
            let requests = HTTPLoadGenerator.requests(rows, wire: .plumb, model: served.name, target: target)
            result = await HTTPLoadGenerator.run(target, requests: requests, options: .init(concurrency: 3, rate: 200, seconds: 0.25))
            // A model name the server does not serve: every answer a 404, none a connection error.
            let wrong = HTTPLoadGenerator.requests(rows, wire: .v2, model: "other", target: target)
            bad = await HTTPLoadGenerator.run(target, requests: wrong, options: .init(concurrency: 2, rate: 100, seconds: 0.1))
        }
        let c = try #require(result), b = try #require(bad)
        #expect(c.mode == "open" && c.rate == 200)
        #expect(c.requests == LoadSchedule(start: 0, rate: 200, seconds: 0.25).count && c.requests == 50)
        #expect(c.ok == 50 && c.non_2xx == 0 && c.connection_errors == 0 && c.service_time?.count == 50)
        #expect(b.requests == 10 && b.ok == 0 && b.non_2xx == 10 && b.statuses == ["404": 10] && b.connection_errors == 0)
        #expect(log.entries.count == 50)
    }

    @Test func noServerIsConnectionErrorsNotAHang() async throws {
        let port = try FreePort.find()
        let target = try HTTPLoadGenerator.Target(url: "http://127.0.0.1:\(port)")
        let c = await HTTPLoadGenerator.run(target, requests: [Array("GET / HTTP/1.1\r\n\r\n".utf8)], options: .init(concurrency: 2, seconds: 5))
        #expect(c.ok == 0 && c.connection_errors == 2 * LoadLoop.maxConsecutiveConnectionErrors)
        await #expect(throws: BenchError.self) { try await HTTPLoadGenerator.servedModel(target) }
        #expect(throws: BenchError.self) { try HTTPLoadGenerator.Target(url: "https://example.invalid:1") }
    }
}
