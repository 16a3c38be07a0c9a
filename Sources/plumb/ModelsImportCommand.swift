import ArgumentParser
import Drift
import Foundation
import MLCore
import ONNXInterchange
import Pipeline
import Tabular
import Tracking
import TreeModels

/// `plumb models import --format`: the model files Plumb reads. A new format is a case here and
/// a reader in `ModelsImportCommand.read(_:format:)`.
enum ModelImportFormat: String, ExpressibleByArgument, CaseIterable {
    /// LightGBM's text model (`Booster.save_model`, `model.txt`).
    case lightgbm
    /// XGBoost's JSON or UBJSON model (`Booster.save_model`, `model.json` / `model.ubj`).
    case xgboost
    /// An ONNX model of one ai.onnx.ml tree ensemble (skl2onnx, onnxmltools, `plumb models export`).
    case onnx
}

/// `plumb models import FILE --format lightgbm`: a model trained elsewhere, registered as a
/// version like any trained one.
struct ModelsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Register a tree ensemble trained by another library (LightGBM text, XGBoost JSON/UBJSON, ONNX tree ensemble) as a model version.",
        discussion: """
            The model scores raw numeric columns in the file's feature order (names from the file, or \
            --features); a categorical LightGBM or XGBoost feature reads its integer codes from a numeric column. \
            Regression objectives give raw scores, binary the sigmoid probability, multiclass the softmax; \
            classes are 0 … K-1 unless --classes (or an ONNX file's class labels) names them. \
            An ONNX file names no features (unless Plumb exported it): pass --features. The source format and the file's SHA-256 are \
            recorded as lineage. --reference DATA (rows the model is meant for; with the --target column, \
            metrics are measured on them; a target of class indices 0 … K-1 reads as the --classes labels) \
            stores the drift reference profile that `plumb monitor` compares with.

            Examples:
              plumb models import model.txt --format lightgbm --name churn --reference train.parquet --target churned
              plumb models import model.txt --format lightgbm --features age,income,region --classes no,yes
              plumb models import model.ubj --format xgboost --name fraud --reference holdout.csv --target fraud
              plumb models import forest.onnx --format onnx --features age,income,tenure --classes no,yes
            """
    )

    @Argument(help: "The model file.")
    var file: String

    @Option(help: "The model file's format.")
    var format: ModelImportFormat

    @Option(help: "Registered model name (default: the file name without its extension).")
    var name: String?

    @Option(help: ArgumentHelp("Input column names in model order, comma-separated (default: the names in the file).", valueName: "a,b,c"))
    var features: String?

    @Option(help: ArgumentHelp("Classifiers: class labels in output order, comma-separated (default: 0,1,…).", valueName: "a,b,c"))
    var classes: String?

    @Option(help: "Target column name: where monitoring and --reference read actual values.")
    var target: String = "target"

    @Option(help: "Binary classifiers: predict the second class at or above this probability.")
    var threshold: Double = 0.5

    @Option(help: "Rows the model is meant for (CSV, Parquet or Arrow): the drift reference profile, and metrics when they hold the target.")
    var reference: String?

    @Option(help: "Where to write the Plumb model file (default .plumb/models/<name>-<digest>.plumb).")
    var out: String?

    @Option(help: "Experiment the import run is logged under.")
    var experiment: String = "default"

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print exactly one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard threshold >= 0 && threshold <= 1 else { throw ValidationError("--threshold must be in [0, 1], got \(threshold)") }
        if let n = name, n.isEmpty || n.contains("/") || n.contains("@") {
            throw ValidationError("--name must be non-empty, without \"/\" or \"@\", got \"\(n)\"")
        }
        for (option, list) in [("--features", features), ("--classes", classes)] {
            if let list, Self.names(list).contains(where: \.isEmpty) { throw ValidationError("\(option) has an empty name in \"\(list)\"") }
        }
    }

    /// Reads `path` as `format`: the ensemble and what the file says about it.
    static func read(_ path: String, format: ModelImportFormat) throws -> ImportedEnsemble {
        switch format {
        case .lightgbm: try LightGBMModelReader.read(path: path)
        case .xgboost: try XGBoostModelReader.read(path: path).ensemble
        case .onnx: try ONNXModelReader.read(path: path)
        }
    }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func run() async throws {
        try await runReportingErrors {
            let ensemble = try Self.read(file, format: format)
            var request = ImportRequest(ensemble: ensemble, source: file, sourceSHA256: try TableFile.sha256(of: file))
            request.features = features.map(Self.names)
            request.classes = classes.map(Self.names)
            request.target = target
            request.threshold = threshold
            let model = try ModelImporter.model(request)
            for w in ensemble.warnings { printError("warning: \(w)") }

            var referenceInfo: (table: Table, source: String, sha256: String, profile: ReferenceProfile)?
            var evaluation: Evaluation?
            if let path = reference {
                let table = ModelImporter.labellingClassIndices(try csv.read(path), model: model)
                let profile = try ModelImporter.profile(model, reference: table, source: path)
                evaluation = try ModelImporter.evaluate(model, reference: table, source: path)
                if model.header.classes != nil && table.column(named: target) == nil {
                    printError("warning: \(path) has no target column \"\(target)\": the reference's true class shares are the predicted ones")
                }
                referenceInfo = (table, path, try TableFile.sha256(of: path), profile)
            }
            var final = model
            final.header.metrics = evaluation?.dictionary.filter { $0.value.isFinite } ?? [:]
            let bytes = try ModelFile.encode(header: final.header, regressor: final.regressor)
            let sha = SHA256.hex(bytes)
            let modelName = name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let path = out ?? ".plumb/models/\(modelName)-\(sha.prefix(12)).plumb"
            try AtomicFile.write(bytes, to: path)
            if let profile = referenceInfo?.profile {
                try AtomicFile.write(Array(profile.encodeJSON()), to: ModelLocator.profilePath(forModelFile: path))
            }
            let trackingStore = try TrackingStore(path: store ?? defaultStorePath())
            let recorded = try ModelImporter.record(final, modelBytes: bytes, request: request, name: modelName, reference: referenceInfo,
                                                    evaluation: evaluation, store: trackingStore, experiment: experiment)
            let report = ImportReport(final, ensemble: ensemble, request: request, artifact: path, sha256: sha, recorded: recorded,
                                      reference: referenceInfo.map { ($0.source, $0.table.rowCount) })
            if json { try printJSON(report) } else { print(report.human) }
        }
    }
}

