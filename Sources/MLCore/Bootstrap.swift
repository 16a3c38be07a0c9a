import Tabular

/// Seeded percentile bootstrap (Efron): resample the rows with replacement `replicates` times,
/// compute the statistics on each resample, and take the α/2 and 1 − α/2 quantiles of each
/// statistic's replicate values (numpy "linear" quantiles).
///
/// A resample is handed to the statistic as a weight vector — how many times each row was drawn
/// (a multinomial count, as Float64) — not as a copied index list, so a statistic that is a
/// weighted sum (every one in `WeightedMetrics`) costs one pass over the rows per replicate and
/// allocates nothing: 1,000 replicates of 20,000 rows are 20 M multiply-adds per metric.
public enum Bootstrap {
    public static let defaultReplicates = 1000

    /// A two-sided interval; NaN bounds when every replicate was undefined.
    public struct Interval: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double

        public init(lower: Double, upper: Double) {
            self.lower = lower
            self.upper = upper
        }
    }

    /// The replicate weights of resample `b`, drawn into `weights` (length n, zeroed here).
    /// Resample b uses its own stream of `seed`, so replicates do not depend on one another's
    /// order and the same seed gives the same resamples on every platform.
    public static func draw(into weights: UnsafeMutableBufferPointer<Double>, replicate b: Int, seed: UInt64) {
        let n = weights.count
        guard n > 0 else { return }
        weights.update(repeating: 0)
        var rng = SeededGenerator.stream(seed: seed, UInt64(b))
        for _ in 0..<n { weights[rng.below(n)] += 1 }
    }

    /// Percentile intervals of `statistics` (each returns `m` values from a weight vector) over
    /// `replicates` resamples of `rows` rows.
    /// - Parameters:
    ///   - confidence: in (0, 1), e.g. 0.95.
    ///   - statistic: weights (length `rows`) → `m` values; NaN replicates (a metric undefined on
    ///     that resample) are left out of its quantiles.
    /// - Returns: `m` intervals; empty when `rows == 0`.
    /// - Complexity: O(replicates · (rows + cost of the statistic)) time, O(rows + replicates · m) memory.
    public static func percentileIntervals(rows: Int, replicates: Int = defaultReplicates, confidence: Double = 0.95,
                                           seed: UInt64, statistic: (UnsafeBufferPointer<Double>) -> [Double]) -> [Interval] {
        precondition(replicates > 0 && confidence > 0 && confidence < 1, "bootstrap: \(replicates) replicates at confidence \(confidence)")
        guard rows > 0 else { return [] }
        var values: [[Double]] = []
        var weights = [Double](repeating: 0, count: rows)
        weights.withUnsafeMutableBufferPointer { w in
            for b in 0..<replicates {
                draw(into: w, replicate: b, seed: seed)
                let v = statistic(UnsafeBufferPointer(w))
                if values.isEmpty { values = Array(repeating: [], count: v.count) }
                precondition(v.count == values.count, "bootstrap: the statistic returned \(v.count) values, then \(values.count)")
                for (k, x) in v.enumerated() where !x.isNaN { values[k].append(x) }
            }
        }
        let alpha = 1 - confidence
        return values.map { v in
            let s = v.sorted()
            guard !s.isEmpty else { return Interval(lower: .nan, upper: .nan) }
            return Interval(lower: Describe.quantile(sorted: s, alpha / 2), upper: Describe.quantile(sorted: s, 1 - alpha / 2))
        }
    }
}
