import Foundation

/// Classification quality on labelled current data: the metrics (computed by the caller, e.g.
/// MLCore's `ClassificationMetrics`, under the names the tracking store logs), the confusion
/// matrix and bounded-size curves for the report. Its size does not depend on the row count.
/// JSON keys: classes, metrics (NaN as null), confusion_matrix, count, curves.
public struct ClassificationReport: Codable, Sendable, Equatable {
    public var classes: [String]
    /// accuracy, f1 (macro for multiclass), roc_auc, log_loss, and whatever else was computed.
    public var metrics: [String: Double]
    /// `confusionMatrix[true][predicted]`.
    public var confusionMatrix: [[Int]]
    public var count: Int
    public var curves: ClassifierCurves

    public init(classes: [String], metrics: [String: Double], confusionMatrix: [[Int]], count: Int, curves: ClassifierCurves) {
        self.classes = classes
        self.metrics = metrics
        self.confusionMatrix = confusionMatrix
        self.count = count
        self.curves = curves
    }

    enum CodingKeys: String, CodingKey { case classes, metrics, confusionMatrix = "confusion_matrix", count, curves }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(classes, forKey: .classes)
        // JSON has no NaN: an undefined metric (e.g. ROC AUC of one class) is null.
        try c.encode(metrics.mapValues { $0.isFinite ? $0 : nil }, forKey: .metrics)
        try c.encode(confusionMatrix, forKey: .confusionMatrix)
        try c.encode(count, forKey: .count)
        try c.encode(curves, forKey: .curves)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classes = try c.decode([String].self, forKey: .classes)
        metrics = try c.decode([String: Double?].self, forKey: .metrics).mapValues { $0 ?? .nan }
        confusionMatrix = try c.decode([[Int]].self, forKey: .confusionMatrix)
        count = try c.decode(Int.self, forKey: .count)
        curves = try c.decode(ClassifierCurves.self, forKey: .curves)
    }

    /// NaN-aware equality (an undefined metric equals itself).
    public static func == (a: Self, b: Self) -> Bool {
        a.classes == b.classes && a.confusionMatrix == b.confusionMatrix && a.count == b.count && a.curves == b.curves
            && a.metrics.keys == b.metrics.keys
            && a.metrics.allSatisfy { k, v in let w = b.metrics[k] ?? .nan; return v == w || (v.isNaN && w.isNaN) }
    }
}

/// A curve as parallel coordinate arrays, at most `ClassifierCurves.maxPoints` long.
public struct Curve: Codable, Sendable, Equatable {
    /// What the curve is of: the positive class (binary) or one class against the rest.
    public var label: String
    public var x: [Double]
    public var y: [Double]
}

/// One bin of a reliability diagram.
public struct CalibrationBin: Codable, Sendable, Equatable {
    /// Bin bounds on the score.
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var meanScore: Double
    /// Share of the bin's rows whose outcome is positive (binary: the positive class; multiclass:
    /// the top-scored class is the true one).
    public var observed: Double

    enum CodingKeys: String, CodingKey { case lower, upper, count, meanScore = "mean_score", observed }
}

/// ROC and precision–recall curves (binary: one, on the positive class; multiclass: one per
/// class against the rest) and the reliability diagram, each bounded in size.
public struct ClassifierCurves: Codable, Sendable, Equatable {
    /// x = false positive rate, y = true positive rate, from (0, 0) to (1, 1).
    public var roc: [Curve]
    /// x = recall, y = precision, from (0, 1) to the lowest threshold.
    public var precisionRecall: [Curve]
    public var calibration: [CalibrationBin]

    enum CodingKeys: String, CodingKey { case roc, precisionRecall = "precision_recall", calibration }

    /// Upper bound on the points of one curve.
    public static let maxPoints = 200
    /// Equal-width score bins of the reliability diagram.
    public static let calibrationBins = 10
    /// Multiclass curves drawn at most: the first classes in output order.
    public static let maxClasses = 10

