/// Non-missing values in ascending order, as the profile statistics read them: by rank, and by
/// counts below / at most a point. Two implementations: a sorted array (`SortedValues`, the plain
/// one) and a column's `RankSelector`, which answers for chosen ranks and points without sorting.
/// Quantiles, PSI bins and histograms are written once over this protocol, so the reference
/// profile comes out the same from either.
protocol AscendingValues {
    /// Number of values.
    var count: Int { get }
    /// The value at 0-based position `rank` of the ascending order (−0 before +0).
    func value(atRank rank: Int) -> Double
    /// Number of values < x (0 for NaN).
    func countBelow(_ x: Double) -> Int
    /// Number of values ≤ x (0 for NaN).
    func countAtMost(_ x: Double) -> Int
}

/// An ascending array of non-missing values, searched by bisection.
struct SortedValues: AscendingValues {
    let sorted: [Double]

    init(_ sorted: [Double]) { self.sorted = sorted }

    var count: Int { sorted.count }
    func value(atRank rank: Int) -> Double { sorted[rank] }
    func countBelow(_ x: Double) -> Int { SortedSample.countBelow(sorted, x) }
    func countAtMost(_ x: Double) -> Int { SortedSample.countAtMost(sorted, x) }
}
