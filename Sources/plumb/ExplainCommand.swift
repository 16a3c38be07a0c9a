import ArgumentParser
import Foundation
import MLCore
import Pipeline
import Tabular

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Exact SHAP contributions of every input feature to every row's score.",
        discussion: """
            Tree models (gbm, forest) get exact path-dependent TreeSHAP, linear, ridge and logistic models \
            exact linear SHAP (β·(x − training mean)). Contributions are of the model's raw score: the value \
            for a regression, the log-odds of the second class for a binary gbm or logistic model, the share \
            of the second class for a forest classifier, each class's softmax score for a multiclass model. \
            For every row, expected_value plus the contributions is that score.

            The output (--out; Parquet for a .parquet name, else CSV) has one column per input feature, named \
            as the feature (one-hot columns summed back into their feature), then expected_value. A multiclass \
            model gets one block per class: <feature>__<class> for every feature, then expected_value__<class>. \
            The mean |SHAP| of each feature over the rows (global importance) is printed at the end, and is \
            in --json as "importance".

            Example:
              plumb explain --model models:/california@champion out/split/test.csv --out out/shap.parquet
            """
    )

    @Option(help: "Model file, or registry URI models:/NAME/VERSION or models:/NAME@ALIAS.")
    var model: String

    @Option(help: "Tracking store for registry URIs (default: $PLUMB_STORE or .plumb/plumb.db).")
    var store: String?

    @Argument(help: "Data to explain: CSV, Parquet file or folder of part files, or Arrow IPC file.")
    var input: String

    @Option(help: "Per-row contributions: Parquet for a .parquet name, else CSV. Without it only the importance is shown.")
    var out: String?

    @Option(help: "Worker threads (rows are split between them).")
    var threads: Int = 2

    @OptionGroup var csv: CSVInputOptions

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() async throws {
        try await runReportingErrors {
            let loaded = try ModelLocator.load(model, storePath: store ?? defaultStorePath()).model
            guard let explainable = loaded.regressor as? any Explainable else {
                throw ExplanationError(code: .notExplainable, message: "\(model): model kind \(loaded.header.kind) has no SHAP explainer")
            }
            let features = loaded.header.inputFeatures
            let outputs = explainable.explainedOutputCount
            let outputNames = outputs == 1 ? [""] : (loaded.header.classes ?? (0..<outputs).map(String.init))
            let writer = try out.map { path in try makeWriter(path) }
            let clock = ContinuousClock()
            var seconds = 0.0, rows = 0, worstGap = 0.0
            var sumAbs = [Double](repeating: 0, count: outputs * features.count)
            var expected: [Double] = []
            var unseen: [String: Int] = [:]
            do {
                try TableFile.forEachChunk(input, csv: try inputOptions(loaded)) { table in
                    let t0 = clock.now
                    let c: Contributions
                    do {
                        let explained = try loaded.explain(table, threads: threads)
                        c = explained.contributions
                        unseen.merge(explained.unseenCategories, uniquingKeysWith: +)
                    } catch let e as TabularError {
                        throw e.naming(input)
                    } catch let e as ExplanationError {
                        throw ExplanationError(code: e.code, message: "\(model): \(e.message)", underlying: e)
                    }
                    seconds += (clock.now - t0).seconds
                    expected = c.expectedValue
                    // The promise checked on every row: E + Σφ is the model's raw score.
                    if let scores = try loaded.explainedScores(table, threads: threads) {
                        let totals = c.totals()
                        for m in scores.indices { worstGap = max(worstGap, abs(totals[m] - scores[m])) }
                    }
                    let meanAbs = c.meanAbsolute()
                    for m in sumAbs.indices { sumAbs[m] += meanAbs[m] * Double(c.rows) }
                    rows += c.rows
                    try writer?.append(contributionTable(c, features: features, outputNames: outputNames))
                }
                try writer?.finish()
            } catch {
                writer?.abandon()
                throw error
            }
            for (col, n) in unseen.sorted(by: { $0.key < $1.key }) where n > 0 {
                printError("warning: \(n) row(s) of \"\(col)\" had a category unseen in training (encoded as all zeros)")
            }
            let importance = sumAbs.map { rows > 0 ? $0 / Double(rows) : 0 }
            report(loaded, explainable, rows: rows, seconds: seconds, importance: importance, expected: expected,
                   outputNames: outputNames, worstGap: worstGap)
        }
    }

    func makeWriter(_ path: String) throws -> TableFileWriter {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TabularError(code: .io, message: "\(path): cannot create its folder \(folder) (\(error.localizedDescription))")
        }
        return try TableFileWriter(path: path, delimiter: try csv.csvOptions().delimiter)
    }

    /// The CSV options, with the model's input features read as the kinds it was trained on.
    func inputOptions(_ model: LoadedModel) throws -> CSVOptions {
        var options = try csv.csvOptions()
        for feature in model.header.preprocessor.inputFeatures where options.schema[feature.name] == nil {
            options.schema[feature.name] = feature.kind
        }
        return options
    }

    /// One column per feature and output, then the expected value, per output block.
    func contributionTable(_ c: Contributions, features: [String], outputNames: [String]) -> Table {
        var columns: [Column] = []
        for k in 0..<c.outputs {
            let suffix = c.outputs == 1 ? "" : "__\(outputNames[k])"
            for (j, name) in features.enumerated() {
                columns.append(Column(name: name + suffix, data: .numeric((0..<c.rows).map { c[$0, k, j] })))
            }
            columns.append(Column(name: "expected_value" + suffix, data: .numeric([Double](repeating: c.expectedValue[k], count: c.rows))))
        }
        return Table(columns: columns, rowCount: c.rows)
    }

    func report(_ loaded: LoadedModel, _ model: any Explainable, rows: Int, seconds: Double, importance: [Double], expected: [Double],
                outputNames: [String], worstGap: Double) {
        let features = loaded.header.inputFeatures, outputs = outputNames.count
        // Features by their mean |SHAP| summed over the outputs, largest first.
        let total = features.indices.map { j in (0..<outputs).reduce(0.0) { $0 + importance[$1 * features.count + j] } }
        let order = features.indices.sorted { total[$0] != total[$1] ? total[$0] > total[$1] : $0 < $1 }
        if json {
            struct Feature: Encodable {
                let feature: String
                let mean_abs_shap: Double
                let by_class: [String: Double]?
            }
            struct Out: Encodable {
                let rows: Int; let seconds, rows_per_second: Double; let out: String?; let kind, score: String
                let expected_value: [String: Double]; let importance: [Feature]; let additivity_error: Double
            }
            let byOutput = { (j: Int) -> [String: Double]? in
                outputs == 1 ? nil : Dictionary(uniqueKeysWithValues: outputNames.enumerated().map { ($1, importance[$0 * features.count + j]) })
            }
            let out = Out(rows: rows, seconds: seconds, rows_per_second: seconds > 0 ? Double(rows) / seconds : 0, out: self.out,
                          kind: loaded.header.kind, score: model.explainedScore,
                          expected_value: Dictionary(uniqueKeysWithValues: zip(outputs == 1 ? ["score"] : outputNames, expected)),
                          importance: order.map { Feature(feature: features[$0], mean_abs_shap: total[$0], by_class: byOutput($0)) },
                          additivity_error: worstGap)
            do { try printJSON(out) } catch { printError("error: \(error)") }
            return
        }
        let rps = seconds > 0 ? Int(Double(rows) / seconds) : 0
        print("explained \(grouped(rows)) rows with \(loaded.header.kind) in \(seconds.fixed(3)) s (\(grouped(rps)) rows/s)" + (out.map { " → \($0)" } ?? ""))
        let classes = loaded.header.classes ?? []
        let positive = outputs == 1 && classes.count == 2 ? " (class 1: \(classes[1]))" : ""
        print("score: \(model.explainedScore)\(positive); largest |expected + Σ contributions − score| over the rows: \(String(format: "%.2e", worstGap))")
        if outputs == 1 {
            print("expected value: \(expected.first.map { $0.fixed(6) } ?? "-")")
        } else {
            print("expected value: " + zip(outputNames, expected).map { "\($0) \($1.fixed(6))" }.joined(separator: ", "))
        }
        let width = max(7, features.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func padLeft(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        print("mean |SHAP| per feature (global importance):")
        if outputs == 1 {
            for j in order { print("  \(pad(features[j], width))  \(padLeft(total[j].fixed(6), 12))") }
        } else {
            let cols = outputNames.map { max(12, $0.count) }
            print("  \(pad("feature", width))  \(padLeft("total", 12))" + zip(outputNames, cols).map { "  " + padLeft($0, $1) }.joined())
            for j in order {
                let per = (0..<outputs).map { "  " + padLeft(importance[$0 * features.count + j].fixed(6), cols[$0]) }.joined()
                print("  \(pad(features[j], width))  \(padLeft(total[j].fixed(6), 12))" + per)
            }
        }
    }
}
