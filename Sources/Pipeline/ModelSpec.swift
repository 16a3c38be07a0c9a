import MLCore
import LinearModels
import TreeModels

/// Which model to fit and with what hyperparameters.
public enum ModelSpec: Sendable {
    case linear
    case ridge(alpha: Double)
    case gbm(GBMParameters)
    case forest(ForestParameters)

    public var kind: String {
        switch self {
        case .linear: "linear"
        case .ridge: "ridge"
        case .gbm: "gbm"
        case .forest: "forest"
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
            return h
        case .forest(let p):
            var h = ["model": "forest", "trees": "\(p.trees)", "min_leaf": "\(p.minSamplesLeaf)", "min_split": "\(p.minSamplesSplit)",
                     "max_bins": "\(p.maxBins)", "seed": "\(p.seed)"]
            if let d = p.maxDepth { h["max_depth"] = "\(d)" }
            switch p.featureSampling {
            case .all: h["feature_fraction"] = "1.0"
            case .sqrt: h["feature_fraction"] = "sqrt"
            case .third: h["feature_fraction"] = "third"
            case .fraction(let f): h["feature_fraction"] = "\(f)"
            }
            return h
        }
    }

    /// Every model kind this build can read back from a model file.
    public static var kinds: ModelKinds {
        var k = ModelKinds()
        k.register(LinearRegression.self)
        k.register(RidgeRegression.self)
        k.register(GradientBoostedTrees.self)
        k.register(RandomForest.self)
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
            let r = try GradientBoostedTrees.fit(x, y, parameters: p, progress: progress.map { cb in { cb($0, $1, $2, $3) } })
            var extra = ["best_iteration": Double(r.bestIteration), "trees": Double(r.model.treeCount)]
            if let last = r.trainMetric.last { extra["train_loss"] = last }
            return FitResult(regressor: r.model, warnings: r.warnings, extraMetrics: extra,
                             trainHistory: r.trainMetric, validationHistory: r.validMetric)
        case .forest(let p):
            let r = try RandomForest.fit(x, y, parameters: p, progress: progress.map { cb in { cb($0, $1, $2, $3) } })
            var extra = ["trees": Double(r.model.treeCount)]
            if let oob = r.oobR2 { extra["oob_r2"] = oob }
            return FitResult(regressor: r.model, warnings: r.warnings, extraMetrics: extra)
        }
    }
}
