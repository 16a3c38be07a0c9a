// Serving module: see ../shared/STYLE.md. The only module that knows HTTP.
//
// Serving codes against the small protocols below; the CLI/Pipeline implements them with the real
// model file, registry and prediction log (Tracking), and `InMemory*` types implement them for tests.
import Foundation
import MLCore

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

/// Input rows in a model's feature order, stored flat: `values[row * featureCount + feature]`.
///
/// A numeric feature's slot holds its number, NaN when missing (requests never carry NaN: the
/// decoders reject non-finite numbers); a categorical feature's slot holds the index of its
/// string in `texts`, NaN when missing. One flat array per request instead of an array per row:
/// decoding, scoring and logging a 1,000-row batch allocate a handful of buffers, not thousands.
public struct FeatureRows: Sendable, Equatable {
    /// Kind of each feature, in order.
    public let kinds: [FeatureKind]
    public private(set) var values: [Double]
    public private(set) var texts: [String]
    /// Number of rows.
    public private(set) var count: Int

    public var featureCount: Int { kinds.count }

    /// Same kinds and the same values cell by cell (missing equals missing; text indices may differ).
    public static func == (a: FeatureRows, b: FeatureRows) -> Bool {
        a.kinds == b.kinds && a.count == b.count && a.rows == b.rows
    }

    /// No rows, room for `capacity`.
    public init(kinds: [FeatureKind], capacity: Int = 0) {
        self.kinds = kinds
        values = []
        values.reserveCapacity(capacity * kinds.count)
        texts = []
        count = 0
    }

    /// Rows given value by value (nil = missing).
    /// - Precondition: every row has `kinds.count` values; numbers only for numeric features,
    ///   strings only for categorical ones.
    public init(kinds: [FeatureKind], rows: [[FeatureValue?]]) {
        self.init(kinds: kinds, capacity: rows.count)
        for row in rows { append(row) }
    }

    /// Appends one row (nil = missing).
    /// - Precondition: as for `init(kinds:rows:)`.
    public mutating func append(_ row: [FeatureValue?]) {
        precondition(row.count == kinds.count, "FeatureRows: row has \(row.count) values, expected \(kinds.count)")
        let r = appendMissingRow()
        for (f, v) in row.enumerated() {
            switch v {
            case .number(let x)?:
                precondition(kinds[f] == .numeric, "FeatureRows: a number for categorical feature \(f)")
                values[r * kinds.count + f] = x
            case .string(let s)?:
                precondition(kinds[f] == .categorical, "FeatureRows: a string for numeric feature \(f)")
                setText(row: r, feature: f, s)
            case nil: break
            }
        }
    }

    /// Appends a row of missing values; returns its index.
    public mutating func appendMissingRow() -> Int {
        values.append(contentsOf: repeatElement(.nan, count: kinds.count))
        count += 1
        return count - 1
    }

    /// Removes the last row, and the texts after the first `texts` (the ones that row added).
    mutating func removeLastRow(keepingTexts texts: Int) {
        values.removeLast(kinds.count)
        self.texts.removeLast(self.texts.count - texts)
        count -= 1
    }

    /// Sets a numeric feature's value.
    @inline(__always) public mutating func setNumber(row: Int, feature: Int, _ x: Double) {
        values[row * kinds.count + feature] = x
    }

    /// Sets a categorical feature's value.
    public mutating func setText(row: Int, feature: Int, _ s: String) {
        values[row * kinds.count + feature] = Double(texts.count)
        texts.append(s)
    }

    /// The value of one cell (nil = missing).
    public subscript(row: Int, feature: Int) -> FeatureValue? {
        let v = values[row * kinds.count + feature]
        if v.isNaN { return nil }
        return kinds[feature] == .numeric ? .number(v) : .string(texts[Int(v)])
    }

    /// One row's values in feature order (nil = missing).
    public func row(_ r: Int) -> [FeatureValue?] { (0..<kinds.count).map { self[r, $0] } }

    /// Every row, value by value.
    public var rows: [[FeatureValue?]] { (0..<count).map(row) }

