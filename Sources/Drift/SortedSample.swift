import Foundation

/// Sorting numeric columns for the drift tests.
///
/// `sortedNonMissing` is a value-range bucket sort (flashsort-like): values go to equal-width
/// buckets of [min, max] (bucket index ⌊(x − min)·scale⌋ is monotone in x, so buckets come out in
/// order), and each bucket is sorted the same way on its own range, in cache, until ranges are at
/// most `insertionLimit` long. Skewed data that still crowds one range after `maxDepth` levels, and
/// ranges that are not finite, go to the LSD radix sort (`radixSort`, its plain twin), which also
/// sorts whole inputs with infinite or NaN-only ranges.
public enum SortedSample {
    /// Ranges at most this long are finished by insertion sort.
    static let insertionLimit = 16
    /// Bucketing levels before a crowded range falls back to a comparison sort.
    static let maxDepth = 4
    /// Most buckets per level (2048 write streams still fit the L2 cache).
    static let maxFan = 2048

    /// The non-missing values of `values`, sorted ascending. NaN (missing) values are dropped.
    /// - Complexity: O(n) expected for data with a density (a few passes over the input, then
    ///   in-cache work per bucket); one output array plus a scratch of the largest bucket.
    public static func sortedNonMissing(_ values: [Double]) -> [Double] {
        // Range and number of missing values (`x < lo` is false for NaN).
        var lo = Double.infinity, hi = -Double.infinity
        var missing = 0
        values.withUnsafeBufferPointer { v in
            for x in v {
                lo = x < lo ? x : lo
                hi = x > hi ? x : hi
                missing &+= x.isNaN ? 1 : 0
            }
        }
        let count = values.count - missing
        let fan = max(2, min(count / 4, maxFan))
        let range = hi - lo
        let scale = Double(fan) / range
        guard count >= 64, range > 0, range.isFinite, scale.isFinite else { return sortedNonMissingRadix(values) }
        var ends = [Int](repeating: 0, count: fan)
        return [Double](unsafeUninitializedCapacity: count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                ends.withUnsafeMutableBufferPointer { c in
                    for x in v where !x.isNaN { c[min(Int((x - lo) * scale), fan - 1)] += 1 }
                    var run = 0
                    for b in 0..<fan { let t = c[b]; c[b] = run; run += t }
                    for x in v where !x.isNaN {
                        let b = min(Int((x - lo) * scale), fan - 1)
                        out[c[b]] = x
                        c[b] += 1
                    }
                }
            }
            initialized = count
            // ends[b] is now the end of bucket b.
            var largest = 0, start = 0
            for e in ends { largest = max(largest, e - start); start = e }
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: largest)
            let levelCounts = UnsafeMutablePointer<Int>.allocate(capacity: maxFan * maxDepth)
            defer { scratch.deallocate(); levelCounts.deallocate() }
            guard let base = out.baseAddress else { return }
            start = 0
            for e in ends {
                sortRange(base + start, e - start, scratch: scratch, counts: levelCounts, depth: 1)
                start = e
            }
        }
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
        precondition(!s.isEmpty, "quantile of an empty sample")
        let n = s.count
        let vi = Double(n - 1) * q
        let prev = min(max(Int(vi.rounded(.down)), 0), n - 1)
        let next = min(prev + 1, n - 1)
        let gamma = vi - Double(prev)
        let a = s[prev], b = s[next]
        let diff = b - a
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
    }
}
