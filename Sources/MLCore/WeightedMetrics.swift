import Foundation

/// The task metrics as weighted sums over rows, for the bootstrap (`Bootstrap`): a row of weight
/// w counts as w copies of itself, so with the resample's draw counts as weights each value equals
/// the metric of the resample (`RegressionMetrics` / `ClassificationMetrics` on the rows drawn,
/// which the tests check). Prepared once per set of rows; each call is one pass over them.
public struct WeightedMetrics: Sendable {
    private enum Rows: Sendable {
        /// errors = actual − predicted, with the actuals.
        case regression(errors: [Double], actuals: [Double])
        /// classes × probabilities row-major; `order`: rows by descending p₁ (binary only).
        case classification(truth: [Int], predicted: [Int], probabilities: [Double], classCount: Int, order: [Int])
    }
    private let task: Rows

    /// Metric names, in the order of the values a call returns.
    public let names: [String]

    public static let regressionNames = ["rmse", "mae", "r2", "mape"]
    public static func classificationNames(binary: Bool) -> [String] {
        ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "log_loss", "brier"] + (binary ? ["roc_auc"] : [])
    }

    public init(predictions: [Double], actuals: [Double]) {
        precondition(predictions.count == actuals.count, "weighted metrics: \(predictions.count) predictions, \(actuals.count) actuals")
        task = .regression(errors: zip(actuals, predictions).map { $0 - $1 }, actuals: actuals)
        names = Self.regressionNames
    }

    /// - Parameters: as `ClassificationMetrics` (rows × classCount probabilities, row-major);
    ///   `threshold` decides binary rows as `ClassDecision` does.
    public init(classes: [Int], probabilities: [Double], classCount: Int, threshold: Double?) {
        precondition(probabilities.count == classes.count * classCount, "weighted metrics: \(probabilities.count) probabilities for \(classes.count) rows")
        let binary = classCount == 2
        let order = binary ? classes.indices.sorted { probabilities[2 * $0 + 1] > probabilities[2 * $1 + 1] } : []
        task = .classification(truth: classes, predicted: ClassDecision.classIndices(probabilities, classes: classCount, threshold: threshold),
                               probabilities: probabilities, classCount: classCount, order: order)
        names = Self.classificationNames(binary: binary)
    }

    public var rowCount: Int {
        switch task {
        case .regression(let e, _): e.count
        case .classification(let t, _, _, _, _): t.count
        }
    }

    /// The metrics over the rows weighted by `w` (length = rows), in `names` order.
    public func callAsFunction(_ w: UnsafeBufferPointer<Double>) -> [Double] {
        precondition(w.count == rowCount, "weighted metrics: \(w.count) weights for \(rowCount) rows")
        switch task {
        case .regression(let e, let y): return Self.regression(e, y, w)
        case .classification(let t, let p, let prob, let k, let order): return Self.classification(t, p, prob, k, order, w)
        }
    }

    static func regression(_ e: [Double], _ y: [Double], _ w: UnsafeBufferPointer<Double>) -> [Double] {
        var n = 0.0, sse = 0.0, sae = 0.0, sape = 0.0, sy = 0.0
        for i in e.indices where w[i] != 0 {
            let wi = w[i]
            n += wi; sse += wi * e[i] * e[i]; sae += wi * abs(e[i]); sy += wi * y[i]
            sape += wi * abs(e[i]) / max(abs(y[i]), Double.ulpOfOne)
        }
        guard n > 0 else { return [.nan, .nan, .nan, .nan] }
        let mean = sy / n
        var sst = 0.0
        for i in y.indices where w[i] != 0 { sst += w[i] * (y[i] - mean) * (y[i] - mean) }
        // RegressionMetrics: a constant target gives R² = 1 for a perfect fit and 0 otherwise.
        let r2 = sst == 0 ? (sse == 0 ? 1 : 0) : 1 - sse / sst
        return [(sse / n).squareRoot(), sae / n, r2, sape / n]
    }

    static func classification(_ truth: [Int], _ predicted: [Int], _ p: [Double], _ k: Int, _ order: [Int],
                               _ w: UnsafeBufferPointer<Double>) -> [Double] {
        var confusion = [Double](repeating: 0, count: k * k)
        var n = 0.0, logLoss = 0.0, brier = 0.0
        let eps = Double.ulpOfOne
        for i in truth.indices where w[i] != 0 {
            let wi = w[i], y = truth[i]
            n += wi
            confusion[y * k + predicted[i]] += wi
            logLoss -= wi * log(min(max(p[i * k + y], eps), 1 - eps))
            if k == 2 {
                let d = Double(y) - p[i * 2 + 1]
                brier += wi * d * d
            } else {
                var s = 0.0
                for c in 0..<k { let d = p[i * k + c] - (c == y ? 1 : 0); s += d * d }
                brier += wi * s
            }
        }
        guard n > 0 else { return Array(repeating: .nan, count: k == 2 ? 8 : 7) }
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
        var correct = 0.0
        var recalls: [Double] = [], precisions: [Double] = [], f1s: [Double] = []
        var balanced: [Double] = []
        for c in 0..<k {
            let tp = confusion[c * k + c]
            correct += tp
            var trueCount = 0.0, predictedCount = 0.0
            for j in 0..<k { trueCount += confusion[c * k + j]; predictedCount += confusion[j * k + c] }
            if trueCount > 0 { balanced.append(tp / trueCount) }
            // Macro averages run over classes present in the true or the predicted labels.
            guard k == 2 ? c == 1 : trueCount + predictedCount > 0 else { continue }
            let pr = ratio(tp, predictedCount), rc = ratio(tp, trueCount)
            precisions.append(pr); recalls.append(rc)
            f1s.append(ratio(2 * tp, trueCount + predictedCount))
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        var out = [correct / n, mean(balanced), mean(precisions), mean(recalls), mean(f1s), logLoss / n, brier / n]
        if k == 2 { out.append(rocAUC(truth, p, order, w)) }
        return out
    }

    /// Weighted ROC AUC of p₁: the area under the ROC curve with tied scores as one step (the
    /// Mann–Whitney statistic with ties counted half); NaN when one class has no weight.
    static func rocAUC(_ truth: [Int], _ p: [Double], _ order: [Int], _ w: UnsafeBufferPointer<Double>) -> Double {
        var tp = 0.0, fp = 0.0, area = 0.0
        var i = 0
        while i < order.count {
            let score = p[2 * order[i] + 1]
            var dtp = 0.0, dfp = 0.0
            while i < order.count, p[2 * order[i] + 1] == score {
                let r = order[i]
                if truth[r] == 1 { dtp += w[r] } else { dfp += w[r] }
                i += 1
            }
            area += dfp * (tp + dtp / 2)
            tp += dtp; fp += dfp
        }
        return tp == 0 || fp == 0 ? .nan : area / (tp * fp)
    }
}
