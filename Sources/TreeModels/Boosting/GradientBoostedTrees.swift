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

/// Histogram gradient-boosted trees (LightGBM-style leaf-wise growth), for regression and for
/// binary or multiclass classification.
///
/// Regression: prediction = init score + Σ trees (leaf values already include the learning
/// rate). Binary: one such score, the log-odds of class 1. Multiclass: one score per class,
/// each with its own trees (one per round), turned into probabilities by a softmax.
public struct GradientBoostedTrees: Regressor {
    public static let kind = "gbm"
    public let parameters: GBMParameters
    public let featureCount: Int
    /// Classes of a classifier (≥ 2); 0 for regression.
    public let classCount: Int
    /// The compiled ensembles, one per score: base = the score's init value.
    public let predictors: [TreePredictor]
    /// Trees kept per score (the best round under early stopping, else every round).
    public let bestIteration: Int
    /// Σ split gain per feature over the kept trees.
    public let importanceGain: [Double]
    /// Number of splits per feature over the kept trees.
    public let importanceSplits: [Int]

    /// The first (for regression and binary classification, the only) score's ensemble.
    public var predictor: TreePredictor { predictors[0] }
    /// The first score's init value.
    public var initScore: Double { predictors[0].base }
    public var featureImportance: [Double]? { importanceGain }
    public var treeCount: Int { predictors.reduce(0) { $0 + $1.treeCount } }
    /// Values per row `predict` writes: 1 (regression) or one probability per class.
    public var outputCount: Int { classCount == 0 ? 1 : classCount }

