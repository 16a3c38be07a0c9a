import Dispatch
import MLCore
import Tabular

/// What `RandomForest.fit` returns.
public struct ForestFitResult: Sendable {
    public var model: RandomForest
    /// E.g. features dropped because every value was missing.
    public var warnings: [String]
    /// Out-of-bag R² over rows left out of at least one tree's bootstrap; nil without bootstrap.
    public var oobR2: Double?
    /// Classifiers: out-of-bag accuracy over the same rows; nil otherwise or without bootstrap.
    public var oobAccuracy: Double? = nil
}

/// Random forest on the histogram tree machinery: bootstrap rows per tree, a random feature
/// subset per split, variance-reduction splits (squared loss, hessian 1, no regularisation or
/// shrinkage), trees grown to purity unless capped; prediction = mean of trees.
///
/// A binary classifier is the same forest on the 0/1 target: for two classes the Gini decrease
/// is twice the variance decrease of the 0/1 target, so the trees are Gini trees, and the mean of
/// the leaves is the mean of their class-1 shares (scikit-learn's probability). It writes the
/// two class probabilities per row.
///
/// A classifier of three or more classes grows Gini trees over the K classes
/// (`GiniTreeGrower`); each leaf holds its class frequencies, and a class's probability is the
/// mean over trees of its leaf frequency (scikit-learn's `predict_proba`). The trees are compiled
/// once per class, as multiclass boosting is: K ensembles sharing their nodes, differing in leaf
/// values, each scored by the fast scorers.
public struct RandomForest: Regressor {
    public static let kind = "forest"
    public let parameters: ForestParameters
    public let featureCount: Int
    /// The classes of a classifier (2 or more), 0 for regression.
    public let classCount: Int
    /// The compiled ensembles (base 0, scale 1/trees): one for regression and binary
    /// classification, one per class (leaf value = the class's frequency) for three or more.
    public let predictors: [TreePredictor]
    /// Σ split gain (variance reduction × rows) per feature.
    public let importanceGain: [Double]
    /// Number of splits per feature.
    public let importanceSplits: [Int]
    /// Out-of-bag R² measured during fit (NaN when not measured).
    public let oobR2: Double

    /// The first (for regression and binary classification, the only) ensemble.
    public var predictor: TreePredictor { predictors[0] }
    public var featureImportance: [Double]? { importanceGain }
    public var treeCount: Int { predictor.treeCount }
    public var outputCount: Int { classCount == 0 ? 1 : classCount }

    init(parameters: ForestParameters, featureCount: Int, classCount: Int = 0, predictor: TreePredictor,
         importanceGain: [Double], importanceSplits: [Int], oobR2: Double) {
        self.init(parameters: parameters, featureCount: featureCount, classCount: classCount, predictors: [predictor],
                  importanceGain: importanceGain, importanceSplits: importanceSplits, oobR2: oobR2)
    }

    init(parameters: ForestParameters, featureCount: Int, classCount: Int, predictors: [TreePredictor],
         importanceGain: [Double], importanceSplits: [Int], oobR2: Double) {
        precondition(predictors.count == (classCount > 2 ? classCount : 1), "one ensemble, or one per class of three or more")
        self.parameters = parameters
        self.featureCount = featureCount
        self.classCount = classCount
        self.predictors = predictors
        self.importanceGain = importanceGain
        self.importanceSplits = importanceSplits
        self.oobR2 = oobR2
    }

