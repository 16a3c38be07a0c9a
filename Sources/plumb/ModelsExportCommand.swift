import ArgumentParser
import Foundation
import MLCore
import ONNXInterchange
import Pipeline
import Tabular
import TreeModels

/// `plumb models export --format`: the model files Plumb writes for other runtimes.
enum ModelExportFormat: String, ExpressibleByArgument, CaseIterable {
    /// ONNX, one ai.onnx.ml tree ensemble (ONNX Runtime).
    case onnx
    /// LightGBM's text model (LightGBM, Triton FIL, SynapseML).
    case lightgbm
}

/// `plumb models export URI --format onnx|lightgbm --out FILE`: a Plumb GBM or forest written in
/// another library's format.
struct ModelsExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Plumb GBM or random forest as ONNX (TreeEnsemble) or a LightGBM text model.",
        discussion: """
            The exported trees read the raw numeric feature columns in the model's order (the names are in the \
            ONNX metadata and the LightGBM feature_names line). Missing-value imputation is folded into the \
            splits; clipping, scaling and categorical encodings cannot be expressed and are refused. ONNX \
            takes a double input X (rows × features) and outputs `variable` (regression) or `label` and \
            `probabilities`; LightGBM gets objective regression, binary or multiclass (a random forest \
            classifier only exports to ONNX).

            Examples:
              plumb models export models:/churn@champion --format onnx --out churn.onnx
              plumb models export housing/3 --format lightgbm --out housing.txt
            """
    )

    @Argument(help: "Model file, or models:/NAME/VERSION, models:/NAME@ALIAS (the models:/ may be left out).")
    var uri: String

    @Option(help: "The format to write.")
    var format: ModelExportFormat

    @Option(help: "The file to write.")
    var out: String

    @Option(help: "Tracking store (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Flag(help: "Print exactly one JSON object on stdout.")
    var json = false

    /// What the export wrote.
    struct Report: Encodable {
        let source: String
        let format: String
        let kind: String
        let task: String
        let features: Int
        let trees: Int
        let bytes: Int
        let out: String
        let sha256: String
    }

    func run() async throws {
        try await runReportingErrors {
            let reference = ModelLocator.isURI(uri) || FileManager.default.fileExists(atPath: uri) ? uri : "models:/" + uri
            let loaded = try ModelLocator.load(reference, storePath: store ?? defaultStorePath()).model
            let formatName = format == .onnx ? "ONNX" : "LightGBM text"
            let ensemble = try ExportableEnsemble(header: loaded.header, regressor: loaded.regressor, format: formatName)
            let bytes: [UInt8]
            switch format {
            case .onnx: bytes = try ONNXModelWriter.bytes(ensemble, producerVersion: Trainer.plumbVersion)
            case .lightgbm: bytes = Array(try LightGBMModelWriter.text(ensemble).utf8)
            }
            do { try AtomicFile.write(bytes, to: out) } catch {
                throw ModelExportError(code: .io, message: "\(out): cannot write the \(formatName) model (\(error))")
            }
            let report = Report(source: uri, format: format.rawValue, kind: ensemble.kind, task: loaded.header.resolvedTask.rawValue,
                                features: ensemble.featureCount, trees: ensemble.trees.map(\.count).reduce(0, +),
                                bytes: bytes.count, out: out, sha256: SHA256.hex(bytes))
            if json {
                try printJSON(report)
            } else {
                print("exported \(report.kind) \(report.task) model \(uri) as \(formatName): \(report.trees) trees, \(report.features) features")
                print("wrote \(out) (\(bytes.count) bytes, sha256 \(report.sha256.prefix(12))…)")
            }
        }
    }
}
