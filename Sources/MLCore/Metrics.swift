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
        precondition(predicted.count == actual.count, "metrics: \(predicted.count) predictions for \(actual.count) actuals")
        precondition(!actual.isEmpty, "metrics: no rows")
        let n = actual.count
        var mean = NeumaierSum()
        for y in actual { mean.add(y) }
        let yBar = mean.value / Double(n)
        var sse = NeumaierSum(), sst = NeumaierSum(), abs = NeumaierSum(), ape = NeumaierSum()
        var worst = 0.0
        for i in 0..<n {
            let e = actual[i] - predicted[i]
            sse.add(e * e)
            let d = actual[i] - yBar
            sst.add(d * d)
            abs.add(Swift.abs(e))
            ape.add(Swift.abs(e) / Swift.max(Swift.abs(actual[i]), Double.ulpOfOne))
            worst = Swift.max(worst, Swift.abs(e))
        }
        // scikit-learn: a constant target gives R² = 1 for a perfect fit and 0 otherwise.
        if sst.value == 0 {
            r2 = sse.value == 0 ? 1 : 0
        } else {
            r2 = 1 - sse.value / sst.value
        }
        rmse = (sse.value / Double(n)).squareRoot()
        mae = abs.value / Double(n)
        mape = ape.value / Double(n)
        maxError = worst
        count = n
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
