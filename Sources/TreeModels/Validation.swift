import MLCore

/// Checks shapes and targets shared by every tree model's fit.
/// - Throws: `TreeModelsError` naming rows with non-finite targets, a constant target, or a shape mismatch.
func validateTrainingData(_ x: FeatureColumns, _ y: [Double], model: String, minRows: Int) throws {
    guard x.rows == y.count else {
        throw TreeModelsError(code: .shapeMismatch, message: "\(model): feature matrix has \(x.rows) rows but the target has \(y.count) values")
    }
    guard x.count > 0 else {
        throw TreeModelsError(code: .shapeMismatch, message: "\(model): the feature matrix has no columns")
    }
    var bad: [Int] = []
    for (i, v) in y.enumerated() where !v.isFinite { bad.append(i) }
    if !bad.isEmpty {
        throw TreeModelsError(code: .invalidTarget, message: "\(model): target is NaN or infinite at \(describeFirst(bad, noun: bad.count == 1 ? "row" : "rows"))")
    }
    guard y.count >= minRows, y.count > 0 else {
        throw TreeModelsError(code: .tooFewRows, message: "\(model): \(y.count) training rows, at least \(minRows) needed (min_data_in_leaf)")
    }
    if let first = y.first, y.allSatisfy({ $0 == first }) {
        throw TreeModelsError(code: .constantTarget, message: "\(model): target is constant (value \(first)): nothing to learn")
    }
}

/// Warnings for all-missing features and the list of features that may be split on.
func usableFeatures(_ binned: BinnedMatrix) -> (features: [Int], warnings: [String]) {
    var feats: [Int] = [], warnings: [String] = []
    for (f, m) in binned.mappers.enumerated() {
        if m.isAllMissing {
            warnings.append("feature \(f) has no non-missing value: dropped, never used for splits")
        } else {
            feats.append(f)
        }
    }
    return (feats, warnings)
}

/// The `q`-quantile (linear interpolation between order statistics) of `v`; sorts `v`.
func sampleQuantile(_ v: inout [Double], _ q: Double) -> Double {
    precondition(!v.isEmpty)
    v.sort()
    let pos = q * Double(v.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(lo + 1, v.count - 1)
    let frac = pos - Double(lo)
    return frac == 0 ? v[lo] : v[lo] + (v[hi] - v[lo]) * frac
}
