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
    ///   gathered values (about maxSample digits of about 80 values). When over a quarter of
    ///   the values are missing, the passes after the first read a copy of the present ones.
    ///   A column of at most `maxSample` values is sorted.
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
            // The passes after the first, over values `w` with the non-missing values of `v`.
            func finish(_ w: UnsafeBufferPointer<Double>) -> NumericProfile {
                let squares = ExactSum()
                squares.addSquaredDeviations(w, from: mean)
                let std = (squares.rounded() / Double(n)).squareRoot()
                let sampleRanks = ReferenceProfile.sampleIndices(count: n, k: maxSample, rng: &rng)
                let levels = PSIBins.levels(bins: psiBins) + [Histogram.defaultTail, 1 - Histogram.defaultTail]
                let quantileRanks = levels.map { SortedSample.QuantilePosition(count: n, $0) }.flatMap { [$0.below, $0.above] }
                let wanted = selector.digits(holding: sampleRanks + quantileRanks + [0, n - 1])
                selector.resolve(w, digits: Array(Set(wanted + trimmedEdgeDigits(selector, bins: histogramBins))).sorted())
                // PSI edges lie between the values of two gathered ranks; the trimmed histogram's
                // edges were predicted. Anything else (rounding at a digit's end) takes one more pass.
                let points = PSIBins.edges(selector, bins: psiBins) + Histogram.trimmedEdges(selector, bins: histogramBins).edges
                let uncounted = selector.digits(counting: points)
                if !uncounted.isEmpty { selector.resolve(w, digits: uncounted) }
                return assemble(selector, missing: values.count - n, mean: mean, std: std,
                                sample: sampleRanks.map(selector.value(atRank:)), sampleIsExact: false,
                                psiBins: psiBins, histogramBins: histogramBins)
            }
            // Many missing values at random places make every pass mispredict its NaN test (with
            // half the values missing, the passes took 0.20 s of CPU on 10M values against 0.16 s
            // for the old sort): copy the present ones out once, without a branch.
            if values.count - n > values.count / 4 {
                return nonMissing(v, count: n).withUnsafeBufferPointer(finish)
            }
            return finish(v)
        }
    }

    /// The `count` non-NaN values of `v`, in order, copied without a branch per value.
    static func nonMissing(_ v: UnsafeBufferPointer<Double>, count: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count + 1)
        let written = out.withUnsafeMutableBufferPointer { o in
            // Every value is written; a NaN is overwritten by the next value (or lands in the
            // spare last slot).
            var k = 0
            for x in v {
                o[Swift.min(k, count)] = x
                // 1 unless NaN, in integer arithmetic: the compiler turns `x.isNaN ? 0 : 1` into
                // a branch. |x|'s bits minus those just above +∞'s wrap to the top bit unless NaN.
                let magnitude = x.bitPattern & 0x7FFF_FFFF_FFFF_FFFF
                k &+= Int(truncatingIfNeeded: (magnitude &- 0x7FF0_0000_0000_0001) &>> 63)
            }
            return k
        }
        precondition(written == count, "nonMissing: \(written) non-NaN values, expected \(count)")
        out.removeLast()
        return out
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