    /// Scores rows × featureCount into `output` with the compiled ensemble (both cores): values,
    /// or (classifier) the two class probabilities per row.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predict(x, into: output, threads: parameters.threads)
    }

    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        guard classCount > 0 else {
            predictor.predict(x, into: output, threads: threads)
            return
        }
        let n = x.rows
        var shares = [Double](repeating: 0, count: predictors.count * n)
        shares.withUnsafeMutableBufferPointer { sb in
            for (k, p) in predictors.enumerated() {
                p.predict(x, into: UnsafeMutableBufferPointer(rebasing: sb[(k * n)..<((k + 1) * n)]), threads: threads)
            }
        }
        if classCount == 2 {
            Self.probabilities(shares, into: output)
        } else {
            Self.interleave(shares, classes: classCount, into: output)
        }
    }

    /// (1 − p, p) per row from the class-1 shares (kept in [0, 1]: a leaf's share is its mean
    /// target plus a rounding of the forest's centring).
    static func probabilities(_ share: [Double], into output: UnsafeMutableBufferPointer<Double>) {
        precondition(output.count == 2 * share.count)
        for (i, s) in share.enumerated() {
            let p = min(1, max(0, s))
            output[2 * i] = 1 - p; output[2 * i + 1] = p
        }
    }

    /// Class-major shares (class k of row i at `k * rows + i`) as row-major probabilities.
    static func interleave(_ shares: [Double], classes k: Int, into output: UnsafeMutableBufferPointer<Double>) {
        precondition(output.count == shares.count && shares.count % k == 0)
        let n = shares.count / k
        for i in 0..<n { for c in 0..<k { output[i * k + c] = shares[c * n + i] } }
    }

    /// The plain tree walk the fast path is tested against (the same output layout).
    public func predictReference(_ x: FeatureMatrix) -> [Double] {
        let values = predictors.flatMap { $0.predictReference(x) }
        guard classCount > 0 else { return values }
        var out = [Double](repeating: 0, count: classCount * x.rows)
        out.withUnsafeMutableBufferPointer { o in
            if classCount == 2 { Self.probabilities(values, into: o) } else { Self.interleave(values, classes: classCount, into: o) }
        }
        return out
    }

    /// Fits a binary classifier (classes 0 and 1): the forest of the 0/1 target (see the type).
    /// - Throws: `TreeModelsError` for bad parameters, a label other than 0 or 1 (naming the
    ///   rows), a single class, or shapes.
    public static func fitBinaryClassifier(_ x: FeatureColumns, classes: [Int32], parameters: ForestParameters = ForestParameters(),
                                           progress: TrainingProgress? = nil) throws -> ForestFitResult {
        try validateLabels(classes, classCount: 2, rows: x.rows, what: "forest")
        var p = parameters
        p.featureSampling = p.featureSampling.resolved(classifier: true)
        var result = try fit(x, classes.map { Double($0) }, parameters: p, progress: progress)
        let m = result.model
        result.model = RandomForest(parameters: m.parameters, featureCount: m.featureCount, classCount: 2, predictor: m.predictor,
                                    importanceGain: m.importanceGain, importanceSplits: m.importanceSplits, oobR2: m.oobR2)
        return result
    }

    /// Fits a forest.
    /// - Parameters:
    ///   - x: rows × features, NaN = missing; categorical columns hold integer codes.
    ///   - y: one finite target per row.
    ///   - progress: called after each tree with (trees done, total, NaN, nil).
    /// - Throws: `TreeModelsError` for bad parameters, targets or shapes.
    public static func fit(_ x: FeatureMatrix, _ y: [Double], parameters: ForestParameters = ForestParameters(),
                           progress: TrainingProgress? = nil) throws -> ForestFitResult {
        try fit(FeatureColumns(x), y, parameters: parameters, progress: progress)
    }

    /// `fit` on columns handed over one at a time: each is binned as it comes, so the Float64
    /// matrix never has to exist (trees and out-of-bag scores only ever see the bins).
    public static func fit(_ x: FeatureColumns, _ y: [Double], parameters: ForestParameters = ForestParameters(),
                           progress: TrainingProgress? = nil) throws -> ForestFitResult {
        var p = parameters
        p.featureSampling = p.featureSampling.resolved(classifier: false)
        try checkParameters(p, columns: x.count)
        try validateTrainingData(x, y, model: "forest", minRows: p.minSamplesLeaf)
        let n = x.rows
        let binned = try BinnedMatrix(x, maxBins: p.maxBins, categorical: Set(p.categoricalFeatures), seed: p.seed, threads: p.threads)
        let (usable, warnings) = usableFeatures(binned)
        let splitter = Splitter(lambdaL2: 0, minDataInLeaf: p.minSamplesLeaf, minSumHessianInLeaf: 0, minGainToSplit: 0)
        var config = TreeGrowerConfig(maxLeaves: nil, maxDepth: p.maxDepth, splitter: splitter)
        config.minRowsToSplit = p.minSamplesSplit
        config.countsDistinctRows = p.bootstrap
        config.featuresPerSplit = p.featureSampling.count(of: usable.count)

        // Gradients of squared loss at the global mean: leaf value −G/H = mean(y − ȳ) in the leaf.
        var mean = 0.0
        for v in y { mean += v }
        mean /= Double(n)
        let grad = y.map { Float(mean - $0) }

        let workers = min(p.threads, p.trees)
        let growers = (0..<workers).map { _ in TreeGrower(binned: binned, config: config, threads: 1) }
        var trees: [Tree] = []
        trees.reserveCapacity(p.trees)
        var oobSum = [Double](repeating: 0, count: n), oobCount = [Int](repeating: 0, count: n)
        growInTreeOrder(count: p.trees, workers: workers, grow: { w, t -> (Tree, [Double]) in
            var rng = SeededGenerator.stream(seed: p.seed, UInt64(t))
            let (rows, inBag) = p.bootstrap ? bootstrapSample(rows: n, rng: &rng) : ((0..<n).map { Int32($0) }, [])
            var grown = growers[w].grow(rows: rows, gradients: grad, hessians: nil, features: usable, rng: &rng)
            for l in grown.tree.leafValue.indices { grown.tree.leafValue[l] += mean }
            var oob: [Double] = []
            if p.bootstrap {
                oob = [Double](repeating: .nan, count: n)
                for (i, l) in outOfBagLeaves(grown, inBag: inBag, binned: binned) { oob[i] = grown.tree.leafValue[l] }
            }
            return (grown.tree, oob)
        }, merge: { grown in
            let (tree, oob) = grown
            trees.append(tree)
            for i in 0..<oob.count where !oob[i].isNaN { oobSum[i] += oob[i]; oobCount[i] += 1 }
            progress?(trees.count, p.trees, .nan, nil)
        })

        var oobR2: Double? = nil, oobAccuracy: Double? = nil
        if p.bootstrap {
            var ym = 0.0, k = 0
            for i in 0..<n where oobCount[i] > 0 { ym += y[i]; k += 1 }
            if k > 1 {
                ym /= Double(k)
                var ssr = 0.0, sst = 0.0
                for i in 0..<n where oobCount[i] > 0 {
                    let pr = oobSum[i] / Double(oobCount[i])
                    ssr += (y[i] - pr) * (y[i] - pr); sst += (y[i] - ym) * (y[i] - ym)
                }
                oobR2 = sst > 0 ? 1 - ssr / sst : nil
                // For a 0/1 target, the share of rows whose mean crosses 1/2 the right way.
                var right = 0
                for i in 0..<n where oobCount[i] > 0 { right += (oobSum[i] / Double(oobCount[i]) >= 0.5 ? 1.0 : 0.0) == y[i] ? 1 : 0 }
                oobAccuracy = Double(right) / Double(k)
            }
        }
        var gain = [Double](repeating: 0, count: x.count), splits = [Int](repeating: 0, count: x.count)
        for t in trees { for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 } }
        let model = RandomForest(parameters: p, featureCount: x.count,
                                 predictor: TreePredictor(trees: trees, base: 0, scale: 1 / Double(trees.count), featureCount: x.count),
                                 importanceGain: gain, importanceSplits: splits, oobR2: oobR2 ?? .nan)
        return ForestFitResult(model: model, warnings: warnings, oobR2: oobR2, oobAccuracy: oobAccuracy)
    }
}

