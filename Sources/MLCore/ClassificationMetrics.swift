import Foundation
import Tabular

/// Classification metrics over true classes and predicted class probabilities, equal to
/// scikit-learn 1.9's (to rounding) wherever scikit-learn defines them.
///
/// Inputs: `classes`, one true class index in `0..<classCount` per row; `probabilities`,
/// rows × classCount, row-major, Float64, each row summing to 1. Binary problems have
/// `classCount == 2` and column 1 is the positive class.
///
/// Conventions:
/// - Predicted label. Binary: positive when p₁ ≥ `threshold` (default 0.5, so p₁ = 0.5 is
///   positive — scikit-learn's `(p >= t)` rule; note its `LogisticRegression.predict` uses
///   p₁ > 0.5 instead). Multiclass: argmax of the row, the first maximum on ties (numpy's
///   `argmax`); `threshold` is not used.
/// - Precision / recall / F1. Binary: of the positive class (`average="binary"`). Multiclass:
///   macro averages over the classes occurring in the true or the predicted labels
///   (scikit-learn's default `labels=None`; a class absent from both is left out), and weighted
///   averages (weights = true-class counts) in `precisionWeighted` etc. A 0/0 ratio counts 0:
///   scikit-learn's default `zero_division="warn"` gives the same 0 and emits an
///   UndefinedMetricWarning, which has no counterpart here.
/// - Balanced accuracy: mean recall over the classes present in the true labels (scikit-learn
///   drops the others with a warning).
/// - ROC AUC and average precision: one sort per score column, tied scores grouped (see
///   `RankedScores`). Binary: on p₁. Multiclass: one-vs-rest, macro average — scikit-learn's
///   `roc_auc_score(y, P, multi_class="ovr", average="macro")` and
///   `average_precision_score(y, P, average="macro")`. When some class never occurs in the true
///   labels scikit-learn refuses; here the average runs over the classes that occur (each
///   one-vs-rest problem is then well defined). Undefined values are NaN: the ROC AUC when the
///   true labels hold a single class, the binary average precision when no row is positive
///   (scikit-learn returns 0 with a warning there).
/// - Log loss: mean of −log p(true class), each probability clipped to [ε, 1 − ε] with
///   ε = `Double.ulpOfOne` (2.22e-16), rows not renormalised — scikit-learn 1.9's `log_loss`
///   (it only warns on rows not summing to 1; here they are rejected).
/// - Brier score. Binary: mean (y − p₁)² (scikit-learn's `brier_score_loss`, range [0, 1]).
///   Multiclass: mean over rows of Σₖ (pₖ − [k = y])², range [0, 2] — scikit-learn 1.9's
///   multiclass `brier_score_loss` (`scale_by_half="auto"` does not halve it for ≥ 3 classes).
/// - Expected calibration error: 15 equal-width bins on [0, 1], bin b = min(⌊15·s⌋, 14) for a
///   score s, ECE = Σ over non-empty bins (n_b / n) · |mean(target) − mean(s)|. Binary: s = p₁,
///   target = y. Multiclass: top-label — s = maxₖ pₖ, target = 1 when the argmax is the true
///   class. scikit-learn has no ECE; the fixture computes it with numpy from this definition.
/// - Confusion matrix: classCount × classCount, rows = true class, columns = predicted class.
///
/// Every field is a Double; undefined metrics are NaN, which `Codable` writes as `null` (JSON
/// has no NaN) and reads back as NaN, and `==` treats NaN as equal to NaN.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var balancedAccuracy: Double
    /// Binary: of the positive class. Multiclass: macro average.
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Multiclass only (nil for binary): averages weighted by true-class counts.
    public var precisionWeighted: Double?
    public var recallWeighted: Double?
    public var f1Weighted: Double?
    public var rocAUC: Double
    public var averagePrecision: Double
    public var logLoss: Double
    public var brier: Double
    public var ece: Double
    /// classCount × classCount counts, `confusionMatrix[true][predicted]`.
    public var confusionMatrix: [[Int]]
    /// The binary decision threshold used; nil for multiclass.
    public var threshold: Double?
    public var count: Int

    /// Number of equal-width bins of the expected calibration error.
    public static let calibrationBins = 15
    /// Rows must sum to 1 within `rowSumAbsoluteTolerance + rowSumRelativeTolerance` (numpy's
    /// `allclose` defaults, which scikit-learn's multiclass ROC AUC applies).
    public static let rowSumRelativeTolerance = 1e-5
    public static let rowSumAbsoluteTolerance = 1e-8

    public var classCount: Int { confusionMatrix.count }

    /// Computes every metric.
    ///
    /// - Parameters:
    ///   - classes: true class per row, in `0..<classCount`.
    ///   - probabilities: rows × classCount, row-major; finite, in [0, 1], rows summing to 1.
    ///   - classCount: K ≥ 2 (2: binary, column 1 positive).
    ///   - threshold: binary decision threshold in [0, 1]; ignored for K > 2.
    /// - Throws: `ClassificationMetricsError` for empty or invalid input (the message names the
    ///   first offending row). Undefined metrics are NaN, never an error.
    /// - Complexity: O(n·K) plus one O(n) radix sort per score column (K columns for
    ///   multiclass, ranked in parallel; one for binary).
    public init(classes: [Int], probabilities: [Double], classCount: Int, threshold: Double = 0.5) throws {
        try Self.validate(classes: classes, probabilities: probabilities, classCount: classCount)
        guard threshold >= 0, threshold <= 1 else {
            throw ClassificationMetricsError(code: .invalidThreshold, message: "classification metrics: threshold must be in [0, 1], got \(threshold)")
        }
        let k = classCount, n = classes.count
        let binary = k == 2
        let pass = classes.withUnsafeBufferPointer { y in
            probabilities.withUnsafeBufferPointer { p in
                RowPass(classes: y, probabilities: p, classCount: k, threshold: binary ? threshold : nil)
            }
        }
        let counts = ClassCounts(pass.confusion, classCount: k)
        accuracy = Double(counts.correct) / Double(n)
        balancedAccuracy = counts.balancedAccuracy
        if binary {
            precision = counts.precision(1)
            recall = counts.recall(1)
            f1 = counts.f1(1)
        } else {
            (precision, recall, f1) = counts.macro
            let weighted = counts.weighted
            precisionWeighted = weighted.0
            recallWeighted = weighted.1
            f1Weighted = weighted.2
        }
        (rocAUC, averagePrecision) = Self.rankingMetrics(classes: classes, probabilities: probabilities, classCount: k)
        logLoss = pass.logLoss / Double(n)
        brier = pass.brier / Double(n)
        ece = pass.ece
        confusionMatrix = (0..<k).map { t in Array(pass.confusion[(t * k)..<((t + 1) * k)]) }
        self.threshold = binary ? threshold : nil
        count = n
    }

    /// The metrics as a name → value map, the form the tracking store logs: `accuracy`,
    /// `balanced_accuracy`, `precision`, `recall`, `f1`, `roc_auc`, `average_precision`,
    /// `log_loss`, `brier`, `ece`, and for multiclass also `precision_weighted`,
    /// `recall_weighted`, `f1_weighted`. Undefined metrics are present as NaN.
    public var dictionary: [String: Double] {
        var d = ["accuracy": accuracy, "balanced_accuracy": balancedAccuracy, "precision": precision,
                 "recall": recall, "f1": f1, "roc_auc": rocAUC, "average_precision": averagePrecision,
                 "log_loss": logLoss, "brier": brier, "ece": ece]
        if let precisionWeighted { d["precision_weighted"] = precisionWeighted }
        if let recallWeighted { d["recall_weighted"] = recallWeighted }
        if let f1Weighted { d["f1_weighted"] = f1Weighted }
        return d
    }

    /// The binary decision threshold that maximises F1 on these rows.
    ///
    /// Candidates are the distinct values of p₁ (so `p₁ >= t` reproduces the F1 on the same
    /// rows); among thresholds with the same, maximal F1 the smallest is returned (it keeps the
    /// higher recall). The F1 comparison is exact (integer counts).
    /// - Parameters:
    ///   - classes: true class per row, 0 or 1.
    ///   - probabilities: rows × 2, row-major, as for `init`.
    /// - Throws: `ClassificationMetricsError` for invalid input, `.noPositiveRows` when no row has
    ///   class 1 (F1 would be 0 at every threshold).
    /// - Complexity: O(n), one radix sort.
    public static func bestF1Threshold(classes: [Int], probabilities: [Double]) throws -> Double {
        try validate(classes: classes, probabilities: probabilities, classCount: 2)
        let ranked = classes.withUnsafeBufferPointer { y in
            probabilities.withUnsafeBufferPointer { p in
                RankedScores(probabilities: p, stride: 2, column: 1, classes: y)
            }
        }
        guard let t = ranked.bestF1Threshold() else {
            throw ClassificationMetricsError(code: .noPositiveRows, message: "best F1 threshold: none of the \(classes.count) rows has the positive class 1, so F1 is 0 at every threshold")
        }
        return t
    }

    // MARK: - Pieces

    /// Checks shapes, classes and probabilities; the error names the first bad row.
    static func validate(classes: [Int], probabilities: [Double], classCount k: Int) throws {
        let n = classes.count
        guard k >= 2 else {
            throw ClassificationMetricsError(code: .invalidClassCount, message: "classification metrics: need at least 2 classes, got classCount \(k)")
        }
        guard n > 0 else {
            throw ClassificationMetricsError(code: .noRows, message: "classification metrics: no rows")
        }
        guard probabilities.count == n * k else {
            throw ClassificationMetricsError(code: .shapeMismatch, message: "classification metrics: \(probabilities.count) probabilities for \(n) rows × \(k) classes (expected \(n * k), row-major)")
        }
        if let i = classes.firstIndex(where: { $0 < 0 || $0 >= k }) {
            throw ClassificationMetricsError(code: .classOutOfRange, message: "classification metrics: row \(i) has true class \(classes[i]), expected 0..<\(k)")
        }
        try probabilities.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var sum = 0.0
                for c in 0..<k {
                    let v = p[i * k + c]
                    guard v >= 0, v <= 1 else {
                        if v.isNaN || v.isInfinite {
                            throw ClassificationMetricsError(code: .nonFiniteProbability, message: "classification metrics: probability of class \(c) at row \(i) is \(v), expected a finite value in [0, 1]")
                        }
                        throw ClassificationMetricsError(code: .probabilityOutOfRange, message: "classification metrics: probability of class \(c) at row \(i) is \(v), expected a value in [0, 1]")
                    }
                    sum += v
                }
                guard abs(sum - 1) <= rowSumAbsoluteTolerance + rowSumRelativeTolerance else {
                    throw ClassificationMetricsError(code: .probabilitiesDoNotSumToOne, message: "classification metrics: probabilities at row \(i) sum to \(sum), expected 1 (pass normalised class probabilities)")
                }
            }
        }
    }

    /// ROC AUC and average precision: binary on column 1, multiclass one-vs-rest macro over the
    /// classes present in `classes` (columns ranked in parallel).
    static func rankingMetrics(classes: [Int], probabilities: [Double], classCount k: Int) -> (Double, Double) {
        if k == 2 {
            let ranked = classes.withUnsafeBufferPointer { y in
                probabilities.withUnsafeBufferPointer { p in RankedScores(probabilities: p, stride: 2, column: 1, classes: y) }
            }
            return (ranked.rocAUC(), ranked.averagePrecision())
        }
        var auc = [Double](repeating: .nan, count: k)
        var ap = [Double](repeating: .nan, count: k)
        classes.withUnsafeBufferPointer { y in
            probabilities.withUnsafeBufferPointer { p in
                auc.withUnsafeMutableBufferPointer { aucBuf in
                    ap.withUnsafeMutableBufferPointer { apBuf in
                        // Plain pointers: each work item writes only its own class's slots.
                        let aucOut = aucBuf.baseAddress!, apOut = apBuf.baseAddress!
                        concurrentPerform(iterations: k) { c in
                            let ranked = RankedScores(probabilities: p, stride: k, column: c, classes: y)
                            aucOut[c] = ranked.rocAUC()
                            apOut[c] = ranked.averagePrecision()
                        }
                    }
                }
            }
        }
        // A class absent from y has NaN for both and is left out of the macro average; so is a
        // class with no negative row (only possible when y holds one class) for the AUC.
        func macro(_ v: [Double]) -> Double {
            let defined = v.filter { !$0.isNaN }
            return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
        }
        return (macro(auc), macro(ap))
    }
}

