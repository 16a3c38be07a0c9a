import ArgumentParser
import Foundation
import MLCore
import Pipeline
import Tabular

struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Batch-score a CSV with a model file.",
        discussion: """
            Applies the model's stored preprocessing, then scores every row. A target column in the input \
            is ignored; a missing feature column is an error naming it. The output CSV has one column, \
            `prediction` (with --keep-columns, the input columns first).

            Example:
              plumb predict --model models:/california@champion out/split/test.csv --out out/predictions.csv --json
            """
    )

    @Option(help: "Model file, or registry URI models:/NAME/VERSION or models:/NAME@ALIAS.")
    var model: String

    @Option(help: "Tracking store for registry URIs (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Argument(help: "CSV to score.")
    var input: String

    @Option(help: "Output CSV.")
    var out: String

    @Flag(help: "Copy the input columns into the output before the prediction.")
    var keepColumns = false

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let loaded = try ModelLocator.load(model, storePath: store ?? defaultStorePath()).model
            let clock = ContinuousClock()
            var t0 = clock.now
            let table = try csv.read(input)
            let readSeconds = (clock.now - t0).seconds
            t0 = clock.now
            let (predictions, unseen): ([Double], [String: Int])
            do { (predictions, unseen) = try loaded.predict(table) } catch let e as TabularError { throw e.naming(input) }
            let scoreSeconds = (clock.now - t0).seconds
            t0 = clock.now
            var output = keepColumns ? table : Table(columns: [], rowCount: table.rowCount)
            output.replace(Column(name: "prediction", data: .numeric(predictions)))
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try CSVWriter.write(output, to: out, delimiter: try csv.csvOptions().delimiter)
            let writeSeconds = (clock.now - t0).seconds
            for (col, n) in unseen.sorted(by: { $0.key < $1.key }) where n > 0 {
                printError("warning: \(n) row(s) of \"\(col)\" had a category unseen in training (encoded as all zeros)")
            }
            let rps = scoreSeconds > 0 ? Double(table.rowCount) / scoreSeconds : 0
            // When the input still holds the target (a test file), say how well the model did on
            // the rows whose target is known; the target never feeds the prediction.
            let target = loaded.header.target
            let scored: RegressionMetrics? = table.column(named: target)?.numericValues.flatMap { y in
                let known = y.indices.filter { y[$0].isFinite }
                return known.isEmpty ? nil : RegressionMetrics(predicted: known.map { predictions[$0] }, actual: known.map { y[$0] })
            }
            if json {
                struct Metrics: Encodable { let r2, rmse, mae: Double }
                struct Out: Encodable {
                    let rows: Int; let seconds, rows_per_second, read_seconds, write_seconds: Double; let out: String; let unseen_categories: [String: Int]
                    let metrics: Metrics?
                }
                try printJSON(Out(rows: table.rowCount, seconds: scoreSeconds, rows_per_second: rps, read_seconds: readSeconds, write_seconds: writeSeconds,
                                  out: out, unseen_categories: unseen, metrics: scored.map { Metrics(r2: $0.r2, rmse: $0.rmse, mae: $0.mae) }))
            } else {
                print("scored \(grouped(table.rowCount)) rows with \(loaded.header.kind) in \(scoreSeconds.fixed(4)) s (\(grouped(Int(rps))) rows/s) → \(out)")
                if let m = scored {
                    print("against \(target) in the input: R² \(m.r2.fixed(4)), RMSE \(m.rmse.fixed(4)), MAE \(m.mae.fixed(4))")
                }
            }
        }
    }
}
