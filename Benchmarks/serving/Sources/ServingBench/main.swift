// Serves a toy linear model over the 8 California-housing features for load tests:
//   ServingBench [port] [scoreNanosPerRow]
// scoreNanosPerRow > 0 adds a busy-wait per row to mimic a heavier model (a 500-tree GBM ≈ 2–5 µs).
import Foundation
import Logging
import Serving
import Synchronization

/// Counts logged rows instead of storing them (the benchmark measures the HTTP path).
final class CountingSink: PredictionLogSink, Sendable {
    private let count = Atomic<Int>(0)
    func append(_ batches: [PredictionLogBatch]) async throws {
        count.wrappingAdd(batches.reduce(0) { $0 + $1.count }, ordering: .relaxed)
    }
    func recordFeedback(requestID: String, actual: Double) async throws -> Bool { false }
}

/// Wraps a model and spins `nanos` per row.
struct SlowModel: ServableModel {
    let base: LinearToyModel
    let nanos: UInt64
    var name: String { base.name }
    var version: String { base.version }
    var features: [FeatureSpec] { base.features }
    var metrics: [String: Double] { base.metrics }
    var kind: String { base.kind }
    func predict(_ rows: FeatureRows) throws -> [Double] {
        let end = DispatchTime.now().uptimeNanoseconds + nanos * UInt64(rows.count)
        while DispatchTime.now().uptimeNanoseconds < end {}
        return try base.predict(rows)
    }
}

let args = CommandLine.arguments
let port = args.count > 1 ? Int(args[1]) ?? 8080 : 8080
let nanos = args.count > 2 ? UInt64(args[2]) ?? 0 : 0
let names = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]
let toy = LinearToyModel(name: "housing", version: "1", features: names.map { FeatureSpec(name: $0, kind: .numeric) },
                         intercept: -36.9, weights: [0.44, 0.0097, -0.107, 0.645, -4e-6, -0.0038, -0.42, -0.435])
let model: any ServableModel = nanos > 0 ? SlowModel(base: toy, nanos: nanos) : toy
var logger = Logger(label: "serving-bench")
logger.logLevel = .warning
try await serve(configuration: ServerConfiguration(port: port, adminToken: nil),
                provider: InMemoryModelProvider(model), sink: CountingSink(), logger: logger)
