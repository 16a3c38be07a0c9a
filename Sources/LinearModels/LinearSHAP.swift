import MLCore

/// Exact SHAP for a linear score η = b + Σⱼ βⱼxⱼ with independent features (Lundberg & Lee
/// 2017, "linear SHAP"): φⱼ = βⱼ(xⱼ − E[xⱼ]), E[xⱼ] the training mean; the expected value is the
/// score at the means, b + Σⱼ βⱼE[xⱼ]. φ plus the expected value is η exactly (up to rounding).
/// - Parameters:
///   - coefficients: outputs × features, row-major.
///   - intercepts: one per output.
///   - means: one per feature; nil for a model file written before they were stored.
/// - Throws: `ExplanationError.missingStatistics` without means.
func linearContributions(_ x: FeatureMatrix, coefficients: ArraySlice<Double>, intercepts: [Double], means: [Double]?,
                         kind: String) throws -> Contributions {
    guard let means else {
        throw ExplanationError(code: .missingStatistics, message: "this \(kind) model was saved without the training means of its features, which linear SHAP needs: retrain it with this version of plumb to explain it")
    }
    let n = x.rows, p = x.columns, m = intercepts.count
    precondition(p == means.count && coefficients.count == m * p, "linear SHAP: \(p) columns, \(means.count) means, \(coefficients.count) coefficients for \(m) outputs")
    let beta = Array(coefficients)
    var values = [Double](repeating: 0, count: n * m * p)
    for k in 0..<m {
        for j in 0..<p {
            let b = beta[k * p + j], mu = means[j]
            for i in 0..<n { values[(i * m + k) * p + j] = b * (x.values[j * n + i] - mu) }
        }
    }
    let expected = (0..<m).map { k in (0..<p).reduce(intercepts[k]) { $0 + beta[k * p + $1] * means[$1] } }
    return Contributions(rows: n, outputs: m, features: p, values: values, expectedValue: expected)
}

/// η = b + Σⱼ βⱼxⱼ per row and output (rows × outputs, row-major), by a plain loop.
func linearScores(_ x: FeatureMatrix, coefficients: ArraySlice<Double>, intercepts: [Double]) -> [Double] {
    let n = x.rows, p = x.columns, m = intercepts.count
    let beta = Array(coefficients)
    var out = [Double](repeating: 0, count: n * m)
    for i in 0..<n { for k in 0..<m { out[i * m + k] = intercepts[k] } }
    for k in 0..<m {
        for j in 0..<p {
            let b = beta[k * p + j]
            for i in 0..<n { out[i * m + k] += b * x.values[j * n + i] }
        }
    }
    return out
}

/// A least-squares fit (plain or ridge): one value per row, b + Σⱼ βⱼxⱼ.
protocol LinearValueModel: Explainable {
    static var kind: String { get }
    var coefficients: [Double] { get }
    var intercept: Double { get }
    var featureMeans: [Double]? { get }
    var featureCount: Int { get }
}

extension LinearValueModel {
    public var explainedOutputCount: Int { 1 }
    public var explanationCostPerRow: Int { featureCount }
    public var explainedScore: String { "value" }

    public func explainedScores(_ x: FeatureMatrix, threads: Int) -> [Double] {
        linearScores(x, coefficients: coefficients[...], intercepts: [intercept])
    }

    public func contributions(_ x: FeatureMatrix, threads: Int) throws -> Contributions {
        try linearContributions(x, coefficients: coefficients[...], intercepts: [intercept], means: featureMeans, kind: Self.kind)
    }
}

extension LinearRegression: LinearValueModel {}
extension RidgeRegression: LinearValueModel {}

extension LogisticRegression: Explainable {
    /// 1 (the log-odds of class 1) for binary, one softmax score per class for multinomial.
    public var explainedOutputCount: Int { scoreCount }
    public var explanationCostPerRow: Int { scoreCount * featureCount }
    public var explainedScore: String { scoreCount == 1 ? "log-odds of class 1" : "softmax score (log-odds up to a constant) per class" }

    public func explainedScores(_ x: FeatureMatrix, threads: Int) -> [Double] {
        linearScores(x, coefficients: coefficients[...], intercepts: intercepts)
    }

    public func contributions(_ x: FeatureMatrix, threads: Int) throws -> Contributions {
        try linearContributions(x, coefficients: coefficients[...], intercepts: intercepts, means: featureMeans, kind: Self.kind)
    }
}
