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
            _ = try store.logArtifact(run: runID, name: Self.profileArtifact, bytes: try enc.encode(profile))
            if let imp = h.featureImportance {
                try store.setTag(run: runID, key: "feature_importance", value: String(decoding: try enc.encode(imp), as: UTF8.self))
            }
            try store.setTag(run: runID, key: "model_kind", value: h.kind)
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
    /// the model's predictions on them.
    public static func profile(for outcome: TrainingOutcome) throws -> ReferenceProfile {
        let t = outcome.trainTable
        var cols = outcome.featureNames.compactMap { t.column(named: $0) }
        let classifier = outcome.model.header.resolvedTask.isClassification
        // Classifiers: the features only for now (class shares and probabilities are profiled
        // by the monitoring of classification, not yet here).
        if !classifier, let target = t.column(named: outcome.model.header.target) { cols.append(target) }
        let table = Table(columns: cols, rowCount: t.rowCount)
        let predictions = classifier ? nil : try outcome.model.predict(t).predictions
        return try ReferenceProfile.build(table: table, target: classifier ? nil : outcome.model.header.target, predictions: predictions)
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
