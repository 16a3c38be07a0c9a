import Foundation
import MLCore
import Tabular

/// Errors in what the user asked to train on: the message names the file and column or rows.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unknownTarget, nonNumericTarget, badTarget, noFeatures, unknownFeature, badArgument }
    public var code: Code
    public var message: String
    public var description: String { message }
}

/// One training job: data in, fitted and evaluated model out.
public struct TrainingRequest: Sendable {
    public var train: Table
    /// Held-out rows; when nil, `testFraction` of `train` is split off with `seed`.
    public var test: Table?
    public var testFraction: Double = 0.2
    public var seed: UInt64 = 42
    public var target: String
    /// Feature columns; nil means every column but the target and `exclude`.
    public var features: [String]?
    public var exclude: Set<String> = []
    public var preprocessing = PreprocessingOptions()
    public var model: ModelSpec
    /// Identity of the training file, recorded in the model header.
    public var trainingData: DatasetDigest?
    public var source: String = "training data"

    public init(train: Table, target: String, model: ModelSpec) {
        self.train = train
        self.target = target
        self.model = model
    }
}

public struct TrainingOutcome: Sendable {
    public var model: LoadedModel
    public var metrics: RegressionMetrics
    public var fitSeconds: Double
    public var trainRows: Int
    public var testRows: Int
    public var warnings: [String]
    public var extraMetrics: [String: Double]
    public var testPredictions: [Double]
    public var testActuals: [Double]
    /// The rows the model was fitted on and evaluated on (after any split).
    public var trainTable: Table
    public var testTable: Table
    public var featureNames: [String]
    public var trainHistory: [Double] = []
    public var validationHistory: [Double]? = nil
}

public enum Trainer {
    public static let plumbVersion = "0.1.0"

    /// The target column as numbers, rejecting missing, infinite or non-numeric values with
    /// the rows named (1-based data rows, as a spreadsheet shows them below the header).
    public static func targetValues(_ table: Table, target: String, source: String) throws -> [Double] {
        guard let column = table.column(named: target) else {
            throw TrainingError(code: .unknownTarget, message: "\(source): no target column \"\(target)\" (columns: \(table.columnNames.joined(separator: ", ")))")
        }
        guard let y = column.numericValues else {
            throw TrainingError(code: .nonNumericTarget, message: "\(source): target column \"\(target)\" is not numeric")
        }
        let bad = y.indices.filter { !y[$0].isFinite }
        if !bad.isEmpty {
            let shown = bad.prefix(5).map { String($0 + 1) }.joined(separator: ", ")
            let more = bad.count > 5 ? " and \(bad.count - 5) more" : ""
            throw TrainingError(code: .badTarget, message: "\(source): target \"\(target)\" is missing or not finite in \(bad.count) row(s): data rows \(shown)\(more)")
        }
        return y
    }

    /// The feature columns a request resolves to.
    public static func featureNames(_ request: TrainingRequest) throws -> [String] {
        let all = request.train.columnNames
        if let f = request.features {
            for name in f where !all.contains(name) {
                throw TrainingError(code: .unknownFeature, message: "\(request.source): no feature column \"\(name)\"")
            }
            if f.contains(request.target) {
                throw TrainingError(code: .badArgument, message: "the target \"\(request.target)\" cannot also be a feature")
            }
            return f
        }
        let names = all.filter { $0 != request.target && !request.exclude.contains($0) }
        guard !names.isEmpty else {
            throw TrainingError(code: .noFeatures, message: "\(request.source): no feature columns besides the target \"\(request.target)\"")
        }
        return names
    }

    /// Splits (when needed), fits the preprocessing on the training rows only, fits the model,
    /// and scores the held-out rows.
    public static func train(_ request: TrainingRequest, progress: ProgressHandler? = nil) throws -> TrainingOutcome {
        try request.model.validate()
        let features = try featureNames(request)
        var trainTable = request.train
        let testTable: Table
        if let t = request.test {
            testTable = t
        } else {
            let parts = try TrainTestSplit.split(rowCount: trainTable.rowCount, testFraction: request.testFraction, seed: request.seed)
            testTable = trainTable.selecting(rows: parts.test)
            trainTable = trainTable.selecting(rows: parts.train)
        }
        let yTrain = try targetValues(trainTable, target: request.target, source: request.source)
        let yTest = try targetValues(testTable, target: request.target, source: request.test == nil ? request.source : "test data")

        let pre = try Preprocessor.fit(trainTable, features: features, options: request.preprocessing)
        let columns = try pre.outputColumns(trainTable)
        let xTrain = FeatureColumns(rows: columns.rows, count: columns.count) { columns.column($0) }

        let clock = ContinuousClock()
        let start = clock.now
        let fit = try request.model.fit(xTrain, yTrain, progress: progress)
        let fitSeconds = (clock.now - start).seconds

        var header = ModelHeader(
            kind: fit.regressor.kindName, target: request.target, preprocessor: pre,
            hyperparameters: request.model.hyperparameters.merging(["seed": "\(request.seed)"]) { a, _ in a },
            trainingData: request.trainingData, metrics: [:], featureImportance: nil,
            plumbVersion: plumbVersion, warnings: fit.warnings)
        if let imp = fit.regressor.featureImportance {
            let total = imp.reduce(0, +)
            if total > 0 {
                header.featureImportance = Dictionary(uniqueKeysWithValues: zip(pre.outputNames, imp.map { $0 / total }))
            }
        }
        let model = LoadedModel(header: header, regressor: fit.regressor)
        let scored = try model.predict(testTable)
        let metrics = RegressionMetrics(predicted: scored.predictions, actual: yTest)
        var final = model
        final.header.metrics = metrics.dictionary.merging(fit.extraMetrics) { a, _ in a }
        return TrainingOutcome(model: final, metrics: metrics, fitSeconds: fitSeconds, trainRows: trainTable.rowCount,
                               testRows: testTable.rowCount, warnings: fit.warnings, extraMetrics: fit.extraMetrics,
                               testPredictions: scored.predictions, testActuals: yTest,
                               trainTable: trainTable, testTable: testTable, featureNames: features,
                               trainHistory: fit.trainHistory, validationHistory: fit.validationHistory)
    }
}

extension Duration {
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

extension Trainer {
    /// k-fold cross-validated R² on the training rows of `request` (its test data is not used):
    /// each fold fits the preprocessing and the model on the other folds only.
    public static func crossValidate(_ request: TrainingRequest, folds k: Int) throws -> CrossValidationScore {
        var table = request.train
        if request.test == nil {
            let parts = try TrainTestSplit.split(rowCount: table.rowCount, testFraction: request.testFraction, seed: request.seed)
            table = table.selecting(rows: parts.train)
        }
        let kf = try KFold(rows: table.rowCount, k: k, seed: request.seed)
        var scores: [Double] = []
        for fold in kf.folds {
            var r = request
            r.train = table.selecting(rows: fold.train)
            r.test = table.selecting(rows: fold.test)
            scores.append(try train(r).metrics.r2)
        }
        return CrossValidationScore(scores: scores)
    }
}
