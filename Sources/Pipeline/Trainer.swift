import Foundation
import MLCore
import Tabular

/// Errors in what the user asked to train on: the message names the file and column or rows.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case unknownTarget, nonNumericTarget, badTarget, noFeatures, unknownFeature, badArgument }
    public var code: Code
    public var message: String
    public var description: String { message }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
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
    /// Regression or classification; nil: inferred from the target (see `TaskInference`).
    public var task: ModelTask?
    /// Classification: weight each class's rows by n / (K · n_k) (`balanced`), or not.
    public var balancedClassWeights = false
    /// Binary classification: the decision threshold, or nil to choose the one with the best F1
    /// on held-out training rows.
    public var threshold: Double? = 0.5

    public init(train: Table, target: String, model: ModelSpec) {
        self.train = train
        self.target = target
        self.model = model
    }
}

/// A fitted model's scores on the held-out rows.
public enum Evaluation: Sendable {
    case regression(RegressionMetrics)
    case classification(ClassificationMetrics)

    /// Metric name → value, the form the tracking store logs.
    public var dictionary: [String: Double] {
        switch self {
        case .regression(let m): m.dictionary
        case .classification(let m): m.dictionary
        }
    }

    public var regression: RegressionMetrics? { if case .regression(let m) = self { m } else { nil } }
    public var classification: ClassificationMetrics? { if case .classification(let m) = self { m } else { nil } }

    /// What ranks models of one task, higher is better: R², or the negated log loss.
    public var rankingScore: Double {
        switch self {
        case .regression(let m): m.r2
        case .classification(let m): -m.logLoss
        }
    }
}

