import CTreeKernels

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

    /// The rule that partitions a leaf's rows by this split.
    public func partitionRule(missingBin: Int) -> PartitionRule {
        isCategorical ? .table(goesLeftTable(missingBin: missingBin))
                      : .threshold(bin: thresholdBin, missingBin: missingBin, missingLeft: defaultLeft)
    }

    /// 256-entry table: does a row with bin `b` go left?
    public func goesLeftTable(missingBin: Int) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        fillGoesLeft(&t, missingBin: missingBin)
        return t
    }

    /// Writes `goesLeftTable(missingBin:)` into `t` (256 entries), reusing its storage.
    public func fillGoesLeft(_ t: inout [Bool], missingBin: Int) {
        precondition(t.count == 256 && (0..<256).contains(missingBin))
        t.withUnsafeMutableBufferPointer { tb in
            if isCategorical {
                tb.update(repeating: false)
                for b in leftCategoryBins { tb[b] = true }
            } else {
                let end = max(0, min(thresholdBin + 1, missingBin))
                tb[0..<end].update(repeating: true)
                tb[end...].update(repeating: false)
            }
            tb[missingBin] = defaultLeft
        }
    }
}

extension SplitInfo {
    /// A numeric split found by a C kernel: left sums as found, right = totals − left.
    init(_ s: plumb_split, feature: Int, totals: (g: Double, h: Double, c: Double)) {
        self.init(feature: feature, thresholdBin: s.bin, defaultLeft: s.default_left != 0, leftCategoryBins: [], gain: s.gain,
                  leftGradient: s.gl, leftHessian: s.hl, leftCount: s.cl,
                  rightGradient: totals.g - s.gl, rightHessian: totals.h - s.hl, rightCount: totals.c - s.cl)
    }
}
