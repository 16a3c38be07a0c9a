import BenchSupport
import Foundation
import MLCore
import Tabular
import TreeModels

// Fallbacks for the tree scenarios when the CLI (`plumb train` / `plumb predict`) cannot run
// them: fit on the training CSV, R² on the test CSV, and optionally batch-score a third CSV.
// CSV reading is outside the timed work, as in `plumb train`'s fit_seconds.

/// Numeric features (every column but `target`, in file order) and the target of a table.
func featuresAndTarget(_ table: Table, target: String?, file: String) throws -> (x: FeatureMatrix, y: [Double]?) {
    var columns: [[Double]] = []
    var y: [Double]? = nil
    for c in table.columns {
        guard let v = c.numericValues else { throw BenchUsageError("\(file): column \"\(c.name)\" is not numeric") }
        if c.name == target { y = v } else { columns.append(v) }
    }
    if let target, y == nil { throw BenchUsageError("\(file): no target column \"\(target)\"") }
    return (FeatureMatrix(columns: columns), y)
}

/// R² of predictions against targets.
func r2(_ y: [Double], _ p: [Double]) -> Double {
    let mean = y.reduce(0, +) / Double(max(1, y.count))
    var ssr = 0.0, sst = 0.0
    for i in y.indices {
        ssr += (y[i] - p[i]) * (y[i] - p[i])
        sst += (y[i] - mean) * (y[i] - mean)
    }
    return sst > 0 ? 1 - ssr / sst : 0
}

/// Shared driver: read the files, time `fit`, evaluate, optionally time scoring of --score.
private func treeScenario(_ o: BenchOptions, fit: (FeatureMatrix, [Double]) throws -> any Regressor) throws -> [String: JSONValue] {
    let trainPath = try o.string("train"), testPath = try o.string("test"), target = try o.string("target")
    let scorePath = o.optionalString("score")
    let repeats = try o.int("repeats", default: 1)
    let (x, yOpt) = try featuresAndTarget(try CSVReader.read(path: trainPath), target: target, file: trainPath)
    let (xt, ytOpt) = try featuresAndTarget(try CSVReader.read(path: testPath), target: target, file: testPath)
    guard let y = yOpt, let yt = ytOpt else { throw BenchUsageError("no target column \"\(target)\"") }
    let (fitSeconds, model) = try BenchTimer.best(of: repeats) { try fit(x, y) }
    var out: [String: JSONValue] = ["seconds": .number(fitSeconds), "fit_seconds": .number(fitSeconds),
                                    "r2": .number(r2(yt, model.predict(xt))), "train_rows": .int(x.rows),
                                    "test_rows": .int(xt.rows)]
    if let scorePath {
        let table = try CSVReader.read(path: scorePath)
        let (xs, _) = try featuresAndTarget(table.dropping([target]), target: nil, file: scorePath)
        var buffer = [Double](repeating: 0, count: xs.rows)
        let (s, _) = BenchTimer.best(of: try o.int("score-repeats", default: 3)) {
            buffer.withUnsafeMutableBufferPointer { model.predict(xs, into: $0) }
        }
        out["score_rows"] = .int(xs.rows)
        out["score_seconds"] = .number(s)
        out["rows_per_second"] = .number(Double(xs.rows) / s)
    }
    return out
}

/// gbm: `--train F --test F --target COL --rounds N --learning-rate X --max-leaves N [--score F]`.
func gbmScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    var p = GBMParameters()
    p.rounds = try o.int("rounds", default: 100)
    p.learningRate = Double(o.optionalString("learning-rate") ?? "0.1") ?? 0.1
    p.maxLeaves = try o.int("max-leaves", default: 31)
    p.seed = 42
    return try treeScenario(o) { x, y in try GradientBoostedTrees.fit(x, y, parameters: p).model }
}

/// forest: `--train F --test F --target COL --trees N --max-depth N --min-split N [--score F]`.
func forestScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    var p = ForestParameters()
    p.trees = try o.int("trees", default: 100)
    p.maxDepth = try o.int("max-depth", default: 15)
    p.minSamplesSplit = try o.int("min-split", default: 2)
    p.seed = 42
    return try treeScenario(o) { x, y in try RandomForest.fit(x, y, parameters: p).model }
}