extension RandomForest {
    /// Payload versions: 1, a regression; 2, a binary classifier (its class count follows the
    /// parameters); 3 and 4, the same with every node's and leaf's cover after the ensemble's
    /// arrays (for TreeSHAP); 5, a classifier of three or more classes (version 2's fields, then
    /// each further class's leaf values: its ensemble shares the first one's nodes), and 6 the
    /// same with covers (those of the first ensemble, shared); 7, version 6 with the further
    /// classes' leaf values stored sparsely — (leaf, class, value) for the non-zero ones only: a
    /// deep tree's leaves are mostly pure, so K dense values a leaf were nearly all zeros. Older
    /// kinds keep their versions, so their files read as before.
    static let regressionFormat: UInt8 = 1
    static let classifierFormat: UInt8 = 2
    static let regressionWithCoverFormat: UInt8 = 3
    static let classifierWithCoverFormat: UInt8 = 4
    static let multiclassFormat: UInt8 = 5
    static let multiclassWithCoverFormat: UInt8 = 6
    static let multiclassSparseFormat: UInt8 = 7

    private var format: UInt8 {
        let cover = predictor.hasCover
        switch classCount {
        case 0: return cover ? Self.regressionWithCoverFormat : Self.regressionFormat
        case 2: return cover ? Self.classifierWithCoverFormat : Self.classifierFormat
        default: return cover ? Self.multiclassSparseFormat : Self.multiclassFormat
        }
    }

    /// Writes parameters, importance, OOB R² and the flat tree arrays.
    public func encode(to w: inout BinaryWriter) {
        w.write(format)
        parameters.encode(to: &w)
        if classCount > 0 { w.write(Int64(classCount)) }
        w.write(Int64(featureCount)); w.write(oobR2)
        w.write(array: importanceGain); w.write(array: importanceSplits.map { Int64($0) })
        predictor.encode(to: &w, cover: predictor.hasCover)
        if format == Self.multiclassSparseFormat {
            encodeSparseClassValues(to: &w)
        } else {
            for p in predictors.dropFirst() { w.write(array: p.leafValue) }
        }
    }

