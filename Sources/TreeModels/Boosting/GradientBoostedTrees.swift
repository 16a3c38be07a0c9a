import MLCore
import Tabular

/// Per-round progress: round (1-based), total rounds, training metric, validation metric if any.
public typealias TrainingProgress = (_ round: Int, _ total: Int, _ trainMetric: Double, _ validMetric: Double?) -> Void

/// What `GradientBoostedTrees.fit` returns.
public struct GBMFitResult: Sendable {
    public var model: GradientBoostedTrees
    /// E.g. features dropped because every value was missing.
    public var warnings: [String]
    /// Training metric after each round run (RMSE, MAE, Huber or pinball per the loss).
    public var trainMetric: [Double]
    /// Validation metric after each round run, when a validation set was used.
    public var validMetric: [Double]?
    /// Trees kept (the best round under early stopping, else every round).
    public var bestIteration: Int
}

/// Histogram gradient-boosted regression trees (LightGBM-style leaf-wise growth).
///
/// Prediction = init score + Σ trees (leaf values already include the learning rate).
public struct GradientBoostedTrees: Regressor {
    public static let kind = "gbm"
    public let parameters: GBMParameters
    public let featureCount: Int
    public let initScore: Double
    /// Number of trees kept.
    public let bestIteration: Int
    /// The compiled ensemble used for scoring.
    public let predictor: TreePredictor
    /// Σ split gain per feature over the kept trees.
    public let importanceGain: [Double]
    /// Number of splits per feature over the kept trees.
    public let importanceSplits: [Int]

    public var featureImportance: [Double]? { importanceGain }
    public var treeCount: Int { predictor.treeCount }

