import MLCore
import LinearModels
import TreeModels

/// Which model to fit and with what hyperparameters.
public enum ModelSpec: Sendable {
    case linear
    case ridge(alpha: Double)
    case gbm(GBMParameters)
    case forest(ForestParameters)
    /// L2-penalised logistic regression (classification only); alpha nil = 1/n (scikit-learn's
    /// default C = 1).
    case logistic(alpha: Double?)

    public var kind: String {
        switch self {
        case .linear: "linear"
        case .ridge: "ridge"
        case .gbm: "gbm"
        case .forest: "forest"
        case .logistic: "logistic"
        }
    }

    /// Whether the kind fits regression targets, classes, or both.
    public func fits(_ task: ModelTask) -> Bool {
        switch self {
        case .linear, .ridge: !task.isClassification
        case .logistic: task.isClassification
        case .gbm: true
        case .forest: true
        }
    }

    /// Hyperparameters as strings, as stored in the model header and logged as run params.
    public var hyperparameters: [String: String] {
        switch self {
        case .linear:
            return ["model": "linear"]
        case .ridge(let a):
            return ["model": "ridge", "alpha": "\(a)"]
        case .gbm(let p):
            var h = ["model": "gbm", "rounds": "\(p.rounds)", "learning_rate": "\(p.learningRate)", "max_leaves": "\(p.maxLeaves)",
                     "min_leaf": "\(p.minDataInLeaf)", "l2": "\(p.lambdaL2)", "max_bins": "\(p.maxBins)", "subsample": "\(p.subsample)",
                     "feature_fraction": "\(p.featureFraction)", "loss": p.loss.name, "seed": "\(p.seed)"]
            if let d = p.maxDepth { h["max_depth"] = "\(d)" }
            if let e = p.earlyStoppingRounds { h["early_stopping"] = "\(e)" }
            switch p.loss {
            case .huber(let d): h["huber_delta"] = "\(d)"
            case .quantile(let a): h["quantile_alpha"] = "\(a)"
            default: break
            }
            if !p.classWeights.isEmpty { h["class_weight"] = p.classWeights.map { "\($0)" }.joined(separator: ",") }
            return h
        case .forest(let p):
            var h = ["model": "forest", "trees": "\(p.trees)", "min_leaf": "\(p.minSamplesLeaf)", "min_split": "\(p.minSamplesSplit)",
                     "max_bins": "\(p.maxBins)", "seed": "\(p.seed)"]
            if let d = p.maxDepth { h["max_depth"] = "\(d)" }
            switch p.featureSampling {
            case .automatic: h["feature_fraction"] = "auto"
            case .all: h["feature_fraction"] = "1.0"
            case .sqrt: h["feature_fraction"] = "sqrt"
            case .third: h["feature_fraction"] = "third"
            case .fraction(let f): h["feature_fraction"] = "\(f)"
            }
            return h
        case .logistic(let a):
            return ["model": "logistic", "alpha": a.map { "\($0)" } ?? "1/n"]
        }
    }

    /// Every model kind this build can read back from a model file.
    public static var kinds: ModelKinds {
        var k = ModelKinds()
        k.register(LinearRegression.self)
        k.register(RidgeRegression.self)
        k.register(GradientBoostedTrees.self)
        k.register(RandomForest.self)
        k.register(LogisticRegression.self)
        return k
    }

    /// Rejects out-of-range hyperparameters before any data is read.
    public func validate() throws {
        switch self {
        case .linear: break
        case .ridge(let a):
            guard a >= 0, a.isFinite else { throw TrainingError(code: .badArgument, message: "ridge alpha must be ≥ 0, got \(a)") }
        case .gbm(let p): try p.validate()
        case .forest(let p): try p.validate()
        case .logistic(let a):
            if let a { guard a >= 0, a.isFinite else { throw TrainingError(code: .badArgument, message: "logistic alpha must be ≥ 0, got \(a)") } }
        }
    }
}

/// What one fit produced besides the regressor.
public struct FitResult: Sendable {
    public var regressor: any Regressor
    public var warnings: [String] = []
    /// Extra figures worth logging (out-of-bag R², best iteration, …).
    public var extraMetrics: [String: Double] = [:]
    /// Per-round training (and validation) loss, for boosting.
    public var trainHistory: [Double] = []
    public var validationHistory: [Double]? = nil
}

