/// The best split found for one node, in bin space plus the raw values inference needs.
public struct SplitInfo: Sendable, Equatable {
    public var feature: Int
    /// Numeric: rows with value bin ≤ `thresholdBin` go left. Unused for categorical splits.
    public var thresholdBin: Int
    /// Whether rows in the missing (NaN) bin go left.
    public var defaultLeft: Bool
    /// Categorical: the value bins going left (ascending). Empty for numeric splits.
    public var leftCategoryBins: [Int]
    /// gain = GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ).
    public var gain: Double
    public var leftGradient: Double, leftHessian: Double, leftCount: Double
    public var rightGradient: Double, rightHessian: Double, rightCount: Double

    public var isCategorical: Bool { !leftCategoryBins.isEmpty }

    /// 256-entry table: does a row with bin `b` go left?
    public func goesLeftTable(missingBin: Int) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        if isCategorical {
            for b in leftCategoryBins { t[b] = true }
        } else {
            for b in 0...thresholdBin where b < missingBin { t[b] = true }
        }
        t[missingBin] = defaultLeft
        return t
    }
}
