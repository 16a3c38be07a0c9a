import Drift
import Foundation
import MLCore
import Tabular
import TreeModels
import Tracking

/// A model file from another library to turn into a Plumb model: what was read, and what the
/// user said about it.
public struct ImportRequest: Sendable {
    public var ensemble: ImportedEnsemble
    /// The source file as the user named it, and the SHA-256 of its bytes.
    public var source: String
    public var sourceSHA256: String
    /// Input column names in model order (overriding the file's), or nil for the file's own.
    public var features: [String]?
    /// Class labels in model output order, or nil for "0" … "K-1".
    public var classes: [String]?
    /// The target column name recorded with the model (what `monitor` reads actuals from).
    public var target: String = "target"
    /// Binary classifiers: class `classes[1]` at or above this probability.
    public var threshold: Double = 0.5

    public init(ensemble: ImportedEnsemble, source: String, sourceSHA256: String) {
        self.ensemble = ensemble
        self.source = source
        self.sourceSHA256 = sourceSHA256
    }
}

/// Turns a tree ensemble read from another library's file into a Plumb model (raw numeric
/// features in the file's order, no preprocessing), and records it in the tracking store as a
/// registered version with its lineage and, from reference rows, a drift reference profile.
public enum ModelImporter {
    /// The Plumb model: header (features, task, classes, source lineage) and the ensemble.
    /// - Throws: `TrainingError` when `--features` or `--classes` disagree with the model.
    public static func model(_ r: ImportRequest) throws -> LoadedModel {
        let e = r.ensemble, gbm = e.model
        let fileName = URL(fileURLWithPath: r.source).lastPathComponent
        guard let features = r.features ?? e.featureNames else {
            throw TrainingError(code: .noFeatures, message: "\(r.source): the file names no features; pass --features with \(gbm.featureCount) names")
        }
        guard features.count == gbm.featureCount else {
            throw TrainingError(code: .badArgument, message: "\(r.source): the model reads \(gbm.featureCount) features, but \(features.count) names were given (\(features.prefix(5).joined(separator: ", "))\(features.count > 5 ? ", …" : ""))")
        }
        var seen = Set<String>()
        for f in features where !seen.insert(f).inserted {
            throw TrainingError(code: .badArgument, message: "\(r.source): feature name \"\(f)\" appears twice; pass --features with distinct names")
        }
        guard !features.contains(r.target) else {
            throw TrainingError(code: .badArgument, message: "\(r.source): the target \"\(r.target)\" is also a feature name; pass another --target")
        }
        var classes: [String]?
        if e.task.isClassification {
            let labels = r.classes ?? e.classLabels ?? (0..<e.classCount).map(String.init)
            guard labels.count == e.classCount, Set(labels).count == labels.count else {
                throw TrainingError(code: .badArgument, message: "\(r.source): the model has \(e.classCount) classes, --classes gives \(labels.count) \(Set(labels).count == labels.count ? "" : "(not all distinct) ")labels: \(labels.joined(separator: ", "))")
            }
            classes = labels
        } else if r.classes != nil {
            throw TrainingError(code: .badArgument, message: "\(r.source): --classes names classes, but objective \"\(e.objective)\" is a regression")
        }
        var hyper: [String: String] = [:]
        for (k, v) in e.parameters { hyper["\(e.sourceFormat).\(k)"] = v }
        hyper["source_format"] = e.sourceFormat
        hyper["source_file"] = fileName
        hyper["source_sha256"] = r.sourceSHA256
        var importance: [String: Double]?
        if let gain = gbm.featureImportance {
            let total = gain.reduce(0, +)
            if total > 0 { importance = Dictionary(uniqueKeysWithValues: zip(features, gain.map { $0 / total })) }
        }
        let header = ModelHeader(kind: e.regressor.kindName, target: r.target, preprocessor: .passthrough(numericFeatures: features),
                                 hyperparameters: hyper, trainingData: nil, metrics: [:], featureImportance: importance,
                                 plumbVersion: Trainer.plumbVersion, warnings: e.warnings, task: e.task == .regression ? nil : e.task,
                                 classes: classes, threshold: e.task == .binary ? r.threshold : nil)
        return LoadedModel(header: header, regressor: e.regressor)
    }

    /// `reference` with a numeric target of class indices (what the source library trained on:
    /// 0 … K-1) turned into the model's class labels, when `--classes` named them otherwise;
    /// unchanged when the target holds the labels themselves or anything else.
    public static func labellingClassIndices(_ reference: Table, model: LoadedModel) -> Table {
        let target = model.header.target
        guard let classes = model.header.classes, classes != (0..<classes.count).map(String.init),
              let values = reference.column(named: target)?.numericValues,
              values.allSatisfy({ $0.isNaN || ($0 >= 0 && $0 < Double(classes.count) && $0 == $0.rounded()) }) else { return reference }
        var table = reference
        table.replace(Column(name: target, data: .categorical(codes: values.map { $0.isNaN ? -1 : Int32($0) }, levels: classes)))
        return table
    }

    /// The model's metrics on reference rows that hold the target column (nil without it).
    public static func evaluate(_ model: LoadedModel, reference: Table, source: String) throws -> Evaluation? {
        guard reference.column(named: model.header.target) != nil else { return nil }
        return try Trainer.evaluate(model, on: reference, target: model.header.target, source: source).evaluation
    }

