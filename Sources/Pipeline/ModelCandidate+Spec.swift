import TreeModels

extension PipelineSpec.ModelCandidate {
    /// The fit configuration this candidate describes (parameters were range-checked when the
    /// spec was loaded; `ModelSpec.validate()` checks them again before fitting).
    public func modelSpec(seed: UInt64) -> ModelSpec {
        let s = integer("seed").map(UInt64.init) ?? seed
        switch kind {
        case .linear:
            return .linear
        case .ridge:
            return .ridge(alpha: number("alpha") ?? 1)
        case .logistic:
            return .logistic(alpha: number("alpha"))
        case .gbm:
            var p = GBMParameters()
            p.seed = s
            if let v = integer("rounds") { p.rounds = v }
            if let v = number("learning_rate") { p.learningRate = v }
            if let v = integer("max_leaves") { p.maxLeaves = v }
            p.maxDepth = integer("max_depth")
            if let v = integer("min_leaf") { p.minDataInLeaf = v }
            if let v = number("l2") { p.lambdaL2 = v }
            if let v = integer("max_bins") { p.maxBins = v }
            if let v = number("subsample") { p.subsample = v }
            if let v = number("feature_fraction") { p.featureFraction = v }
            p.earlyStoppingRounds = integer("early_stopping")
            switch string("loss") {
            case "absolute": p.loss = .absolute
            case "huber": p.loss = .huber(delta: 1)
            case "quantile": p.loss = .quantile(alpha: 0.5)
            default: p.loss = .squared
            }
            return .gbm(p)
        case .forest:
            var p = ForestParameters()
            p.seed = s
            if let v = integer("trees") { p.trees = v }
            p.maxDepth = integer("max_depth")
            if let v = integer("min_leaf") { p.minSamplesLeaf = v }
            if let v = integer("min_split") { p.minSamplesSplit = v }
            switch params["feature_fraction"] {
            case .string("sqrt")?: p.featureSampling = .sqrt
            case .string("third")?: p.featureSampling = .third
            case .number(let f)? where f < 1: p.featureSampling = .fraction(f)
            case .number?: p.featureSampling = .all
            default: p.featureSampling = .automatic
            }
            return .forest(p)
        }
    }
}