public struct TrainingOutcome: Sendable {
    public var model: LoadedModel
    public var evaluation: Evaluation
    public var fitSeconds: Double
    public var trainRows: Int
    public var testRows: Int
    public var warnings: [String]
    public var extraMetrics: [String: Double]
    /// The model's outputs on the test rows: values, or rows × classes probabilities.
    public var testPredictions: [Double]
    /// The test targets: values, or class indices.
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
        // Before any split, so that rows are named as the file numbers them.
        try checkTargetPresent(request.train, target: request.target, source: request.source)
        let (trainTable, testTable) = try split(request)
        let target = try TargetPlan(request, train: trainTable, test: testTable)
        guard request.model.fits(target.task) else {
            throw TrainingError(code: .badArgument, message: "\(request.model.kind) does not fit a \(target.task.rawValue) target \"\(request.target)\" (regression: linear, ridge, gbm, forest; binary: logistic, gbm, forest; multiclass: logistic, gbm, forest)")
        }
        let pre = try Preprocessor.fit(trainTable, features: features, options: request.preprocessing)
        let clock = ContinuousClock()
        let start = clock.now
        var (fit, threshold) = try fitModel(request, target: target, train: trainTable, preprocessor: pre, progress: progress)
        let fitSeconds = (clock.now - start).seconds
        if let w = target.warning { fit.warnings.insert(w, at: 0) }
        let model = assemble(fit, threshold: threshold, target: target, preprocessor: pre, request: request)
        let scored = try model.predict(testTable)
        let evaluation = try target.evaluate(scored.predictions, model: model)
        return outcome(model, evaluation: evaluation, fit: fit, fitSeconds: fitSeconds, rows: (trainTable.rowCount, testTable.rowCount),
                       testPredictions: scored.predictions, testActuals: target.testActuals,
                       tables: (trainTable, testTable), features: features)
    }

    /// The model a fit makes: its header (kind, preprocessing, hyperparameters with the seed,
    /// training data, classes and threshold, normalised feature importance) and regressor.
    static func assemble(_ fit: FitResult, threshold: Double?, target: TargetPlan, preprocessor pre: Preprocessor,
                         request: TrainingRequest) -> LoadedModel {
        var header = ModelHeader(
            kind: fit.regressor.kindName, target: request.target, preprocessor: pre,
            hyperparameters: request.model.hyperparameters.merging(["seed": "\(request.seed)"]) { a, _ in a },
            trainingData: request.trainingData, metrics: [:], featureImportance: nil,
            plumbVersion: plumbVersion, warnings: fit.warnings)
        if target.task.isClassification {
            header.task = target.task
            header.classes = target.classes?.labels
            header.threshold = target.task == .binary ? threshold : nil
        }
        if let imp = fit.regressor.featureImportance {
            let total = imp.reduce(0, +)
            if total > 0 {
                header.featureImportance = Dictionary(uniqueKeysWithValues: zip(pre.outputNames, imp.map { $0 / total }))
            }
        }
        return LoadedModel(header: header, regressor: fit.regressor)
    }

    /// The outcome of a training job, the test metrics and the fit's extra figures in the header.
    static func outcome(_ model: LoadedModel, evaluation: Evaluation, fit: FitResult, fitSeconds: Double, rows: (train: Int, test: Int),
                        testPredictions: [Double], testActuals: [Double], tables: (train: Table, test: Table),
                        features: [String]) -> TrainingOutcome {
        var final = model
        // An undefined metric (NaN, e.g. ROC AUC when the test rows hold one class) is left out: JSON has no NaN.
        final.header.metrics = evaluation.dictionary.merging(fit.extraMetrics) { a, _ in a }.filter { $0.value.isFinite }
        return TrainingOutcome(model: final, evaluation: evaluation, fitSeconds: fitSeconds, trainRows: rows.train,
                               testRows: rows.test, warnings: fit.warnings, extraMetrics: fit.extraMetrics,
                               testPredictions: testPredictions, testActuals: testActuals,
                               trainTable: tables.train, testTable: tables.test, featureNames: features,
                               trainHistory: fit.trainHistory, validationHistory: fit.validationHistory)
    }

    /// Rejects a target with missing values (or, numeric, infinite ones), naming the rows.
    private static func checkTargetPresent(_ table: Table, target: String, source: String) throws {
        guard let column = table.column(named: target) else { return }   // reported with the task
        try checkTargetPresent(column, target: target, source: source)
    }

    /// The same for the target column itself.
    static func checkTargetPresent(_ column: Column, target: String, source: String) throws {
        let bad: [Int]
        switch column.data {
        case .numeric(let v): bad = v.indices.filter { !v[$0].isFinite }
        case .categorical(let codes, _): bad = codes.indices.filter { codes[$0] < 0 }
        }
        guard !bad.isEmpty else { return }
        let shown = bad.prefix(5).map { String($0 + 1) }.joined(separator: ", ")
        let more = bad.count > 5 ? " and \(bad.count - 5) more" : ""
        throw TrainingError(code: .badTarget, message: "\(source): target \"\(target)\" is missing or not finite in \(bad.count) row(s): data rows \(shown)\(more)")
    }

    /// The training and test rows: the test file, or a seeded split of the training rows.
    private static func split(_ request: TrainingRequest) throws -> (train: Table, test: Table) {
        if let t = request.test { return (request.train, t) }
        let parts = try TrainTestSplit.split(rowCount: request.train.rowCount, testFraction: request.testFraction, seed: request.seed)
        return (request.train.selecting(rows: parts.train), request.train.selecting(rows: parts.test))
    }

    /// Fits the model on the preprocessed training columns; for a binary classifier whose
    /// threshold is to be chosen, first on most of the training rows to pick the threshold with
    /// the best F1 on the rest, then on all of them.
    /// - Returns: the fit and the binary decision threshold (nil otherwise).
    private static func fitModel(_ request: TrainingRequest, target: TargetPlan, train: Table, preprocessor pre: Preprocessor,
                                 progress: ProgressHandler?) throws -> (FitResult, Double?) {
        let columns = try pre.outputColumns(train)
        let x = FeatureColumns(rows: columns.rows, count: columns.count) { columns.column($0) }
        guard let classes = target.trainClasses, let labels = target.classes else {
            return (try request.model.fit(x, target.trainValues, progress: progress), nil)
        }
        let weights = request.balancedClassWeights ? balancedWeights(classes, classCount: labels.count) : []
        var threshold = request.threshold
        if target.task == .binary && threshold == nil {
            let parts = try TrainTestSplit.split(rowCount: train.rowCount, testFraction: 0.2, seed: request.seed &+ 0x7E5)
            let held = try pre.transform(train.selecting(rows: parts.test))
            let probe = try request.model.fitClassifier(x.selecting(rows: parts.train), classes: parts.train.map { classes[$0] },
                                                        classCount: 2, classWeights: weights)
            let probabilities = probe.regressor.predict(FeatureMatrix(rows: held.rows, columns: held.columns, values: held.values))
            threshold = try ClassificationMetrics.bestF1Threshold(classes: parts.test.map { Int(classes[$0]) }, probabilities: probabilities)
        }
        let fit = try request.model.fitClassifier(x, classes: classes, classCount: labels.count, classWeights: weights, progress: progress)
        return (fit, target.task == .binary ? threshold : nil)
    }

    /// n / (K · n_k) for each class k.
    static func balancedWeights(_ classes: [Int32], classCount k: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: k)
        for c in classes { counts[Int(c)] += 1 }
        return counts.map { $0 == 0 ? 1 : Double(classes.count) / (Double(k) * Double($0)) }
    }
}

extension Trainer {
    /// `model`'s metrics on `table`'s target column: regression metrics, or for a classifier its
    /// classification metrics over the class labels it knows.
    /// - Returns: the metrics, the model's outputs, and the targets as numbers (values, or class indices).
    /// - Throws: a missing target, or a label the model does not know (rows named, as in `source`).
    public static func evaluate(_ model: LoadedModel, on table: Table, target: String, source: String) throws
        -> (evaluation: Evaluation, predictions: [Double], actuals: [Double]) {
        let predictions = try model.predict(table).predictions
        guard let classes = model.header.classes else {
            let y = try targetValues(table, target: target, source: source)
            return (.regression(RegressionMetrics(predicted: predictions, actual: y)), predictions, y)
        }
        guard let column = table.column(named: target) else {
            throw TrainingError(code: .unknownTarget, message: "\(source): no target column \"\(target)\"")
        }
        let truth = try ClassLabels(labels: classes).indices(of: column, target: target, source: source)
        let metrics = try ClassificationMetrics(classes: truth.map(Int.init), probabilities: predictions, classCount: classes.count,
                                                threshold: model.header.threshold ?? 0.5)
        return (.classification(metrics), predictions, truth.map(Double.init))
    }
}

