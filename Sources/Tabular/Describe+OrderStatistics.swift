/// Exact order statistics by radix selection, without sorting or copying the column.
///
/// Each value maps to an order-preserving 64-bit key. One pass counts the keys per bucket of a
/// digit (the bits just below the prefix that the smallest and largest key share), which names
/// the bucket holding each wanted rank; a second pass gathers the keys of those few buckets, and
/// the search repeats inside them on the next digit until a bucket is small enough to sort or
/// holds one distinct key. Two passes over the column plus work on the gathered buckets.
extension Describe {
    /// Order statistics `ranks` (0-based positions in ascending order) of the non-NaN `values`.
    /// - Parameters:
    ///   - count: number of non-NaN values (> 0); every rank is in `0..<count`.
    ///   - min, max: smallest and largest non-NaN value.
    /// - Returns: one value per rank, in the order of `ranks`.
    /// - Complexity: O(n) with two passes over `values` for data of any distribution.
    static func orderStatistics(_ values: UnsafeBufferPointer<Double>, ranks: [Int],
                                count: Int, min: Double, max: Double) -> [Double] {
        precondition(count > 0 && ranks.allSatisfy { (0..<count).contains($0) }, "orderStatistics: rank out of range")
        precondition(count < Int(UInt32.max), "orderStatistics: more than 2^32 - 1 values")
        let wanted = Array(Set(ranks)).sorted()
        // −0 and +0 compare equal, so `min` may be +0 with a −0 present (or `max` −0 with a +0):
        // widen the key range to hold both.
        let low = SortKey.of(min == 0 ? -0.0 : min), high = SortKey.of(max == 0 ? 0.0 : max)
        guard low < high else { return ranks.map { _ in min } }
        let digit = Digit(low: low, high: high, bits: Digit.firstBits)

        var counts = [UInt32](repeating: 0, count: digit.buckets)
        // Without NaNs (the common case) the two passes skip the test per value (measured: a
        // quarter less time).
        let hasNaN = count < values.count
        counts.withUnsafeMutableBufferPointer { h in
            // Inlined: the body of both loops below, once per value.
            @inline(__always) func tally(_ x: Double) {
                let d = digit.of(SortKey.of(x))
                precondition(d < h.count, "orderStatistics: a value lies outside [min, max]")
                h[d] &+= 1
            }
            if hasNaN {
                for x in values where !x.isNaN { tally(x) }
            } else {
                for x in values { tally(x) }
            }
        }
        let targets = Target.locate(wanted, counts: counts)

        // Gather the keys of the target buckets into one buffer, target after target. A bitmap
        // (8 KiB for 2^16 buckets, in L1) says whether a bucket is a target; the rare hits
        // then look up which one.
        var offset = [Int](repeating: 0, count: targets.count + 1)
        for (s, t) in targets.enumerated() { offset[s + 1] = offset[s] + t.size }
        var isTarget = [UInt64](repeating: 0, count: (digit.buckets + 63) / 64)
        for t in targets { isTarget[t.bucket / 64] |= 1 << UInt64(t.bucket % 64) }
        let targetBuckets = targets.map(\.bucket)
        var gathered = [UInt64](repeating: 0, count: offset[targets.count])
        var cursor = offset
        gathered.withUnsafeMutableBufferPointer { out in
            isTarget.withUnsafeBufferPointer { bitmap in
                // Inlined: the body of both loops below, once per value.
                @inline(__always) func gather(_ x: Double) {
                    let key = SortKey.of(x)
                    let d = digit.of(key)
                    if bitmap[d &>> 6] &>> UInt64(d & 63) & 1 != 0 {
                        var s = 0
                        while targetBuckets[s] != d { s &+= 1 }
                        out[cursor[s]] = key
                        cursor[s] &+= 1
                    }
                }
                if hasNaN {
                    for x in values where !x.isNaN { gather(x) }
                } else {
                    for x in values { gather(x) }
                }
            }
        }
        var found: [Int: Double] = [:]
        for (s, t) in targets.enumerated() {
            let local = wanted.filter { t.holds($0) }
            var keys = Array(gathered[offset[s]..<offset[s + 1]])
            for (r, k) in zip(local, selectKeys(&keys, ranks: local.map { $0 - t.first })) { found[r] = SortKey.value(k) }
        }
        return ranks.map { found[$0] ?? .nan }
    }

