/// Count, sum, extremes and centred sum of squares of a column, NaN skipped, in SIMD passes.
///
/// Swift does not vectorise a plain floating-point reduction (it keeps the scalar order), so the
/// kernels accumulate in SIMD lanes, and fold a lane sum into the total every `block` values: the rounding error grows with the block length plus the number of blocks, not
/// with the column length (pandas gets the same effect from numpy's pairwise sum).
extension Describe {
    /// Values per partial sum before it is folded into the running total.
    static let block = 4096

    struct Moments: Sendable {
        /// Non-NaN values.
        var count = 0
        var sum = 0.0
        /// +∞ / −∞ when `count` is 0.
        var min = Double.infinity
        var max = -Double.infinity

        var mean: Double { count > 0 ? sum / Double(count) : .nan }
    }

    /// Count, sum, min and max of the non-NaN `v`.
    static func moments(_ v: UnsafeBufferPointer<Double>) -> Moments {
        guard let base = v.baseAddress else { return Moments() }
        let raw = UnsafeRawPointer(base)
        let n = v.count, vectorEnd = n & ~3
        // SIMD4, not SIMD8: five SIMD8 accumulators need 20 SSE registers and spill.
        var total = SIMD4<Double>()
        var low = SIMD4<Double>(repeating: .infinity), high = SIMD4<Double>(repeating: -.infinity)
        var nans = SIMD4<Int64>()
        var i = 0
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i &+ block)
            var partial = SIMD4<Double>()
            while i < blockEnd {
                let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
                let missing = x .!= x
                partial += x.replacing(with: 0, where: missing)
                nans &+= SIMD4<Int64>().replacing(with: 1, where: missing)
                // Comparisons with NaN are false: missing values never become an extreme.
                low.replace(with: x, where: x .< low)
                high.replace(with: x, where: x .> high)
                i &+= 4
            }
            total += partial
        }
        var m = Moments(count: vectorEnd - Int(nans.wrappedSum()), sum: total.sum(), min: low.min(), max: high.max())
        for x in v[vectorEnd...] where !x.isNaN {
            m.count += 1
            m.sum += x
            m.min = Swift.min(m.min, x)
            m.max = Swift.max(m.max, x)
        }
        return m
    }

    /// Σ (x − mean)² over the non-NaN `v`.
    static func centredSumOfSquares(_ v: UnsafeBufferPointer<Double>, mean: Double) -> Double {
        guard let base = v.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let n = v.count, vectorEnd = n & ~7
        let m = SIMD8<Double>(repeating: mean)
        var total = SIMD8<Double>()
        var i = 0
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i &+ block)
            var partial = SIMD8<Double>()
            while i < blockEnd {
                let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD8<Double>.self)
                let d = (x - m).replacing(with: 0, where: x .!= x)
                partial += d * d
                i &+= 8
            }
            total += partial
        }
        var sum = total.sum()
        for x in v[vectorEnd...] where !x.isNaN { sum += (x - mean) * (x - mean) }
        return sum
    }
}
