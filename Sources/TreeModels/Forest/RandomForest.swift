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
}

/// Random forest regressor on the histogram tree machinery: bootstrap rows per tree, a random
/// feature subset per split, variance-reduction splits (squared loss, hessian 1, no
/// regularisation or shrinkage), trees grown to purity unless capped; prediction = mean of trees.
public struct RandomForest: Regressor {
    public static let kind = "forest"
    public let parameters: ForestParameters
    public let featureCount: Int
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

    /// Scores rows × featureCount into `output` with the compiled ensemble (both cores).
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predictor.predict(x, into: output, threads: parameters.threads)
    }

    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        predictor.predict(x, into: output, threads: threads)
    }

    /// The plain tree walk the fast path is tested against.
    public func predictReference(_ x: FeatureMatrix) -> [Double] { predictor.predictReference(x) }

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

        var oobR2: Double? = nil
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
            }
        }
        var gain = [Double](repeating: 0, count: x.count), splits = [Int](repeating: 0, count: x.count)
        for t in trees { for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 } }
        let model = RandomForest(parameters: p, featureCount: x.count,
                                 predictor: TreePredictor(trees: trees, base: 0, scale: 1 / Double(trees.count), featureCount: x.count),
                                 importanceGain: gain, importanceSplits: splits, oobR2: oobR2 ?? .nan)
        return ForestFitResult(model: model, warnings: warnings, oobR2: oobR2)
    }
}

extension RandomForest {
    static let formatVersion: UInt8 = 1

    /// Writes parameters, importance, OOB R² and the flat tree arrays.
    public func encode(to w: inout BinaryWriter) {
        w.write(Self.formatVersion)
        parameters.encode(to: &w)
        w.write(Int64(featureCount)); w.write(oobR2)
        w.write(array: importanceGain); w.write(array: importanceSplits.map { Int64($0) })
        predictor.encode(to: &w)
    }

    /// Reads what `encode(to:)` wrote.
    public static func decode(from r: inout BinaryReader) throws -> RandomForest {
        let v = try r.read(UInt8.self)
        guard v == formatVersion else {
            throw ModelFileError(code: .newerFormat, message: "forest model payload version \(v), this build reads version \(formatVersion)")
        }
        let params = try ForestParameters.decode(from: &r)
        let fc = Int(try r.read(Int64.self)), oob = try r.readDouble()
        let gain: [Double] = try r.readArray(), splits = try r.readArray(of: Int64.self).map { Int($0) }
        let predictor = try TreePredictor.decode(from: &r)
        guard fc == predictor.featureCount, gain.count == fc, splits.count == fc else {
            throw ModelFileError(code: .corrupt, message: "forest model: feature count \(fc) and importance lengths \(gain.count)/\(splits.count) disagree with the \(predictor.featureCount)-feature ensemble")
        }
        return RandomForest(parameters: params, featureCount: fc, predictor: predictor,
                            importanceGain: gain, importanceSplits: splits, oobR2: oob)
    }
}
