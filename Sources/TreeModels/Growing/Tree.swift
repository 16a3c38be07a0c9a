import MLCore

/// One fitted tree in raw-value form (what inference needs, no bins).
///
/// Internal node `k`: go left when `x[feature[k]] <= threshold[k]` (numeric) or when the code is
/// in `leftCategories[k]` (categorical); NaN follows `defaultLeft[k]`. Children ≥ 0 are internal
/// nodes, children < 0 are leaves `~child`. Node 0 is the root; a tree with no internal node is
/// the single leaf 0.
public struct Tree: Sendable, Equatable {
    public var feature: [Int32] = []
    public var threshold: [Double] = []
    public var defaultLeft: [Bool] = []
    /// Category codes going left, ascending; empty for numeric nodes.
    public var leftCategories: [[Int32]] = []
    public var left: [Int32] = []
    public var right: [Int32] = []
    /// Split gain of each internal node.
    public var gain: [Double] = []
    public var leafValue: [Double] = []
    /// Cover of each internal node and of each leaf: the number of training rows that reached it
    /// (a row drawn twice by a bootstrap or bagging sample counts twice) — LightGBM's
    /// `internal_count`/`leaf_count`, scikit-learn's `weighted_n_node_samples` without sample
    /// weights. Path-dependent TreeSHAP weights the branch a row does not take by it. Empty when
    /// unknown (a tree built by hand or read from a model file written before covers were kept).
    public var nodeCover: [Double] = []
    public var leafCover: [Double] = []

    public init() {}

    /// Whether every node and leaf has its cover.
    public var hasCover: Bool { nodeCover.count == nodeCount && leafCover.count == leafValue.count }

    public var nodeCount: Int { feature.count }
    public var root: Int32 { feature.isEmpty ? ~0 : 0 }

    /// Leaf index reached by a row whose feature `f` is `value(f)`: the plain reference walk.
    @inlinable public func leaf(_ value: (Int) -> Double) -> Int {
        var n = root
        while n >= 0 {
            let k = Int(n)
            let x = value(Int(feature[k]))
            let goLeft: Bool
            if x.isNaN {
                goLeft = defaultLeft[k]
            } else if !leftCategories[k].isEmpty {
                goLeft = x >= 0 && x <= Double(Int32.max) && leftCategories[k].contains(Int32(x)) && Double(Int32(x)) == x
            } else {
                goLeft = x <= threshold[k]
            }
            n = goLeft ? left[k] : right[k]
        }
        return Int(~n)
    }

    /// Multiplies every leaf value by `s` (shrinkage).
    public mutating func scale(by s: Double) {
        for i in leafValue.indices { leafValue[i] *= s }
    }
}
