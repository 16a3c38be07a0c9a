import ArgumentParser
import Foundation
import MLCore
import Pipeline
import Tabular
import Tracking

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a model on a CSV, score it on held-out rows and write the model file.",
        discussion: """
            Categorical columns are one-hot encoded and missing values imputed (median) by default;
            the fitted preprocessing is stored in the model file and applied again at prediction time.
            Without --test, --test-fraction of the rows (default 0.2, seed 42) are held out.

            Examples:
              plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model linear
              plumb train .plumb/data/housing.csv --target median_house_value --model ridge --alpha 1 --json
            """
    )

    @Argument(help: "Training CSV with a header row.")
    var file: String

    @Option(help: "Target column (numeric).")
    var target: String

    @Option(help: "Held-out CSV to evaluate on (same columns).")
    var test: String?

    @Option(help: "Fraction of rows held out when --test is not given, in (0, 1).")
    var testFraction: Double = 0.2

    @Option(help: "Random seed for the split and the model.")
    var seed: UInt64 = 42

    @Option(help: "Model kind: linear | ridge.")
    var model: String = "linear"

    @Option(help: "Ridge penalty (≥ 0).")
    var alpha: Double = 1.0

    @Option(parsing: .upToNextOption, help: "Feature columns (default: every column but the target).")
    var features: [String] = []

    @Option(help: "Column to leave out of the features (repeatable).")
    var exclude: [String] = []

    @Option(help: "Imputation of missing numeric values: median | mean.")
    var impute: String = "median"

    @Flag(help: "Standardise numeric features (mean 0, std 1).")
    var scale = false

    @Option(help: "Where to write the model (default .plumb/models/<kind>-<digest>.plumb).")
    var out: String?

    @Option(help: "Experiment the run is logged under.")
    var experiment: String = "default"

    @Option(help: "Register the trained model as a new version of this registered model.")
    var register: String?

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Flag(help: "Do not log a run in the tracking store.")
    var noTrack = false

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print exactly one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard ["linear", "ridge"].contains(model) else {
            throw ValidationError("--model must be one of linear, ridge; got \"\(model)\"")
        }
        guard alpha >= 0, alpha.isFinite else { throw ValidationError("--alpha must be ≥ 0, got \(alpha)") }
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        guard ImputeStrategy(rawValue: impute) != nil else { throw ValidationError("--impute must be median or mean, got \"\(impute)\"") }
    }

    func spec() -> ModelSpec {
        switch model {
        case "ridge": .ridge(alpha: alpha)
        default: .linear
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let table = try csv.read(file)
            var request = TrainingRequest(train: table, target: target, model: spec())
            request.source = file
            if let test { request.test = try csv.read(test) }
            request.testFraction = testFraction
            request.seed = seed
            request.features = features.isEmpty ? nil : features
            request.exclude = Set(exclude)
            request.preprocessing.impute = ImputeStrategy(rawValue: impute) ?? .median
            request.preprocessing.scale = scale
            request.trainingData = DatasetDigest(name: URL(fileURLWithPath: file).lastPathComponent, sha256: try SHA256.hex(fileAt: file),
                                                 rows: table.rowCount, columns: table.columnNames)
            let outcome = try Trainer.train(request)
            for w in outcome.warnings { printError("warning: \(w)") }
            let bytes = try ModelFile.encode(header: outcome.model.header, regressor: outcome.model.regressor)
            let digest = SHA256.hex(bytes)
            let path = out ?? ".plumb/models/\(outcome.model.header.kind)-\(digest.prefix(12)).plumb"
            try AtomicFile.write(bytes, to: path)
            try writeProfile(outcome, beside: path)
            var recorded: TrainingRecorder.Recorded?
            if !noTrack {
                let recorder = TrainingRecorder(store: try TrackingStore(path: store ?? defaultStorePath()), experiment: experiment)
                recorded = try recorder.record(outcome, modelBytes: bytes, runName: outcome.model.header.kind, register: register)
            }
            if json {
                var report = TrainReport(outcome: outcome, artifact: path, sha256: digest)
                report.run_id = recorded?.runID
                report.registered = recorded?.version.map { "models:/\($0.model)/\($0.version)" }
                try printJSON(report)
            } else {
                print(TrainReport.human(outcome: outcome, artifact: path, sha256: digest, source: file))
                if let r = recorded {
                    print("run \(r.runID) in experiment \"\(experiment)\"" + (r.version.map { ", registered as models:/\($0.model)/\($0.version)" } ?? ""))
                }
            }
        }
    }
}

/// Writes the monitoring reference profile beside a model file (`<model>.profile.json`).
func writeProfile(_ outcome: TrainingOutcome, beside modelPath: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try AtomicFile.write(Array(try enc.encode(try TrainingRecorder.profile(for: outcome))), to: ModelLocator.profilePath(forModelFile: modelPath))
}

/// The JSON `plumb train --json` prints.
struct TrainReport: Encodable {
    struct Metrics: Encodable { let r2, rmse, mae, mape, max_error: Double }
    let model: String
    let fit_seconds: Double
    let train_rows: Int
    let test_rows: Int
    let metrics: Metrics
    let artifact: String
    let sha256: String
    let feature_importance: [String: Double]?
    let extra_metrics: [String: Double]
    let warnings: [String]
    var run_id: String?
    var registered: String?

    init(outcome: TrainingOutcome, artifact: String, sha256: String) {
        let m = outcome.metrics
        model = outcome.model.header.kind
        fit_seconds = outcome.fitSeconds
        train_rows = outcome.trainRows
        test_rows = outcome.testRows
        metrics = Metrics(r2: m.r2, rmse: m.rmse, mae: m.mae, mape: m.mape, max_error: m.maxError)
        self.artifact = artifact
        self.sha256 = sha256
        feature_importance = outcome.model.header.featureImportance
        extra_metrics = outcome.extraMetrics
        warnings = outcome.warnings
    }

    static func human(outcome: TrainingOutcome, artifact: String, sha256: String, source: String) -> String {
        let m = outcome.metrics
        let h = outcome.model.header
        var lines = [
            "trained \(h.kind) on \(grouped(outcome.trainRows)) rows × \(h.preprocessor.outputNames.count) features from \(source) in \(outcome.fitSeconds.fixed(3)) s",
            "test (\(grouped(outcome.testRows)) rows): R² \(m.r2.fixed(4))  RMSE \(m.rmse.fixed(4))  MAE \(m.mae.fixed(4))  MAPE \((m.mape * 100).fixed(2))%  max error \(m.maxError.fixed(3))",
        ]
        for (k, v) in outcome.extraMetrics.sorted(by: { $0.key < $1.key }) { lines.append("\(k): \(v.fixed(4))") }
        if let imp = h.featureImportance {
            let top = imp.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) \(($0.value * 100).fixed(1))%" }
            lines.append("top features: \(top.joined(separator: ", "))")
        }
        lines.append("model: \(artifact) (sha256 \(sha256.prefix(12))…)")
        return lines.joined(separator: "\n")
    }
}
