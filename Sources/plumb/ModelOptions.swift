import ArgumentParser
import TreeModels

/// Hyperparameter flags of `plumb train`. Flags shared by gbm and forest (--max-depth,
/// --min-leaf, --feature-fraction) apply to whichever is trained; unset flags keep each
/// model's default.
struct ModelOptions: ParsableArguments {
    @Option(help: "L2 penalty α ≥ 0: ridge (default 1), logistic (mean log loss + α/2 ‖w‖², default 1/n, scikit-learn's C = 1).")
    var alpha: Double?

    @Option(help: "Boosting rounds (gbm; default 100).")
    var rounds: Int?

    @Option(help: "Shrinkage per round, in (0, 1] (gbm; default 0.1).")
    var learningRate: Double?

    @Option(help: "Leaves per tree, ≥ 2 (gbm; default 31).")
    var maxLeaves: Int?

    @Option(help: "Depth limit (gbm: unlimited by default; forest: unlimited by default).")
    var maxDepth: Int?

    @Option(help: "Minimum rows per leaf (gbm default 20, forest default 1).")
    var minLeaf: Int?

    @Option(help: "Minimum rows to split a node (forest; default 2; a row drawn twice by the bootstrap counts once).")
    var minSplit: Int?

    @Option(help: "L2 regularisation of leaf values (gbm; default 0).")
    var l2: Double?

    @Option(help: "Histogram bins per feature, 2…255 (default 255).")
    var maxBins: Int?

    @Option(help: "Row fraction sampled per round, in (0, 1] (gbm; default 1).")
    var subsample: Double?

    @Option(help: ArgumentHelp("Feature fraction: gbm per tree, in (0, 1]; forest per split, a fraction or sqrt | third (default: all for regression, sqrt for classification).",
                               valueName: FeatureFraction.valueName))
    var featureFraction: FeatureFraction?

    @Option(help: "Stop when the held-out loss has not improved for N rounds (gbm).")
    var earlyStopping: Int?

    @Option(help: "Loss (gbm).")
    var loss: LossChoice = .squared

    @Option(help: "Huber δ (--loss huber) or quantile α (--loss quantile).")
    var lossParameter: Double?

    @Option(help: "Trees in the forest (default 100).")
    var trees: Int?

    func gbmParameters(seed: UInt64) throws -> GBMParameters {
        var p = GBMParameters()
        p.seed = seed
        if let v = rounds { p.rounds = v }
        if let v = learningRate { p.learningRate = v }
        if let v = maxLeaves { p.maxLeaves = v }
        p.maxDepth = maxDepth
        if let v = minLeaf { p.minDataInLeaf = v }
        if let v = l2 { p.lambdaL2 = v }
        if let v = maxBins { p.maxBins = v }
        if let v = subsample { p.subsample = v }
        switch featureFraction {
        case nil: break
        case .fraction(let v)?: p.featureFraction = v
        case .keyword(let k)?: throw ValidationError("--feature-fraction for gbm must be a number in (0, 1], got \"\(k.rawValue)\"")
        }
        p.earlyStoppingRounds = earlyStopping
        switch loss {
        case .squared: p.loss = .squared
        case .absolute: p.loss = .absolute
        case .huber: p.loss = .huber(delta: lossParameter ?? 1.0)
        case .quantile: p.loss = .quantile(alpha: lossParameter ?? 0.5)
        }
        return p
    }

    func forestParameters(seed: UInt64) throws -> ForestParameters {
        var p = ForestParameters()
        p.seed = seed
        if let v = trees { p.trees = v }
        p.maxDepth = maxDepth
        if let v = minLeaf { p.minSamplesLeaf = v }
        if let v = minSplit { p.minSamplesSplit = v }
        if let v = maxBins { p.maxBins = v }
        switch featureFraction {
        case nil: p.featureSampling = .automatic
        case .keyword(.sqrt)?: p.featureSampling = .sqrt
        case .keyword(.third)?: p.featureSampling = .third
        case .fraction(let v)?: p.featureSampling = v == 1 ? .all : .fraction(v)
        }
        return p
    }
}