    init(parameters: GBMParameters, featureCount: Int, classCount: Int, initScores: [Double], trees: [[Tree]], scale: Double = 1) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.classCount = classCount
        bestIteration = trees[0].count
        predictors = zip(trees, initScores).map { TreePredictor(trees: $0, base: $1, scale: scale, featureCount: featureCount) }
        var gain = [Double](repeating: 0, count: featureCount), splits = [Int](repeating: 0, count: featureCount)
        for t in trees.joined() { for k in 0..<t.nodeCount { gain[Int(t.feature[k])] += t.gain[k]; splits[Int(t.feature[k])] += 1 } }
        importanceGain = gain
        importanceSplits = splits
    }

    /// An ensemble whose trees were fitted elsewhere (an imported LightGBM or XGBoost model).
    /// - Parameters:
    ///   - trees: one list of trees per score (one score for regression and binary, one per class
    ///     for multiclass), leaf values already scaled by the learning rate.
    ///   - initScores: each score's constant, added before the trees.
    ///   - loss: `.squared` (raw scores), `.logistic` (σ of the score) or `.softmax`.
    ///   - scoreScale: each score is `initScore + scoreScale × Σ trees` before the loss's
    ///     transform (LightGBM's `sigmoid` parameter, or 1 / iterations for an averaged forest).
    public init(importedTrees trees: [[Tree]], initScores: [Double], loss: GBMLoss, featureCount: Int, classCount: Int,
                scoreScale: Double = 1) {
        precondition(trees.count == initScores.count && !trees.isEmpty, "one init score per list of trees")
        var p = GBMParameters()
        p.loss = loss
        p.rounds = max(1, trees[0].count)
        self.init(parameters: p, featureCount: featureCount, classCount: classCount, initScores: initScores, trees: trees,
                  scale: scoreScale)
    }

    init(parameters: GBMParameters, featureCount: Int, classCount: Int = 0, bestIteration: Int,
         predictors: [TreePredictor], importanceGain: [Double], importanceSplits: [Int]) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.classCount = classCount
        self.bestIteration = bestIteration
        self.predictors = predictors
        self.importanceGain = importanceGain
        self.importanceSplits = importanceSplits
    }

    init(parameters: GBMParameters, featureCount: Int, initScore: Double, bestIteration: Int,
         predictor: TreePredictor, importanceGain: [Double], importanceSplits: [Int]) {
        self.init(parameters: parameters, featureCount: featureCount, bestIteration: bestIteration, predictors: [predictor],
                  importanceGain: importanceGain, importanceSplits: importanceSplits)
    }

    /// Scores rows × featureCount into `output` (rows × `outputCount`, row-major) on both cores:
    /// values for regression, class probabilities for a classifier.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predict(x, into: output, threads: parameters.threads)
    }

    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        guard classCount > 0 else {
            predictor.predict(x, into: output, threads: threads)
            return
        }
        let scores = rawScores(x, threads: threads)
        scores.withUnsafeBufferPointer { s in
            GBMLoss.probabilities(scores: s, rows: x.rows, classes: classCount, softmax: parameters.loss == .softmax, into: output)
        }
    }

    /// Every score of every row, score-major (score k of row i at `k * rows + i`).
    public func rawScores(_ x: FeatureMatrix, threads: Int) -> [Double] {
        let n = x.rows
        var scores = [Double](repeating: 0, count: predictors.count * n)
        scores.withUnsafeMutableBufferPointer { sb in
            for (k, p) in predictors.enumerated() {
                p.predict(x, into: UnsafeMutableBufferPointer(rebasing: sb[(k * n)..<((k + 1) * n)]), threads: threads)
            }
        }
        return scores
    }

    /// The plain tree walk the fast path is tested against (the same output layout).
    public func predictReference(_ x: FeatureMatrix) -> [Double] {
        guard classCount > 0 else { return predictor.predictReference(x) }
        let scores = predictors.flatMap { $0.predictReference(x) }
        var out = [Double](repeating: 0, count: x.rows * classCount)
        scores.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                GBMLoss.probabilities(scores: s, rows: x.rows, classes: classCount, softmax: parameters.loss == .softmax, into: o)
            }
        }
        return out
    }

    /// Fits a boosted regression ensemble.
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
        try fit(FeatureColumns(x), y, parameters: parameters, validation: validation.map { (FeatureColumns($0.x), $0.y) },
                progress: progress)
    }

    /// `fit` on columns handed over one at a time: each is binned as it comes, so the Float64
    /// matrix never has to exist (the model only ever sees the bins).
    public static func fit(_ x: FeatureColumns, _ y: [Double], parameters: GBMParameters = GBMParameters(),
                           validation: (x: FeatureColumns, y: [Double])? = nil,
                           progress: TrainingProgress? = nil) throws -> GBMFitResult {
        try checkParameters(parameters, columns: x.count)
        guard !parameters.loss.isClassification else {
            throw TreeModelsError(code: .invalidParameter, message: "gbm: loss \(parameters.loss.name) fits classes: use fitClassifier")
        }
        try validateTrainingData(x, y, model: "gbm", minRows: parameters.minDataInLeaf)
        if let v = validation {
            if let bad = v.y.firstIndex(where: { !$0.isFinite }) {
                throw TreeModelsError(code: .invalidTarget, message: "gbm: validation target is NaN or infinite at row \(bad)")
            }
        }
        return try boost(x, .values(y), parameters: parameters, validation: validation.map { ($0.x, .values($0.y)) },
                         classCount: 0, progress: progress)
    }

    /// Fits a boosted classifier: binary (`loss` .logistic, two classes) or multiclass (.softmax).
    /// - Parameters:
    ///   - classes: each row's class index, 0..<classCount.
    ///   - validation: explicit early-stopping set (class indices alike); otherwise, with early
    ///     stopping, `validationFraction` of the rows is held out (seeded). Its metric is log loss.
    /// - Throws: `TreeModelsError` for bad parameters, labels (naming the rows) or shapes.
    public static func fitClassifier(_ x: FeatureMatrix, classes: [Int32], classCount: Int, parameters: GBMParameters,
                                     validation: (x: FeatureMatrix, classes: [Int32])? = nil,
                                     progress: TrainingProgress? = nil) throws -> GBMFitResult {
        try fitClassifier(FeatureColumns(x), classes: classes, classCount: classCount, parameters: parameters,
                          validation: validation.map { (FeatureColumns($0.x), $0.classes) }, progress: progress)
    }

    /// `fitClassifier` on columns handed over one at a time (see `fit(_:_:parameters:validation:progress:)`).
    public static func fitClassifier(_ x: FeatureColumns, classes: [Int32], classCount: Int, parameters: GBMParameters,
                                     validation: (x: FeatureColumns, classes: [Int32])? = nil,
                                     progress: TrainingProgress? = nil) throws -> GBMFitResult {
        let p = parameters
        try checkParameters(p, columns: x.count)
        guard p.loss.isClassification else {
            throw TreeModelsError(code: .invalidParameter, message: "gbm: loss \(p.loss.name) fits numbers, not classes")
        }
        guard classCount >= 2, p.loss == .softmax || classCount == 2 else {
            throw TreeModelsError(code: .invalidTarget, message: "gbm: \(classCount) classes for loss \(p.loss.name) (logistic needs exactly 2, softmax at least 2)")
        }
        guard p.classWeights.isEmpty || p.classWeights.count == classCount else {
            throw TreeModelsError(code: .invalidParameter, message: "gbm: \(p.classWeights.count) class weights for \(classCount) classes")
        }
        try validateLabels(classes, classCount: classCount, rows: x.rows, what: "gbm")
        guard x.count > 0, x.rows >= p.minDataInLeaf else {
            throw TreeModelsError(code: .tooFewRows, message: "gbm: \(x.rows) training rows × \(x.count) features, at least min_data_in_leaf = \(p.minDataInLeaf) rows and one feature needed")
        }
        if let v = validation { try validateLabels(v.classes, classCount: classCount, rows: v.x.rows, what: "gbm validation set") }
        let targets = ClassTargets(labels: classes, classCount: classCount, weights: p.classWeights)
        return try boost(x, .classes(targets), parameters: p,
                         validation: validation.map { ($0.x, .classes(ClassTargets(labels: $0.classes, classCount: classCount, weights: p.classWeights))) },
                         classCount: classCount, progress: progress)
    }

    /// The rounds of boosting, after the shared checks and the validation split.
    private static func boost(_ x: FeatureColumns, _ targets: BoostingTargets, parameters p: GBMParameters,
                              validation: (x: FeatureColumns, targets: BoostingTargets)?, classCount: Int,
                              progress: TrainingProgress?) throws -> GBMFitResult {
        let (train, valid) = try holdOut(x, targets, parameters: p, validation: validation)
        let run = try Boosting(parameters: p, x: train.x, targets: train.targets, validation: valid)
        return boost(run, featureCount: x.count, classCount: classCount, progress: progress)
    }

    /// Fits on rows binned already (`BinnedMatrix.Builder`): the training rows and, for early
    /// stopping, the validation rows binned with the same mappers (see `validationHoldout`).
    /// - Parameters:
    ///   - values: regression targets, one per training row (nil for a classifier).
    ///   - classes: class indices with `classCount` ≥ 2 (nil for regression); `loss` must agree.
    public static func fit(binned: BinnedMatrix, values: [Double]?, classes: [Int32]?, classCount: Int,
                           parameters p: GBMParameters, validation: (binned: BinnedMatrix, values: [Double]?, classes: [Int32]?)?,
                           progress: TrainingProgress? = nil) throws -> GBMFitResult {
        try checkParameters(p, columns: binned.features)
        func targets(_ values: [Double]?, _ classes: [Int32]?, rows: Int, what: String) throws -> BoostingTargets {
            if let values, !p.loss.isClassification {
                guard values.count == rows else { throw TreeModelsError(code: .shapeMismatch, message: "\(what): \(rows) rows but \(values.count) targets") }
                return .values(values)
            }
            guard let classes, p.loss.isClassification, classCount >= 2 else {
                throw TreeModelsError(code: .invalidParameter, message: "gbm: loss \(p.loss.name) needs \(p.loss.isClassification ? "class indices" : "numeric targets")")
            }
            try validateLabels(classes, classCount: classCount, rows: rows, what: what)
            return .classes(ClassTargets(labels: classes, classCount: classCount, weights: p.classWeights))
        }
        guard binned.features > 0, binned.rows >= p.minDataInLeaf else {
            throw TreeModelsError(code: .tooFewRows, message: "gbm: \(binned.rows) training rows × \(binned.features) features, at least min_data_in_leaf = \(p.minDataInLeaf) rows and one feature needed")
        }
        let train = try targets(values, classes, rows: binned.rows, what: "gbm")
        let valid = try validation.map { ($0.binned, try targets($0.values, $0.classes, rows: $0.binned.rows, what: "gbm validation set")) }
        let run = Boosting(parameters: p, binned: binned, targets: train, validation: valid)
        return boost(run, featureCount: binned.features, classCount: p.loss.isClassification ? classCount : 0, progress: progress)
    }

    /// The rows early stopping holds out of `rows` training rows, and the rows left to fit on
    /// (both ascending); nil without early stopping. The in-memory fit holds out the same rows.
    public static func validationHoldout(rows: Int, parameters p: GBMParameters) -> (fit: [Int], validation: [Int])? {
        guard p.earlyStoppingRounds != nil else { return nil }
        var rng = SeededGenerator.stream(seed: p.seed, 0x7A11D)
        var order = Array(0..<rows)
        rng.shuffle(&order)
        let nv = max(1, Int((Double(rows) * p.validationFraction).rounded()))
        return (Array(order[nv...]).sorted(), Array(order[0..<nv]).sorted())
    }

    /// Runs the rounds of a prepared boosting run and keeps the trees of the best round.
    private static func boost(_ prepared: Boosting, featureCount: Int, classCount: Int, progress: TrainingProgress?) -> GBMFitResult {
        var run = prepared
        let p = run.parameters
        for round in 0..<p.rounds {
            let rows = run.sampleRows(round: round), features = run.sampleFeatures(round: round)
            for k in 0..<run.scoreCount { run.growTree(score: k, rows: rows, features: features) }
            let (trainMetric, validMetric) = run.finishRound(round)
            progress?(round + 1, p.rounds, trainMetric, validMetric)
            if run.shouldStop(after: round) { break }
        }
        let kept = run.keptRounds
        let model = GradientBoostedTrees(parameters: p, featureCount: featureCount, classCount: classCount, initScores: run.initScores,
                                         trees: run.trees.map { Array($0[0..<kept]) })
        return GBMFitResult(model: model, warnings: run.warnings, trainMetric: run.trainMetric,
                            validMetric: run.validation == nil ? nil : run.validMetric, bestIteration: kept)
    }

    /// The training rows and the validation set: the one given, or (with early stopping) a
    /// seeded `validationFraction` of the rows held out.
    private static func holdOut(_ x: FeatureColumns, _ targets: BoostingTargets, parameters p: GBMParameters,
                                validation: (x: FeatureColumns, targets: BoostingTargets)?) throws
        -> (train: (x: FeatureColumns, targets: BoostingTargets), valid: (x: FeatureColumns, targets: BoostingTargets)?) {
        if let v = validation {
            guard v.x.count == x.count, v.x.rows == v.targets.count, v.x.rows > 0 else {
                throw TreeModelsError(code: .shapeMismatch, message: "gbm: validation set is \(v.x.rows)×\(v.x.count) with \(v.targets.count) targets, expected \(x.count) columns and one target per row")
            }
            return ((x, targets), v)
        }
        guard let (trainRows, validRows) = validationHoldout(rows: x.rows, parameters: p) else { return ((x, targets), nil) }
        guard trainRows.count >= p.minDataInLeaf else {
            throw TreeModelsError(code: .tooFewRows, message: "gbm: \(trainRows.count) rows left after holding out validation_fraction = \(p.validationFraction), at least min_data_in_leaf = \(p.minDataInLeaf) needed")
        }
        return ((x.selecting(rows: trainRows), targets.selecting(rows: trainRows)),
                (x.selecting(rows: validRows), targets.selecting(rows: validRows)))
    }
}

