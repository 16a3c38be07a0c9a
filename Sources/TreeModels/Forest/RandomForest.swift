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
public struct RandomForest: Regressor {
    public static let kind = "forest"
    public let parameters: ForestParameters
    public let featureCount: Int
    /// 2 for a binary classifier, 0 for regression.
    public let classCount: Int
    /// The compiled ensemble (base 0, scale 1/trees).
    public let predictor: TreePredictor
    /// Σ split gain (variance reduction × rows) per feature.
    public let importanceGain: [Double]
    /// Number of splits per feature.
    public let importanceSplits: [Int]
    /// Out-of-bag R² measured during fit (NaN when not measured).
    public let oobR2: Double

    public var featureImportance: [Double]? { importanceGain }
    public var treeCount: Int { predictor.treeCount }
    public var outputCount: Int { classCount == 0 ? 1 : classCount }

    init(parameters: ForestParameters, featureCount: Int, classCount: Int = 0, predictor: TreePredictor,
         importanceGain: [Double], importanceSplits: [Int], oobR2: Double) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.classCount = classCount
        self.predictor = predictor
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
        var share = [Double](repeating: 0, count: x.rows)
        share.withUnsafeMutableBufferPointer { predictor.predict(x, into: $0, threads: threads) }
        Self.probabilities(share, into: output)
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

    /// The plain tree walk the fast path is tested against (the same output layout).
    public func predictReference(_ x: FeatureMatrix) -> [Double] {
        let values = predictor.predictReference(x)
        guard classCount > 0 else { return values }
        var out = [Double](repeating: 0, count: 2 * x.rows)
        out.withUnsafeMutableBufferPointer { Self.probabilities(values, into: $0) }
        return out
    }

