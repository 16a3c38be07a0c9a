// In-memory implementations of the serving protocols: a toy linear model, a swappable provider and
// a prediction log kept in arrays. Used by tests and the serving benchmark.
import Foundation

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
public final class InMemoryModelProvider: ModelProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var model: any ServableModel
    private var changed = false
    private var failure: (any Error)?
    public let description: String

    public init(_ model: any ServableModel, description: String = "in-memory") {
        self.model = model
        self.description = description
    }

    /// Replaces the model; the next `poll()` returns it.
    public func replace(with model: any ServableModel) {
        lock.lock(); defer { lock.unlock() }
        self.model = model
        changed = true
    }

    /// Makes `load`/`poll` throw `error` (nil: stop failing).
    public func setFailure(_ error: (any Error)?) {
        lock.lock(); defer { lock.unlock() }
        failure = error
    }

    public func load() async throws -> any ServableModel {
        try locked {
            if let failure { throw failure }
            changed = false
            return model
        }
    }

    public func poll() async throws -> (any ServableModel)? {
        try locked {
            if let failure { throw failure }
            guard changed else { return nil }
            changed = false
            return model
        }
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}

/// A prediction log held in memory (batches in arrival order, feedback by request id).
public final class InMemoryPredictionLog: PredictionLogSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [PredictionLogBatch] = []
    private var known: Set<String> = []
    private var feedbackStorage: [String: Double] = [:]

    public init() {}

    /// Every logged batch, in arrival order.
    public var batches: [PredictionLogBatch] { locked { storage } }
    /// Every logged row, in arrival order.
    public var entries: [PredictionLogEntry] { locked { storage.flatMap(\.entries) } }
    public var feedback: [String: Double] { locked { feedbackStorage } }

    public func append(_ batches: [PredictionLogBatch]) async throws {
        locked {
            for b in batches {
                for i in 0..<b.count { known.insert(b.requestID(i)) }
                storage.append(b)
            }
        }
    }

    public func recordFeedback(requestID: String, actual: Double) async throws -> Bool {
        locked {
            guard known.contains(requestID) else { return false }
            feedbackStorage[requestID] = actual
            return true
        }
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}
