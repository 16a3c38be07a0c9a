import MLCore
import Tabular

/// What a boosting run fits: numbers (the regression losses) or class labels.
enum BoostingTargets: Sendable {
    case values([Double])
    case classes(ClassTargets)

    var count: Int {
        switch self {
        case .values(let y): y.count
        case .classes(let t): t.labels.count
        }
    }

    func selecting(rows: [Int]) -> BoostingTargets {
        switch self {
        case .values(let y): .values(rows.map { y[$0] })
        case .classes(let t): .classes(t.selecting(rows: rows))
        }
    }
}

/// One boosting fit, round by round: each round grows one tree per score (one, or one per class
/// for softmax) on the current gradients, adds them to the training and validation scores, and
/// computes the next gradients with the round's metric. The state a round changes lives here;
/// `GradientBoostedTrees.fit` reads like the list of its phases.
struct Boosting {
    let parameters: GBMParameters
    let targets: BoostingTargets
    /// The training rows' bins; the validation rows' bins (same mappers) and targets.
    let binned: BinnedMatrix
    let validation: (binned: BinnedMatrix, targets: BoostingTargets)?
    let usable: [Int]
    let warnings: [String]
    let grower: TreeGrower
    /// Squared loss on every row and feature: a row's next gradient is this one plus its leaf's
    /// value, so the grower carries the root histogram from tree to tree instead of rebuilding it.
    let carryRoot: Bool
    let initScores: [Double]
    /// Score-major (score k of row i at `k * rows + i`; one score, or one per class): every
    /// training row's scores, gradients and hessians (nil for the regression losses, whose
    /// hessians are 1), and the validation rows' scores.
    var scores: [Double]
    var gradients: [Float]
    var hessians: [Float]?
    var validScores: [Double]
    /// Trees per score, in round order.
    var trees: [[Tree]]
    var trainMetric: [Double] = []
    var validMetric: [Double] = []
    var bestRound = 0
    private var bestValid = Double.infinity
    private let allRows: [Int32]
    private let bagCount: Int
    private let featureCount: Int
    private var inBag: [Bool]
    private var noRng: SeededGenerator

    var rows: Int { binned.rows }
    var scoreCount: Int { initScores.count }

    /// Bins the training and validation rows, builds the grower and the first round's gradients.
    init(parameters p: GBMParameters, x: FeatureColumns, targets: BoostingTargets,
         validation: (x: FeatureColumns, targets: BoostingTargets)?) throws {
        let binned = try BinnedMatrix(x, maxBins: p.maxBins, categorical: Set(p.categoricalFeatures), seed: p.seed, threads: p.threads)
        self.init(parameters: p, binned: binned, targets: targets,
                  validation: validation.map { (BinnedMatrix($0.x, mappers: binned.mappers, threads: p.threads), $0.targets) })
    }

    /// Builds the grower and the first round's gradients on rows binned already.
    init(parameters p: GBMParameters, binned: BinnedMatrix, targets: BoostingTargets,
         validation: (binned: BinnedMatrix, targets: BoostingTargets)?) {
        parameters = p
        self.targets = targets
        let n = binned.rows
        self.binned = binned
        self.validation = validation
        (usable, warnings) = usableFeatures(binned)
        var splitter = Splitter(lambdaL2: p.lambdaL2, minDataInLeaf: p.minDataInLeaf,
                                minSumHessianInLeaf: p.minSumHessianInLeaf, minGainToSplit: p.minGainToSplit)
        splitter.categoricalSmoothing = 10
        grower = TreeGrower(binned: binned, config: TreeGrowerConfig(maxLeaves: p.maxLeaves, maxDepth: p.maxDepth, splitter: splitter),
                            threads: p.threads)
        allRows = (0..<n).map { Int32($0) }
        bagCount = max(1, Int(Double(n) * p.subsample))
        featureCount = max(1, Int((Double(usable.count) * p.featureFraction).rounded()))
        inBag = [Bool](repeating: true, count: n)
        noRng = SeededGenerator(seed: p.seed)
        carryRoot = p.loss == .squared && bagCount >= n && featureCount >= usable.count
        switch targets {
        case .values(let y):
            initScores = [p.loss.initScore(y)]
        case .classes(let t):
            initScores = p.loss.initScores(t)
        }
        let nv = self.validation?.binned.rows ?? 0
        scores = initScores.flatMap { [Double](repeating: $0, count: n) }
        validScores = initScores.flatMap { [Double](repeating: $0, count: nv) }
        gradients = [Float](repeating: 0, count: initScores.count * n)
        hessians = p.loss.isClassification ? [Float](repeating: 0, count: initScores.count * n) : nil
        trees = initScores.map { _ in [] }
        _ = computeGradients()
    }

    /// The rows the round's trees see: every row, or a seeded sample without replacement (sorted).
    mutating func sampleRows(round: Int) -> [Int32] {
        let n = rows
        guard bagCount < n else { return allRows }
        var rng = SeededGenerator.stream(seed: parameters.seed, UInt64(round) &+ 0x1_0000_0000)
        var all = allRows
        for i in 0..<bagCount { all.swapAt(i, i + rng.below(n - i)) }
        let sample = Array(all[0..<bagCount]).sorted()
        for i in 0..<n { inBag[i] = false }
        for r in sample { inBag[Int(r)] = true }
        return sample
    }

    /// The features the round's trees may split on: every usable one, or a seeded sample (sorted).
    func sampleFeatures(round: Int) -> [Int] {
        guard featureCount < usable.count else { return usable }
        var rng = SeededGenerator.stream(seed: parameters.seed, UInt64(round) &+ 0x2_0000_0000)
        var feats = usable
        for i in 0..<featureCount { feats.swapAt(i, i + rng.below(feats.count - i)) }
        return Array(feats[0..<featureCount]).sorted()
    }