/// Checks the parameters and that categorical features name columns of the matrix.
private func checkParameters(_ p: GBMParameters, columns: Int) throws {
    try p.validate()
    for c in p.categoricalFeatures where c >= columns {
        throw TreeModelsError(code: .invalidParameter, message: "gbm parameter categorical_features names feature \(c), but the matrix has \(columns) features (0...\(columns - 1))")
    }
}

/// Checks class indices: every one in 0..<classCount and one per row.
func validateLabels(_ labels: [Int32], classCount: Int, rows: Int, what: String) throws {
    guard labels.count == rows else {
        throw TreeModelsError(code: .shapeMismatch, message: "\(what): \(rows) rows but \(labels.count) labels")
    }
    let bad = labels.indices.filter { labels[$0] < 0 || Int(labels[$0]) >= classCount }
    if !bad.isEmpty {
        throw TreeModelsError(code: .invalidTarget, message: "\(what): class index outside 0...\(classCount - 1) at \(describeFirst(bad, noun: bad.count == 1 ? "row" : "rows"))")
    }
}

extension GradientBoostedTrees {
    /// Payload versions: 1, a regression ensemble; 2, a classifier (class count, class weights,
    /// one ensemble per score); 3 and 4, the same with every node's and leaf's cover after each
    /// ensemble's arrays (for TreeSHAP). Ensembles with covers (every fitted one) are written as 3
    /// or 4; imported trees without covers keep 1 or 2.
    static let regressionFormat: UInt8 = 1
    static let classifierFormat: UInt8 = 2
    static let regressionWithCoverFormat: UInt8 = 3
    static let classifierWithCoverFormat: UInt8 = 4

