// Serving module: see ../shared/STYLE.md. The only module that knows HTTP.
//
// Serving codes against the small protocols below; the CLI/Pipeline implements them with the real
// model file, registry and prediction log (Tracking), and `InMemory*` types implement them for tests.
import Foundation

/// How one input feature is typed on the wire: JSON numbers or JSON strings.
public enum FeatureKind: String, Sendable, Codable {
    case numeric, categorical
}

/// One named input feature of a servable model; `levels` lists known categories (informational).
public struct FeatureSpec: Sendable, Codable, Equatable {
    public var name: String
    public var kind: FeatureKind
    public var levels: [String]?

    public init(name: String, kind: FeatureKind, levels: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.levels = levels
    }
}

/// One decoded input value: a finite number for numeric features, a string for categorical ones.
public enum FeatureValue: Sendable, Equatable, Hashable {
    case number(Double)
    case string(String)
}

/// A loaded model ready to score rows whose values are ordered like `features` (nil = missing/null).
public protocol ServableModel: Sendable {
    /// Registered model name or file name.
    var name: String { get }
    /// Registry version ("3") or a file digest prefix.
    var version: String { get }
    /// Input features, in the order rows are laid out.
    var features: [FeatureSpec] { get }
    /// Evaluation metrics recorded with the model (e.g. "rmse", "r2").
    var metrics: [String: Double] { get }
    /// Model kind ("gbm", "random_forest", "ols", …).
    var kind: String { get }
    /// Scores a batch: `rows.count` rows × `features.count` values → `rows.count` predictions.
    /// - Throws: a descriptive error when a row cannot be scored (e.g. an unknown category).
    func predict(rows: [[FeatureValue?]]) throws -> [Double]
}

/// Where the served model comes from.
public protocol ModelProvider: Sendable {
    /// Human description for logs and `/model` ("registry housing@production", "file model.plumb").
    var description: String { get }
    /// Loads the model to serve now.
    func load() async throws -> any ServableModel
    /// Returns a new model when the followed alias/file moved since the last load or poll, else nil.
    func poll() async throws -> (any ServableModel)?
}

/// One scored row handed to the prediction log.
public struct PredictionLogEntry: Sendable, Equatable {
    public var requestID: String
    public var time: Date
    public var modelName: String
    public var modelVersion: String
    /// Feature names, parallel to `row` (shared between all entries of a request).
    public var featureNames: [String]
    /// Input values ordered like `featureNames`; nil = missing/null.
    public var row: [FeatureValue?]
    public var prediction: Double
    public var shadowVersion: String?
    public var shadowPrediction: Double?

    public init(requestID: String, time: Date, modelName: String, modelVersion: String,
                featureNames: [String], row: [FeatureValue?], prediction: Double,
                shadowVersion: String? = nil, shadowPrediction: Double? = nil) {
        self.requestID = requestID
        self.time = time
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.featureNames = featureNames
        self.row = row
        self.prediction = prediction
        self.shadowVersion = shadowVersion
        self.shadowPrediction = shadowPrediction
    }

    /// Inputs keyed by feature name.
    public var inputs: [String: FeatureValue?] {
        var d = [String: FeatureValue?](minimumCapacity: featureNames.count)
        for (n, v) in zip(featureNames, row) { d[n] = .some(v) }
        return d
    }
}

/// Durable destination of the prediction log (Tracking implements it with SQLite).
public protocol PredictionLogSink: Sendable {
    /// Appends entries in order; called from a background task, never on the request path.
    func append(_ entries: [PredictionLogEntry]) async throws
    /// Records the observed outcome for a logged prediction; returns false for an unknown id.
    func recordFeedback(requestID: String, actual: Double) async throws -> Bool
}

/// An error raised by the serving layer (configuration, model loading, sinks).
public struct ServingError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var message: String
    public var underlying: (any Error)?

    public init(code: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }
}