    /// Feature `f` of every row as a number (NaN = missing). For numeric features.
    public func numbers(feature f: Int) -> [Double] {
        let width = kinds.count
        return values.withUnsafeBufferPointer { v in (0..<count).map { v[$0 * width + f] } }
    }

    /// Feature `f` of every row as a string (nil = missing). For categorical features.
    public func strings(feature f: Int) -> [String?] {
        let width = kinds.count
        return (0..<count).map { r in
            let v = values[r * width + f]
            return v.isNaN ? nil : texts[Int(v)]
        }
    }

    /// These rows laid out for another feature list: each of `names` takes the value of the
    /// feature of that name in `from` when its kind matches `kinds`, else is missing.
    public func reordered(from names: [String], to target: [String], kinds targetKinds: [FeatureKind]) -> FeatureRows {
        var index = [String: Int]()
        for (i, n) in names.enumerated() { index[n] = i }
        let source = target.enumerated().map { j, n -> Int? in
            guard let i = index[n], kinds[i] == targetKinds[j] else { return nil }
            return i
        }
        var out = FeatureRows(kinds: targetKinds, capacity: count)
        for r in 0..<count {
            let o = out.appendMissingRow()
            for (j, i) in source.enumerated() {
                guard let i else { continue }
                let v = values[r * kinds.count + i]
                if v.isNaN { continue }
                if targetKinds[j] == .numeric { out.setNumber(row: o, feature: j, v) } else { out.setText(row: o, feature: j, texts[Int(v)]) }
            }
        }
        return out
    }
}

/// What a classifier predicts: one probability per class, the classes in output order, and how
/// the predicted class follows from them.
public struct ClassifierSpec: Sendable, Equatable {
    public enum Task: String, Sendable, Equatable {
        case binary, multiclass
    }

    public let task: Task
    /// Class labels, in the order of each row's probabilities (at least two; binary: exactly two).
    public let classes: [String]
    /// Binary: class `classes[1]` is predicted when its probability is at least this (0.5 when
    /// nil). Multiclass: nil.
    public let threshold: Double?

    /// - Precondition: at least two distinct classes, exactly two for `.binary`.
    public init(task: Task, classes: [String], threshold: Double? = nil) {
        precondition(classes.count >= 2 && Set(classes).count == classes.count, "ClassifierSpec: at least two distinct classes")
        precondition(task == .multiclass || classes.count == 2, "ClassifierSpec: a binary classifier has two classes")
        self.task = task
        self.classes = classes
        self.threshold = task == .binary ? threshold : nil
    }

    /// The predicted class index of each row from probabilities laid out rows × classes: the
    /// rule `plumb predict` applies (`MLCore.ClassDecision`).
    public func classIndices(_ probabilities: [Double]) -> [Int] {
        ClassDecision.classIndices(probabilities, classes: classes.count, threshold: threshold)
    }

    /// The index of the class a feedback value names: a string is the label itself; a number
    /// stands for its text as training writes numeric classes, so 1 and 1.0 both name class
    /// "1". nil when no class matches.
    public func classIndex(of value: FeatureValue) -> Int? {
        classes.firstIndex(of: Self.labelText(value))
    }

    /// The text a feedback value stands for (see `classIndex(of:)`).
    public static func labelText(_ value: FeatureValue) -> String {
        switch value {
        case .string(let s): return s
        case .number(let v): return ClassDecision.labelText(of: v)
        }
    }
}

/// A loaded model ready to score rows whose values are ordered like `features`.
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
    /// nil for a regression; a classifier's classes, task and threshold.
    var classifier: ClassifierSpec? { get }
    /// Scores a batch on the calling thread (the server runs requests side by side already):
    /// `rows.count` rows → `rows.count × outputCount` values, row after row: a regression's
    /// prediction, or a classifier's probabilities in the order of `classifier.classes`.
    /// - Throws: a descriptive error when a row cannot be scored (e.g. an unknown category).
    func predict(_ rows: FeatureRows) throws -> [Double]
}

extension ServableModel {
    /// A regression unless the model says otherwise.
    public var classifier: ClassifierSpec? { nil }

