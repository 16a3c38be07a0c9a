import MLCore
import Tabular

extension RandomForest {
    /// Fits a classifier of `classCount` classes as scikit-learn's `RandomForestClassifier`
    /// does: each tree a Gini tree grown on a bootstrap sample (rows weighted by how often they
    /// were drawn), each leaf holding its class frequencies; a class's probability is the mean
    /// of its leaf frequencies over the trees. Two classes go to `fitBinaryClassifier` (the same
    /// trees, grown as the 0/1 target's regression trees).
    /// - Parameters:
    ///   - x: rows × features, NaN = missing; categorical columns hold integer codes.
    ///   - classes: each row's class index, 0..<classCount.
    ///   - progress: called after each tree with (trees done, total, NaN, nil).
    /// - Returns: the model and, with bootstrap, the out-of-bag accuracy (rows left out of at
    ///   least one tree, each predicted by the trees that left it out).
    /// - Throws: `TreeModelsError` for bad parameters, a label outside the classes (naming the
    ///   rows), a single class, or shapes.
    public static func fitClassifier(_ x: FeatureColumns, classes: [Int32], classCount: Int,
                                     parameters: ForestParameters = ForestParameters(),
                                     progress: TrainingProgress? = nil) throws -> ForestFitResult {
        var p = parameters
        p.featureSampling = p.featureSampling.resolved(classifier: true)
        guard classCount >= 2 else {
            throw TreeModelsError(code: .invalidTarget, message: "forest: \(classCount) classes, a classifier needs at least 2")
        }
        if classCount == 2 { return try fitBinaryClassifier(x, classes: classes, parameters: p, progress: progress) }
        try validateLabels(classes, classCount: classCount, rows: x.rows, what: "forest")
        try checkParameters(p, columns: x.count)
        try validateTrainingData(x, classes.map { Double($0) }, model: "forest", minRows: p.minSamplesLeaf)
        let n = x.rows
        let binned = try BinnedMatrix(x, maxBins: p.maxBins, categorical: Set(p.categoricalFeatures), seed: p.seed, threads: p.threads)
        let (usable, warnings) = usableFeatures(binned)
        let config = GiniGrowerConfig(maxDepth: p.maxDepth, minSamplesLeaf: p.minSamplesLeaf, minSamplesSplit: p.minSamplesSplit,
                                      countsDistinctRows: p.bootstrap, featuresPerSplit: p.featureSampling.count(of: usable.count))
        let workers = min(p.threads, p.trees)
        let growers = (0..<workers).map { _ in GiniTreeGrower(binned: binned, classes: classes, classCount: classCount, config: config) }

        var trees: [ClassTree] = []
        trees.reserveCapacity(p.trees)
        var oob = OutOfBagVotes(rows: n, classCount: classCount)
        growInTreeOrder(count: p.trees, workers: workers, grow: { w, t -> (ClassTree, [(row: Int, leaf: Int)]) in
            var rng = SeededGenerator.stream(seed: p.seed, UInt64(t))
            let (rows, inBag) = p.bootstrap ? bootstrapSample(rows: n, rng: &rng) : ((0..<n).map { Int32($0) }, [])
            let tree = growers[w].grow(rows: rows, features: usable, rng: &rng)
            return (tree, p.bootstrap ? outOfBagLeaves(tree.grown, inBag: inBag, binned: binned) : [])
        }, merge: { grown in
            let (tree, outOfBag) = grown
            trees.append(tree)
            oob.add(tree, outOfBag)
            progress?(trees.count, p.trees, .nan, nil)
        })
        let model = assemble(trees, parameters: p, featureCount: x.count, classCount: classCount)
        return ForestFitResult(model: model, warnings: warnings, oobR2: nil, oobAccuracy: p.bootstrap ? oob.accuracy(classes) : nil)
    }

    /// The model of grown class trees: one ensemble per class (the first compiled from the
    /// trees, the others sharing its nodes with their own leaf values) and the Gini importance.
    private static func assemble(_ trees: [ClassTree], parameters: ForestParameters, featureCount: Int,
                                 classCount: Int) -> RandomForest {
        let first = TreePredictor(trees: trees.map { $0.tree(ofClass: 0) }, base: 0, scale: 1 / Double(trees.count),
                                  featureCount: featureCount)
        var predictors = [first]
        for c in 1..<classCount {
            // The predictor appends leaves tree after tree, each tree's in leaf order.
            predictors.append(first.withLeafValues(trees.flatMap { $0.tree(ofClass: c).leafValue }))
        }
        var gain = [Double](repeating: 0, count: featureCount), splits = [Int](repeating: 0, count: featureCount)
        for t in trees.map(\.grown.tree) {
            for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 }
        }
        return RandomForest(parameters: parameters, featureCount: featureCount, classCount: classCount, predictors: predictors,
                            importanceGain: gain, importanceSplits: splits, oobR2: .nan)
    }
}

/// Each row's class frequencies summed over the trees that left it out of their bootstrap.
struct OutOfBagVotes {
    let classCount: Int
    /// rows × classCount, row-major.
    var sums: [Double]
    var trees: [Int]

    init(rows: Int, classCount: Int) {
        self.classCount = classCount
        sums = [Double](repeating: 0, count: rows * classCount)
        trees = [Int](repeating: 0, count: rows)
    }

    mutating func add(_ tree: ClassTree, _ outOfBag: [(row: Int, leaf: Int)]) {
        let k = classCount
        for (i, l) in outOfBag {
            for c in 0..<k { sums[i * k + c] += tree.leafFrequencies[l * k + c] }
            trees[i] += 1
        }
    }

    /// The share of rows voted on whose largest sum (first on ties) is their class; nil when no
    /// row was left out.
    func accuracy(_ classes: [Int32]) -> Double? {
        var right = 0, voted = 0
        for i in trees.indices where trees[i] > 0 {
            let row = sums[(i * classCount)..<((i + 1) * classCount)]
            let predicted = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) } ?? 0
            right += predicted - i * classCount == Int(classes[i]) ? 1 : 0
            voted += 1
        }
        return voted == 0 ? nil : Double(right) / Double(voted)
    }
}