    /// The leaf values of classes 1 ..< K as three parallel arrays of their non-zero entries:
    /// leaf index, class, value (leaf by leaf, classes ascending).
    private func encodeSparseClassValues(to w: inout BinaryWriter) {
        var leaves: [Int32] = [], classes: [Int32] = [], values: [Double] = []
        for l in predictor.leafValue.indices {
            for c in 1..<predictors.count where predictors[c].leafValue[l].bitPattern != 0 {
                leaves.append(Int32(l)); classes.append(Int32(c)); values.append(predictors[c].leafValue[l])
            }
        }
        w.write(array: leaves); w.write(array: classes); w.write(array: values)
    }

    /// Reads `encodeSparseClassValues`: the dense leaf values of classes 1 ..< `classCount`.
    private static func decodeSparseClassValues(from r: inout BinaryReader, classCount: Int, leafCount: Int) throws -> [[Double]] {
        let leaves: [Int32] = try r.readArray(), classes: [Int32] = try r.readArray(), values: [Double] = try r.readArray()
        guard leaves.count == classes.count, leaves.count == values.count else {
            throw ModelFileError(code: .corrupt, message: "forest model: sparse class values have \(leaves.count) leaves, \(classes.count) classes and \(values.count) values")
        }
        var dense = [[Double]](repeating: [Double](repeating: 0, count: leafCount), count: classCount - 1)
        for i in leaves.indices {
            let l = Int(leaves[i]), c = Int(classes[i])
            guard (0..<leafCount).contains(l), (1..<classCount).contains(c) else {
                throw ModelFileError(code: .corrupt, message: "forest model: sparse class value \(i) names leaf \(l) of \(leafCount) and class \(c) of \(classCount)")
            }
            dense[c - 1][l] = values[i]
        }
        return dense
    }

    /// Reads what `encode(to:)` wrote.
    public static func decode(from r: inout BinaryReader) throws -> RandomForest {
        let stored = try r.read(UInt8.self)
        guard (1...7).contains(stored) else {
            throw ModelFileError(code: .newerFormat, message: "forest model payload version \(stored), this build reads versions 1 to 7")
        }
        let cover = [regressionWithCoverFormat, classifierWithCoverFormat, multiclassWithCoverFormat, multiclassSparseFormat].contains(stored)
        let v = stored >= multiclassWithCoverFormat ? multiclassFormat : cover ? stored - 2 : stored
        let params = try ForestParameters.decode(from: &r)
        let classCount = v == regressionFormat ? 0 : Int(try r.read(Int64.self))
        let expected = v == regressionFormat ? 0...0 : v == classifierFormat ? 2...2 : 3...100_000
        guard expected.contains(classCount) else {
            throw ModelFileError(code: .corrupt, message: "forest model: \(classCount) classes in a version \(stored) payload (versions 2 and 4 hold 2 classes, 5 to 7 more)")
        }
        let fc = Int(try r.read(Int64.self)), oob = try r.readDouble()
        let gain: [Double] = try r.readArray(), splits = try r.readArray(of: Int64.self).map { Int($0) }
        var predictors = [try TreePredictor.decode(from: &r, cover: cover)]
        guard fc == predictors[0].featureCount, gain.count == fc, splits.count == fc else {
            throw ModelFileError(code: .corrupt, message: "forest model: feature count \(fc) and importance lengths \(gain.count)/\(splits.count) disagree with the \(predictors[0].featureCount)-feature ensemble")
        }
        if stored == multiclassSparseFormat {
            let classValues = try decodeSparseClassValues(from: &r, classCount: classCount, leafCount: predictors[0].leafValue.count)
            predictors += classValues.map { predictors[0].withLeafValues($0) }
        } else if v == multiclassFormat {
            for c in 1..<classCount {
                let values: [Double] = try r.readArray()
                guard values.count == predictors[0].leafValue.count else {
                    throw ModelFileError(code: .corrupt, message: "forest model: class \(c) has \(values.count) leaf values, the trees have \(predictors[0].leafValue.count) leaves")
                }
                predictors.append(predictors[0].withLeafValues(values))
            }
        }
        return RandomForest(parameters: params, featureCount: fc, classCount: classCount, predictors: predictors,
                            importanceGain: gain, importanceSplits: splits, oobR2: oob)
    }
}