    /// Below this many keys a sort is cheaper than another histogram pass.
    private static let sortBelow = 64

    /// Keys at ascending, distinct `ranks` of `keys` (which it may reorder), by the same
    /// histogram-and-gather step as `orderStatistics`, recursively.
    private static func selectKeys(_ keys: inout [UInt64], ranks: [Int]) -> [UInt64] {
        if keys.count <= sortBelow {
            keys.sort()
            return ranks.map { keys[$0] }
        }
        var low = UInt64.max, high = UInt64.min
        for k in keys { low = Swift.min(low, k); high = Swift.max(high, k) }
        guard low < high else { return ranks.map { _ in low } }
        let digit = Digit(low: low, high: high, bits: Digit.laterBits)
        var counts = [UInt32](repeating: 0, count: digit.buckets)
        counts.withUnsafeMutableBufferPointer { h in
            for k in keys { h[digit.of(k)] &+= 1 }
        }
        let targets = Target.locate(ranks, counts: counts)
        var result: [UInt64] = []
        result.reserveCapacity(ranks.count)
        for t in targets {
            var inBucket = keys.filter { digit.of($0) == t.bucket }
            let local = ranks.filter { t.holds($0) }
            result += selectKeys(&inBucket, ranks: local.map { $0 - t.first })
        }
        return result
    }

    /// Order-preserving map between non-NaN Doubles and UInt64 (−0 sorts just before +0).
    /// (`@inline(__always)` here and on `Digit.of`: called once per value in the hot passes.)
    enum SortKey {
        /// Negative values: all bits flipped; others: the sign bit set.
        @inline(__always) static func of(_ x: Double) -> UInt64 {
            let bits = x.bitPattern
            return bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | (1 << 63))
        }

        @inline(__always) static func value(_ key: UInt64) -> Double {
            Double(bitPattern: key >> 63 == 1 ? key ^ (1 << 63) : ~key)
        }
    }

    /// The digit of a key that a histogram pass counts: the `bits` bits of `key − low` below the
    /// highest bit that `high − low` needs, so `high` falls in the last of `buckets` buckets.
    struct Digit {
        /// The first pass over a column: 2^16 UInt32 counters (256 KiB, in L2). When the values
        /// span both signs, or zero and large values, a bucket is 1/32 of a binade; an 11-bit
        /// digit (a whole binade) gathered up to a sixth of a column in the second pass.
        static let firstBits = 16
        /// Passes over gathered buckets, which are small: 2^11 counters (8 KiB, in L1).
        static let laterBits = 11
        let low: UInt64
        let shift: UInt64
        let buckets: Int

        init(low: UInt64, high: UInt64, bits: Int) {
            precondition(low < high)
            let width = UInt64.bitWidth - (high - low).leadingZeroBitCount
            self.low = low
            shift = UInt64(Swift.max(0, width - bits))
            buckets = Int((high - low) >> shift) + 1
        }

        /// Bucket of `key` ∈ [low, high]. (`&>>`: `shift` < 64, so no over-shift check.)
        @inline(__always) func of(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &- low) &>> shift) }
    }

    /// A bucket that holds at least one wanted rank: ranks `first ..< first + size` live there.
    struct Target {
        var bucket: Int
        var first: Int
        var size: Int

        func holds(_ rank: Int) -> Bool { rank >= first && rank < first + size }

        /// The buckets holding ascending, distinct `ranks`, from per-bucket `counts`.
        static func locate(_ ranks: [Int], counts: [UInt32]) -> [Target] {
            var targets: [Target] = []
            var bucket = 0
            var below = 0
            for r in ranks {
                while below + Int(counts[bucket]) <= r {
                    below += Int(counts[bucket])
                    bucket += 1
                }
                if targets.last?.bucket != bucket {
                    targets.append(Target(bucket: bucket, first: below, size: Int(counts[bucket])))
                }
            }
            return targets
        }
    }
}
