// In-memory implementations of the serving protocols: a toy linear model, a swappable provider and
// a prediction log kept in arrays. Used by tests and the serving benchmark.
import Foundation
import Synchronization

/// prediction = intercept + Σ wᵢ·xᵢ over numeric features + effect[feature][level] for categorical
/// ones. Missing numeric values count as 0, missing or unknown categories as no effect.
public struct LinearToyModel: ServableModel {
    public var name: String
    public var version: String
    public var features: [FeatureSpec]
    public var metrics: [String: Double]
    public var kind: String { "toy_linear" }
    public var intercept: Double
    /// One weight per feature (ignored for categorical features).
    public var weights: [Double]
    /// Per-feature level effects (empty for numeric features).
    public var effects: [[String: Double]]

    public init(name: String, version: String, features: [FeatureSpec], intercept: Double = 0,
                weights: [Double], effects: [[String: Double]]? = nil, metrics: [String: Double] = [:]) {
        precondition(weights.count == features.count, "one weight per feature")
        self.name = name
        self.version = version
        self.features = features
        self.intercept = intercept
        self.weights = weights
        self.effects = effects ?? features.map { _ in [:] }
        self.metrics = metrics
    }

    public func predict(_ rows: FeatureRows) throws -> [Double] {
        guard rows.kinds == features.map(\.kind) else {
            throw ServingError(code: "row_width", message: "rows have \(rows.featureCount) features, model \(name) expects \(features.count)")
        }
        return (0..<rows.count).map { r in
            var y = intercept
            for j in 0..<rows.featureCount {
                switch rows[r, j] {
                case .number(let x)?: y += weights[j] * x
                case .string(let s)?: y += effects[j][s] ?? 0
                case nil: break
                }
            }
            return y
        }
    }
}

/// A provider whose model tests can replace; `poll()` returns it once after each replacement.
public final class InMemoryModelProvider: ModelProvider, Sendable {
    private struct State {
        var model: any ServableModel
        var changed = false
        var failure: (any Error)?
    }
    private let state: Mutex<State>
    public let description: String

    public init(_ model: any ServableModel, description: String = "in-memory") {
        state = Mutex(State(model: model))
        self.description = description
    }

    /// Replaces the model; the next `poll()` returns it.
    public func replace(with model: any ServableModel) {
        state.withLock { s in
            s.model = model
            s.changed = true
        }
    }

    /// Makes `load`/`poll` throw `error` (nil: stop failing).
    public func setFailure(_ error: (any Error)?) {
        state.withLock { $0.failure = error }
    }

    public func load() async throws -> any ServableModel {
        try state.withLock { s in
            if let failure = s.failure { throw failure }
            s.changed = false
            return s.model
        }
    }

    public func poll() async throws -> (any ServableModel)? {
        try state.withLock { s in
            if let failure = s.failure { throw failure }
            guard s.changed else { return nil }
            s.changed = false
            return s.model
        }
    }
}

/// A prediction log held in memory (batches in arrival order, feedback by request id).
public final class InMemoryPredictionLog: PredictionLogSink, Sendable {
    private struct State {
        var batches: [PredictionLogBatch] = []
        var known: Set<String> = []
        var feedback: [String: Double] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Every logged batch, in arrival order.
    public var batches: [PredictionLogBatch] { state.withLock { $0.batches } }
    /// Every logged row, in arrival order.
    public var entries: [PredictionLogEntry] { state.withLock { $0.batches.flatMap(\.entries) } }
    public var feedback: [String: Double] { state.withLock { $0.feedback } }

    public func append(_ batches: [PredictionLogBatch]) async throws {
        state.withLock { s in
            for b in batches {
                for i in 0..<b.count { s.known.insert(b.requestID(i)) }
                s.batches.append(b)
            }
        }
    }

    public func recordFeedback(requestID: String, actual: Double) async throws -> Bool {
        state.withLock { s in
            guard s.known.contains(requestID) else { return false }
            s.feedback[requestID] = actual
            return true
        }
    }
}
