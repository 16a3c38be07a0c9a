import Tabular

extension NumericProfile {
    /// Builds the profile of a column (NaN = missing) without sorting it when it has more than
    /// `maxSample` values: the sample is the values at `ReferenceProfile.sampleIndices` ranks of
    /// the ascending order, found with the quantiles and the bin counts by a `RankSelector`.
    /// Equal, bit for bit, to `buildReference` on the values sorted by `orderedKey` (−0 first).
    /// - Complexity: O(n): the selector's count pass (which also sums), one for the sum of
    ///   squares, a gather pass (preceded by a pass that finds single-valued digits when ties
    ///   make the wanted digits hold over an eighth of the column; and a second gather, rarely,
    ///   when a histogram edge falls outside the digits predicted for it), plus sorting the
    ///   gathered values (about maxSample digits of about 80 values). A column of at most
    ///   `maxSample` values is sorted.
    public static func build(column values: [Double], maxSample: Int, psiBins: Int,
                             histogramBins: Int = 30, rng: inout SeededGenerator) -> NumericProfile {
        func sorted() -> NumericProfile {
            let s = SortedSample.sortedNonMissingRadix(values)
            return buildReference(sorted: s, missing: values.count - s.count, maxSample: maxSample,
                                  psiBins: psiBins, histogramBins: histogramBins, rng: &rng)
        }
        if values.count <= maxSample { return sorted() }
        return values.withUnsafeBufferPointer { v in
            let sum = ExactSum()
            var selector = RankSelector(v, sum: sum)
            let n = selector.count
            if n <= maxSample { return sorted() }
            let mean = sum.rounded() / Double(n)
            let squares = ExactSum()
            squares.addSquaredDeviations(v, from: mean)
            let std = (squares.rounded() / Double(n)).squareRoot()
            let sampleRanks = ReferenceProfile.sampleIndices(count: n, k: maxSample, rng: &rng)
            let levels = PSIBins.levels(bins: psiBins) + [Histogram.defaultTail, 1 - Histogram.defaultTail]
            let quantileRanks = levels.map { SortedSample.QuantilePosition(count: n, $0) }.flatMap { [$0.below, $0.above] }
            let wanted = selector.digits(holding: sampleRanks + quantileRanks + [0, n - 1])
            selector.resolve(v, digits: Array(Set(wanted + trimmedEdgeDigits(selector, bins: histogramBins))).sorted())
            // PSI edges lie between the values of two gathered ranks; the trimmed histogram's
            // edges were predicted. Anything else (rounding at a digit's end) takes one more pass.
            let points = PSIBins.edges(selector, bins: psiBins) + Histogram.trimmedEdges(selector, bins: histogramBins).edges
            let uncounted = selector.digits(counting: points)
            if !uncounted.isEmpty { selector.resolve(v, digits: uncounted) }
            return assemble(selector, missing: values.count - n, mean: mean, std: std,
                            sample: sampleRanks.map(selector.value(atRank:)), sampleIsExact: false,
                            psiBins: psiBins, histogramBins: histogramBins)
        }
    }

    /// Digits that can hold the edges of `Histogram.trimmedEdges` (lo + j · (hi − lo) / bins,
    /// lo and hi the quantiles at the default tail and 1 − tail), known before the values are:
    /// each quantile lies in the value range of the digits of its two ranks, which bounds every
    /// edge. A few ulps of margin cover rounding. Empty when a bound is not finite or the digits
    /// would hold more than an eighth of the values (the edges are then counted by another pass).
    static func trimmedEdgeDigits(_ selector: RankSelector, bins: Int) -> [Int] {
        let map = selector.map
        func bounds(_ q: Double) -> ClosedRange<Double> {
            let p = SortedSample.QuantilePosition(count: selector.count, q)
            return map.valueRange(ofDigit: selector.digit(ofRank: p.below)).lowerBound
                ... map.valueRange(ofDigit: selector.digit(ofRank: p.above)).upperBound
        }
        let lo = bounds(Histogram.defaultTail), hi = bounds(1 - Histogram.defaultTail)
        guard lo.lowerBound.isFinite, lo.upperBound.isFinite, hi.lowerBound.isFinite, hi.upperBound.isFinite else { return [] }
        let narrowest = Swift.max(0, (hi.lowerBound - lo.upperBound) / Double(bins))
        let widest = (hi.upperBound - lo.lowerBound) / Double(bins)
        let margin: UInt64 = 16
        var digits = Set<Int>()
        var population = 0
        for j in 0...bins {
            let least = j == bins ? hi.lowerBound : lo.lowerBound + Double(j) * narrowest
            let most = j == bins ? hi.upperBound : lo.upperBound + Double(j) * widest
            let k0 = DigitMap.canonicalKey(least), k1 = DigitMap.canonicalKey(most)
            guard least.isFinite, most.isFinite, k0 <= k1 else { return [] }
            let first = map.digit(SortedSample.double(fromKey: k0 - Swift.min(margin, k0)))
            let last = map.digit(SortedSample.double(fromKey: k1 + margin))
            guard first <= last, last < map.digitCount else { return [] }
            for d in first...last where digits.insert(d).inserted {
                population += selector.population(d)
                if population > selector.count / 8 { return [] }
            }
        }
        return digits.sorted()
    }
}
