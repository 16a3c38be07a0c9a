import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import Serving

/// Toy model: 0.25 + 2·MedInc + 0.5·HouseAge + effect(Ocean).
func toyModel(version: String = "1", shift: Double = 0) -> LinearToyModel {
    LinearToyModel(
        name: "housing", version: version,
        features: [FeatureSpec(name: "MedInc", kind: .numeric), FeatureSpec(name: "HouseAge", kind: .numeric),
                   FeatureSpec(name: "Ocean", kind: .categorical, levels: ["NEAR BAY", "INLAND"])],
        intercept: 0.25 + shift, weights: [2, 0.5, 0], effects: [[:], [:], ["NEAR BAY": 1, "INLAND": -1]],
        metrics: ["rmse": 0.5, "r2": 0.8])
}

/// Reference value of `toyModel` computed independently.
func toyExpected(_ medInc: Double, _ houseAge: Double, _ ocean: String?, shift: Double = 0) -> Double {
    0.25 + shift + 2 * medInc + 0.5 * houseAge + (ocean == "NEAR BAY" ? 1 : ocean == "INLAND" ? -1 : 0)
}

struct Harness {
    let server: PlumbServer
    let provider: InMemoryModelProvider
    let log: InMemoryPredictionLog
    let shadowProvider: InMemoryModelProvider?

    init(token: String? = nil, shadow: LinearToyModel? = nil, maxBodyBytes: Int = 1 << 20, port: Int = 0, load: Bool = true) async throws {
        provider = InMemoryModelProvider(toyModel(), description: "test provider")
        shadowProvider = shadow.map { InMemoryModelProvider($0, description: "shadow provider") }
        log = InMemoryPredictionLog()
        var logger = Logger(label: "serving-tests")
        logger.logLevel = .warning
        let config = ServerConfiguration(host: "127.0.0.1", port: port, maxBodyBytes: maxBodyBytes, maxBatchRows: 1000,
                                         adminToken: token, pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20))
        server = PlumbServer(configuration: config, provider: provider, shadow: shadowProvider, sink: log, logger: logger)
        if load { try await server.loadModels() }
    }
}

/// How a test reaches the server: Hummingbird's router directly, or a real socket, where small
/// /predict requests are answered on the event loop (`PredictFastPath`) and the rest by the router.
enum TestPath: String, CaseIterable, Sendable, CustomStringConvertible {
    case router, live
    var setup: TestingSetup { self == .router ? .router : .live }
    var description: String { rawValue }
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

func body(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

func object(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
}