    /// Values `predict` gives per row: 1 for a regression, the number of classes for a classifier.
    public var outputCount: Int { classifier?.classes.count ?? 1 }

    /// Scores rows given value by value (nil = missing).
    public func predict(rows: [[FeatureValue?]]) throws -> [Double] {
        try predict(FeatureRows(kinds: features.map(\.kind), rows: rows))
    }
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

/// One served request's predictions, handed to the prediction log as a whole.
///
/// Row `i` has request id `idPrefix + hex(firstCounter + i)`: the server issues consecutive
/// ids "<8 hex digits>-<hex counter>" to the rows of a request.
public struct PredictionLogBatch: Sendable, Equatable {
    /// Everything before the counter, ending in "-".
    public var idPrefix: String
    /// Counter of the first row (≥ 1).
    public var firstCounter: UInt64
    public var time: Date
    public var modelName: String
    public var modelVersion: String
    /// Feature names, parallel to the rows' values.
    public var featureNames: [String]
    public var rows: FeatureRows
    /// One per row: a regression's prediction, a classifier's predicted class index (into `classes`).
    public var predictions: [Double]
    public var shadowVersion: String?
    /// One per row when a shadow model scored them (class indices when the batch is a classifier's).
    public var shadowPredictions: [Double]?
    /// A classifier's classes, in the order of each row's probabilities; nil for a regression.
    public var classes: [String]?
    /// A classifier's probabilities, rows × classes (row after row); nil for a regression.
    public var probabilities: [Double]?
    /// The variant that answered the request (canary, A/B, blue-green); nil without variants.
    public var variant: String?
    /// The routing key that chose the variant (`X-Plumb-Key`, or the `--route-by` feature's
    /// value); nil when the request id chose it, or without variants.
    public var routingKey: String?

    /// - Precondition: one prediction per row; probabilities (rows × classes) exactly when classes are given.
    public init(idPrefix: String, firstCounter: UInt64, time: Date, modelName: String, modelVersion: String,
                featureNames: [String], rows: FeatureRows, predictions: [Double],
                shadowVersion: String? = nil, shadowPredictions: [Double]? = nil,
                classes: [String]? = nil, probabilities: [Double]? = nil, variant: String? = nil, routingKey: String? = nil) {
        precondition(rows.count == predictions.count, "PredictionLogBatch: \(rows.count) rows, \(predictions.count) predictions")
        precondition((classes == nil) == (probabilities == nil) && (probabilities?.count ?? 0) == rows.count * (classes?.count ?? 0),
                     "PredictionLogBatch: \(probabilities?.count ?? 0) probabilities for \(rows.count) rows of \(classes?.count ?? 0) classes")
        self.idPrefix = idPrefix
        self.firstCounter = firstCounter
        self.time = time
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.featureNames = featureNames
        self.rows = rows
        self.predictions = predictions
        self.shadowVersion = shadowVersion
        self.shadowPredictions = shadowPredictions
        self.classes = classes
        self.probabilities = probabilities
        self.variant = variant
        self.routingKey = routingKey
    }

    /// Number of rows.
    public var count: Int { predictions.count }

    /// Request id of row `i`.
    public func requestID(_ i: Int) -> String { idPrefix + String(firstCounter + UInt64(i), radix: 16) }

    /// The rows one by one.
    public var entries: [PredictionLogEntry] {
        (0..<count).map { i in
            PredictionLogEntry(requestID: requestID(i), time: time, modelName: modelName, modelVersion: modelVersion,
                               featureNames: featureNames, row: rows.row(i), prediction: predictions[i],
                               shadowVersion: shadowPredictions == nil ? nil : shadowVersion,
                               shadowPrediction: shadowPredictions?[i], classes: classes,
                               probabilities: classes.flatMap { k in probabilities.map { Array($0[(i * k.count)..<((i + 1) * k.count)]) } },
                               variant: variant, routingKey: routingKey)
        }
    }

    /// A classifier's predicted label of each row; nil for a regression.
    public var labels: [String]? {
        guard let classes else { return nil }
        return predictions.map { Self.label($0, classes) ?? "" }
    }