/// What `plumb models import` prints (`--json`: this object).
struct ImportReport: Encodable {
    let source: String
    let source_format: String
    let source_sha256: String
    let objective: String
    let task: String
    let classes: [String]?
    let features: [String]
    let categorical_features: [String]
    let trees: Int
    let iterations: Int
    let reference: String?
    let reference_rows: Int?
    let metrics: NumberMap
    let artifact: String
    let sha256: String
    let run_id: String
    let registered: String
    let warnings: [String]

    init(_ model: LoadedModel, ensemble: ImportedEnsemble, request: ImportRequest, artifact: String, sha256: String,
         recorded: ModelImporter.Recorded, reference: (source: String, rows: Int)?) {
        let h = model.header
        source = request.source
        source_format = ensemble.sourceFormat
        source_sha256 = request.sourceSHA256
        objective = ensemble.objective
        task = h.resolvedTask.rawValue
        classes = h.classes
        features = h.inputFeatures
        categorical_features = ensemble.categoricalFeatures.map { h.inputFeatures[$0] }
        trees = ensemble.forest?.treeCount ?? ensemble.model.treeCount
        iterations = ensemble.model.bestIteration
        self.reference = reference?.source
        reference_rows = reference?.rows
        metrics = NumberMap(h.metrics)
        self.artifact = artifact
        self.sha256 = sha256
        run_id = recorded.runID
        registered = "models:/\(recorded.version.model)/\(recorded.version.version)"
        warnings = ensemble.warnings
    }

    var human: String {
        let what = classes.map { "\(task) classifier (classes \($0.joined(separator: ", ")))" } ?? "regression"
        var lines = [
            "imported \(source_format) \(what) from \(source) (sha256 \(source_sha256.prefix(12))…)",
            "\(grouped(trees)) trees (\(grouped(iterations)) iterations), objective \"\(objective)\", \(features.count) features: \(features.joined(separator: ", "))",
        ]
        if !categorical_features.isEmpty { lines.append("categorical (integer codes): \(categorical_features.joined(separator: ", "))") }
        if let reference, let rows = reference_rows {
            let shown = ["r2", "rmse", "mae", "accuracy", "roc_auc", "log_loss"].compactMap { k in metrics[k].map { "\(k) \($0.fixed(4))" } }
            lines.append("reference profile from \(reference) (\(grouped(rows)) rows)" + (shown.isEmpty ? "" : ": " + shown.joined(separator: "  ")))
        }
        lines.append("model: \(artifact) (sha256 \(sha256.prefix(12))…)")
        lines.append("registered as \(registered) (run \(run_id))")
        return lines.joined(separator: "\n")
    }
}
