import Foundation
import Tabular

/// Regression quality of predictions against actual values. Error = prediction − actual.
/// JSON keys: rmse, mae, r2, mean_error, count.
public struct PerformanceReport: Codable, Sendable, Equatable {
    public var rmse: Double
    public var mae: Double
    /// 1 − SS_res / SS_tot (sklearn's r2_score; NaN when the actuals are constant).
    public var r2: Double
    /// Mean of prediction − actual (bias).
    public var meanError: Double
    public var count: Int

    public init(rmse: Double, mae: Double, r2: Double, meanError: Double, count: Int) {
        self.rmse = rmse
        self.mae = mae
        self.r2 = r2
        self.meanError = meanError
        self.count = count
    }

    enum CodingKeys: String, CodingKey {
        case rmse, mae, r2, meanError = "mean_error", count
    }

    /// Computes the report over pairs where both values are present (non-NaN).
    /// - Precondition: equal lengths.
    public static func compute(predictions: [Double], actuals: [Double]) -> PerformanceReport {
        precondition(predictions.count == actuals.count, "PerformanceReport: \(predictions.count) predictions, \(actuals.count) actuals")
        var n = 0
        var sumErr = 0.0, sumAbs = 0.0, sumSq = 0.0, sumY = 0.0
        for i in 0..<predictions.count {
            let p = predictions[i], y = actuals[i]
            if p.isNaN || y.isNaN { continue }
            let e = p - y
            n += 1
            sumErr += e
            sumAbs += abs(e)
            sumSq += e * e
            sumY += y
        }
        guard n > 0 else { return PerformanceReport(rmse: .nan, mae: .nan, r2: .nan, meanError: .nan, count: 0) }
        let meanY = sumY / Double(n)
        var ssTot = 0.0
        for i in 0..<actuals.count where !predictions[i].isNaN && !actuals[i].isNaN {
            let d = actuals[i] - meanY
            ssTot += d * d
        }
        let nd = Double(n)
        return PerformanceReport(rmse: (sumSq / nd).squareRoot(), mae: sumAbs / nd,
                                 r2: ssTot > 0 ? 1 - sumSq / ssTot : .nan,
                                 meanError: sumErr / nd, count: n)
    }
}

/// What the HTML report shows about performance: the figures, a seeded sample of at most
/// `maxPoints` (prediction, actual) pairs, and a histogram of errors (prediction − actual).
/// Its size does not depend on the number of rows.
public struct PerformanceDetails: Codable, Sendable, Equatable {
    public var report: PerformanceReport
    public var sampledPredictions: [Double]
    public var sampledActuals: [Double]
    public var errorHistogram: Histogram

    public static func compute(predictions: [Double], actuals: [Double], maxPoints: Int = 1000,
                               bins: Int = 30, seed: UInt64 = 42) -> PerformanceDetails {
        let report = PerformanceReport.compute(predictions: predictions, actuals: actuals)
        let valid = (0..<predictions.count).filter { !predictions[$0].isNaN && !actuals[$0].isNaN }
        var rng = SeededGenerator(seed: seed)
        let chosen = ReferenceProfile.sampleIndices(count: valid.count, k: min(maxPoints, valid.count), rng: &rng)
        let errors = SortedSample.sortedNonMissing(valid.map { predictions[$0] - actuals[$0] })
        return PerformanceDetails(report: report,
                                  sampledPredictions: chosen.map { predictions[valid[$0]] },
                                  sampledActuals: chosen.map { actuals[valid[$0]] },
                                  errorHistogram: Histogram.equalWidth(sorted: errors, bins: bins))
    }
}
