import Foundation

/// Sorting numeric columns for the drift tests.
///
/// `sortedNonMissing` is a two-level value-range bucket sort (flashsort-like). Level 1 scatters
/// the values into at most 2048 equal-width buckets of [min, max] (a few hundred values each for
/// a million rows, so each bucket fits the L1 cache); level 2 sorts each bucket on its own range
/// by scattering it into about two sub-buckets per value and running one insertion pass, which
/// moves a value by one place without a branch and takes the insertion loop only for the rare
/// value that must go further. Bucket indices are monotone in the value (subtract, scale, round
/// to nearest: every step is monotone under IEEE rounding), so buckets come out in order.
/// A bucket too large for the cache (skewed data) is bucketed again on its own range
/// (`sortLarge`, two levels at most); crowded sub-buckets and deeper skew go to the recursive
/// bucket sort `sortRange` (and from there to a comparison sort), and a range that is not finite
/// to the LSD radix sort (`radixSort`, its plain twin).
public enum SortedSample {
    /// Ranges at most this long are finished by insertion sort.
    static let insertionLimit = 16
    /// Bucketing levels before a crowded range falls back to a comparison sort.
    static let maxDepth = 4
    /// Most buckets per level (2048 write streams still fit the L2 cache).
    static let maxFan = 2048
    /// Buckets up to this many values take the in-cache level-2 sort (`sortBucket`); larger ones
    /// (skewed data) are bucketed again on their own range (`sortLarge`).
    static let bucketLimit = 16384
    /// Level-2 sub-buckets per value.
    static let subRatio = 2

    /// `t + 2⁵²` holds round-to-nearest(t) in its low mantissa bits for 0 ≤ t < 2⁵¹.
    static let roundingBias = 0x1p52
    static let roundingBiasBits = Int(bitPattern: UInt(0x1p52.bitPattern))

    /// round-to-nearest(t) for 0 ≤ t < 2⁵¹, without the range checks of `Int(_:)` (callers
    /// guarantee the range: t = (x − lo) · (buckets − 1) / (hi − lo) for lo ≤ x ≤ hi).
    // Inlined: called for every value in the bucketing loops.
    @inline(__always) static func bucket(_ t: Double) -> Int {
        Int(bitPattern: UInt((t + roundingBias).bitPattern)) &- roundingBiasBits
    }