    /// Computes the curves.
    /// - Parameters:
    ///   - classes: class labels in output order (K ≥ 2).
    ///   - truth: true class index per row, in `0..<K`.
    ///   - probabilities: rows × K, row-major.
    /// - Complexity: O(n log n) per curve.
    public static func compute(classes: [String], truth: [Int], probabilities: [Double],
                               maxPoints: Int = maxPoints) -> ClassifierCurves {
        let k = classes.count
        precondition(k >= 2 && probabilities.count == truth.count * k, "ClassifierCurves: shape")
        let columns = k == 2 ? [1] : Array(0..<min(k, maxClasses))
        var roc: [Curve] = [], pr: [Curve] = []
        for c in columns {
            let scores = stride(from: c, to: probabilities.count, by: k).map { probabilities[$0] }
            let points = thresholdCounts(scores: scores, positive: truth.map { $0 == c })
            let positives = truth.lazy.filter { $0 == c }.count, negatives = truth.count - positives
            let label = k == 2 ? classes[1] : classes[c]
            // A class absent from the labels (or present in all of them) has no curve.
            if positives > 0 && negatives > 0 {
                let fpr = [0] + points.map { Double($0.fp) / Double(negatives) }
                let tpr = [0] + points.map { Double($0.tp) / Double(positives) }
                roc.append(downsample(Curve(label: label, x: fpr, y: tpr), to: maxPoints))
            }
            if positives > 0 {
                let recall = [0] + points.map { Double($0.tp) / Double(positives) }
                let precision = [1] + points.map { Double($0.tp) / Double($0.tp + $0.fp) }
                pr.append(downsample(Curve(label: label, x: recall, y: precision), to: maxPoints))
            }
        }
        return ClassifierCurves(roc: roc, precisionRecall: pr, calibration: calibration(truth: truth, probabilities: probabilities, classCount: k))
    }

    /// Cumulative (tp, fp) of the rule `score >= t` for each distinct score t, descending.
    static func thresholdCounts(scores: [Double], positive: [Bool]) -> [(tp: Int, fp: Int)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var out: [(tp: Int, fp: Int)] = []
        var tp = 0, fp = 0
        for (j, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            // One point per distinct score: tied rows enter together, as scikit-learn's curves do.
            if j + 1 == order.count || scores[order[j + 1]] != scores[i] { out.append((tp, fp)) }
        }
        return out
    }

    /// At most `limit` points, evenly spaced by index, first and last kept.
    static func downsample(_ c: Curve, to limit: Int) -> Curve {
        let n = c.x.count
        guard n > limit, limit >= 2 else { return c }
        let picks = (0..<limit).map { ($0 * (n - 1) + (limit - 1) / 2) / (limit - 1) }
        return Curve(label: c.label, x: picks.map { c.x[$0] }, y: picks.map { c.y[$0] })
    }

    /// Reliability bins on [0, 1]: binary on p₁ against y = 1; multiclass top-label (the largest
    /// probability against "the argmax is the true class"), as the ECE is defined.
    static func calibration(truth: [Int], probabilities: [Double], classCount k: Int, bins: Int = calibrationBins) -> [CalibrationBin] {
        var count = [Int](repeating: 0, count: bins)
        var scoreSum = [Double](repeating: 0, count: bins), hits = [Double](repeating: 0, count: bins)
        for (i, y) in truth.enumerated() {
            let row = probabilities[(i * k)..<((i + 1) * k)]
            let (score, hit): (Double, Bool)
            if k == 2 {
                (score, hit) = (row[row.startIndex + 1], y == 1)
            } else {
                let best = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) } ?? row.startIndex
                (score, hit) = (row[best], best - row.startIndex == y)
            }
            let b = min(max(Int(score * Double(bins)), 0), bins - 1)
            count[b] += 1
            scoreSum[b] += score
            hits[b] += hit ? 1 : 0
        }
        return (0..<bins).filter { count[$0] > 0 }.map { b in
            CalibrationBin(lower: Double(b) / Double(bins), upper: Double(b + 1) / Double(bins), count: count[b],
                           meanScore: scoreSum[b] / Double(count[b]), observed: hits[b] / Double(count[b]))
        }
    }
}
