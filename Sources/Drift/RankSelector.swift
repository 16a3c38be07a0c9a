import Foundation

/// Values at many ranks of an unsorted column, and its counts below / at most chosen points,
/// without sorting the column (NaN = missing): a radix selection whose digits adapt to the data.
///
/// A value's *canonical key* is `SortedSample.orderedKey` of the value with −0 read as +0, so
/// canonical keys order values exactly as `<` does. A `DigitMap`, fitted to a strided subsample,
/// cuts the keys into about `digitBudget` digits of roughly equal population (~76 values). Pass 1
/// counts the values per digit; prefix sums then name the digit of every wanted rank and the
/// number of values below every digit. A gather pass copies the values of the chosen digits only
/// (for the ~10,000 ranks of a profile's sample, under a tenth of a column) and sorts them with
/// −0 before +0, as a sort by `orderedKey` does; a digit's values are then contiguous. A rank is
/// read from its digit's values, and the count below / at most a point is the count below the
/// point's digit plus a binary search in that digit, which must have been gathered too. A digit
/// cannot split a run of ties, so when the wanted digits hold much of the column, `resolve` first
/// looks for digits of a single value, which are recorded instead of gathered.
///
/// `Describe.orderStatistics` (Tabular) selects the same way for a handful of ranks; for the
/// ~10,000 ranks of a profile's sample its per-target bookkeeping grows as targets × ranks
/// (2.5–15 s on 10M values), and its digits follow the key range rather than the data, so it
/// gathers most of a column.
struct RankSelector {
    let map: DigitMap
    /// Non-missing values.
    let count: Int
    /// `below[d]`: values in digits before d; `below[map.digitCount]` = count.
    let below: [Int]
    /// The sorted values of each gathered digit.
    private(set) var groups: [Int: ArraySlice<Double>] = [:]
    /// The one value of each digit found to hold a single bit pattern (ties), which needs no
    /// gather: see `resolve`.
    private(set) var constants: [Int: Double] = [:]

    /// Digits for a column of n values: about 80 values each, and at most 2^17 (counts in L2).
    static func digitBudget(_ n: Int) -> Int { Swift.min(1 << 17, n / 64 + 1) }
    /// Values read for the subsample that fits the digit map.
    static let subsampleSize = 1 << 16

    /// Pass 1: fits the digit map to a strided subsample of `values`, then counts the values
    /// per digit, adding every non-missing value to `sum` on the way (the pass is bound by the
    /// digit arithmetic, so the sum costs little here).
    init(_ values: UnsafeBufferPointer<Double>, sum: ExactSum) {
        precondition(values.count < Int(UInt32.max), "RankSelector: more than 2^32 - 2 values")
        var picks: [UInt64] = []
        let stride = Swift.max(1, values.count / Self.subsampleSize)
        picks.reserveCapacity(values.count / stride + 1)
        for i in Swift.stride(from: stride / 2, to: values.count, by: stride) where !values[i].isNaN {
            picks.append(DigitMap.canonicalKey(values[i]))
        }
        let map = DigitMap(subsample: picks, budget: Self.digitBudget(values.count))
        var perDigit = [UInt32](repeating: 0, count: map.digitCount + 1)  // the last slot counts NaN
        map.withDigits { digit in
            perDigit.withUnsafeMutableBufferPointer { h in
                // Inlined: four times per step below.
                @inline(__always) func count(_ x: Double, _ lane: Int) {
                    h[digit(x)] &+= 1
                    sum.add(x, lane: lane, skipNaN: true)
                }
                var i = 0
                while i &+ 4 <= values.count {
                    count(values[i], 0)
                    count(values[i &+ 1], 1)
                    count(values[i &+ 2], 2)
                    count(values[i &+ 3], 3)
                    i &+= 4
                }
                while i < values.count { count(values[i], 0); i &+= 1 }
            }
        }
        var below = [Int](repeating: 0, count: map.digitCount + 1)
        for d in 0..<map.digitCount { below[d + 1] = below[d] + Int(perDigit[d]) }
        self.map = map
        count = below[map.digitCount]
        self.below = below
    }