    /// The non-missing values of `values`, sorted ascending. NaN (missing) values are dropped.
    /// - Complexity: O(n) expected for data with a density (three passes over the input, then
    ///   in-cache work per bucket); one output array plus scratch of the largest bucket.
    public static func sortedNonMissing(_ values: [Double]) -> [Double] {
        let n = values.count
        // Range and number of missing values (`x < lo` is false for NaN), in two lanes.
        var lo0 = Double.infinity, lo1 = Double.infinity, hi0 = -Double.infinity, hi1 = -Double.infinity
        var missing = 0
        values.withUnsafeBufferPointer { v in
            guard let p = v.baseAddress else { return }
            var i = 0
            while i + 2 <= n {
                let x = p[i], y = p[i + 1]
                lo0 = x < lo0 ? x : lo0; hi0 = x > hi0 ? x : hi0
                lo1 = y < lo1 ? y : lo1; hi1 = y > hi1 ? y : hi1
                missing &+= (x.isNaN ? 1 : 0) &+ (y.isNaN ? 1 : 0)
                i &+= 2
            }
            if i < n {
                let x = p[i]
                lo0 = x < lo0 ? x : lo0; hi0 = x > hi0 ? x : hi0
                missing &+= x.isNaN ? 1 : 0
            }
        }
        let lo = min(lo0, lo1), hi = max(hi0, hi1)
        let count = n - missing
        let fan = max(2, min(count / 64, maxFan))
        let range = hi - lo
        let scale = Double(fan - 1) / range
        guard count >= 64, range > 0, range.isFinite, scale.isFinite, scale * range < 0x1p50 else {
            return sortedNonMissingRadix(values)
        }
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: fan)
        ends.initialize(repeating: 0, count: fan)
        defer { ends.deallocate() }
        return [Double](unsafeUninitializedCapacity: count) { out, initialized in
            guard let o = out.baseAddress else { return }
            values.withUnsafeBufferPointer { v in
                guard let p = v.baseAddress else { return }
                let c = ends
                if missing == 0 {
                    for i in 0..<n { c[bucket((p[i] - lo) * scale)] &+= 1 }
                } else {
                    for i in 0..<n where !p[i].isNaN { c[bucket((p[i] - lo) * scale)] &+= 1 }
                }
                var run = 0
                for b in 0..<fan { let t = c[b]; c[b] = run; run &+= t }
                if missing == 0 {
                    for i in 0..<n {
                        let x = p[i]
                        let b = bucket((x - lo) * scale)
                        o[c[b]] = x
                        c[b] &+= 1
                    }
                } else {
                    for i in 0..<n {
                        let x = p[i]
                        if x.isNaN { continue }
                        let b = bucket((x - lo) * scale)
                        o[c[b]] = x
                        c[b] &+= 1
                    }
                }
            }
            initialized = count
            // ends[b] is now the end of bucket b.
            var largest = 0, start = 0
            for b in 0..<fan { largest = max(largest, ends[b] - start); start = ends[b] }
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: largest)
            let subCount = subRatio * min(largest, bucketLimit)
            let sub = UnsafeMutablePointer<Int32>.allocate(capacity: subCount)
            let levelCounts = UnsafeMutablePointer<Int>.allocate(capacity: maxFan * maxDepth)
            defer { scratch.deallocate(); sub.deallocate(); levelCounts.deallocate() }
            start = 0
            for b in 0..<fan {
                let e = ends[b], len = e - start
                let q = o + start
                start = e
                sortPiece(q, len, scratch: scratch, sub: sub, counts: levelCounts, depth: 1)
            }
        }
    }

    /// Smallest and largest of `q[0..<n]` (n ≥ 2, no NaN), in two lanes so the compares overlap.
    @inline(__always) static func minMax(_ q: UnsafePointer<Double>, _ n: Int) -> (lo: Double, hi: Double) {
        var lo0 = q[0], hi0 = q[0], lo1 = q[1], hi1 = q[1]
        var i = 2
        while i + 2 <= n {
            let x = q[i], y = q[i + 1]
            lo0 = x < lo0 ? x : lo0; hi0 = x > hi0 ? x : hi0
            lo1 = y < lo1 ? y : lo1; hi1 = y > hi1 ? y : hi1
            i &+= 2
        }
        if i < n { let x = q[i]; lo0 = x < lo0 ? x : lo0; hi0 = x > hi0 ? x : hi0 }
        return (min(lo0, lo1), max(hi0, hi1))
    }

    /// Levels of `sortLarge` before a large bucket goes to `sortRange`.
    static let largeDepth = 3

    /// Sorts one bucket `q[0..<n]` (no NaN) by its size: insertion sort, the in-cache
    /// `sortBucket`, or `sortLarge` for a bucket too large for the cache (skewed data); crowded
    /// sub-buckets and deep recursion end in `sortRange`. `scratch` holds at least n values.
    static func sortPiece(_ q: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>,
                          sub: UnsafeMutablePointer<Int32>, counts: UnsafeMutablePointer<Int>, depth: Int) {
        if n <= insertionLimit {
            insertionSort(q, n)
        } else if n <= bucketLimit {
            if !sortBucket(q, n, scratch: scratch, sub: sub) { sortRange(q, n, scratch: scratch, counts: counts, depth: 1) }
        } else if depth < largeDepth {
            sortLarge(q, n, scratch: scratch, sub: sub, counts: counts, depth: depth + 1)
        } else {
            sortRange(q, n, scratch: scratch, counts: counts, depth: 1)
        }
    }

    /// Level 1 again on a bucket that is too large for the cache (skewed data: a long tail or an
    /// outlier leaves most values in a few buckets of the full range): buckets of its own range
    /// through `scratch`, copied back, then each sorted by `sortPiece`.
    static func sortLarge(_ q: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>,
                          sub: UnsafeMutablePointer<Int32>, counts: UnsafeMutablePointer<Int>, depth: Int) {
        let (lo, hi) = minMax(q, n)
        let range = hi - lo
        if !(range > 0) { return }  // all equal
        let fan = max(2, min(n / 64, maxFan))
        let scale = Double(fan - 1) / range
        guard range.isFinite, scale.isFinite, scale * range < 0x1p50 else {
            sortRange(q, n, scratch: scratch, counts: counts, depth: 1)
            return
        }
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: fan)
        ends.initialize(repeating: 0, count: fan)
        defer { ends.deallocate() }
        for i in 0..<n { ends[bucket((q[i] - lo) * scale)] &+= 1 }
        var run = 0
        for b in 0..<fan { let t = ends[b]; ends[b] = run; run &+= t }
        for i in 0..<n {
            let x = q[i]
            let b = bucket((x - lo) * scale)
            scratch[ends[b]] = x
            ends[b] &+= 1
        }
        q.update(from: scratch, count: n)
        var start = 0
        for b in 0..<fan {
            let e = ends[b]
            sortPiece(q + start, e - start, scratch: scratch, sub: sub, counts: counts, depth: depth)
            start = e
        }
    }

    /// Sorts `q[0..<n]` (17 ≤ n ≤ `bucketLimit`, no NaN) by scattering it on its own range
    /// into `subRatio · n` sub-buckets (in `scratch`) and one insertion pass back into `q`.
    /// Returns false when the sub-buckets are crowded (more than 4n insertion moves); `q` then
    /// holds the values in some order, for another sort to finish.
    static func sortBucket(_ q: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>,
                           sub: UnsafeMutablePointer<Int32>) -> Bool {
        let (lo, hi) = minMax(q, n)
        let range = hi - lo
        if !(range > 0) { return true }  // all equal
        let fan = subRatio * n
        let scale = Double(fan - 1) / range
        if !(range.isFinite && scale.isFinite && scale * range < 0x1p50) { return false }
        sub.update(repeating: 0, count: fan)
        for i in 0..<n { sub[bucket((q[i] - lo) * scale)] &+= 1 }
        var run: Int32 = 0
        for k in 0..<fan { let t = sub[k]; sub[k] = run; run &+= t }
        for i in 0..<n {
            let x = q[i]
            let k = bucket((x - lo) * scale)
            scratch[Int(sub[k])] = x
            sub[k] &+= 1
        }
        // Values are in order except within a sub-bucket. Each value is placed with the
        // previous maximum by min/max (a one-place move without a branch); only a value below
        // the one before that runs the insertion loop.
        var last = scratch[0]
        q[0] = last
        var beforeLast = -Double.infinity  // q[i − 2]
        var budget = 4 &* n
        for i in 1..<n {
            let x = scratch[i]
            let larger = x > last ? x : last
            let smaller = x > last ? last : x
            q[i - 1] = smaller
            q[i] = larger
            if smaller < beforeLast {
                var j = i - 1
                while j > 0 && q[j - 1] > smaller { q[j] = q[j - 1]; j &-= 1 }
                q[j] = smaller
                budget &-= i &- j
                if budget < 0 {
                    (q + i + 1).update(from: scratch + i + 1, count: n &- i &- 1)
                    return false
                }
            }
            beforeLast = q[i - 1]
            last = larger
        }
        return true
    }

    /// Sorts `p[0..<n]` in place: bucket by value range into `scratch`, copy back, recurse.
    /// `counts` holds `maxFan` slots per remaining level.
    static func sortRange(_ p: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>,
                          counts c: UnsafeMutablePointer<Int>, depth: Int) {
        if n <= insertionLimit { insertionSort(p, n); return }
        var lo = p[0], hi = p[0]
        for i in 1..<n { let x = p[i]; lo = x < lo ? x : lo; hi = x > hi ? x : hi }
        let range = hi - lo
        if !(range > 0) { return }  // all equal
        let fan = max(2, min(n / 2, maxFan))
        let scale = Double(fan) / range
        if depth >= maxDepth || !range.isFinite || !scale.isFinite {
            var whole = UnsafeMutableBufferPointer(start: p, count: n)
            whole.sort()
            return
        }
        c.update(repeating: 0, count: fan)
        for i in 0..<n { c[min(Int((p[i] - lo) * scale), fan - 1)] += 1 }
        var run = 0
        for b in 0..<fan { let t = c[b]; c[b] = run; run += t }
        for i in 0..<n {
            let x = p[i]
            let b = min(Int((x - lo) * scale), fan - 1)
            scratch[c[b]] = x
            c[b] += 1
        }
        p.update(from: scratch, count: n)
        var start = 0
        for b in 0..<fan {
            let end = c[b], len = end - start
            // Most sub-ranges hold a few values: sort them here rather than through a call.
            if len > insertionLimit {
                sortRange(p + start, len, scratch: scratch, counts: c + maxFan, depth: depth + 1)
            } else if len > 1 {
                insertionSort(p + start, len)
            }
            start = end
        }
    }

    // Inlined: called for every short range inside sortRange.
    @inline(__always) static func insertionSort(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
        if n < 2 { return }
        for i in 1..<n {
            let x = p[i]
            var j = i
            while j > 0 && p[j - 1] > x { p[j] = p[j - 1]; j -= 1 }
            p[j] = x
        }
    }

    /// Plain twin of `sortedNonMissing`: LSD radix sort of the order-preserving UInt64 keys.
    public static func sortedNonMissingRadix(_ values: [Double]) -> [Double] {
        var keys = [UInt64]()
        keys.reserveCapacity(values.count)
        for v in values where !v.isNaN { keys.append(orderedKey(v)) }
        radixSort(&keys)
        return keys.map(double(fromKey:))
    }

    /// Maps a Double to a UInt64 whose unsigned order is the Double's numeric order
    /// (negative numbers: all bits flipped; others: sign bit set).
    // Inlined: called once per element inside the sort and map loops.
    @inline(__always) public static func orderedKey(_ v: Double) -> UInt64 {
        let b = v.bitPattern
        return (b >> 63) == 1 ? ~b : b | 0x8000_0000_0000_0000
    }

    /// Inverse of `orderedKey`.
    // Inlined: called once per element inside the sort and map loops.
    @inline(__always) public static func double(fromKey k: UInt64) -> Double {
        Double(bitPattern: (k >> 63) == 1 ? k & 0x7FFF_FFFF_FFFF_FFFF : ~k)
    }

    /// Sorts `keys` ascending with six 11-bit LSD passes (one histogram read computes all six).
    public static func radixSort(_ keys: inout [UInt64]) {
        let n = keys.count
        if n < 64 {
            keys.sort()
            return
        }
        let radix = 2048
        let passes = 6
        var hist = [Int](repeating: 0, count: radix * passes)
        keys.withUnsafeBufferPointer { k in
            hist.withUnsafeMutableBufferPointer { h in
                for i in 0..<n {
                    let key = k[i]
                    h[Int(key & 0x7FF)] += 1
                    h[radix + Int((key >> 11) & 0x7FF)] += 1
                    h[2 * radix + Int((key >> 22) & 0x7FF)] += 1
                    h[3 * radix + Int((key >> 33) & 0x7FF)] += 1
                    h[4 * radix + Int((key >> 44) & 0x7FF)] += 1
                    h[5 * radix + Int((key >> 55) & 0x1FF)] += 1
                }
            }
        }
        var buffer = [UInt64](repeating: 0, count: n)
        var inKeys = true  // true when the current data lives in `keys`
        for pass in 0..<passes {
            let shift = UInt64(pass * 11)
            let base = pass * radix
            // A pass whose digit is the same for every key would only copy: skip it.
            var trivial = false
            for b in 0..<radix where hist[base + b] != 0 {
                trivial = hist[base + b] == n
                break
            }
            if trivial { continue }
            var offsets = [Int](repeating: 0, count: radix)
            var running = 0
            for b in 0..<radix {
                offsets[b] = running
                running += hist[base + b]
            }
            func scatter(_ src: UnsafeBufferPointer<UInt64>, _ dst: UnsafeMutableBufferPointer<UInt64>) {
                offsets.withUnsafeMutableBufferPointer { off in
                    for i in 0..<n {
                        let key = src[i]
                        let d = Int((key >> shift) & 0x7FF)
                        dst[off[d]] = key
                        off[d] += 1
                    }
                }
            }
            if inKeys {
                keys.withUnsafeBufferPointer { src in buffer.withUnsafeMutableBufferPointer { scatter(src, $0) } }
            } else {
                buffer.withUnsafeBufferPointer { src in keys.withUnsafeMutableBufferPointer { scatter(src, $0) } }
            }
            inKeys.toggle()
        }
        if !inKeys { keys = buffer }
    }

    /// Number of elements of the ascending array `sorted` that are ≤ `value`
    /// (numpy's `searchsorted(side="right")`).
    public static func countAtMost(_ sorted: [Double], _ value: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sorted[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Number of elements of the ascending array `sorted` that are < `value`
    /// (numpy's `searchsorted(side="left")`).
    public static func countBelow(_ sorted: [Double], _ value: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The q-quantile of an ascending array with numpy's default ("linear", Hyndman–Fan 7)
    /// rule, including numpy's two-sided interpolation formula.
    public static func quantile(sorted s: [Double], _ q: Double) -> Double {
        quantile(SortedValues(s), q)
    }

    /// The q-quantile of ascending values (numpy "linear"), from the two ranks of `QuantilePosition`.
    static func quantile(_ s: some AscendingValues, _ q: Double) -> Double {
        precondition(s.count > 0, "quantile of an empty sample")
        let p = QuantilePosition(count: s.count, q)
        return p.interpolate(s.value(atRank: p.below), s.value(atRank: p.above))
    }

    /// Where the q-quantile of `count` ascending values lies: between ranks `below` and
    /// `above` (equal at the top), a fraction `gamma` of the way (numpy: `(count − 1) · q`).
    struct QuantilePosition {
        let below: Int
        let above: Int
        let gamma: Double

        init(count n: Int, _ q: Double) {
            let vi = Double(n - 1) * q
            below = min(max(Int(vi.rounded(.down)), 0), n - 1)
            above = min(below + 1, n - 1)
            gamma = vi - Double(below)
        }

        /// numpy's `_lerp`: from the nearer end, so gamma = 1 gives exactly `b`.
        func interpolate(_ a: Double, _ b: Double) -> Double {
            let diff = b - a
            return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
        }
    }
}
