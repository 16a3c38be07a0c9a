import MLCore

/// Loss minimised by gradient boosting. The regression losses have hessian 1 (Newton step = mean
/// step); the classification losses have the log loss's own hessians.
public enum GBMLoss: Sendable, Equatable, Hashable {
    /// ½(ŷ − y)²; init = mean; metric RMSE.
    case squared
    /// |ŷ − y|; gradient sign, leaf values re-fit to the median residual (LightGBM); init = median; metric MAE.
    case absolute
    /// Huber with threshold `delta`: gradient clipped to ±delta; init = mean; metric mean Huber loss.
    case huber(delta: Double)
    /// Pinball loss at level `alpha`; leaf values re-fit to the alpha-quantile residual; init = alpha-quantile.
    case quantile(alpha: Double)
    /// Binary log loss on the log-odds of class 1 (p = σ(score)); init = the log-odds of the
    /// (weighted) share of class 1; metric log loss.
    case logistic
    /// Multiclass log loss on one score per class (p = softmax(scores)), one tree per class and
    /// round; init = the log of each class's (weighted) share; metric log loss.
    case softmax

    /// Whether the loss fits class labels rather than numbers.
    public var isClassification: Bool { self == .logistic || self == .softmax }

    public var name: String {
        switch self {
        case .squared: "squared"
        case .absolute: "absolute"
        case .huber: "huber"
        case .quantile: "quantile"
        case .logistic: "logistic"
        case .softmax: "softmax"
        }
    }
}

/// Gradient boosting hyperparameters; defaults follow LightGBM.
public struct GBMParameters: Sendable, Equatable {
    /// Boosting rounds (trees), 1...100000.
    public var rounds: Int = 100
    /// Shrinkage applied to every leaf value, (0, 1].
    public var learningRate: Double = 0.1
    /// Leaves per tree (leaf-wise growth), 2...131072.
    public var maxLeaves: Int = 31
    /// Optional depth cap, ≥ 1.
    public var maxDepth: Int? = nil
    /// Minimum rows in a leaf, ≥ 1.
    public var minDataInLeaf: Int = 20
    /// Minimum hessian sum in a leaf, ≥ 0.
    public var minSumHessianInLeaf: Double = 1e-3
    /// L2 regularisation λ on leaf values, ≥ 0.
    public var lambdaL2: Double = 0
    /// Minimum gain to split, ≥ 0.
    public var minGainToSplit: Double = 0
    /// Value bins per feature, 2...255 (plus one bin for missing values).
    public var maxBins: Int = 255
    /// Row fraction drawn (without replacement) for each round (bagging_fraction), (0, 1].
    public var subsample: Double = 1
    /// Feature fraction drawn for each tree, (0, 1].
    public var featureFraction: Double = 1
    public var seed: UInt64 = 0
    public var loss: GBMLoss = .squared
    /// Stop after this many rounds without validation improvement; nil = no early stopping.
    public var earlyStoppingRounds: Int? = nil
    /// Share of rows held out for early stopping when no validation set is passed, (0, 0.9].
    public var validationFraction: Double = 0.1
    /// Indices of features holding integer category codes (≥ 0, NaN missing, ≤ 254 levels).
    public var categoricalFeatures: [Int] = []
    /// Worker threads for training and scoring, 1...256. Results do not depend on it.
    public var threads: Int = 2
    /// Classification: a weight per class multiplying its rows' gradients and hessians (e.g.
    /// n / (K · n_k) for balanced classes); empty = every weight 1.
    public var classWeights: [Double] = []

    public init() {}

