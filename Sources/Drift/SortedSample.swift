import Foundation

/// Sorting numeric columns for the drift tests: an LSD radix sort on the order-preserving
/// UInt64 image of each Double (11-bit digits, passes whose digit is constant are skipped).
public enum SortedSample {
    /// The non-missing values of `values`, sorted ascending. NaN (missing) values are dropped.
    /// - Complexity: O(n) time, 2n extra words.
    public static func sortedNonMissing(_ values: [Double]) -> [Double] {
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
