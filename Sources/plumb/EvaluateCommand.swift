import ArgumentParser
import Foundation
import MLCore
import Pipeline
import Tabular

/// `plumb evaluate`: a model's metrics on labelled data, overall and per segment, with
/// bootstrap confidence intervals; fairness over a sensitive column for binary classifiers.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model on labelled data, overall and per segment, with bootstrap confidence intervals and fairness metrics.",
        discussion: """
            FILE holds the model's features and its true target. Every task metric is reported on all rows and, \
            with --segment-by, per segment (rows, metrics, 95 % bootstrap percentile intervals). A segment whose \
            main metric — RMSE for regression, log loss for classification, or --segment-metric — is worse than on \
            all rows by more than --segment-tolerance (relative) is flagged. --sensitive adds, for a binary \
            classifier, the demographic parity difference, the equalized odds difference and per-group \
            selection / true positive / false positive rates, as Fairlearn defines them (a group with no \
            positive row has true positive rate 0). --record stores the result with a registry version, where \
            promotion gates read it.

            Exit codes: 0 no segment flagged, 10 some segment flagged, 1 runtime failure, 64 usage error.

            Examples:
              plumb evaluate --model models:/california@champion data/housing.csv --segment-by ocean_proximity
              plumb evaluate --model models:/spam/3 test.csv --segment-by capitalTotal --bins 5 --json
              plumb evaluate --model models:/credit/2 test.csv --sensitive sex --record
            """
    )

    @Option(help: "Model file, or registry URI models:/NAME/VERSION or models:/NAME@ALIAS.")
    var model: String

    @Argument(help: "Labelled data: CSV, Parquet file or folder, or Arrow IPC file.")
    var file: String

    @OptionGroup var segments: SegmentOptions

    @Flag(help: "Store the evaluation with the registry version (needs a models:/ URI); promotion gates read it.")
    var record = false

    @Option(help: "Tracking store for registry URIs (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print a JSON object instead of the table.")
    var json = false

    func validate() throws {
        if record && !ModelLocator.isURI(model) { throw ValidationError("--record stores the evaluation with a registry version: give --model models:/NAME/VERSION") }
    }

    /// The JSON object: the model and data, then the evaluation's keys.
    struct Output: Encodable {
        var model: String
        var version: String
        var source: String
        var rows: Int
        var labelled: Int
        var evaluation: SegmentedEvaluation
        var recorded: Bool

        enum CodingKeys: String, CodingKey { case model, version, source, rows, labelled, recorded }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(version, forKey: .version)
            try c.encode(source, forKey: .source)
            try c.encode(rows, forKey: .rows)
            try c.encode(labelled, forKey: .labelled)
            try c.encode(recorded, forKey: .recorded)
            try evaluation.encode(to: encoder)
        }
    }

    func run() async throws {
        var flagged = false
        try await runReportingErrors {
            let storePath = store ?? defaultStorePath()
            let (table, located) = try concurrently({ try TableFile.read(file, csv: try csv.csvOptions()) },
                                                    { try ModelLocator.load(model, storePath: storePath) })
            let predictions: [Double]
            do { predictions = try located.model.predict(table).predictions } catch let e as TabularError { throw e.naming(file) }
            let (rows, scored) = try ModelEvaluation.scored(model: located.model, table: table, predictions: predictions, source: file)
            let evaluation = try ModelEvaluation.evaluate(model: located.model, table: table, rows: rows, scored: scored,
                                                          request: segments.request, source: file)
            if record, let v = located.registryVersion {
                try ModelEvaluation.record(evaluation, model: v.model, version: v.version, source: file, storePath: storePath)
            }
            flagged = !evaluation.flagged.isEmpty
            if json {
                try printJSON(Output(model: located.reference, version: located.version, source: file, rows: table.rowCount,
                                     labelled: rows.count, evaluation: evaluation, recorded: record))
            } else {
                print("\(located.reference) (v\(located.version)) on \(file): \(grouped(table.rowCount)) rows, \(grouped(rows.count)) with a known \(located.model.header.target)")
                print(evaluation.renderTable())
                if record { print("recorded with models:/\(located.name)/\(located.version)") }
            }
        }
        if flagged { throw ExitCode(10) }
    }
}