    /// Checks every value is in range.
    /// - Throws: `TreeModelsError.invalidParameter` naming the parameter and the allowed range.
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ range: String) -> TreeModelsError {
            TreeModelsError(code: .invalidParameter, message: "gbm parameter \(name) = \(value) is out of range: expected \(range)")
        }
        guard (1...100_000).contains(rounds) else { throw fail("rounds", rounds, "1...100000") }
        guard learningRate > 0 && learningRate <= 1 else { throw fail("learning_rate", learningRate, "(0, 1]") }
        guard (2...131_072).contains(maxLeaves) else { throw fail("max_leaves", maxLeaves, "2...131072") }
        if let d = maxDepth, d < 1 { throw fail("max_depth", d, ">= 1 or unset") }
        guard minDataInLeaf >= 1 else { throw fail("min_data_in_leaf", minDataInLeaf, ">= 1") }
        guard minSumHessianInLeaf >= 0 && minSumHessianInLeaf.isFinite else { throw fail("min_sum_hessian_in_leaf", minSumHessianInLeaf, "[0, inf)") }
        guard lambdaL2 >= 0 && lambdaL2.isFinite else { throw fail("lambda_l2", lambdaL2, "[0, inf)") }
        guard minGainToSplit >= 0 && minGainToSplit.isFinite else { throw fail("min_gain_to_split", minGainToSplit, "[0, inf)") }
        guard (2...255).contains(maxBins) else { throw fail("max_bins", maxBins, "2...255") }
        guard subsample > 0 && subsample <= 1 else { throw fail("subsample", subsample, "(0, 1]") }
        guard featureFraction > 0 && featureFraction <= 1 else { throw fail("feature_fraction", featureFraction, "(0, 1]") }
        if let e = earlyStoppingRounds, e < 1 { throw fail("early_stopping_rounds", e, ">= 1 or unset") }
        guard validationFraction > 0 && validationFraction <= 0.9 else { throw fail("validation_fraction", validationFraction, "(0, 0.9]") }
        guard (1...256).contains(threads) else { throw fail("threads", threads, "1...256") }
        switch loss {
        case .squared, .absolute: break
        case .huber(let d): guard d > 0 && d.isFinite else { throw fail("huber_delta", d, "(0, inf)") }
        case .quantile(let a): guard a > 0 && a < 1 else { throw fail("quantile_alpha", a, "(0, 1)") }
        case .logistic, .softmax: break
        }
        for w in classWeights where !(w > 0 && w.isFinite) { throw fail("class_weight", w, "(0, inf) for every class") }
        for c in categoricalFeatures where c < 0 { throw fail("categorical_features", c, "feature indices >= 0") }
    }
}

extension GBMParameters {
    func encode(to w: inout BinaryWriter) {
        w.write(Int64(rounds)); w.write(learningRate); w.write(Int64(maxLeaves)); w.write(Int64(maxDepth ?? -1))
        w.write(Int64(minDataInLeaf)); w.write(minSumHessianInLeaf); w.write(lambdaL2); w.write(minGainToSplit)
        w.write(Int64(maxBins)); w.write(subsample); w.write(featureFraction); w.write(seed)
        switch loss {
        case .squared: w.write(UInt8(0)); w.write(0.0)
        case .absolute: w.write(UInt8(1)); w.write(0.0)
        case .huber(let d): w.write(UInt8(2)); w.write(d)
        case .quantile(let a): w.write(UInt8(3)); w.write(a)
        case .logistic: w.write(UInt8(4)); w.write(0.0)
        case .softmax: w.write(UInt8(5)); w.write(0.0)
        }
        w.write(Int64(earlyStoppingRounds ?? -1)); w.write(validationFraction)
        w.write(array: categoricalFeatures.map { Int64($0) }); w.write(Int64(threads))
    }

    static func decode(from r: inout BinaryReader) throws -> GBMParameters {
        var p = GBMParameters()
        p.rounds = Int(try r.read(Int64.self)); p.learningRate = try r.readDouble(); p.maxLeaves = Int(try r.read(Int64.self))
        let md = Int(try r.read(Int64.self)); p.maxDepth = md < 0 ? nil : md
        p.minDataInLeaf = Int(try r.read(Int64.self)); p.minSumHessianInLeaf = try r.readDouble()
        p.lambdaL2 = try r.readDouble(); p.minGainToSplit = try r.readDouble()
        p.maxBins = Int(try r.read(Int64.self)); p.subsample = try r.readDouble(); p.featureFraction = try r.readDouble()
        p.seed = try r.read(UInt64.self)
        let tag = try r.read(UInt8.self), lp = try r.readDouble()
        switch tag {
        case 0: p.loss = .squared
        case 1: p.loss = .absolute
        case 2: p.loss = .huber(delta: lp)
        case 3: p.loss = .quantile(alpha: lp)
        case 4: p.loss = .logistic
        case 5: p.loss = .softmax
        default: throw ModelFileError(code: .corrupt, message: "gbm model: unknown loss tag \(tag)")
        }
        let es = Int(try r.read(Int64.self)); p.earlyStoppingRounds = es < 0 ? nil : es
        p.validationFraction = try r.readDouble()
        p.categoricalFeatures = try r.readArray(of: Int64.self).map { Int($0) }
        p.threads = Int(try r.read(Int64.self))
        return p
    }
}
