import MLCore

extension GradientBoostedTrees: Explainable {
    /// One score per ensemble: the value (regression), the log-odds of class 1 (binary), or each
    /// class's softmax score (multiclass).
    public var explainedOutputCount: Int { predictors.count }
    public var explanationCostPerRow: Int { predictors.reduce(0) { $0 + $1.explanationCostPerRow } }

    public var explainedScore: String {
        if classCount == 0 { return "value" }
        return predictors.count == 1 ? "log-odds of class 1" : "softmax score (log-odds up to a constant) per class"
    }

    /// Each ensemble's raw score (init score + Σ trees), rows × scores, row-major.
    public func explainedScores(_ x: FeatureMatrix, threads: Int) -> [Double] {
        let scoreMajor = rawScores(x, threads: threads), n = x.rows, m = predictors.count
        var out = [Double](repeating: 0, count: n * m)
        for k in 0..<m { for i in 0..<n { out[i * m + k] = scoreMajor[k * n + i] } }
        return out
    }

    /// Exact path-dependent TreeSHAP of each score (see `TreeExplainer`).
    /// - Throws: `ExplanationError.missingStatistics` for a model file without covers.
    public func contributions(_ x: FeatureMatrix, threads: Int) throws -> Contributions {
        let explainers = try predictors.map { try TreeExplainer($0) }
        return explain(x, explainers, threads: threads)
    }
}

extension RandomForest: Explainable {
    /// One score per ensemble: the value, the class-1 share (binary), or each class's
    /// probability (three or more classes).
    public var explainedOutputCount: Int { predictors.count }
    public var explanationCostPerRow: Int { predictors.reduce(0) { $0 + $1.explanationCostPerRow } }

    public var explainedScore: String {
        switch classCount {
        case 0: "value"
        case 2: "share of class 1 (the probability before clipping to [0, 1])"
        default: "probability per class (the mean of the trees' leaf class frequencies)"
        }
    }

    /// The mean of the trees per ensemble, rows × ensembles, row-major (a binary classifier's
    /// class-1 share, not clipped).
    public func explainedScores(_ x: FeatureMatrix, threads: Int) -> [Double] {
        let n = x.rows, m = predictors.count
        var scoreMajor = [Double](repeating: 0, count: n * m)
        scoreMajor.withUnsafeMutableBufferPointer { sb in
            for (k, p) in predictors.enumerated() {
                p.predict(x, into: UnsafeMutableBufferPointer(rebasing: sb[(k * n)..<((k + 1) * n)]), threads: threads)
            }
        }
        var out = [Double](repeating: 0, count: n * m)
        for k in 0..<m { for i in 0..<n { out[i * m + k] = scoreMajor[k * n + i] } }
        return out
    }

    /// Exact path-dependent TreeSHAP of the mean of the trees, per ensemble (see `TreeExplainer`).
    /// - Throws: `ExplanationError.missingStatistics` for a model file without covers.
    public func contributions(_ x: FeatureMatrix, threads: Int) throws -> Contributions {
        explain(x, try predictors.map { try TreeExplainer($0) }, threads: threads)
    }
}

extension TreePredictor {
    /// Edges × quadrature points of the default algorithm (roughly: every node, ~depth/2 each).
    var explanationCostPerRow: Int {
        var depth = 0
        // The longest path, iteratively (nodes follow their parents within a tree).
        var nodeDepth = [Int](repeating: 0, count: feature.count)
        for k in 0..<feature.count {
            for c in [left[k], right[k]] where c >= 0 { nodeDepth[Int(c)] = nodeDepth[k] + 1 }
            depth = max(depth, nodeDepth[k] + 1)
        }
        return max(1, 2 * feature.count * max(1, (depth + 1) / 2))
    }
}

/// Every explainer's contributions into one rows × outputs × features block.
private func explain(_ x: FeatureMatrix, _ explainers: [TreeExplainer], threads: Int) -> Contributions {
    let m = explainers.count, nf = x.columns
    var values = [Double](repeating: 0, count: x.rows * m * nf)
    values.withUnsafeMutableBufferPointer { b in
        guard let base = b.baseAddress else { return }
        for (k, e) in explainers.enumerated() { e.contributions(x, into: base + k * nf, rowStride: m * nf, threads: threads) }
    }
    return Contributions(rows: x.rows, outputs: m, features: nf, values: values, expectedValue: explainers.map(\.expectedValue))
}
