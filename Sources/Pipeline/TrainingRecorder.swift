import Drift
import Foundation
import MLCore
import Tabular
import Tracking

/// Records a finished training job in the tracking store: one run with its parameters,
/// metrics, datasets, model file and monitoring reference profile; optionally a registered
/// model version.
public struct TrainingRecorder: Sendable {
    public var store: TrackingStore
    public var experiment: String

    public init(store: TrackingStore, experiment: String) {
        self.store = store
        self.experiment = experiment
    }

    public struct Recorded: Sendable {
        public var runID: String
        public var modelSHA256: String
        public var version: ModelVersion?
    }

    /// Artifact names used on every training run.
    public static let modelArtifact = "model.plumb"
    public static let profileArtifact = "reference_profile.json"

    /// Starts a parent run (e.g. a comparison of several models); children pass its id.
    public func startParent(name: String, params: [String: String]) throws -> String {
        let id = try store.startRun(experiment: experiment, name: name, sourceCommit: SourceControl.commit())
        try store.logParams(run: id, params)
        return id
    }

    /// Logs `outcome` as a FINISHED run and, with `register`, makes it a new version of that
    /// model. The model bytes are stored content-addressed; nothing is registered unless the
    /// run was fully written.
    public func record(_ outcome: TrainingOutcome, modelBytes: [UInt8], runName: String, parent: String? = nil,
                       register: String? = nil, extraParams: [String: String] = [:],
                       history: [MetricPoint] = []) throws -> Recorded {
        let runID = try store.startRun(experiment: experiment, name: runName, sourceCommit: SourceControl.commit(), parentRunID: parent)
        do {
            let h = outcome.model.header
            var params = h.hyperparameters.merging(extraParams) { _, b in b }
            params["target"] = h.target
            params["features"] = outcome.featureNames.joined(separator: ",")
            params["impute"] = h.preprocessor.options.impute.rawValue
            params["scale"] = "\(h.preprocessor.options.scale)"
            try store.logParams(run: runID, params)
            var metrics = outcome.evaluation.dictionary.merging(outcome.extraMetrics) { a, _ in a }
            metrics["fit_seconds"] = outcome.fitSeconds
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            try store.logMetrics(run: runID, history + metrics.sorted { $0.key < $1.key }.map {
                MetricPoint(key: $0.key, value: $0.value, step: 0, timestampMs: now)
            })
            if let d = h.trainingData {
                try store.logDataset(run: runID, DatasetInput(name: d.name, digest: d.sha256, rows: outcome.trainRows,
                                                              schemaJSON: Self.schemaJSON(outcome.trainTable), source: d.name, context: .training))
            }
            try store.logDataset(run: runID, DatasetInput(name: "holdout", digest: SHA256.hex(CSVWriter.encode(outcome.testTable)),
                                                          rows: outcome.testRows, schemaJSON: Self.schemaJSON(outcome.testTable),
                                                          source: "held-out rows", context: .test))
            let sha = try store.putArtifact(Data(modelBytes))
            _ = try store.logArtifact(run: runID, name: Self.modelArtifact, sha256: sha)
            let profile = try Self.profile(for: outcome)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            _ = try store.logArtifact(run: runID, name: Self.profileArtifact, bytes: profile.encodeJSON())
            if let imp = h.featureImportance {
                try store.setTag(run: runID, key: "feature_importance", value: String(decoding: try enc.encode(imp), as: UTF8.self))
            }
            if let shap = ShapImportance.compute(outcome.model, on: outcome.testTable, rowsDescription: "held-out rows") {
                try store.setTag(run: runID, key: "shap_importance", value: String(decoding: try enc.encode(shap.importance), as: UTF8.self))
                try store.setTag(run: runID, key: "shap_importance_note", value: shap.note)
            }
            try store.setTag(run: runID, key: "model_kind", value: h.kind)
            try recordClasses(outcome, run: runID, encoder: enc)
            try store.endRun(runID, status: .finished)
            var version: ModelVersion?
            if let name = register {
                version = try store.registerVersion(model: name, runID: runID, artifactSHA256: sha,
                                                    metrics: metrics, reason: "registered from run \(runID.prefix(8)) (\(h.kind))")
            }
            return Recorded(runID: runID, modelSHA256: sha, version: version)
        } catch {
            try? store.endRun(runID, status: .failed, errorMessage: "\(error)")
            throw error
        }
    }

