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
        /// Each logged id's classes (nil: a regression's).
        var known: [String: [String]?] = [:]
        var feedback: [String: Double] = [:]
        var feedbackLabels: [String: String] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Every logged batch, in arrival order.
    public var batches: [PredictionLogBatch] { state.withLock { $0.batches } }
    /// Every logged row, in arrival order.
    public var entries: [PredictionLogEntry] { state.withLock { $0.batches.flatMap(\.entries) } }
    /// Observed outcomes by request id (a classifier's: the class index).
    public var feedback: [String: Double] { state.withLock { $0.feedback } }
    /// Observed class labels by request id (classifiers' requests only).
    public var feedbackLabels: [String: String] { state.withLock { $0.feedbackLabels } }

    public func append(_ batches: [PredictionLogBatch]) async throws {
        state.withLock { s in
            for b in batches {
                for i in 0..<b.count { s.known[b.requestID(i)] = .some(b.classes) }
                s.batches.append(b)
            }
        }
    }

    public func recordFeedback(requestID: String, actual: Double) async throws -> Bool {
        state.withLock { s in
            guard s.known[requestID] != nil else { return false }
            s.feedback[requestID] = actual
            s.feedbackLabels[requestID] = nil
            return true
        }
    }

    public func loggedOutput(requestID: String) async throws -> LoggedOutput? {
        state.withLock { s in
            guard let classes = s.known[requestID] else { return nil }
            return classes.map { .classifier(classes: $0) } ?? .regression
        }
    }

    public func recordFeedback(requestID: String, label: String, classIndex: Int) async throws -> Bool {
        state.withLock { s in
            guard case let classes?? = s.known[requestID], classes.indices.contains(classIndex), classes[classIndex] == label else { return false }
            s.feedback[requestID] = Double(classIndex)
            s.feedbackLabels[requestID] = label
            return true
        }
    }
}