    /// `classes[index]` for a class index logged as a Double, nil when it is none.
    static func label(_ index: Double, _ classes: [String]) -> String? {
        guard index >= 0, index < Double(classes.count), index == index.rounded() else { return nil }
        return classes[Int(index)]
    }
}

/// One logged prediction, as a row of a `PredictionLogBatch`.
public struct PredictionLogEntry: Sendable, Equatable {
    public var requestID: String
    public var time: Date
    public var modelName: String
    public var modelVersion: String
    /// Feature names, parallel to `row`.
    public var featureNames: [String]
    /// Input values ordered like `featureNames`; nil = missing/null.
    public var row: [FeatureValue?]
    /// A regression's prediction, a classifier's predicted class index (into `classes`).
    public var prediction: Double
    public var shadowVersion: String?
    public var shadowPrediction: Double?
    /// A classifier's classes; nil for a regression.
    public var classes: [String]?
    /// A classifier's probability of each class; nil for a regression.
    public var probabilities: [Double]?
    /// The variant that answered (nil without variants).
    public var variant: String?
    /// The routing key that chose the variant; nil when the request id did, or without variants.
    public var routingKey: String?

    public init(requestID: String, time: Date, modelName: String, modelVersion: String,
                featureNames: [String], row: [FeatureValue?], prediction: Double,
                shadowVersion: String? = nil, shadowPrediction: Double? = nil,
                classes: [String]? = nil, probabilities: [Double]? = nil, variant: String? = nil, routingKey: String? = nil) {
        self.requestID = requestID
        self.time = time
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.featureNames = featureNames
        self.row = row
        self.prediction = prediction
        self.shadowVersion = shadowVersion
        self.shadowPrediction = shadowPrediction
        self.classes = classes
        self.probabilities = probabilities
        self.variant = variant
        self.routingKey = routingKey
    }

    /// A classifier's predicted label; nil for a regression.
    public var label: String? { classes.flatMap { PredictionLogBatch.label(prediction, $0) } }

    /// Inputs keyed by feature name.
    public var inputs: [String: FeatureValue?] {
        var d = [String: FeatureValue?](minimumCapacity: featureNames.count)
        for (n, v) in zip(featureNames, row) { d[n] = .some(v) }
        return d
    }
}

/// Durable destination of the prediction log (Tracking implements it with SQLite).
public protocol PredictionLogSink: Sendable {
    /// Appends requests' predictions in order; called from a background task, never on the request path.
    func append(_ batches: [PredictionLogBatch]) async throws
    /// The same, told how many rows are waiting in all (these included): a sink may work harder
    /// when the log falls behind. The default ignores `backlog`.
    func append(_ batches: [PredictionLogBatch], backlog: Int) async throws
    /// Records the observed outcome for a logged prediction; returns false for an unknown id.
    func recordFeedback(requestID: String, actual: Double) async throws -> Bool
    /// What scored the logged prediction `requestID` (nil: an unknown id). /feedback reads a
    /// label against the classes of the model that answered the request, which need not be the
    /// one served now. The default knows regressions only.
    func loggedOutput(requestID: String) async throws -> LoggedOutput?
    /// Records the observed class of a classifier's logged prediction: `label`, which is
    /// `classIndex` in the classes it was logged with. Returns false for an unknown id. The
    /// default records the class index as a number.
    func recordFeedback(requestID: String, label: String, classIndex: Int) async throws -> Bool
}

/// What scored a logged prediction.
public enum LoggedOutput: Sendable, Equatable {
    case regression
    /// A classifier with these classes.
    case classifier(classes: [String])
}

extension PredictionLogSink {
    public func append(_ batches: [PredictionLogBatch], backlog: Int) async throws {
        try await append(batches)
    }

    public func loggedOutput(requestID: String) async throws -> LoggedOutput? { .regression }

    public func recordFeedback(requestID: String, label: String, classIndex: Int) async throws -> Bool {
        try await recordFeedback(requestID: requestID, actual: Double(classIndex))
    }
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