/// One O(n·K) pass over the rows: predicted labels into the confusion matrix, log loss and
/// Brier sums, and the calibration bins.
private struct RowPass {
    /// K × K, row-major, [true · K + predicted].
    var confusion: [Int]
    var logLoss: Double
    var brier: Double
    var ece: Double

    /// - Parameter threshold: binary decision threshold; nil for multiclass (argmax).
    init(classes y: UnsafeBufferPointer<Int>, probabilities p: UnsafeBufferPointer<Double>, classCount k: Int, threshold: Double?) {
        let n = y.count
        let bins = ClassificationMetrics.calibrationBins
        let eps = Double.ulpOfOne
        var confusion = [Int](repeating: 0, count: k * k)
        var binCount = [Int](repeating: 0, count: bins)
        var binTarget = [Double](repeating: 0, count: bins)
        var binScore = [Double](repeating: 0, count: bins)
        var logLoss = NeumaierSum(), brier = NeumaierSum()
        for i in 0..<n {
            let row = i * k
            let truth = y[i]
            let predicted: Int
            let score: Double, target: Double
            if let threshold {
                let p1 = p[row + 1]
                predicted = p1 >= threshold ? 1 : 0
                score = p1
                target = truth == 1 ? 1 : 0
                let e = target - p1
                brier.add(e * e)
            } else {
                var best = 0
                var squares = 0.0
                for c in 0..<k {
                    let v = p[row + c]
                    if v > p[row + best] { best = c }
                    let e = v - (c == truth ? 1 : 0)
                    squares += e * e
                }
                predicted = best
                score = p[row + best]
                target = best == truth ? 1 : 0
                brier.add(squares)
            }
            confusion[truth * k + predicted] += 1
            logLoss.add(-log(Swift.min(Swift.max(p[row + truth], eps), 1 - eps)))
            let b = Swift.min(Int(score * Double(bins)), bins - 1)  // score ≥ 0: Int() is floor
            binCount[b] += 1
            binTarget[b] += target
            binScore[b] += score
        }
        var ece = NeumaierSum()
        for b in 0..<bins where binCount[b] > 0 {
            ece.add(Swift.abs(binTarget[b] - binScore[b]))
        }
        self.confusion = confusion
        self.logLoss = logLoss.value
        self.brier = brier.value
        self.ece = ece.value / Double(n)
    }
}

