import Foundation
@testable import Tracking

/// A fresh store in its own temporary directory.
func makeStore() throws -> TrackingStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-track-\(UUID().uuidString)")
    return try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
}

/// Registers a version of `model` whose snapshot is `metrics` (own run and artifact).
@discardableResult
func registerVersion(_ store: TrackingStore, model: String, metrics: [String: Double]) throws -> ModelVersion {
    let run = try store.startRun(experiment: "reg")
    try store.logMetrics(run: run, metrics.map { MetricPoint(key: $0.key, value: $0.value) })
    let sha = try store.putArtifact(Data("\(model) \(run)".utf8))
    try store.endRun(run)
    return try store.registerVersion(model: model, runID: run, artifactSHA256: sha)
}