    /// Values in digit `d`.
    func population(_ d: Int) -> Int { below[d + 1] - below[d] }

    /// The digit holding rank `r` (0 ≤ r < count).
    func digit(ofRank r: Int) -> Int {
        precondition(r >= 0 && r < count, "RankSelector: rank \(r) of \(count)")
        // Last d with below[d] ≤ r: it holds r, since below[d + 1] > r.
        var lo = 0, hi = map.digitCount - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if below[mid] <= r { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Digits holding `ranks` that are not gathered yet, ascending.
    func digits(holding ranks: [Int]) -> [Int] {
        Set(ranks.map(digit(ofRank:))).filter { !isKnown($0) }.sorted()
    }

    /// Whether the values of digit `d` are known: gathered, or a single value.
    func isKnown(_ d: Int) -> Bool { groups[d] != nil || constants[d] != nil }

    /// Non-empty digits of the (non-NaN) `points` that are not gathered yet, ascending.
    func digits(counting points: [Double]) -> [Int] {
        let ds = points.filter { !$0.isNaN }.map(map.digit)
        return Set(ds).filter { population($0) > 0 && !isKnown($0) }.sorted()
    }

    /// Makes the ascending `digits` known. When they hold more than an eighth of the values
    /// (ties: a digit cannot split a single value, so 10,000 sample ranks over a column of a few
    /// hundred distinct values would gather and sort nearly all of it), a first pass finds the
    /// digits that hold one bit pattern only and records their value; the others are gathered.
    mutating func resolve(_ values: UnsafeBufferPointer<Double>, digits: [Int]) {
        var rest = digits
        if digits.reduce(0, { $0 + population($1) }) > count / 8 {
            rest = recordConstantDigits(values, digits: digits)
        }
        gather(values, digits: rest)
    }

    /// A pass over `values` (the column of pass 1) that records the value of each of `digits`
    /// whose values share one bit pattern (−0 and +0 differ); returns the other non-empty ones.
    mutating func recordConstantDigits(_ values: UnsafeBufferPointer<Double>, digits: [Int]) -> [Int] {
        // Smallest and largest `orderedKey` per digit (the last slot takes NaN), without a branch.
        var least = [UInt64](repeating: .max, count: map.digitCount + 1)
        var most = [UInt64](repeating: 0, count: map.digitCount + 1)
        least.withUnsafeMutableBufferPointer { lo in
            most.withUnsafeMutableBufferPointer { hi in
                map.withDigits { digit in
                    for x in values {
                        let d = digit(x), k = SortedSample.orderedKey(x)
                        lo[d] = Swift.min(lo[d], k)
                        hi[d] = Swift.max(hi[d], k)
                    }
                }
            }
        }
        var rest: [Int] = []
        for d in digits where population(d) > 0 {
            if least[d] == most[d] { constants[d] = SortedSample.double(fromKey: least[d]) } else { rest.append(d) }
        }
        return rest
    }

    /// A gather pass: copies the values of the ascending `digits` out of `values` (the column
    /// of pass 1) and sorts them, −0 before +0; a digit's values are then contiguous, since
    /// digits follow the order of values.
    mutating func gather(_ values: UnsafeBufferPointer<Double>, digits: [Int]) {
        var wanted = [UInt64](repeating: 0, count: (map.digitCount + 1 + 63) / 64)
        var total = 0
        for d in digits {
            wanted[d >> 6] |= 1 << UInt64(d & 63)
            total += population(d)
        }
        if total == 0 { return }
        // One write stream, advanced without a branch (a hit is a coin flip to the predictor);
        // the write position stops at the spare last slot, so another column cannot overrun it.
        var picked = [Double](repeating: 0, count: total + 1)
        let hits = picked.withUnsafeMutableBufferPointer { out in
            wanted.withUnsafeBufferPointer { bitmap in
                map.withDigits { digit in
                    var hits = 0
                    for x in values {
                        let d = digit(x)
                        out[Swift.min(hits, total)] = x
                        hits &+= Int(truncatingIfNeeded: bitmap[d &>> 6] &>> UInt64(d & 63) & 1)
                    }
                    return hits
                }
            }
        }
        precondition(hits == total, "RankSelector: not the column of pass 1")
        picked.removeLast()
        let sorted = Self.signedZerosInOrder(SortedSample.sortedNonMissing(picked))
        var start = 0
        for d in digits {
            groups[d] = sorted[start..<(start + population(d))]
            start += population(d)
        }
    }

    /// `sorted` with its run of zeros rewritten as the −0s, then the +0s (a sort by value leaves
    /// them in any order; a sort by `orderedKey`, the plain twin's, puts −0 first).
    static func signedZerosInOrder(_ sorted: [Double]) -> [Double] {
        let first = SortedSample.countBelow(sorted, 0), end = SortedSample.countAtMost(sorted, 0)
        if end - first < 2 { return sorted }
        var out = sorted
        let negative = out[first..<end].reduce(0) { $0 + ($1.sign == .minus ? 1 : 0) }
        for i in first..<end { out[i] = i < first + negative ? -0.0 : 0.0 }
        return out
    }

    /// The value at 0-based `rank` of the ascending order; its digit must be gathered.
    func value(atRank rank: Int) -> Double {
        let d = digit(ofRank: rank)
        if let c = constants[d] { return c }
        guard let g = groups[d] else { preconditionFailure("RankSelector: rank \(rank) was not gathered") }
        return g[g.startIndex + rank - below[d]]
    }

    /// Number of values < x, or ≤ x when `inclusive`; the digit of x must be gathered unless empty.
    func count(_ x: Double, inclusive: Bool) -> Int {
        if x.isNaN { return 0 }
        let d = map.digit(x)
        if population(d) == 0 { return below[d] }
        if let c = constants[d] { return x < c || (!inclusive && x == c) ? below[d] : below[d + 1] }
        guard let g = groups[d] else { preconditionFailure("RankSelector: point \(x) was not counted") }
        // Canonical keys order as `<` does, so every value of an earlier digit is < x and none
        // of a later one is ≤ x; in x's digit, binary search (its values are sorted).
        var lo = g.startIndex, hi = g.endIndex
        while lo < hi {
            let mid = (lo + hi) >> 1
            if inclusive ? g[mid] <= x : g[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return below[d] + (lo - g.startIndex)
    }
}

extension RankSelector: AscendingValues {
    func countBelow(_ x: Double) -> Int { count(x, inclusive: false) }
    func countAtMost(_ x: Double) -> Int { count(x, inclusive: true) }
}

/// A monotone map from canonical keys to digits 0 ..< `digitCount`: digit 0 holds the keys below
/// the subsample's range, the last digit those above it. In between, the range is cut into at
/// most 2^`coarseBits` coarse buckets by the key bits below the prefix that its ends share (as
/// `Describe.orderStatistics` cuts its first digit); each coarse bucket is split again, by the
/// next key bits, into a power of two of digits proportional to its share of the subsample.
/// So dense regions get fine digits whatever the shape of the data (long tails, values of both
/// signs); only ties (a single key) can leave a digit crowded.
struct DigitMap {
    static let coarseBits = 12
    /// The subsample's smallest and largest key.
    let low: UInt64
    let high: UInt64
    let coarseShift: UInt64
    /// Per coarse bucket: first digit (bits 0–31), shift of the key bits that split it
    /// (32–37), mask of those bits after the shift (40–63).
    let table: [UInt64]
    let digitCount: Int

    /// Fits the map to canonical `subsample` keys, aiming at about `budget` digits in all.
    init(subsample: [UInt64], budget: Int) {
        let low = subsample.min() ?? Self.canonicalKey(0)
        let high = subsample.max() ?? low
        let width = UInt64.bitWidth - (high - low).leadingZeroBitCount
        let coarseShift = UInt64(Swift.max(0, width - Self.coarseBits))
        let coarse = Int((high - low) >> coarseShift) + 1
        var shares = [Int](repeating: 0, count: coarse)
        for k in subsample { shares[Int((k - low) >> coarseShift)] += 1 }
        var table = [UInt64](repeating: 0, count: coarse)
        var next = 1  // digit 0: below the range
        let scale = Double(budget) / Double(Swift.max(subsample.count, 1))
        for c in 0..<coarse {
            let share = Double(shares[c]) * scale
            // Split bits: log2 of the share, rounded, at most the bits the bucket has.
            let bits = share >= 1.5 ? Swift.min(Int(Foundation.log2(share).rounded()), Int(coarseShift)) : 0
            precondition(bits < 24, "DigitMap: digit budget too large")
            table[c] = UInt64(next) | (coarseShift - UInt64(bits)) << 32 | (1 << UInt64(bits) - 1) << 40
            next += 1 << bits
        }
        self.low = low
        self.high = high
        self.coarseShift = coarseShift
        self.table = table
        digitCount = next + 1  // last digit: above the range
    }

    /// The values whose canonical keys fall in digit `d` lie in this range (±∞ for the digits
    /// outside the subsample's range).
    func valueRange(ofDigit d: Int) -> ClosedRange<Double> {
        if d == 0 { return -Double.infinity...SortedSample.double(fromKey: low) }
        if d >= digitCount - 1 { return SortedSample.double(fromKey: high)...Double.infinity }
        // The coarse bucket: the last whose first digit is ≤ d.
        var lo = 0, hi = table.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if Int(table[mid] & 0xFFFF_FFFF) <= d { lo = mid } else { hi = mid - 1 }
        }
        let entry = table[lo]
        let shift = (entry >> 32) & 63
        // Offsets from low: below 2^64, and beyond high − low for the empty digits at the top.
        let offset = UInt64(lo) << coarseShift + UInt64(d - Int(entry & 0xFFFF_FFFF)) << shift
        if offset > high - low { return SortedSample.double(fromKey: high)...SortedSample.double(fromKey: high) }
        let width: UInt64 = 1 << shift - 1
        let last = high - low - offset <= width ? high : low + offset + width
        return SortedSample.double(fromKey: low + offset)...SortedSample.double(fromKey: last)
    }

    /// Canonical key of a non-NaN value: its `orderedKey` with −0 read as +0 (`x + 0`).
    // Inlined: once per value in the subsample.
    @inline(__always) static func canonicalKey(_ x: Double) -> UInt64 { SortedSample.orderedKey(x + 0) }

    /// The digit of `x`; `digitCount` (a slot past the last digit) for NaN.
    func digit(_ x: Double) -> Int { withDigits { $0(x) } }

    /// Runs `body` with the map as a callable value for hot loops (it reads the table through a
    /// pointer, valid only inside `body`).
    func withDigits<R>(_ body: (Digits) -> R) -> R {
        table.withUnsafeBufferPointer { t in
            body(Digits(table: t, low: low, span: high - low, shift: coarseShift, last: digitCount - 1))
        }
    }

    struct Digits {
        let table: UnsafeBufferPointer<UInt64>
        let low: UInt64
        /// high − low: keys beyond it (as differences from low, wrapping below) are outside.
        let span: UInt64
        let shift: UInt64
        let last: Int

        // Inlined: once per value in every pass.
        @inline(__always) func callAsFunction(_ x: Double) -> Int {
            let key = DigitMap.canonicalKey(x)
            let d = key &- low
            // NaN keys lie beyond ±∞'s, outside any subsample's range.
            if d > span { return x.isNaN ? last + 1 : key < low ? 0 : last }
            let entry = table[Int(truncatingIfNeeded: d &>> shift)]
            // `&>>` takes the shift modulo 64, which drops the mask stored above it.
            let sub = (d &>> (entry &>> 32)) & (entry &>> 40)
            return Int(truncatingIfNeeded: (entry & 0xFFFF_FFFF) &+ sub)
        }
    }
}