    /// Grows score `k`'s tree of the round on the current gradients, re-fits its leaves where
    /// the loss asks, shrinks it, adds it to every score it moves and keeps it.
    mutating func growTree(score k: Int, rows: [Int32], features: [Int]) {
        let p = parameters, n = self.rows, span = (k * n)..<((k + 1) * n)
        var grown = gradients.withUnsafeBufferPointer { g in
            withOptionalBuffer(hessians) { h in
                grower.grow(rows: rows, gradients: UnsafeBufferPointer(rebasing: g[span]), hessians: h.map { UnsafeBufferPointer(rebasing: $0[span]) },
                            features: features, rng: &noRng, rowsAreAll: rows.count == n, carryRoot: carryRoot)
            }
        }
        if let q = p.loss.renewQuantile, case .values(let y) = targets { refitLeaves(&grown, quantile: q, y: y) }
        grown.tree.scale(by: p.learningRate)
        if carryRoot { grower.advanceCarriedRoot(leafValues: grown.tree.leafValue, partition: grown.partition) }
        addToTrainingScores(grown, score: k, bagged: rows.count < self.rows)
        if let v = validation {
            let nv = v.binned.rows
            validScores.withUnsafeMutableBufferPointer { vb in
                grown.addLeafValues(rows: nil, of: v.binned, to: UnsafeMutableBufferPointer(rebasing: vb[(k * nv)..<((k + 1) * nv)]))
            }
        }
        trees[k].append(grown.tree)
    }

    /// Leaf values re-fit to the `quantile` of their rows' residuals (absolute and pinball losses).
    private func refitLeaves(_ grown: inout GrownTree, quantile q: Double, y: [Double]) {
        let part = grown.partition, score = scores
        for l in 0..<part.leafCount where part.count[l] > 0 {
            var residuals = part.withRows(of: l) { rb in rb.map { y[Int($0)] - score[Int($0)] } }
            grown.tree.leafValue[l] = sampleQuantile(&residuals, q)
        }
    }

    /// Training scores: the tree's rows through its partition, the rows it did not see (bagging)
    /// by walking it. Rows are disjoint across leaves, so the partition's positions are split
    /// over threads.
    private mutating func addToTrainingScores(_ grown: GrownTree, score k: Int, bagged: Bool) {
        let tree = grown.tree, part = grown.partition, threads = parameters.threads, n = rows
        scores.withUnsafeMutableBufferPointer { sb in
        part.indices.withUnsafeBufferPointer { ib in
            let scores = UnsafeMutableBufferPointer(rebasing: sb[(k * n)..<((k + 1) * n)]), order = ib
            let pieces = order.count >= 1 << 16 ? threads : 1
            parallelChunks(order.count, chunks: pieces) { _, range in
                for l in 0..<part.leafCount {
                    let lo = max(range.lowerBound, part.begin[l]), hi = min(range.upperBound, part.begin[l] + part.count[l])
                    let v = tree.leafValue[l]
                    for i in lo..<max(lo, hi) { scores[Int(order[i])] += v }
                }
            }
        }}
        guard bagged else { return }
        let outOfBag = (0..<n).compactMap { inBag[$0] ? nil : Int32($0) }
        scores.withUnsafeMutableBufferPointer { sb in
            grown.addLeafValues(rows: outOfBag, of: binned, to: UnsafeMutableBufferPointer(rebasing: sb[(k * n)..<((k + 1) * n)]))
        }
    }

    /// The next round's gradients (and hessians) from the current scores; returns the training
    /// metric of those scores.
    mutating func computeGradients() -> Double {
        let threads = parameters.threads, loss = parameters.loss
        switch targets {
        case .values(let y):
            return gradients.withUnsafeMutableBufferPointer { gb in
                loss.gradientsAndMetric(y: y, score: scores, gradients: gb, threads: threads)
            }
        case .classes(let t):
            var h = hessians ?? []
            hessians = nil   // uniquely referenced while written
            defer { hessians = h }
            return scores.withUnsafeBufferPointer { s in
                gradients.withUnsafeMutableBufferPointer { g in
                    h.withUnsafeMutableBufferPointer { hb in
                        loss.classificationPass(t, scores: s, gradients: g, hessians: hb, threads: threads)
                    }
                }
            }
        }
    }

    /// Ends a round: the next gradients with the training metric, the validation metric and the
    /// best round so far. Returns (training, validation) metrics.
    mutating func finishRound(_ round: Int) -> (train: Double, valid: Double?) {
        let train = computeGradients()
        trainMetric.append(train)
        guard let v = validation else { return (train, nil) }
        let valid: Double
        switch v.targets {
        case .values(let y): valid = parameters.loss.metric(y: y, score: validScores, threads: parameters.threads)
        case .classes(let t):
            valid = validScores.withUnsafeBufferPointer { s in
                parameters.loss.classificationPass(t, scores: s, gradients: nil, hessians: nil, threads: parameters.threads)
            }
        }
        validMetric.append(valid)
        if valid < bestValid { bestValid = valid; bestRound = round + 1 }
        return (train, valid)
    }

    /// Whether early stopping ends the fit after `round`.
    func shouldStop(after round: Int) -> Bool {
        guard let patience = parameters.earlyStoppingRounds, validation != nil else { return false }
        return round + 1 - bestRound >= patience
    }

    /// Rounds kept: the best under early stopping, else every round run.
    var keptRounds: Int {
        parameters.earlyStoppingRounds != nil && validation != nil ? max(1, bestRound) : trees[0].count
    }
}
