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
            is ignored for scoring; when present, the command also reports the model's metrics against it. \
            A missing feature column is an error naming it. The output CSV has one column, `prediction`, or \
            for a classifier `label` and one `prob_<class>` column per class (with --keep-columns, the input \
            columns first).

            Example:
              plumb predict --model models:/california@champion out/split/test.csv --out out/predictions.csv --json
            """
    )

    @Option(help: "Model file, or registry URI models:/NAME/VERSION or models:/NAME@ALIAS.")
    var model: String

    @Option(help: "Tracking store for registry URIs (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Argument(help: "Data to score: CSV, Parquet file or folder of part files, or Arrow IPC file.")
    var input: String

    @Option(help: "Output file: Parquet for a .parquet name, else CSV.")
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
            for column in outputColumns(loaded, predictions, rows: table.rowCount) { output.replace(column) }
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try TableFile.write(output, to: out, delimiter: try csv.csvOptions().delimiter)
            let writeSeconds = (clock.now - t0).seconds
            for (col, n) in unseen.sorted(by: { $0.key < $1.key }) where n > 0 {
                printError("warning: \(n) row(s) of \"\(col)\" had a category unseen in training (encoded as all zeros)")
            }
            let rps = scoreSeconds > 0 ? Double(table.rowCount) / scoreSeconds : 0
            // When the input still holds the target (a test file), say how well the model did on
            // the rows whose target is known; the target never feeds the prediction.
            let target = loaded.header.target
            let scored = try evaluation(loaded, predictions, target: table.column(named: target))
            if json {
                struct Out: Encodable {
                    let rows: Int; let seconds, rows_per_second, read_seconds, write_seconds: Double; let out: String; let unseen_categories: [String: Int]
                    let metrics: [String: Double]?; let confusion_matrix: [[Int]]?
                }
                try printJSON(Out(rows: table.rowCount, seconds: scoreSeconds, rows_per_second: rps, read_seconds: readSeconds, write_seconds: writeSeconds,
                                  out: out, unseen_categories: unseen, metrics: scored?.dictionary,
                                  confusion_matrix: scored?.classification?.confusionMatrix))
            } else {
                print("scored \(grouped(table.rowCount)) rows with \(loaded.header.kind) in \(scoreSeconds.fixed(4)) s (\(grouped(Int(rps))) rows/s) → \(out)")
                switch scored {
                case .regression(let m)?:
                    print("against \(target) in the input: R² \(m.r2.fixed(4)), RMSE \(m.rmse.fixed(4)), MAE \(m.mae.fixed(4))")
                case .classification(let m)?:
                    print("against \(target) in the input: accuracy \(m.accuracy.fixed(4)), F1 \(m.f1.fixed(4)), ROC AUC \(m.rocAUC.fixed(4)), log loss \(m.logLoss.fixed(4))")
                    print(TrainReport.confusionTable(m.confusionMatrix, classes: loaded.header.classes ?? []))
                case nil:
                    break
                }
            }
        }
    }

    /// `prediction`, or for a classifier `label` and `prob_<class>` per class.
    func outputColumns(_ model: LoadedModel, _ predictions: [Double], rows: Int) -> [Column] {
        guard let classes = model.header.classes else { return [Column(name: "prediction", data: .numeric(predictions))] }
        let k = classes.count
        let labels = Column(name: "label", data: .categorical(codes: model.classIndices(predictions).map(Int32.init), levels: classes))
        return [labels] + classes.enumerated().map { c, name in
            Column(name: "prob_\(name)", data: .numeric((0..<rows).map { predictions[$0 * k + c] }))
        }
    }

    /// The metrics against the target column, over the rows where it is known; nil without one.
    /// - Throws: a classifier's target holding a label the model does not know (rows named).
    func evaluation(_ model: LoadedModel, _ predictions: [Double], target column: Column?) throws -> Evaluation? {
        guard let column else { return nil }
        guard let classes = model.header.classes else {
            guard let y = column.numericValues else { return nil }
            let known = y.indices.filter { y[$0].isFinite }
            return known.isEmpty ? nil : .regression(RegressionMetrics(predicted: known.map { predictions[$0] }, actual: known.map { y[$0] }))
        }
        let known: [Int]
        switch column.data {
        case .categorical(let codes, _): known = codes.indices.filter { codes[$0] >= 0 }
        case .numeric(let v): known = v.indices.filter { v[$0].isFinite }
        }
        guard !known.isEmpty else { return nil }
        let labels = ClassLabels(labels: classes)
        let truth = try labels.indices(of: column.selecting(rows: known), target: model.header.target, source: input)
        let k = classes.count
        let probabilities = known.flatMap { predictions[($0 * k)..<(($0 + 1) * k)] }
        return .classification(try ClassificationMetrics(classes: truth.map(Int.init), probabilities: probabilities, classCount: k,
                                                          threshold: model.header.threshold ?? 0.5))
    }
}
