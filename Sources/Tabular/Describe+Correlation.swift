/// Pearson correlation over pairwise complete observations, as pandas `DataFrame.corr()`.
///
/// Two kernels give the same numbers (to rounding): pairs of columns without missing values —
/// the common case — come from one blocked pass of centred cross-products for all those pairs
/// at once; a pair involving a column with missing values has its own two passes over the rows
/// where both values are present. pandas' conventions: NaN for fewer than two observations or a
/// constant column, exactly 1 on the diagonal otherwise, off-diagonal values clipped to [−1, 1].
extension Describe {
    /// Row-major `k × k` correlations of `columns` (equally long) whose moments are `moments`.
    static func correlationMatrix(_ columns: [[Double]], moments: [Moments]) -> [Double] {
        let k = columns.count
        precondition(moments.count == k)
        var corr = [Double](repeating: .nan, count: k * k)
        let rows = columns.first?.count ?? 0
        // A column that is constant (or has fewer than 2 values) has no correlation with anything.
        let varies = moments.map { $0.count >= 2 && $0.min < $0.max }
        let complete = (0..<k).filter { moments[$0].count == rows && varies[$0] }
        for j in 0..<k where varies[j] { corr[j * k + j] = 1 }

        let cross = centredCrossProducts(complete.map { columns[$0] }, means: complete.map { moments[$0].mean })
        let kc = complete.count
        for a in 0..<kc {
            for b in (a + 1)..<kc {
                let r = clipped(cross[a * kc + b] / (cross[a * kc + a] * cross[b * kc + b]).squareRoot())
                corr[complete[a] * k + complete[b]] = r
                corr[complete[b] * k + complete[a]] = r
            }
        }

        let isComplete = (0..<k).map { complete.contains($0) }
        let pairs = (0..<k).filter { varies[$0] }.flatMap { i in
            ((i + 1)..<k).filter { j in varies[j] && !(isComplete[i] && isComplete[j]) }.map { j in (i, j) }
        }
        let pairwise = Parallel.map(pairs.count) { p in
            columns[pairs[p].0].withUnsafeBufferPointer { a in
                columns[pairs[p].1].withUnsafeBufferPointer { b in pairwisePearson(a, b) }
            }
        }
        for ((i, j), r) in zip(pairs, pairwise) {
            corr[i * k + j] = r
            corr[j * k + i] = r
        }
        return corr
    }

    private static func clipped(_ r: Double) -> Double { r.isNaN ? r : Swift.max(-1, Swift.min(1, r)) }

    /// Rows per block of `centredCrossProducts`: k × 128 centred Doubles stay in L1 for k ≤ 30.
    static let crossBlock = 128

    /// Row-major `k × k` Σ_r (x_ir − m_i)(x_jr − m_j) for columns without missing values.
    ///
    /// Rows are cut into a fixed number of parts (independent of the core count, so the result
    /// is too), each part summed by one task block by block: a block's rows are centred into a
    /// small buffer, then every pair's dot product over it runs in SIMD lanes; the parts are
    /// added in order.
    /// - Complexity: O(rows · k²) multiply-adds, one read of each column.
    static func centredCrossProducts(_ columns: [[Double]], means: [Double]) -> [Double] {
        let k = columns.count
        guard k > 0 else { return [] }
        let rows = columns[0].count
        let parts = Swift.max(1, Swift.min(16, rows / (64 * crossBlock)))
        let partial = Parallel.map(parts) { p in
            crossProducts(columns, means: means, rows: (rows * p / parts)..<(rows * (p + 1) / parts))
        }
        var sum = [Double](repeating: 0, count: k * k)
        for c in partial {
            for i in 0..<(k * k) { sum[i] += c[i] }
        }
        for i in 0..<k {
            for j in 0..<i { sum[i * k + j] = sum[j * k + i] }
        }
        return sum
    }

    /// Upper triangle (row-major, `k × k`) of the centred cross-products over `range`.
    private static func crossProducts(_ columns: [[Double]], means: [Double], rows range: Range<Int>) -> [Double] {
        let k = columns.count, width = crossBlock
        var sums = [Double](repeating: 0, count: k * k)
        var centred = [Double](repeating: 0, count: k * width)
        sums.withUnsafeMutableBufferPointer { sums in
            centred.withUnsafeMutableBufferPointer { centred in
                guard let block = centred.baseAddress else { return }
                var start = range.lowerBound
                while start < range.upperBound {
                    let len = Swift.min(width, range.upperBound - start)
                    for i in 0..<k {
                        let m = means[i], row = block + i * width
                        columns[i].withUnsafeBufferPointer { x in
                            for t in 0..<len { row[t] = x[start &+ t] - m }
                        }
                        // Zeros past the end of the last block add nothing to the dot products.
                        for t in len..<width { row[t] = 0 }
                    }
                    accumulateCrossProducts(block, k: k, width: width, into: sums)
                    start += len
                }
            }
        }
        return sums
    }