    /// Writes parameters, init scores, best iteration, importance and the flat tree arrays.
    public func encode(to w: inout BinaryWriter) {
        let cover = predictors.allSatisfy(\.hasCover)
        w.write(classCount == 0 ? (cover ? Self.regressionWithCoverFormat : Self.regressionFormat)
                                : (cover ? Self.classifierWithCoverFormat : Self.classifierFormat))
        parameters.encode(to: &w)
        if classCount > 0 {
            w.write(Int64(classCount))
            w.write(array: parameters.classWeights)
            w.write(Int64(predictors.count))
        }
        w.write(Int64(featureCount))
        if classCount == 0 { w.write(initScore) }
        w.write(Int64(bestIteration))
        w.write(array: importanceGain); w.write(array: importanceSplits.map { Int64($0) })
        for p in predictors { p.encode(to: &w, cover: cover) }
    }

    /// Reads what `encode(to:)` wrote.
    public static func decode(from r: inout BinaryReader) throws -> GradientBoostedTrees {
        let stored = try r.read(UInt8.self)
        guard (1...4).contains(stored) else {
            throw ModelFileError(code: .newerFormat, message: "gbm model payload version \(stored), this build reads versions 1 to 4")
        }
        let cover = stored >= regressionWithCoverFormat
        let v = cover ? stored - 2 : stored
        var params = try GBMParameters.decode(from: &r)
        var classCount = 0, scoreCount = 1
        if v == classifierFormat {
            classCount = Int(try r.read(Int64.self))
            params.classWeights = try r.readArray()
            scoreCount = Int(try r.read(Int64.self))
            guard classCount >= 2, scoreCount == (params.loss == .softmax ? classCount : 1), params.loss.isClassification,
                  params.classWeights.isEmpty || params.classWeights.count == classCount else {
                throw ModelFileError(code: .corrupt, message: "gbm model: \(classCount) classes, \(scoreCount) scores and loss \(params.loss.name) disagree")
            }
        }
        let fc = Int(try r.read(Int64.self))
        if v == regressionFormat { _ = try r.readDouble() }   // the init score, also the predictor's base
        let best = Int(try r.read(Int64.self))
        let gain: [Double] = try r.readArray(), splits = try r.readArray(of: Int64.self).map { Int($0) }
        var predictors: [TreePredictor] = []
        for _ in 0..<scoreCount { predictors.append(try TreePredictor.decode(from: &r, cover: cover)) }
        guard gain.count == fc, splits.count == fc,
              predictors.allSatisfy({ $0.featureCount == fc && $0.treeCount == best }) else {
            throw ModelFileError(code: .corrupt, message: "gbm model: feature count \(fc), importance lengths \(gain.count)/\(splits.count), best iteration \(best) and the trees disagree")
        }
        return GradientBoostedTrees(parameters: params, featureCount: fc, classCount: classCount, bestIteration: best,
                                    predictors: predictors, importanceGain: gain, importanceSplits: splits)
    }
}