    /// Fits a binary classifier (classes 0 and 1): the forest of the 0/1 target (see the type).
    /// - Throws: `TreeModelsError` for bad parameters, a label other than 0 or 1 (naming the
    ///   rows), a single class, or shapes.
    public static func fitBinaryClassifier(_ x: FeatureColumns, classes: [Int32], parameters: ForestParameters = ForestParameters(),
                                           progress: TrainingProgress? = nil) throws -> ForestFitResult {
        try validateLabels(classes, classCount: 2, rows: x.rows, what: "forest")
        var result = try fit(x, classes.map { Double($0) }, parameters: parameters, progress: progress)
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
        let p = parameters
        try p.validate()
        for c in p.categoricalFeatures where c >= x.count {
            throw TreeModelsError(code: .invalidParameter, message: "forest parameter categorical_features names feature \(c), but the matrix has \(x.count) features (0...\(x.count - 1))")
        }
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
        let allRows = (0..<n).map { Int32($0) }

        // Each worker takes the next tree number as soon as it is free (no batch barrier); a tree
        // depends only on its number, and finished trees are merged strictly in tree order, so
        // the model is the same on any number of threads. At most a few trees wait for merging.
        struct Merge {
            var nextTree = 0
            var pending: [Int: (Tree, [Double])] = [:]
        }
        let merge = Locked(Merge())
        let mergeInOrder: (Int, Tree, [Double]) -> Void = { t, tree, oob in
            merge.withLock { m in
                m.pending[t] = (tree, oob)
                while let (tree, oob) = m.pending.removeValue(forKey: trees.count) {
                    trees.append(tree)
                    for i in 0..<oob.count where !oob[i].isNaN { oobSum[i] += oob[i]; oobCount[i] += 1 }
                    progress?(trees.count, p.trees, .nan, nil)
                }
            }
        }
        parallelFor(workers, threads: workers) { w in
            while true {
                let t = merge.withLock { m in
                    defer { m.nextTree += 1 }
                    return m.nextTree
                }
                guard t < p.trees else { return }
                var rng = SeededGenerator.stream(seed: p.seed, UInt64(t))
                var rows = allRows
                var inBag: [Bool] = []
                if p.bootstrap {
                    var counts = [Int32](repeating: 0, count: n)
                    for _ in 0..<n { counts[rng.below(n)] += 1 }
                    rows.removeAll(keepingCapacity: true)
                    for i in 0..<n where counts[i] > 0 { for _ in 0..<counts[i] { rows.append(Int32(i)) } }
                    inBag = counts.map { $0 > 0 }
                }
                var grown = growers[w].grow(rows: rows, gradients: grad, hessians: nil, features: usable, rng: &rng)
                for l in grown.tree.leafValue.indices { grown.tree.leafValue[l] += mean }
                var oob: [Double] = []
                if p.bootstrap {
                    // Routed by bins: the rows' bins sit together (one cache line), the raw
                    // values a column apart.
                    oob = [Double](repeating: .nan, count: n)
                    let outOfBag = (0..<n).compactMap { inBag[$0] ? nil : Int32($0) }
                    var leaves = [Int32](repeating: 0, count: outOfBag.count)
                    outOfBag.withUnsafeBufferPointer { ob in
                        leaves.withUnsafeMutableBufferPointer { lb in grown.leaves(rows: ob, of: binned, into: lb.baseAddress!) }
                    }
                    for (i, l) in zip(outOfBag, leaves) { oob[Int(i)] = grown.tree.leafValue[Int(l)] }
                }
                mergeInOrder(t, grown.tree, oob)
            }
        }

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
    /// arrays (for TreeSHAP). Forests with covers (every fitted one) are written as 3 or 4.
    static let regressionFormat: UInt8 = 1
    static let classifierFormat: UInt8 = 2
    static let regressionWithCoverFormat: UInt8 = 3
    static let classifierWithCoverFormat: UInt8 = 4

    /// Writes parameters, importance, OOB R² and the flat tree arrays.
    public func encode(to w: inout BinaryWriter) {
        let cover = predictor.hasCover
        w.write(classCount == 0 ? (cover ? Self.regressionWithCoverFormat : Self.regressionFormat)
                                : (cover ? Self.classifierWithCoverFormat : Self.classifierFormat))
        parameters.encode(to: &w)
        if classCount > 0 { w.write(Int64(classCount)) }
        w.write(Int64(featureCount)); w.write(oobR2)
        w.write(array: importanceGain); w.write(array: importanceSplits.map { Int64($0) })
        predictor.encode(to: &w, cover: cover)
    }

    /// Reads what `encode(to:)` wrote.
    public static func decode(from r: inout BinaryReader) throws -> RandomForest {
        let stored = try r.read(UInt8.self)
        guard (1...4).contains(stored) else {
            throw ModelFileError(code: .newerFormat, message: "forest model payload version \(stored), this build reads versions 1 to 4")
        }
        let cover = stored >= regressionWithCoverFormat
        let v = cover ? stored - 2 : stored
        let params = try ForestParameters.decode(from: &r)
        let classCount = v == classifierFormat ? Int(try r.read(Int64.self)) : 0
        guard classCount == 0 || classCount == 2 else {
            throw ModelFileError(code: .corrupt, message: "forest model: \(classCount) classes (a forest classifier has 2)")
        }
        let fc = Int(try r.read(Int64.self)), oob = try r.readDouble()
        let gain: [Double] = try r.readArray(), splits = try r.readArray(of: Int64.self).map { Int($0) }
        let predictor = try TreePredictor.decode(from: &r, cover: cover)
        guard fc == predictor.featureCount, gain.count == fc, splits.count == fc else {
            throw ModelFileError(code: .corrupt, message: "forest model: feature count \(fc) and importance lengths \(gain.count)/\(splits.count) disagree with the \(predictor.featureCount)-feature ensemble")
        }
        return RandomForest(parameters: params, featureCount: fc, classCount: classCount, predictor: predictor,
                            importanceGain: gain, importanceSplits: splits, oobR2: oob)
    }
}