    /// `sums[i·k + j] += ⟨row i, row j⟩` for i ≤ j over the `k` rows of `width` (a multiple of 4)
    /// Doubles at `block`. Four j at a time share each load of row i; SIMD4 accumulators, since
    /// four SIMD8 ones would need all 16 SSE registers.
    private static func accumulateCrossProducts(_ block: UnsafeMutablePointer<Double>, k: Int, width: Int,
                                                into sums: UnsafeMutableBufferPointer<Double>) {
        let raw = UnsafeRawPointer(block)
        // Inlined: it is the innermost loop's every load.
        @inline(__always) func load(_ row: Int, _ t: Int) -> SIMD4<Double> {
            raw.loadUnaligned(fromByteOffset: (row &* width &+ t) &* 8, as: SIMD4<Double>.self)
        }
        for i in 0..<k {
            var j = i
            while j &+ 4 <= k {
                var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
                var t = 0
                while t < width {
                    let a = load(i, t)
                    s0 += a * load(j, t)
                    s1 += a * load(j &+ 1, t)
                    s2 += a * load(j &+ 2, t)
                    s3 += a * load(j &+ 3, t)
                    t &+= 4
                }
                sums[i &* k &+ j] += s0.sum()
                sums[i &* k &+ j &+ 1] += s1.sum()
                sums[i &* k &+ j &+ 2] += s2.sum()
                sums[i &* k &+ j &+ 3] += s3.sum()
                j &+= 4
            }
            while j < k {
                var s0 = SIMD4<Double>()
                var t = 0
                while t < width {
                    s0 += load(i, t) * load(j, t)
                    t &+= 4
                }
                sums[i &* k &+ j] += s0.sum()
                j &+= 1
            }
        }
    }

    /// Correlation of `a` and `b` over the rows where both are present: two passes (means, then
    /// centred sums), in SIMD lanes; NaN below 2 such rows or when either is constant on them.
    /// SIMD2: a pass keeps six to nine accumulators, which in wider vectors spill to the stack.
    static func pairwisePearson(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        typealias V = SIMD2<Double>
        precondition(a.count == b.count, "pairwisePearson: columns of unequal length")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return .nan }
        let ra = UnsafeRawPointer(pa), rb = UnsafeRawPointer(pb)
        let n = a.count, vectorEnd = n & ~1

        // Pass 1: count, sums and extremes over complete rows.
        var count = SIMD2<Int64>()
        var sa = V(), sb = V()
        var lowA = V(repeating: .infinity), highA = V(repeating: -.infinity)
        var lowB = lowA, highB = highA
        var i = 0
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i &+ block)
            var partA = V(), partB = V()
            while i < blockEnd {
                let x = ra.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
                let y = rb.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
                let both = (x .== x) .& (y .== y)
                count &+= SIMD2<Int64>().replacing(with: 1, where: both)
                partA += V().replacing(with: x, where: both)
                partB += V().replacing(with: y, where: both)
                lowA.replace(with: x, where: both .& (x .< lowA))
                highA.replace(with: x, where: both .& (x .> highA))
                lowB.replace(with: y, where: both .& (y .< lowB))
                highB.replace(with: y, where: both .& (y .> highB))
                i &+= 2
            }
            sa += partA
            sb += partB
        }
        var nBoth = Int(count.wrappedSum())
        var sumA = sa.sum(), sumB = sb.sum()
        var minA = lowA.min(), maxA = highA.max(), minB = lowB.min(), maxB = highB.max()
        for r in vectorEnd..<n where !a[r].isNaN && !b[r].isNaN {
            nBoth += 1
            sumA += a[r]; sumB += b[r]
            minA = Swift.min(minA, a[r]); maxA = Swift.max(maxA, a[r])
            minB = Swift.min(minB, b[r]); maxB = Swift.max(maxB, b[r])
        }
        guard nBoth >= 2, minA < maxA, minB < maxB else { return .nan }
        let meanA = sumA / Double(nBoth), meanB = sumB / Double(nBoth)

        // Pass 2: centred cross-product and sums of squares over complete rows.
        let ma = V(repeating: meanA), mb = V(repeating: meanB)
        var sab = V(), saa = V(), sbb = V()
        i = 0
        while i < vectorEnd {
            let blockEnd = Swift.min(vectorEnd, i &+ block)
            var pab = V(), paa = V(), pbb = V()
            while i < blockEnd {
                let x = ra.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
                let y = rb.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
                let both = (x .== x) .& (y .== y)
                let dx = V().replacing(with: x - ma, where: both)
                let dy = V().replacing(with: y - mb, where: both)
                pab += dx * dy
                paa += dx * dx
                pbb += dy * dy
                i &+= 2
            }
            sab += pab
            saa += paa
            sbb += pbb
        }
        var cab = sab.sum(), caa = saa.sum(), cbb = sbb.sum()
        for r in vectorEnd..<n where !a[r].isNaN && !b[r].isNaN {
            let dx = a[r] - meanA, dy = b[r] - meanB
            cab += dx * dy; caa += dx * dx; cbb += dy * dy
        }
        return clipped(cab / (caa * cbb).squareRoot())
    }
}
