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

    @Flag(help: "No progress bar (it shows on a terminal for a Parquet input, whose row count is known).")
    var quiet = false

    func run() async throws {
        try await runReportingErrors {
            let loaded = try ModelLocator.load(model, storePath: store ?? defaultStorePath()).model
            let clock = ContinuousClock()
            let started = clock.now
            let delimiter = try csv.csvOptions().delimiter
            let outFolder = URL(fileURLWithPath: out).deletingLastPathComponent().path
            do { try FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true) } catch {
                throw TabularError(code: .io, message: "\(out): cannot create its folder \(outFolder) (\(error.localizedDescription))")
            }
            let writer = try TableFileWriter(path: out, delimiter: delimiter)
            var rows = 0, scoreSeconds = 0.0, writeSeconds = 0.0
            var unseen: [String: Int] = [:]
            var truth = TargetCollector(model: loaded, source: input)
            let totalRows = TableFile.knownRowCount(input)
            let bar = ProgressBar(label: "scoring", enabled: !quiet && !json && totalRows != nil && ProgressBar.stderrIsTerminal)
            defer { bar.finish() }
            do {
                // A Parquet input arrives a row group at a time (the next read while this one is
                // scored and written), so memory holds a few row groups whatever the file's size.
                try TableFile.forEachChunk(input, csv: try inputOptions(loaded)) { table in
                    var t0 = clock.now
                    let (predictions, chunkUnseen): ([Double], [String: Int])
                    do { (predictions, chunkUnseen) = try loaded.predict(table) } catch let e as TabularError { throw e.naming(input) }
                    scoreSeconds += (clock.now - t0).seconds
                    unseen.merge(chunkUnseen, uniquingKeysWith: +)
                    try truth.add(table.column(named: loaded.header.target), predictions)
                    t0 = clock.now
                    var output = keepColumns ? table : Table(columns: [], rowCount: table.rowCount)
                    for column in outputColumns(loaded, predictions, rows: table.rowCount) { output.replace(column) }
                    try writer.append(output)
                    writeSeconds += (clock.now - t0).seconds
                    rows += table.rowCount
                    bar.handler?(rows, totalRows ?? rows, .nan, nil)
                }
                try writer.finish()
            } catch {
                writer.abandon()
                throw error
            }
            bar.finish()
            let readSeconds = max(0, (clock.now - started).seconds - scoreSeconds - writeSeconds)
            for (col, n) in unseen.sorted(by: { $0.key < $1.key }) where n > 0 {
                printError("warning: \(n) row(s) of \"\(col)\" had a category unseen in training (encoded as all zeros)")
            }
            let rps = scoreSeconds > 0 ? Double(rows) / scoreSeconds : 0
            // When the input still holds the target (a test file), say how well the model did on
            // the rows whose target is known; the target never feeds the prediction.
            let target = loaded.header.target
            let scored = try truth.evaluation()
            if json {
                struct Out: Encodable {
                    let rows: Int; let seconds, rows_per_second, read_seconds, write_seconds: Double; let out: String; let unseen_categories: [String: Int]
                    let metrics: NumberMap?; let confusion_matrix: [[Int]]?
                }
                try printJSON(Out(rows: rows, seconds: scoreSeconds, rows_per_second: rps, read_seconds: readSeconds, write_seconds: writeSeconds,
                                  out: out, unseen_categories: unseen, metrics: scored.map { NumberMap($0.dictionary) },
                                  confusion_matrix: scored?.classification?.confusionMatrix))
            } else {
                print("scored \(grouped(rows)) rows with \(loaded.header.kind) in \(scoreSeconds.fixed(4)) s (\(grouped(Int(rps))) rows/s) → \(out)")
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

    /// The CSV options, with the model's input features read as the kinds it was trained on
    /// unless `--schema` says otherwise (so a large CSV read in blocks types each block alike).
    func inputOptions(_ model: LoadedModel) throws -> CSVOptions {
        var options = try csv.csvOptions()
        for feature in model.header.preprocessor.inputFeatures where options.schema[feature.name] == nil {
            options.schema[feature.name] = feature.kind
        }
        return options
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
}

/// The target values the input holds (chunk by chunk) and the predictions of those rows, for the
/// metrics against them: only rows whose target is known are kept.
struct TargetCollector {
    let model: LoadedModel
    /// The input file, named in errors.
    let source: String
    /// A regression's error sums, chunk by chunk (no row kept).
    private var regression = RegressionMetrics.Accumulator()
    /// A classifier's labelled rows: their class and probabilities (ROC AUC needs every score).
    private var classes: [Int] = []
    private var probabilities: [Double] = []
    /// Rows of the input before the current chunk (for row numbers in errors).
    private var rowsSeen = 0

    init(model: LoadedModel, source: String) {
        self.model = model
        self.source = source
    }

    /// Keeps the rows of `column` (the chunk's target, nil when the input has none) whose value is
    /// known, with their predictions.
    /// - Throws: a classifier's target holding a label the model does not know (its row named).
    mutating func add(_ column: Column?, _ predictions: [Double]) throws {
        guard let column else { return }
        guard let names = model.header.classes else {
            guard let y = column.numericValues else { return }
            let known = y.indices.filter { y[$0].isFinite }
            regression.add(predicted: known.map { predictions[$0] }, actual: known.map { y[$0] })
            rowsSeen += y.count
            return
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let k = names.count
        defer { rowsSeen += column.data.count }
        for i in 0..<column.data.count {
            let text: String
            switch column.data {
            case .categorical(let codes, let levels):
                guard codes[i] >= 0 else { continue }
                text = levels[Int(codes[i])]
            case .numeric(let v):
                guard v[i].isFinite else { continue }
                text = ClassLabels.label(of: v[i])
            }
            guard let c = index[text] else {
                throw TrainingError(code: .badTarget, message: "\(source): data row \(rowsSeen + i + 1): \(model.header.target) \"\(text)\" is not a class the model knows (classes: \(names.joined(separator: ", ")))")
            }
            classes.append(c)
            probabilities += predictions[(i * k)..<((i + 1) * k)]
        }
    }

    /// The metrics over the kept rows; nil when no row had a known target.
    func evaluation() throws -> Evaluation? {
        if let names = model.header.classes {
            guard !classes.isEmpty else { return nil }
            return .classification(try ClassificationMetrics(classes: classes, probabilities: probabilities, classCount: names.count,
                                                              threshold: model.header.threshold ?? 0.5))
        }
        return regression.metrics.map { .regression($0) }
    }
}
