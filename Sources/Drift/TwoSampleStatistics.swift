import Foundation

/// A statistic and, for hypothesis tests, its p-value.
public struct TestOutcome: Sendable, Equatable {
    public var statistic: Double
    public var pValue: Double?

    public init(statistic: Double, pValue: Double?) {
        self.statistic = statistic
        self.pValue = pValue
    }
}

/// Two-sample statistics on sorted numeric samples and on category counts, with the
/// definitions of scipy 1.17 / Evidently (see each function).
public enum TwoSampleStatistics {
    /// KS statistic D = sup|F_a − F_b| and Wasserstein-1 distance ∫|F_a − F_b| dx of two
    /// ascending samples, computed together in one branch-free merge.
    ///
    /// The ECDF gap is tracked exactly as the integer k = n·m·(F_a − F_b) (+m per value of `a`,
    /// −n per value of `b`, `a` first among equal values); D is read only between distinct values
    /// (after a run of ties), and both results are divided by n·m once at the end.
    ///
    /// The merge is split into three lanes that run interleaved in one loop, so the load →
    /// compare → advance chain of one lane overlaps the others (three lanes keep their state in
    /// registers; four spill). The merged order is cut by binary search ("merge path"), and each
    /// lane starts with the gap k and the previous value of the merged order at its cut. The
    /// lanes cover the merged order up to the last value of the array that ends first (so no
    /// lane reads past an end); the rest of the other array follows in a plain loop.
    /// - Parameters: `a`, `b`: ascending, non-empty, no NaN.
    /// - Complexity: O(|a| + |b|).
    public static func ksAndWasserstein(_ a: [Double], _ b: [Double]) -> (ks: Double, wasserstein: Double) {
        precondition(!a.isEmpty && !b.isEmpty, "ksAndWasserstein: empty sample")
        let n = a.count, m = b.count
        let (maxGap, area) = a.withUnsafeBufferPointer { ua in
            b.withUnsafeBufferPointer { ub -> (Double, Double) in
                // Non-empty arrays have a base address.
                guard let pa = ua.baseAddress, let pb = ub.baseAddress else { return (.nan, .nan) }
                return mergeGaps(pa, n, pb, m)
            }
        }
        let nm = Double(n) * Double(m)
        return (maxGap / nm, area / nm)
    }

    /// State of one merge lane: next values of `a` and `b`, the gap k, the previous merged value,
    /// the area so far and the largest |k| read so far.
    struct MergeLane {
        var a: UnsafePointer<Double>
        var b: UnsafePointer<Double>
        var k: Int
        var prev: Double
        var area: Double = 0
        var maxGap: Double = 0
    }