extension FitResult {
    /// A boosted fit with its best iteration, tree count and last training loss
    /// (`train_log_loss` for a classifier, `train_loss` otherwise) as extra figures.
    init(gbm r: GBMFitResult) {
        var extra = ["best_iteration": Double(r.bestIteration), "trees": Double(r.model.treeCount)]
        if let last = r.trainMetric.last { extra[r.model.classCount > 0 ? "train_log_loss" : "train_loss"] = last }
        self.init(regressor: r.model, warnings: r.warnings, extraMetrics: extra, trainHistory: r.trainMetric, validationHistory: r.validMetric)
    }
}

/// Called after each boosting round or forest tree: (step, total, training metric, validation metric).
public typealias ProgressHandler = @Sendable (_ step: Int, _ total: Int, _ metric: Double, _ validation: Double?) -> Void

extension ModelSpec {
    /// Fits the model on a preprocessed design matrix.
    public func fit(_ x: FeatureMatrix, _ y: [Double], progress: ProgressHandler? = nil) throws -> FitResult {
        try fit(FeatureColumns(x), y, progress: progress)
    }

    /// Fits the model on preprocessed columns handed over one at a time: tree models bin each as
    /// it comes (the Float64 matrix never exists); linear models gather them into a matrix.
    public func fit(_ x: FeatureColumns, _ y: [Double], progress: ProgressHandler? = nil) throws -> FitResult {
        switch self {
        case .linear:
            return FitResult(regressor: try LinearRegression.fit(x.materialized(), y))
        case .ridge(let alpha):
            return FitResult(regressor: try RidgeRegression.fit(x.materialized(), y, alpha: alpha))
        case .gbm(let p):
            return FitResult(gbm: try GradientBoostedTrees.fit(x, y, parameters: p, progress: progress.map { cb in { cb($0, $1, $2, $3) } }))
        case .forest(let p):
            let r = try RandomForest.fit(x, y, parameters: p, progress: progress.map { cb in { cb($0, $1, $2, $3) } })
            var extra = ["trees": Double(r.model.treeCount)]
            if let oob = r.oobR2 { extra["oob_r2"] = oob }
            return FitResult(regressor: r.model, warnings: r.warnings, extraMetrics: extra)
        case .logistic:
            throw TrainingError(code: .badArgument, message: "logistic regression fits classes, not a numeric target (use --task binary or multiclass)")
        }
    }

    /// Fits a classifier of `classCount` classes on preprocessed columns; `classWeights` (one
    /// per class, or empty) weight each class's rows.
    public func fitClassifier(_ x: FeatureColumns, classes: [Int32], classCount: Int, classWeights: [Double],
                              progress: ProgressHandler? = nil) throws -> FitResult {
        switch self {
        case .linear, .ridge:
            throw TrainingError(code: .badArgument, message: "\(kind) fits a numeric target; for classes use logistic, gbm or forest")
        case .logistic(let alpha):
            guard classWeights.isEmpty else {
                throw TrainingError(code: .badArgument, message: "logistic regression does not take class weights here; use gbm or forest for --class-weight balanced")
            }
            let m = try LogisticRegression.fit(x.materialized(), classes: classes.map { Int($0) }, classCount: classCount,
                                               alpha: alpha ?? 1 / Double(max(1, x.rows)))
            return FitResult(regressor: m, extraMetrics: ["iterations": Double(m.iterations)])
        case .gbm(var p):
            p.loss = classCount == 2 ? .logistic : .softmax
            p.classWeights = classWeights
            return FitResult(gbm: try GradientBoostedTrees.fitClassifier(x, classes: classes, classCount: classCount, parameters: p,
                                                                         progress: progress.map { cb in { cb($0, $1, $2, $3) } }))
        case .forest(let p):
            guard classWeights.isEmpty else {
                throw TrainingError(code: .badArgument, message: "forest does not take class weights in this version; use gbm for --class-weight balanced")
            }
            let r = try RandomForest.fitClassifier(x, classes: classes, classCount: classCount, parameters: p,
                                                   progress: progress.map { cb in { cb($0, $1, $2, $3) } })
            var extra = ["trees": Double(r.model.treeCount)]
            if let oob = r.oobAccuracy { extra["oob_accuracy"] = oob }
            return FitResult(regressor: r.model, warnings: r.warnings, extraMetrics: extra)
        }
    }
}