/// Per-class counts from a confusion matrix and the label-based metrics built on them.
private struct ClassCounts {
    /// Diagonal: rows of class k predicted k.
    var truePositives: [Int]
    /// Row sums: rows whose true class is k.
    var support: [Int]
    /// Column sums: rows predicted k.
    var predicted: [Int]
    var correct: Int { truePositives.reduce(0, +) }
    var rows: Int { support.reduce(0, +) }

    init(_ confusion: [Int], classCount k: Int) {
        truePositives = (0..<k).map { confusion[$0 * k + $0] }
        support = (0..<k).map { t in (0..<k).reduce(0) { $0 + confusion[t * k + $1] } }
        predicted = (0..<k).map { c in (0..<k).reduce(0) { $0 + confusion[$1 * k + c] } }
    }

    /// 0/0 → 0, scikit-learn's zero_division default.
    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    func precision(_ c: Int) -> Double { ratio(truePositives[c], predicted[c]) }
    func recall(_ c: Int) -> Double { ratio(truePositives[c], support[c]) }
    /// 2·tp / (support + predicted), scikit-learn's form.
    func f1(_ c: Int) -> Double { ratio(2 * truePositives[c], support[c] + predicted[c]) }

    /// Mean recall over the classes present in the true labels.
    var balancedAccuracy: Double {
        let present = support.indices.filter { support[$0] > 0 }
        return present.reduce(0.0) { $0 + recall($1) } / Double(present.count)
    }