    /// Number of values of `a` among the first `t` values of the merged order (`a` first on ties):
    /// the smallest i with i = min(t, n) or b[t − i − 1] < a[i].
    static func mergeSplit(_ a: UnsafePointer<Double>, _ n: Int, _ b: UnsafePointer<Double>, _ m: Int, _ t: Int) -> Int {
        var lo = max(0, t - m), hi = min(t, n)
        while lo < hi {
            let mid = (lo + hi) >> 1
            if b[t - mid - 1] < a[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// max |k| over the reading points and ∫|k| dx (see `ksAndWasserstein`).
    static func mergeGaps(_ pa: UnsafePointer<Double>, _ n: Int, _ pb: UnsafePointer<Double>, _ m: Int) -> (Double, Double) {
        // Merged positions [0, body) end with the last value of the array that runs out first.
        let aEndsFirst = pa[n - 1] <= pb[m - 1]
        // aEndsFirst: a[n − 1] comes after the values of b below it; otherwise b[m − 1] comes
        // after the values of a at most it.
        var lo = 0, hi = aEndsFirst ? m : n
        while lo < hi {
            let mid = (lo + hi) >> 1
            let before = aEndsFirst ? pb[mid] < pa[n - 1] : pa[mid] <= pb[m - 1]
            if before { lo = mid + 1 } else { hi = mid }
        }
        let body = (aEndsFirst ? n : m) + lo
        func lane(at t: Int) -> MergeLane {
            let i = mergeSplit(pa, n, pb, m, t), j = t - i
            // The value before position t is the larger of a[i − 1] and b[j − 1]; nothing is
            // integrated before the smallest value.
            var prev = min(pa[0], pb[0])
            if i > 0 { prev = pa[i - 1] }
            if j > 0 { prev = i > 0 ? max(prev, pb[j - 1]) : pb[j - 1] }
            return MergeLane(a: pa + i, b: pb + j, k: i * m - j * n, prev: prev)
        }
        let c1 = body / 3, c2 = body - body / 3
        var l0 = lane(at: 0), l1 = lane(at: c1), l2 = lane(at: c2)
        let mn = m &+ n
        // One merge step of a lane: integrate |k| over [prev, x), read |k| when x starts a new
        // value, take x. Written with selects the compiler keeps branch-free (min/max/and).
        // Inlined: the body of the merge loop.
        @inline(__always) func step(_ l: inout MergeLane) {
            let va = l.a.pointee, vb = l.b.pointee
            let takeB = vb < va
            let x = takeB ? vb : va
            let t = takeB ? 0 : 1
            let gap = abs(Double(l.k))
            let dx = x - l.prev
            l.area += gap * dx
            let read = dx > 0 ? gap : 0  // dx > 0 exactly when x > prev (no NaN here)
            l.maxGap = read > l.maxGap ? read : l.maxGap
            l.prev = x
            // Wrapping arithmetic: bounded by n·m and n + m, and no overflow branches.
            l.k = l.k &+ t &* mn &- n
            l.a += t
            l.b += 1 &- t
        }
        let shortest = min(c1, c2 - c1, body - c2)
        for _ in 0..<shortest { step(&l0); step(&l1); step(&l2) }
        for _ in shortest..<c1 { step(&l0) }
        for _ in shortest..<(c2 - c1) { step(&l1) }
        for _ in shortest..<(body - c2) { step(&l2) }
        var area = (l0.area + l1.area) + l2.area
        var maxGap = max(max(l0.maxGap, l1.maxGap), l2.maxGap)
        // The rest of the array that ends last: k moves one way only.
        var k = l2.k, prev = l2.prev
        let (rest, restEnd, dk) = aEndsFirst ? (l2.b, pb + m, -n) : (l2.a, pa + n, m)
        var r = rest
        while r < restEnd {
            let x = r.pointee
            let gap = abs(Double(k))
            area += gap * (x - prev)
            if x > prev { maxGap = max(maxGap, gap) }
            prev = x
            k += dk
            r += 1
        }
        return (maxGap, area)
    }

    /// Plain twin of `ksAndWasserstein`, written the way scipy does it (evaluate both ECDFs at
    /// every pooled value by binary search), for tests.
    public static func ksAndWassersteinNaive(_ a: [Double], _ b: [Double]) -> (ks: Double, wasserstein: Double) {
        let all = (a + b).sorted()
        var d = 0.0
        var w = 0.0
        for (k, x) in all.enumerated() {
            let fa = Double(SortedSample.countAtMost(a, x)) / Double(a.count)
            let fb = Double(SortedSample.countAtMost(b, x)) / Double(b.count)
            d = max(d, abs(fa - fb))
            if k + 1 < all.count { w += abs(fa - fb) * (all[k + 1] - x) }
        }
        return (d, w)
    }

    /// p-value of the two-sided two-sample KS test, as scipy.stats.ks_2samp(method="auto"):
    /// exact distribution when max(n, m) ≤ 10,000, otherwise the one-sample Kolmogorov
    /// distribution kstwo.sf(D, round(nm/(n+m))). Returns the statistic (rounded to a multiple
    /// of 1/lcm(n, m) on the exact path, as scipy does) and the p-value.
    public static func ksPValue(statistic d0: Double, n1: Int, n2: Int) -> TestOutcome {
        precondition(n1 > 0 && n2 > 0)
        var d = d0
        if max(n1, n2) <= 10_000 {
            let g = gcd(n1, n2)
            let lcm = Double(n1 / g) * Double(n2)
            let h = Int((d * lcm).rounded(.toNearestOrEven))
            d = Double(h) / lcm
            if h == 0 { return TestOutcome(statistic: d, pValue: 1) }
            let p = n1 == n2
                ? Kolmogorov.twoSampleEqualSizesSurvival(n: n1, h: h)
                : Kolmogorov.twoSampleUnequalSizesSurvival(m: n1, n: n2, g: g, h: h)
            if p >= 0 && p <= 1 { return TestOutcome(statistic: d, pValue: p) }
        }
        let big = Double(max(n1, n2)), small = Double(min(n1, n2))
        let en = (big * small / (big + small)).rounded(.toNearestOrEven)
        let p = Kolmogorov.kolmogorovSurvival(n: Int(en), x: d)
        return TestOutcome(statistic: d, pValue: min(max(p, 0), 1))
    }

    /// Two-sample KS test on ascending samples (statistic and scipy-compatible p-value).
    public static func ksTest(_ a: [Double], _ b: [Double]) -> TestOutcome {
        ksPValue(statistic: ksAndWasserstein(a, b).ks, n1: a.count, n2: b.count)
    }

    /// Population standard deviation (ddof = 0, like numpy's np.std), two-pass.
    public static func populationStd(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        let n = v.count
        while i + 4 <= n { s0 += v[i]; s1 += v[i + 1]; s2 += v[i + 2]; s3 += v[i + 3]; i += 4 }
        while i < n { s0 += v[i]; i += 1 }
        let mean = (s0 + s1 + s2 + s3) / Double(n)
        var q0 = 0.0, q1 = 0.0
        i = 0
        while i + 2 <= n {
            let d0 = v[i] - mean, d1 = v[i + 1] - mean
            q0 += d0 * d0; q1 += d1 * d1
            i += 2
        }
        if i < n { let d = v[i] - mean; q0 += d * d }
        return ((q0 + q1) / Double(n)).squareRoot()
    }

    /// Evidently's normalised Wasserstein: W1(ref, cur) / max(std(ref), 0.001), std with ddof 0.
    public static func normalizedWasserstein(_ wasserstein: Double, referenceStd: Double) -> Double {
        wasserstein / max(referenceStd, 0.001)
    }

    /// PSI = Σ (p_cur − p_ref) · ln(p_cur / p_ref) over bins, where an empty bin's proportion is
    /// replaced by `epsilon` (on both sides).
    public static func psi(reference: [Double], current: [Double], epsilon: Double = PSIBins.epsilon) -> Double {
        precondition(reference.count == current.count, "psi: bin count mismatch")
        var s = 0.0
        for k in 0..<reference.count {
            let r = reference[k] == 0 ? epsilon : reference[k]
            let c = current[k] == 0 ? epsilon : current[k]
            s += (c - r) * Foundation.log(c / r)
        }
        return s
    }

    /// Chi-square goodness of fit of current category counts against expected counts
    /// `referenceCounts[k] × (Σ current / Σ reference)` (scipy.stats.chisquare as Evidently
    /// calls it). A category with expected 0 and observed > 0 makes the statistic +∞ and the
    /// p-value 0 (scipy's result for that division). With fewer than two categories the test is
    /// undefined; statistic 0 and p-value 1 are returned.
    public static func chiSquare(referenceCounts: [Double], currentCounts: [Double]) -> TestOutcome {
        precondition(referenceCounts.count == currentCounts.count)
        let totalRef = referenceCounts.reduce(0, +)
        let totalCur = currentCounts.reduce(0, +)
        let k = referenceCounts.count
        if k < 2 || totalRef == 0 || totalCur == 0 { return TestOutcome(statistic: 0, pValue: 1) }
        let scale = totalCur / totalRef
        var stat = 0.0
        for c in 0..<k {
            let e = referenceCounts[c] * scale
            let o = currentCounts[c]
            if e == 0 {
                if o > 0 { return TestOutcome(statistic: .infinity, pValue: 0) }
                continue
            }
            stat += (o - e) * (o - e) / e
        }
        return TestOutcome(statistic: stat,
                           pValue: SpecialFunctions.chiSquareSurvival(stat, degreesOfFreedom: Double(k - 1)))
    }

    /// Jensen–Shannon distance (natural log, scipy.spatial.distance.jensenshannon's default) of
    /// two count or proportion vectors, each normalised to sum 1.
    public static func jensenShannon(_ p0: [Double], _ q0: [Double]) -> Double {
        precondition(p0.count == q0.count)
        let sp = p0.reduce(0, +), sq = q0.reduce(0, +)
        guard sp > 0, sq > 0 else { return .nan }
        var js = 0.0
        for k in 0..<p0.count {
            let p = p0[k] / sp, q = q0[k] / sq
            let m = (p + q) / 2
            if p > 0 { js += p * Foundation.log(p / m) }
            if q > 0 { js += q * Foundation.log(q / m) }
        }
        return (max(js, 0) / 2).squareRoot()
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}

/// PSI binning on reference quantiles.
public enum PSIBins {
    /// Proportion used for a bin that holds no values (Evidently's constant when no proportion
    /// is smaller): keeps ln(p_cur / p_ref) finite.
    public static let epsilon = 0.0001

    /// Interior bin edges: the reference quantiles at 1/k, 2/k, …, (k−1)/k (numpy "linear").
    /// Bin i is (edge[i−1], edge[i]] with edge[−1] = −∞ and edge[k−1] = +∞.
    public static func edges(sortedReference s: [Double], bins k: Int) -> [Double] {
        edges(SortedValues(s), bins: k)
    }

    /// `edges(sortedReference:bins:)` of ascending values read by rank.
    static func edges(_ s: some AscendingValues, bins k: Int) -> [Double] {
        levels(bins: k).map { SortedSample.quantile(s, $0) }
    }

    /// The quantile levels of the interior edges: 1/k, 2/k, …, (k−1)/k.
    static func levels(bins k: Int) -> [Double] {
        precondition(k >= 1)
        let step = 1.0 / Double(k)
        return (1..<k).map { Double($0) * step }
    }

    /// Proportion of the ascending sample `s` in each bin defined by interior `edges`, by binary
    /// search (k − 1 searches).
    public static func proportions(sorted s: [Double], edges: [Double]) -> [Double] {
        proportions(SortedValues(s), edges: edges)
    }

    /// `proportions(sorted:edges:)` of ascending values counted at the edges.
    static func proportions(_ s: some AscendingValues, edges: [Double]) -> [Double] {
        let n = Double(s.count)
        var out = [Double]()
        out.reserveCapacity(edges.count + 1)
        var below = 0
        for e in edges {
            let c = s.countAtMost(e)
            out.append(Double(c - below) / n)
            below = c
        }
        out.append(Double(s.count - below) / n)
        return out
    }
}
