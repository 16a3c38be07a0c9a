/// Regression metrics over predictions and actual values (same length, no NaNs).
///
/// Sums run in Double with pairwise-free but compensated (Kahan–Neumaier) accumulation so that
/// results are reproducible to the last bits regardless of how the arrays were produced.
public struct RegressionMetrics: Codable, Sendable, Equatable {
    public var r2: Double
    public var rmse: Double
    public var mae: Double
    /// Mean absolute percentage error as a fraction (scikit-learn's definition: |e| / max(|y|, ε)).
    public var mape: Double
    public var maxError: Double
    public var count: Int

    enum CodingKeys: String, CodingKey { case r2, rmse, mae, mape, maxError = "max_error", count }

    /// - Precondition: `predicted.count == actual.count`, count ≥ 1.
    public init(predicted: [Double], actual: [Double]) {
        precondition(!actual.isEmpty, "metrics: no rows")
        var sums = Accumulator()
        sums.add(predicted: predicted, actual: actual)
        self.init(sums)
    }

    /// The metrics of everything `sums` took (at least one row).
    init(_ sums: Accumulator) {
        precondition(sums.count > 0, "metrics: no rows")
        let n = Double(sums.count)
        // scikit-learn: a constant target gives R² = 1 for a perfect fit and 0 otherwise.
        if sums.squaredDeviations == 0 {
            r2 = sums.squaredErrors.value == 0 ? 1 : 0
        } else {
            r2 = 1 - sums.squaredErrors.value / sums.squaredDeviations
        }
        rmse = (sums.squaredErrors.value / n).squareRoot()
        mae = sums.absoluteErrors.value / n
        mape = sums.absolutePercentageErrors.value / n
        maxError = sums.worst
        count = sums.count
    }

    /// The sums behind the metrics, taken a chunk of rows at a time (a file scored in blocks keeps
    /// no row). Error sums run in row order, as for whole arrays; the spread of the actual values
    /// is each chunk's two-pass sum merged into the running one (Chan, Golub and LeVeque), so a
    /// single chunk gives exactly the whole-array metrics and several agree to rounding.
    public struct Accumulator: Sendable {
        public private(set) var count = 0
        /// Mean of the actual values so far, and Σ (y − mean)² over them.
        private(set) var mean = 0.0
        private(set) var squaredDeviations = 0.0
        private(set) var squaredErrors = NeumaierSum()
        private(set) var absoluteErrors = NeumaierSum()
        private(set) var absolutePercentageErrors = NeumaierSum()
        private(set) var worst = 0.0

        public init() {}

        /// Adds a chunk of rows (no NaNs).
        /// - Precondition: `predicted.count == actual.count`.
        public mutating func add(predicted: [Double], actual: [Double]) {
            precondition(predicted.count == actual.count, "metrics: \(predicted.count) predictions for \(actual.count) actuals")
            guard !actual.isEmpty else { return }
            let n = actual.count
            var sum = NeumaierSum()
            for y in actual { sum.add(y) }
            let chunkMean = sum.value / Double(n)
            var chunkDeviations = NeumaierSum()
            for i in 0..<n {
                let e = actual[i] - predicted[i]
                squaredErrors.add(e * e)
                let d = actual[i] - chunkMean
                chunkDeviations.add(d * d)
                absoluteErrors.add(Swift.abs(e))
                absolutePercentageErrors.add(Swift.abs(e) / Swift.max(Swift.abs(actual[i]), Double.ulpOfOne))
                worst = Swift.max(worst, Swift.abs(e))
            }
            if count == 0 {
                mean = chunkMean
                squaredDeviations = chunkDeviations.value
            } else {
                let before = Double(count), added = Double(n), total = before + added
                let delta = chunkMean - mean
                mean += delta * added / total
                squaredDeviations += chunkDeviations.value + delta * delta * before * added / total
            }
            count += n
        }

        /// The metrics so far; nil before any row.
        public var metrics: RegressionMetrics? { count > 0 ? RegressionMetrics(self) : nil }
    }

    /// The metrics as a name → value map, the form the tracking store logs.
    public var dictionary: [String: Double] {
        ["r2": r2, "rmse": rmse, "mae": mae, "mape": mape, "max_error": maxError]
    }
}

/// Compensated summation (Neumaier's variant of Kahan): error independent of the count.
public struct NeumaierSum: Sendable {
    public private(set) var sum = 0.0
    private var compensation = 0.0

    public init() {}

    public var value: Double { sum + compensation }

    public mutating func add(_ x: Double) {
        let t = sum + x
        if Swift.abs(sum) >= Swift.abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }
}