    init(parameters: GBMParameters, featureCount: Int, initScore: Double, trees: [Tree]) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.initScore = initScore
        bestIteration = trees.count
        predictor = TreePredictor(trees: trees, base: initScore, scale: 1, featureCount: featureCount)
        var gain = [Double](repeating: 0, count: featureCount), splits = [Int](repeating: 0, count: featureCount)
        for t in trees { for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 } }
        importanceGain = gain
        importanceSplits = splits
    }

    init(parameters: GBMParameters, featureCount: Int, initScore: Double, bestIteration: Int,
         predictor: TreePredictor, importanceGain: [Double], importanceSplits: [Int]) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.initScore = initScore
        self.bestIteration = bestIteration
        self.predictor = predictor
        self.importanceGain = importanceGain
        self.importanceSplits = importanceSplits
    }

    /// Scores rows × featureCount into `output` with the compiled ensemble (both cores).
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predictor.predict(x, into: output, threads: parameters.threads)
    }

    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        predictor.predict(x, into: output, threads: threads)
    }

    /// The plain tree walk the fast path is tested against.
    public func predictReference(_ x: FeatureMatrix) -> [Double] { predictor.predictReference(x) }

    /// Fits a boosted ensemble.
    /// - Parameters:
    ///   - x: rows × features, NaN = missing; categorical columns hold integer codes.
    ///   - y: one finite target per row.
    ///   - validation: explicit early-stopping/validation set; otherwise, when early stopping is
    ///     on, `validationFraction` of the rows is held out (seeded).
    ///   - progress: called after every round.
    /// - Throws: `TreeModelsError` for bad parameters, targets or shapes.
    public static func fit(_ x: FeatureMatrix, _ y: [Double], parameters: GBMParameters = GBMParameters(),
                           validation: (x: FeatureMatrix, y: [Double])? = nil,
                           progress: TrainingProgress? = nil) throws -> GBMFitResult {
        let p = parameters
        try p.validate()
        for c in p.categoricalFeatures where c >= x.columns {
            throw TreeModelsError(code: .invalidParameter, message: "gbm parameter categorical_features names feature \(c), but the matrix has \(x.columns) features (0...\(x.columns - 1))")
        }
        try validateTrainingData(x, y, model: "gbm", minRows: p.minDataInLeaf)

        // Training / validation rows.
        var xt = x, yt = y
        var xv: FeatureMatrix? = nil, yv: [Double]? = nil
        if let v = validation {
            guard v.x.columns == x.columns, v.x.rows == v.y.count, v.x.rows > 0 else {
                throw TreeModelsError(code: .shapeMismatch, message: "gbm: validation set is \(v.x.rows)×\(v.x.columns) with \(v.y.count) targets, expected \(x.columns) columns and one target per row")
            }
            if let bad = v.y.firstIndex(where: { !$0.isFinite }) {
                throw TreeModelsError(code: .invalidTarget, message: "gbm: validation target is NaN or infinite at row \(bad)")
            }
            xv = v.x; yv = v.y
        } else if p.earlyStoppingRounds != nil {
            var rng = SeededGenerator.stream(seed: p.seed, 0x7A11D)
            var order = Array(0..<x.rows)
            rng.shuffle(&order)
            let nv = max(1, Int((Double(x.rows) * p.validationFraction).rounded()))
            let validRows = Array(order[0..<nv]).sorted(), trainRows = Array(order[nv...]).sorted()
            guard trainRows.count >= p.minDataInLeaf else {
                throw TreeModelsError(code: .tooFewRows, message: "gbm: \(trainRows.count) rows left after holding out validation_fraction = \(p.validationFraction), at least min_data_in_leaf = \(p.minDataInLeaf) needed")
            }
            xt = x.selecting(rows: trainRows); yt = trainRows.map { y[$0] }
            xv = x.selecting(rows: validRows); yv = validRows.map { y[$0] }
        }

        let n = xt.rows
        let binned = try BinnedMatrix(xt, maxBins: p.maxBins, categorical: Set(p.categoricalFeatures), seed: p.seed, threads: p.threads)
        let (usable, warnings) = usableFeatures(binned)
        var splitter = Splitter(lambdaL2: p.lambdaL2, minDataInLeaf: p.minDataInLeaf,
                                minSumHessianInLeaf: p.minSumHessianInLeaf, minGainToSplit: p.minGainToSplit)
        splitter.categoricalSmoothing = 10
        let grower = TreeGrower(binned: binned, config: TreeGrowerConfig(maxLeaves: p.maxLeaves, maxDepth: p.maxDepth, splitter: splitter),
                                threads: p.threads)

        let initScore = p.loss.initScore(yt)
        var score = [Double](repeating: initScore, count: n)
        var validScore = [Double](repeating: initScore, count: xv?.rows ?? 0)
        var grad = [Float](repeating: 0, count: n)
        var trees: [Tree] = []
        var trainMetric: [Double] = [], validMetric: [Double] = []
        var bestRound = 0, bestValid = Double.infinity
        let allRows = (0..<n).map { Int32($0) }
        let bagCount = max(1, Int(Double(n) * p.subsample))
        let featureCount = max(1, Int((Double(usable.count) * p.featureFraction).rounded()))
        var inBag = [Bool](repeating: true, count: n)
        var treeBuffer = [Double](repeating: 0, count: max(n, xv?.rows ?? 0))
        var noRng = SeededGenerator(seed: p.seed)
        // Squared loss on every row and feature: a row's next gradient is this one plus its leaf's
        // value, so the grower carries the root histogram from tree to tree instead of rebuilding it.
        let carryRoot = p.loss == .squared && bagCount >= n && featureCount >= usable.count
        // Gradients of the first round; each round then computes the next one's with its metric.
        grad.withUnsafeMutableBufferPointer { gb in
            _ = p.loss.gradientsAndMetric(y: yt, score: score, gradients: gb, threads: p.threads)
        }

        for round in 0..<p.rounds {
            var rows = allRows
            if bagCount < n {
                var rng = SeededGenerator.stream(seed: p.seed, UInt64(round) &+ 0x1_0000_0000)
                var all = allRows
                for i in 0..<bagCount { all.swapAt(i, i + rng.below(n - i)) }
                rows = Array(all[0..<bagCount]).sorted()
                for i in 0..<n { inBag[i] = false }
                for r in rows { inBag[Int(r)] = true }
            }
            var feats = usable
            if featureCount < usable.count {
                var rng = SeededGenerator.stream(seed: p.seed, UInt64(round) &+ 0x2_0000_0000)
                for i in 0..<featureCount { feats.swapAt(i, i + rng.below(feats.count - i)) }
                feats = Array(feats[0..<featureCount]).sorted()
            }
            var grown = grower.grow(rows: rows, gradients: grad, hessians: nil, features: feats, rng: &noRng, rowsAreAll: bagCount >= n,
                                     carryRoot: carryRoot)
            let part = grown.partition
            if let q = p.loss.renewQuantile {
                for l in 0..<part.leafCount where part.count[l] > 0 {
                    var res = part.withRows(of: l) { rb in rb.map { yt[Int($0)] - score[Int($0)] } }
                    grown.tree.leafValue[l] = sampleQuantile(&res, q)
                }
            }
            grown.tree.scale(by: p.learningRate)
            let tree = grown.tree
            if carryRoot { grower.advanceCarriedRoot(leafValues: tree.leafValue, partition: part) }
            // Training scores: bagged rows through the partition, the others by walking the tree.
            // Rows are disjoint across leaves: the partition's positions are split over threads.
            score.withUnsafeMutableBufferPointer { sb in
            part.indices.withUnsafeBufferPointer { ib in
                let scores = sb, order = ib
                let pieces = order.count >= 1 << 16 ? p.threads : 1
                parallelChunks(order.count, chunks: pieces) { _, range in
                    for l in 0..<part.leafCount {
                        let lo = max(range.lowerBound, part.begin[l]), hi = min(range.upperBound, part.begin[l] + part.count[l])
                        let v = tree.leafValue[l]
                        for k in lo..<max(lo, hi) { scores[Int(order[k])] += v }
                    }
                }
            }}
            if bagCount < n {
                let single = TreePredictor(trees: [tree], base: 0, scale: 1, featureCount: x.columns)
                treeBuffer.withUnsafeMutableBufferPointer { tb in
                    single.predict(xt, into: UnsafeMutableBufferPointer(rebasing: tb[0..<n]), threads: p.threads)
                }
                for i in 0..<n where !inBag[i] { score[i] += treeBuffer[i] }
            }
            trees.append(tree)
            let tm = grad.withUnsafeMutableBufferPointer { gb in
                p.loss.gradientsAndMetric(y: yt, score: score, gradients: gb, threads: p.threads)
            }
            trainMetric.append(tm)
            var vm: Double? = nil
            if let xv, let yv {
                let single = TreePredictor(trees: [tree], base: 0, scale: 1, featureCount: x.columns)
                treeBuffer.withUnsafeMutableBufferPointer { tb in
                    single.predict(xv, into: UnsafeMutableBufferPointer(rebasing: tb[0..<xv.rows]), threads: p.threads)
                }
                for i in 0..<xv.rows { validScore[i] += treeBuffer[i] }
                let m = p.loss.metric(y: yv, score: validScore, threads: p.threads)
                vm = m
                validMetric.append(m)
                if m < bestValid { bestValid = m; bestRound = round + 1 }
            }
            progress?(round + 1, p.rounds, tm, vm)
            if let patience = p.earlyStoppingRounds, xv != nil, round + 1 - bestRound >= patience { break }
        }
        let kept = p.earlyStoppingRounds != nil && xv != nil ? max(1, bestRound) : trees.count
        let model = GradientBoostedTrees(parameters: p, featureCount: x.columns, initScore: initScore, trees: Array(trees[0..<kept]))
        return GBMFitResult(model: model, warnings: warnings, trainMetric: trainMetric,
                            validMetric: xv == nil ? nil : validMetric, bestIteration: kept)
    }
}

