import MLCore

extension RandomForest {
    /// A forest whose trees were fitted elsewhere (an imported ONNX classifier that averages class
    /// shares, such as scikit-learn's `RandomForestClassifier` converted by skl2onnx).
    /// - Parameters:
    ///   - trees: one list per score: one (the class-1 share) for regression or two classes, one
    ///     per class for three or more, each list with the same tree shapes (only leaves differ).
    ///   - base: the constant added to every score.
    ///   - scale: each score is `base + scale × Σ trees` (1 when the leaves are already divided
    ///     by the tree count).
    /// - Precondition: `trees.count` is 1, or `classCount` for three or more classes; the lists
    ///   have equal shapes.
    public init(importedTrees trees: [[Tree]], base: Double, scale: Double, featureCount: Int, classCount: Int) {
        precondition(trees.count == (classCount > 2 ? classCount : 1), "one list of trees, or one per class of three or more")
        var p = ForestParameters()
        p.trees = max(1, trees[0].count)
        let predictors = trees.map { TreePredictor(trees: $0, base: base, scale: scale, featureCount: featureCount) }
        var gain = [Double](repeating: 0, count: featureCount), splits = [Int](repeating: 0, count: featureCount)
        for t in trees[0] { for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 } }
        self.init(parameters: p, featureCount: featureCount, classCount: classCount, predictors: predictors,
                  importanceGain: gain, importanceSplits: splits, oobR2: .nan)
    }
}