/// The target of one training job: its task, and the training and test targets in the form the
/// task needs (numbers, or class indices with the class labels).
struct TargetPlan {
    let task: ModelTask
    let classes: ClassLabels?
    let trainValues: [Double]
    let trainClasses: [Int32]?
    let testValues: [Double]
    let testClasses: [Int32]?
    /// Why the task was inferred as it was, when the user may want another.
    let warning: String?

    init(_ request: TrainingRequest, train: Table, test: Table) throws {
        guard let column = train.column(named: request.target) else {
            throw TrainingError(code: .unknownTarget, message: "\(request.source): no target column \"\(request.target)\" (columns: \(train.columnNames.joined(separator: ", ")))")
        }
        let testSource = request.test == nil ? request.source : "test data"
        let inferred = TaskInference.infer(column, target: request.target)
        task = request.task ?? inferred.task
        warning = request.task == nil ? inferred.warning : nil
        guard task.isClassification else {
            classes = nil; trainClasses = nil; testClasses = nil
            trainValues = try Trainer.targetValues(train, target: request.target, source: request.source)
            testValues = try Trainer.targetValues(test, target: request.target, source: testSource)
            return
        }
        let labels = try ClassLabels.of(column, target: request.target, source: request.source)
        if task == .binary && labels.count != 2 {
            throw TrainingError(code: .badTarget, message: "\(request.source): --task binary, but target \"\(request.target)\" has \(labels.count) classes (\(labels.labels.prefix(5).joined(separator: ", "))\(labels.count > 5 ? ", …" : "")); use --task multiclass")
        }
        guard let testColumn = test.column(named: request.target) else {
            throw TrainingError(code: .unknownTarget, message: "\(testSource): no target column \"\(request.target)\"")
        }
        classes = labels
        trainClasses = try labels.indices(of: column, target: request.target, source: request.source)
        testClasses = try labels.indices(of: testColumn, target: request.target, source: testSource)
        trainValues = []
        testValues = []
    }

    init(task: ModelTask, classes: ClassLabels?, trainValues: [Double], trainClasses: [Int32]?, testValues: [Double],
         testClasses: [Int32]?, warning: String?) {
        self.task = task
        self.classes = classes
        self.trainValues = trainValues
        self.trainClasses = trainClasses
        self.testValues = testValues
        self.testClasses = testClasses
        self.warning = warning
    }

    /// The test targets as numbers: values, or class indices.
    var testActuals: [Double] { testClasses.map { $0.map(Double.init) } ?? testValues }

    /// The metrics of `predictions` (the model's outputs on the test rows).
    func evaluate(_ predictions: [Double], model: LoadedModel) throws -> Evaluation {
        guard let testClasses, let classes else { return .regression(RegressionMetrics(predicted: predictions, actual: testValues)) }
        return .classification(try ClassificationMetrics(classes: testClasses.map(Int.init), probabilities: predictions,
                                                          classCount: classes.count, threshold: model.header.threshold ?? 0.5))
    }
}

extension Duration {
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

extension Trainer {
    /// k-fold cross-validation on the training rows of `request` (its test data is not used):
    /// each fold fits the preprocessing and the model on the other folds only, and is scored on
    /// its own rows with the task's metrics.
    /// - Returns: per metric the fold scores (mean and population std), for the metrics every fold
    ///   reports as a finite number (ROC AUC of a fold holding one class is left out, for one).
    public static func crossValidate(_ request: TrainingRequest, folds k: Int) throws -> [String: CrossValidationScore] {
        var table = request.train
        if request.test == nil {
            let parts = try TrainTestSplit.split(rowCount: table.rowCount, testFraction: request.testFraction, seed: request.seed)
            table = table.selecting(rows: parts.train)
        }
        let kf = try KFold(rows: table.rowCount, k: k, seed: request.seed)
        var folds: [[String: Double]] = []
        for fold in kf.folds {
            var r = request
            r.train = table.selecting(rows: fold.train)
            r.test = table.selecting(rows: fold.test)
            folds.append(try train(r).evaluation.dictionary)
        }
        var scores: [String: CrossValidationScore] = [:]
        for key in folds.first?.keys ?? [:].keys {
            let values = folds.compactMap { $0[key] }.filter(\.isFinite)
            if values.count == folds.count { scores[key] = CrossValidationScore(scores: values) }
        }
        return scores
    }
}