extension GradientBoostedTrees {
    static let formatVersion: UInt8 = 1

    /// Writes parameters, init score, best iteration, importance and the flat tree arrays.
    public func encode(to w: inout BinaryWriter) {
        w.write(Self.formatVersion)
        parameters.encode(to: &w)
        w.write(Int64(featureCount)); w.write(initScore); w.write(Int64(bestIteration))
        w.write(array: importanceGain); w.write(array: importanceSplits.map { Int64($0) })
        predictor.encode(to: &w)
    }

    /// Reads what `encode(to:)` wrote.
    public static func decode(from r: inout BinaryReader) throws -> GradientBoostedTrees {
        let v = try r.read(UInt8.self)
        guard v == formatVersion else {
            throw ModelFileError(code: .newerFormat, message: "gbm model payload version \(v), this build reads version \(formatVersion)")
        }
        let params = try GBMParameters.decode(from: &r)
        let fc = Int(try r.read(Int64.self)), initScore = try r.readDouble(), best = Int(try r.read(Int64.self))
        let gain: [Double] = try r.readArray(), splits = try r.readArray(of: Int64.self).map { Int($0) }
        let predictor = try TreePredictor.decode(from: &r)
        guard fc == predictor.featureCount, gain.count == fc, splits.count == fc, best == predictor.treeCount else {
            throw ModelFileError(code: .corrupt, message: "gbm model: feature count \(fc), importance lengths \(gain.count)/\(splits.count), best iteration \(best) and \(predictor.treeCount) trees disagree")
        }
        return GradientBoostedTrees(parameters: params, featureCount: fc, initScore: initScore, bestIteration: best,
                                    predictor: predictor, importanceGain: gain, importanceSplits: splits)
    }
}