    /// Unweighted means over the classes in the true or predicted labels.
    var macro: (Double, Double, Double) {
        let labels = support.indices.filter { support[$0] > 0 || predicted[$0] > 0 }
        let m = Double(labels.count)
        return (labels.reduce(0.0) { $0 + precision($1) } / m,
                labels.reduce(0.0) { $0 + recall($1) } / m,
                labels.reduce(0.0) { $0 + f1($1) } / m)
    }

    /// Means weighted by the true-class counts.
    var weighted: (Double, Double, Double) {
        let n = Double(rows)
        var p = 0.0, r = 0.0, f = 0.0
        for c in support.indices where support[c] > 0 {
            let w = Double(support[c])
            p += w * precision(c)
            r += w * recall(c)
            f += w * f1(c)
        }
        return (p / n, r / n, f / n)
    }
}

// MARK: - Codable and Equatable with NaN

extension ClassificationMetrics {
    enum CodingKeys: String, CodingKey {
        case accuracy, balancedAccuracy = "balanced_accuracy", precision, recall, f1
        case precisionWeighted = "precision_weighted", recallWeighted = "recall_weighted", f1Weighted = "f1_weighted"
        case rocAUC = "roc_auc", averagePrecision = "average_precision", logLoss = "log_loss", brier, ece
        case confusionMatrix = "confusion_matrix", threshold, count
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func metric(_ v: Double, _ key: CodingKeys) throws {
            if v.isNaN { try c.encodeNil(forKey: key) } else { try c.encode(v, forKey: key) }
        }
        try metric(accuracy, .accuracy)
        try metric(balancedAccuracy, .balancedAccuracy)
        try metric(precision, .precision)
        try metric(recall, .recall)
        try metric(f1, .f1)
        try c.encodeIfPresent(precisionWeighted, forKey: .precisionWeighted)
        try c.encodeIfPresent(recallWeighted, forKey: .recallWeighted)
        try c.encodeIfPresent(f1Weighted, forKey: .f1Weighted)
        try metric(rocAUC, .rocAUC)
        try metric(averagePrecision, .averagePrecision)
        try metric(logLoss, .logLoss)
        try metric(brier, .brier)
        try metric(ece, .ece)
        try c.encode(confusionMatrix, forKey: .confusionMatrix)
        try c.encodeIfPresent(threshold, forKey: .threshold)
        try c.encode(count, forKey: .count)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func metric(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        accuracy = try metric(.accuracy)
        balancedAccuracy = try metric(.balancedAccuracy)
        precision = try metric(.precision)
        recall = try metric(.recall)
        f1 = try metric(.f1)
        precisionWeighted = try c.decodeIfPresent(Double.self, forKey: .precisionWeighted)
        recallWeighted = try c.decodeIfPresent(Double.self, forKey: .recallWeighted)
        f1Weighted = try c.decodeIfPresent(Double.self, forKey: .f1Weighted)
        rocAUC = try metric(.rocAUC)
        averagePrecision = try metric(.averagePrecision)
        logLoss = try metric(.logLoss)
        brier = try metric(.brier)
        ece = try metric(.ece)
        confusionMatrix = try c.decode([[Int]].self, forKey: .confusionMatrix)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold)
        count = try c.decode(Int.self, forKey: .count)
    }

    /// Field-by-field, with NaN equal to NaN (an undefined metric equals itself).
    public static func == (a: Self, b: Self) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return same(a.accuracy, b.accuracy) && same(a.balancedAccuracy, b.balancedAccuracy)
            && same(a.precision, b.precision) && same(a.recall, b.recall) && same(a.f1, b.f1)
            && a.precisionWeighted == b.precisionWeighted && a.recallWeighted == b.recallWeighted
            && a.f1Weighted == b.f1Weighted
            && same(a.rocAUC, b.rocAUC) && same(a.averagePrecision, b.averagePrecision)
            && same(a.logLoss, b.logLoss) && same(a.brier, b.brier) && same(a.ece, b.ece)
            && a.confusionMatrix == b.confusionMatrix && a.threshold == b.threshold && a.count == b.count
    }
}