    /// The monitoring reference from rows the model is meant for: the input features, the
    /// target when the rows hold it, and the model's outputs (a classifier's class shares and
    /// scores; its true class shares are the predicted ones when the rows hold no target).
    /// - Throws: a missing or text feature column (naming `source`), an unknown class label.
    public static func profile(_ model: LoadedModel, reference t: Table, source: String) throws -> ReferenceProfile {
        let header = model.header
        let predictions: [Double]
        do { predictions = try model.predict(t).predictions } catch let e as TabularError { throw e.naming(source) }
        var columns = header.inputFeatures.compactMap { t.column(named: $0) }
        let target = t.column(named: header.target)
        guard let classes = header.classes else {
            if let target { columns.append(target) }
            return try ReferenceProfile.build(table: Table(columns: columns, rowCount: t.rowCount),
                                              target: target == nil ? nil : header.target, predictions: predictions)
        }
        var profile = try ReferenceProfile.build(table: Table(columns: columns, rowCount: t.rowCount))
        let predicted = model.classIndices(predictions)
        let truth = try target.map { try ClassLabels(labels: classes).indices(of: $0, target: header.target, source: source).map(Int.init) }
        profile.classifier = ClassifierProfile.build(classes: classes, truth: truth ?? predicted, predicted: predicted, probabilities: predictions)
        return profile
    }

    /// What `record` logged.
    public struct Recorded: Sendable {
        public var runID: String
        public var modelSHA256: String
        public var version: ModelVersion
    }

    /// Logs the import as a FINISHED run (experiment `experiment`) and registers the model file
    /// as a new version of `name`: params (source format, file, SHA-256, the source library's
    /// training parameters), tags (task, classes, importance, limitations), the reference rows
    /// as a dataset with their profile, and metrics on them when they hold the target.
    public static func record(_ model: LoadedModel, modelBytes: [UInt8], request r: ImportRequest, name: String,
                              reference: (table: Table, source: String, sha256: String, profile: ReferenceProfile)?,
                              evaluation: Evaluation?, store: TrackingStore, experiment: String) throws -> Recorded {
        let runID = try store.startRun(experiment: experiment, name: "import \(r.ensemble.sourceFormat)", sourceCommit: nil)
        do {
            let h = model.header
            var params = h.hyperparameters
            params["model"] = h.kind
            params["target"] = h.target
            params["features"] = h.inputFeatures.joined(separator: ",")
            params["objective"] = r.ensemble.objective
            try store.logParams(run: runID, params)
            let metrics = evaluation?.dictionary.filter { $0.value.isFinite } ?? [:]
            if !metrics.isEmpty {
                try store.logMetrics(run: runID, metrics.sorted { $0.key < $1.key }.map { MetricPoint(key: $0.key, value: $0.value) })
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let sha = try store.putArtifact(Data(modelBytes))
            _ = try store.logArtifact(run: runID, name: TrainingRecorder.modelArtifact, sha256: sha)
            let file = URL(fileURLWithPath: r.source).lastPathComponent
            var limitation = "Imported from the \(r.ensemble.sourceFormat) model file \(file) (sha256 \(r.sourceSHA256.prefix(12))…): Plumb did not see its training data."
            if let ref = reference {
                try store.logDataset(run: runID, DatasetInput(name: "reference", digest: ref.sha256, rows: ref.table.rowCount,
                                                              schemaJSON: TrainingRecorder.schemaJSON(ref.table), source: ref.source,
                                                              context: .validation))
                _ = try store.logArtifact(run: runID, name: TrainingRecorder.profileArtifact, bytes: ref.profile.encodeJSON())
                if !metrics.isEmpty { limitation += " Its metrics were measured on the --reference rows (\(ref.table.rowCount) rows of \(ref.source))." }
            } else {
                limitation += " No reference rows were given, so it has no drift reference profile (import again with --reference to monitor it)."
            }
            try store.setTag(run: runID, key: "limitation.import", value: limitation)
            try store.setTag(run: runID, key: "model_kind", value: h.kind)
            try store.setTag(run: runID, key: "source_format", value: r.ensemble.sourceFormat)
            if let imp = h.featureImportance {
                try store.setTag(run: runID, key: "feature_importance", value: String(decoding: try enc.encode(imp), as: UTF8.self))
            }
            if let classes = h.classes {
                try store.setTag(run: runID, key: "task", value: h.resolvedTask.rawValue)
                try store.setTag(run: runID, key: "classes", value: String(decoding: try enc.encode(classes), as: UTF8.self))
                if let t = h.threshold { try store.setTag(run: runID, key: "threshold", value: "\(t)") }
                if let m = evaluation?.classification?.confusionMatrix {
                    try store.setTag(run: runID, key: "confusion_matrix", value: String(decoding: try enc.encode(m), as: UTF8.self))
                }
            }
            try store.endRun(runID, status: .finished)
            let version = try store.registerVersion(model: name, runID: runID, artifactSHA256: sha, metrics: metrics,
                                                    reason: "imported from \(r.ensemble.sourceFormat) file \(file) (sha256 \(r.sourceSHA256.prefix(12)))")
            return Recorded(runID: runID, modelSHA256: sha, version: version)
        } catch {
            try? store.endRun(runID, status: .failed, errorMessage: "\(error)")
            throw error
        }
    }
}