    /// Marks a run FAILED with the error (used when training itself fails).
    public func fail(run: String, error: any Error) {
        try? store.endRun(run, status: .failed, errorMessage: "\(error)")
    }

    /// The monitoring reference: the raw feature columns of the training rows, the target, and
    /// the model's predictions on them. A classifier's target and outputs are profiled as class
    /// shares and a score distribution instead (`ClassifierProfile`).
    public static func profile(for outcome: TrainingOutcome) throws -> ReferenceProfile {
        let t = outcome.trainTable
        var cols = outcome.featureNames.compactMap { t.column(named: $0) }
        let header = outcome.model.header
        guard let classes = header.classes, header.resolvedTask.isClassification else {
            if let target = t.column(named: header.target) { cols.append(target) }
            let table = Table(columns: cols, rowCount: t.rowCount)
            return try ReferenceProfile.build(table: table, target: header.target, predictions: try outcome.model.predict(t).predictions)
        }
        var profile = try ReferenceProfile.build(table: Table(columns: cols, rowCount: t.rowCount))
        profile.classifier = try classifierProfile(outcome, classes: classes)
        return profile
    }

    /// True class shares of the training rows; predicted shares and the score distribution of the
    /// held-out rows: a fitted model is more confident on the rows it was fitted on (a boosted
    /// model's training probabilities crowd 0 and 1), so their scores would look like drift on
    /// any new data.
    /// A classifier's task, classes, threshold and test confusion matrix, as run tags the model
    /// card shows (`task`, `classes`, `threshold`, `confusion_matrix`; JSON for the lists).
    private func recordClasses(_ outcome: TrainingOutcome, run runID: String, encoder: JSONEncoder) throws {
        let h = outcome.model.header
        guard let classes = h.classes, h.resolvedTask.isClassification else { return }
        try store.setTag(run: runID, key: "task", value: h.resolvedTask.rawValue)
        try store.setTag(run: runID, key: "classes", value: String(decoding: try encoder.encode(classes), as: UTF8.self))
        if let t = h.threshold { try store.setTag(run: runID, key: "threshold", value: "\(t)") }
        if let m = outcome.evaluation.classification?.confusionMatrix {
            try store.setTag(run: runID, key: "confusion_matrix", value: String(decoding: try encoder.encode(m), as: UTF8.self))
        }
    }

    static func classifierProfile(_ outcome: TrainingOutcome, classes: [String]) throws -> ClassifierProfile {
        let model = outcome.model
        let target = model.header.target
        guard let column = outcome.trainTable.column(named: target) else {
            throw TrainingError(code: .unknownTarget, message: "reference profile: no target column \"\(target)\" in the training rows")
        }
        let truth = try ClassLabels(labels: classes).indices(of: column, target: target, source: "training rows").map(Int.init)
        let probabilities = outcome.testPredictions
        var profile = ClassifierProfile.build(classes: classes, truth: outcome.testActuals.map { Int($0) },
                                              predicted: model.classIndices(probabilities), probabilities: probabilities)
        profile.trueCounts = ClassifierProfile.counts(truth, classes.count)
        return profile
    }

    static func schemaJSON(_ t: Table) -> String {
        let items = t.columns.map { "{\"name\":\(jsonStringLiteral($0.name)),\"type\":\"\($0.kind.rawValue)\"}" }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// `s` as a JSON string literal (RFC 8259 escapes; non-ASCII passes through as UTF-8).
}

/// The git commit of the working directory, when there is one (for run lineage).
public enum SourceControl {
    public static func commit() -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "rev-parse", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let s = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
