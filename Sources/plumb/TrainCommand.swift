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
            Categorical columns are one-hot encoded and missing values imputed (median) by default; \
            the fitted preprocessing is stored in the model file and applied again at prediction time. \
            Without --test, --test-fraction of the rows (default 0.2, seed 42) are held out.

            Classification: a text or true/false target is classified (binary for two classes), a numeric \
            one is regressed unless --task says otherwise; class labels are kept as written. Binary models \
            predict the second class (in sorted order) when its probability reaches --threshold.

            Examples:
              plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model linear
              plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model gbm --rounds 500 --learning-rate 0.05 --register california
              plumb train out/split/train.csv --test out/split/test.csv --target MedHouseVal --model all --cv 5
              plumb train .plumb/data/housing.csv --target median_house_value --model ridge --alpha 1 --json
              plumb train .plumb/data/spam.csv --target type --model gbm --rounds 200 --threshold best-f1
            """
    )

    @Argument(help: "Training CSV with a header row.")
    var file: String

    @Option(help: "Target column: numbers (regression) or class labels (classification).")
    var target: String

    @Option(help: "What to predict (default: classes for a text or true/false target, numbers otherwise).")
    var task: ModelTask?

    @Option(help: "Classification: weight each class's rows by n / (classes × its rows) (gbm).")
    var classWeight: ClassWeightChoice = .none

    @Option(help: "Binary classification: predict the second class at or above this probability, or best-f1 (chosen on held-out training rows).")
    var threshold: ThresholdChoice = .probability(0.5)

    @Option(help: "Held-out CSV to evaluate on (same columns).")
    var test: String?

    @Option(help: "Fraction of rows held out when --test is not given, in (0, 1).")
    var testFraction: Double = 0.2

    @Option(help: "Random seed for the split and the model.")
    var seed: UInt64 = 42

    @Option(help: "Model kind (default linear for regression, logistic for classification; all: every kind that fits the task, compared).")
    var model: ModelChoice?

    @OptionGroup(title: "Model hyperparameters") var hp: ModelOptions

    @Option(name: .customLong("cv"), help: "Also run k-fold cross-validation on the training rows (k ≥ 2).")
    var cvFolds: Int?

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @Option(parsing: .upToNextOption, help: "Feature columns (default: every column but the target).")
    var features: [String] = []

    @Option(help: "Column to leave out of the features (repeatable).")
    var exclude: [String] = []

    @Option(help: "Imputation of missing values (none: leave them missing).")
    var impute: ImputeStrategy = .median

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

    @Flag(help: "gbm: read the file in passes, chunk by chunk, keeping only the binned rows (the Float64 table never exists); on by itself for a gbm on files over 256 MB, or a quarter of memory when that is less ($PLUMB_TRAIN_STREAMING_BYTES sets another size).")
    var streaming = false

    func validate() throws {
        for spec in try specs() {
            do { try spec.validate() } catch { throw ValidationError("\(error)") }
        }
        if let k = cvFolds, k < 2 { throw ValidationError("--cv must be ≥ 2, got \(k)") }
        if case .probability(let t) = threshold, !(t >= 0 && t <= 1) { throw ValidationError("--threshold must be in [0, 1] or best-f1, got \(t)") }
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
    }

    /// The models to train, in the order they are reported (`task`: the task the target gives,
    /// when known, for the defaults and `all`).
    func specs(for task: ModelTask? = nil) throws -> [ModelSpec] {
        let classify = (task ?? self.task)?.isClassification ?? false
        switch model ?? (classify ? .logistic : .linear) {
        case .linear: return [.linear]
        case .ridge: return [.ridge(alpha: hp.alpha ?? 1)]
        case .logistic: return [.logistic(alpha: hp.alpha)]
        case .gbm: return [.gbm(try hp.gbmParameters(seed: seed))]
        case .forest: return [.forest(try hp.forestParameters(seed: seed))]
        case .all:
            let forest = ModelSpec.forest(try hp.forestParameters(seed: seed)), gbm = ModelSpec.gbm(try hp.gbmParameters(seed: seed))
            guard let task = task ?? self.task else { return [.linear, forest, gbm] }
            return [.linear, .logistic(alpha: hp.alpha), forest, gbm].filter { $0.fits(task) }
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let streamed = try useStreaming()
            let table = streamed ? Table(columns: []) : try csv.read(file)
            let testTable = streamed ? nil : try test.map { try csv.read($0) }
            let digest = DatasetDigest(name: URL(fileURLWithPath: file).lastPathComponent, sha256: try TableFile.sha256(of: file),
                                       rows: table.rowCount, columns: table.columnNames)
            let recorder = noTrack ? nil : TrainingRecorder(store: try TrackingStore(path: store ?? defaultStorePath()), experiment: experiment)
            let task = streamed ? self.task : try resolvedTask(table)
            let specs = try specs(for: task)
            let parent = specs.count > 1 ? try recorder?.startParent(name: "comparison", params: ["models": specs.map(\.kind).joined(separator: ","), "seed": "\(seed)"]) : nil
            var reports: [TrainReport] = []
            do {
                for spec in specs {
                    var request = TrainingRequest(train: table, target: target, model: spec)
                    request.source = file
                    request.test = testTable
                    request.testFraction = testFraction
                    request.seed = seed
                    request.features = features.isEmpty ? nil : features
                    request.exclude = Set(exclude)
                    request.preprocessing.impute = impute
                    request.preprocessing.scale = scale
                    request.trainingData = digest
                    request.task = task
                    request.balancedClassWeights = classWeight == .balanced
                    if case .probability(let t) = threshold { request.threshold = t } else { request.threshold = nil }
                    let bar = ProgressBar(label: spec.kind, enabled: !quiet && ProgressBar.stderrIsTerminal)
                    let outcome = streamed
                        ? try StreamingTrainer.train(file: file, testFile: test, csv: try csv.csvOptions(), request: request, progress: bar.handler,
                                                     phase: quiet || !ProgressBar.stderrIsTerminal ? nil : { printError("\r\u{1B}[K\($0)…") })
                        : try Trainer.train(request, progress: bar.handler)
                    bar.finish()
                    for w in outcome.warnings { printError("warning: \(w)") }
                    var extra: [String: Double] = [:]
                    if let k = cvFolds {
                        // Each of the task's metrics over the folds: cv_<metric>_mean and cv_<metric>_std.
                        for (metric, cv) in try Trainer.crossValidate(request, folds: k) {
                            extra["cv_\(metric)_mean"] = cv.mean
                            extra["cv_\(metric)_std"] = cv.std
                        }
                    }
                    var final = outcome
                    final.extraMetrics.merge(extra) { a, _ in a }
                    let bytes = try ModelFile.encode(header: final.model.header, regressor: final.model.regressor)
                    let sha = SHA256.hex(bytes)
                    let path = (specs.count == 1 ? out : out.map { Self.suffixed($0, spec.kind) }) ?? ".plumb/models/\(spec.kind)-\(sha.prefix(12)).plumb"
                    try AtomicFile.write(bytes, to: path)
                    try writeProfile(final, beside: path)
                    let history = Self.history(final)
                    let recorded = try recorder?.record(final, modelBytes: bytes, runName: spec.kind, parent: parent, register: register, history: history)
                    var report = TrainReport(outcome: final, artifact: path, sha256: sha)
                    report.run_id = recorded?.runID
                    report.registered = recorded?.version.map { "models:/\($0.model)/\($0.version)" }
                    reports.append(report)
                    if !json && specs.count == 1 {
                        print(TrainReport.human(outcome: final, artifact: path, sha256: sha, source: file))
                        if let r = recorded {
                            print("run \(r.runID) in experiment \"\(experiment)\"" + (r.version.map { ", registered as models:/\($0.model)/\($0.version)" } ?? ""))
                        }
                    }
                }
            } catch {
                if let parent { recorder?.fail(run: parent, error: error) }
                throw error
            }
            if let parent { try recorder?.store.endRun(parent) }
            if specs.count == 1 {
                if json, let r = reports.first { try printJSON(r) }
                return
            }
            let ranked = reports.sorted { $0.rankingScore > $1.rankingScore }
            if json {
                struct Comparison: Encodable { let parent_run_id: String?; let best: String; let models: [TrainReport] }
                try printJSON(Comparison(parent_run_id: parent, best: ranked[0].model, models: ranked))
            } else {
                print(TrainReport.comparisonTable(ranked))
                if let parent { print("comparison run \(parent) in experiment \"\(experiment)\" (one child run per model)") }
            }
        }
    }

    /// Whether to train in passes over the file: asked for (the options it cannot take are
    /// refused), or a gbm on a file over the size limit whose options it can take.
    func useStreaming() throws -> Bool {
        if streaming {
            guard model == .gbm else { throw ValidationError("--streaming trains gbm only: pass --model gbm") }
            guard cvFolds == nil else { throw ValidationError("--cv needs the rows in memory: leave out --cv or --streaming") }
            return true
        }
        let fits = model == .gbm && cvFolds == nil && impute != .mean && !scale && threshold != .bestF1
        guard fits, Self.dataBytes(file) > Self.streamingBytes else { return false }
        if !quiet && !json { printError("note: \(file) is over \(Self.streamingBytes >> 20) MB: training in passes over the file (--streaming)") }
        return true
    }

    /// Files larger than this train in passes: 256 MB, or a quarter of physical memory or of the
    /// address space the process may use (`ulimit -v`) when that is less; or $PLUMB_TRAIN_STREAMING_BYTES.
    static var streamingBytes: Int {
        if let given = ProcessInfo.processInfo.environment["PLUMB_TRAIN_STREAMING_BYTES"].flatMap({ Int($0) }) { return given }
        var memory = ProcessInfo.processInfo.physicalMemory
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max { memory = min(memory, UInt64(limit.rlim_cur)) }
        return Int(min(256 << 20, memory / 4))
    }

    /// The bytes of a file, or of every file in a folder of part files.
    static func dataBytes(_ path: String) -> Int {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        let files = isDirectory.boolValue ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)" } : [path]
        return files.reduce(0) { $0 + (((try? fm.attributesOfItem(atPath: $1))?[.size] as? NSNumber)?.intValue ?? 0) }
    }

    /// The task: --task, else what the training target looks like (warnings are printed by the
    /// trainer).
    func resolvedTask(_ table: Table) throws -> ModelTask {
        if let task { return task }
        guard let column = table.column(named: target) else {
            throw TrainingError(code: .unknownTarget, message: "\(file): no target column \"\(target)\" (columns: \(table.columnNames.joined(separator: ", ")))")
        }
        return TaskInference.infer(column, target: target).task
    }

    /// `out.plumb` → `out-gbm.plumb` when several models share one --out.
    static func suffixed(_ path: String, _ kind: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? "\(base)-\(kind)" : "\(base)-\(kind).\(ext)"
    }

    /// Per-round losses as metric history (step = round).
    static func history(_ o: TrainingOutcome) -> [MetricPoint] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var points = o.trainHistory.enumerated().map { MetricPoint(key: "train_loss", value: $0.element, step: Int64($0.offset + 1), timestampMs: now) }
        if let v = o.validationHistory {
            points += v.enumerated().map { MetricPoint(key: "validation_loss", value: $0.element, step: Int64($0.offset + 1), timestampMs: now) }
        }
        return points
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
    let model: String
    let task: String
    /// Classifiers: the class labels, in output order.
    let classes: [String]?
    let threshold: Double?
    let fit_seconds: Double
    let train_rows: Int
    let test_rows: Int
    /// R², RMSE, MAE, MAPE, max error; or accuracy, balanced accuracy, F1, precision, recall,
    /// ROC AUC, average precision, log loss, Brier score, ECE.
    let metrics: NumberMap
    let confusion_matrix: [[Int]]?
    let artifact: String
    let sha256: String
    let feature_importance: [String: Double]?
    let extra_metrics: NumberMap
    let warnings: [String]
    var run_id: String?
    var registered: String?
    /// Higher is better within a task (not encoded).
    let rankingScore: Double

    enum CodingKeys: String, CodingKey {
        case model, task, classes, threshold, fit_seconds, train_rows, test_rows, metrics, confusion_matrix, artifact, sha256,
             feature_importance, extra_metrics, warnings, run_id, registered
    }

    init(outcome: TrainingOutcome, artifact: String, sha256: String) {
        let h = outcome.model.header
        model = h.kind
        task = h.resolvedTask.rawValue
        classes = h.classes
        threshold = h.threshold
        fit_seconds = outcome.fitSeconds
        train_rows = outcome.trainRows
        test_rows = outcome.testRows
        metrics = NumberMap(outcome.evaluation.dictionary)
        confusion_matrix = outcome.evaluation.classification?.confusionMatrix
        self.artifact = artifact
        self.sha256 = sha256
        feature_importance = h.featureImportance
        extra_metrics = NumberMap(outcome.extraMetrics)
        warnings = outcome.warnings
        rankingScore = outcome.evaluation.rankingScore
    }

    /// The comparative analysis: one row per model, best first.
    static func comparisonTable(_ ranked: [TrainReport]) -> String {
        let classify = ranked.first?.classes != nil
        let columns = classify ? ["accuracy", "f1", "roc_auc", "log_loss"] : ["r2", "rmse", "mae", "mape"]
        let titles = classify ? ["accuracy", "F1", "ROC AUC", "log loss"] : ["R²", "RMSE", "MAE", "MAPE"]
        var rows = [["rank", "model"] + titles + ["fit s", "extra", "artifact"]]
        for (i, r) in ranked.enumerated() {
            let extra = r.extra_metrics.values.filter { ["oob_r2", "oob_accuracy", "cv_r2_mean", "cv_roc_auc_mean", "cv_accuracy_mean", "best_iteration"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.fixed($0.key == "best_iteration" ? 0 : 4))" }.joined(separator: ", ")
            let values = columns.map { key -> String in
                let v = r.metrics[key] ?? .nan
                return key == "mape" ? (v * 100).fixed(2) + "%" : v.fixed(4)
            }
            rows.append(["\(i + 1)", r.model] + values + [r.fit_seconds.fixed(3), extra.isEmpty ? "-" : extra, r.artifact])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return (2...6).contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func human(outcome: TrainingOutcome, artifact: String, sha256: String, source: String) -> String {
        let h = outcome.model.header
        let what = h.classes.map { " (\(h.resolvedTask.rawValue): \($0.count) classes)" } ?? ""
        var lines = ["trained \(h.kind)\(what) on \(grouped(outcome.trainRows)) rows × \(h.preprocessor.outputNames.count) features from \(source) in \(outcome.fitSeconds.fixed(3)) s"]
        switch outcome.evaluation {
        case .regression(let m):
            lines.append("test (\(grouped(outcome.testRows)) rows): R² \(m.r2.fixed(4))  RMSE \(m.rmse.fixed(4))  MAE \(m.mae.fixed(4))  MAPE \((m.mape * 100).fixed(2))%  max error \(m.maxError.fixed(3))")
        case .classification(let m):
            lines.append("test (\(grouped(outcome.testRows)) rows): accuracy \(m.accuracy.fixed(4))  balanced accuracy \(m.balancedAccuracy.fixed(4))  F1 \(m.f1.fixed(4))  ROC AUC \(m.rocAUC.fixed(4))  log loss \(m.logLoss.fixed(4))")
            if let t = h.threshold, let classes = h.classes { lines.append("threshold \(t.fixed(4)): \"\(classes[1])\" when its probability is at least that") }
            lines.append(confusionTable(m.confusionMatrix, classes: h.classes ?? []))
        }
        for (k, v) in outcome.extraMetrics.sorted(by: { $0.key < $1.key }) { lines.append("\(k): \(v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : v.fixed(4))") }
        if let imp = h.featureImportance {
            let top = imp.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) \(($0.value * 100).fixed(1))%" }
            lines.append("top features: \(top.joined(separator: ", "))")
        }
        lines.append("model: \(artifact) (sha256 \(sha256.prefix(12))…)")
        return lines.joined(separator: "\n")
    }

    /// The confusion matrix with the class labels (rows: true class, columns: predicted).
    static func confusionTable(_ m: [[Int]], classes: [String]) -> String {
        var rows = [["true \\ predicted"] + classes]
        for (i, row) in m.enumerated() { rows.append([classes[i]] + row.map { grouped($0) }) }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
