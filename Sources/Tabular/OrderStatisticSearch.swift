/// Finds the value of one rank among values that can only be read in passes (the chunks of a
/// file too large to hold), exactly, keeping little memory: each pass counts the values by the
/// next 16 bits of their order-preserving keys, inside the key range known to hold the rank,
/// until that range holds few enough values to keep and sort.
///
/// Feed every pass's values (in any order, NaN skipped) to `observe`, then call `finishPass`;
/// repeat until `value` is set. Usually two passes: a count and a collection. The first pass
/// does not depend on the rank: a copy made after it can look for another rank.
struct OrderStatisticSearch: Sendable {
    /// The answer, once found.
    private(set) var value: Double?
    /// Keys whose bits above `shift` equal `prefix` are the candidates.
    private var prefix: UInt64 = 0
    private var shift = 64
    /// Candidates with a smaller key than every kept one: values below the range.
    private var below = 0
    private var phase: Phase = .counting(histogram: [Int](repeating: 0, count: 1 << 16))
    private let collectLimit: Int

    private enum Phase: Sendable {
        case counting(histogram: [Int])
        case collecting([Double])
        case done
    }

    /// - Parameter collectLimit: the most values a collecting pass keeps.
    init(collectLimit: Int = 1 << 19) {
        self.collectLimit = collectLimit
    }

    /// The candidates a counting pass has seen so far (in the first pass: every non-missing value).
    var countedCandidates: Int {
        if case .counting(let histogram) = phase { return histogram.reduce(0, +) }
        return 0
    }

    /// Whether another pass is needed.
    var needsPass: Bool { value == nil }

    /// The order-preserving key: unsigned comparison of keys orders the doubles (−0 below +0).
    static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
    }

    private static func value(ofKey key: UInt64) -> Double {
        Double(bitPattern: key >> 63 == 1 ? key & ~(1 << 63) : ~key)
    }

    private func isCandidate(_ key: UInt64) -> Bool { shift == 64 || key >> shift == prefix }

    /// Takes one chunk of this pass's values.
    mutating func observe(_ values: UnsafeBufferPointer<Double>) {
        switch phase {
        case .counting(var histogram):
            phase = .done   // lets `histogram` be mutated in place
            let next = shift - 16
            for x in values where !x.isNaN {
                let k = Self.key(x)
                if isCandidate(k) { histogram[Int((k >> next) & 0xFFFF)] += 1 }
            }
            phase = .counting(histogram: histogram)
        case .collecting(var kept):
            phase = .done
            for x in values where !x.isNaN && isCandidate(Self.key(x)) { kept.append(x) }
            phase = .collecting(kept)
        case .done:
            break
        }
    }

    /// Ends a pass: narrows the range around `rank` (0-based among the non-missing values; the
    /// same rank every pass), or answers.
    /// - Returns: false when the values seen hold no value of that rank (fewer values).
    @discardableResult
    mutating func finishPass(rank: Int) -> Bool {
        switch phase {
        case .counting(let histogram):
            var seen = below
            guard let bucket = histogram.indices.first(where: { seen += histogram[$0]; return seen > rank }) else {
                phase = .done
                return false
            }
            let inBucket = histogram[bucket]
            below = seen - inBucket
            shift -= 16
            prefix = (shift == 48 ? 0 : prefix << 16) | UInt64(bucket)
            if shift == 0 {
                value = Self.value(ofKey: prefix)   // one key left: the value itself
                phase = .done
            } else {
                phase = inBucket <= collectLimit ? .collecting([]) : .counting(histogram: [Int](repeating: 0, count: 1 << 16))
            }
        case .collecting(var kept):
            kept.sort { Self.key($0) < Self.key($1) }
            guard rank - below < kept.count else {
                phase = .done
                return false
            }
            value = kept[rank - below]
            phase = .done
        case .done:
            break
        }
        return true
    }
}

/// The exact median of a column read in passes (numpy's linear interpolation, as
/// `Describe.quantile(of:_:)` computes it on the whole column), with bounded memory.
public struct StreamingMedian: Sendable {
    private var first: OrderStatisticSearch
    private var low: OrderStatisticSearch?
    private var high: OrderStatisticSearch?
    private var position: Describe.QuantilePosition?
    /// The non-missing values, known after the first pass.
    public private(set) var count = 0

    /// - Parameter collectLimit: the most values of one order statistic a pass keeps (more
    ///   passes when more fall in the narrowest range found).
    public init(collectLimit: Int = 1 << 19) {
        first = OrderStatisticSearch(collectLimit: collectLimit)
    }

    /// Whether another pass over the values is needed.
    public var needsPass: Bool {
        guard position != nil else { return true }
        return (low?.needsPass ?? false) || (high?.needsPass ?? false)
    }

    /// The median once found; NaN when there are no values.
    public var value: Double? {
        guard let position else { return nil }
        guard let a = low?.value, let b = high?.value else { return count == 0 ? .nan : nil }
        return position.interpolate(a, b)
    }

    /// Takes one chunk of this pass's values (NaN skipped).
    public mutating func observe(_ values: UnsafeBufferPointer<Double>) {
        guard position != nil else { return first.observe(values) }
        if low?.needsPass == true { low!.observe(values) }
        if high?.needsPass == true { high!.observe(values) }
    }

    /// Ends a pass over every value.
    public mutating func finishPass() {
        guard let position else {
            // The first pass counted every value; each order statistic narrows its own copy.
            count = first.countedCandidates
            let p = Describe.QuantilePosition(count: max(count, 1), 0.5)
            self.position = p
            guard count > 0 else { return }
            low = first
            high = first
            first = OrderStatisticSearch(collectLimit: 0)   // its histogram lives on in the copies
            low!.finishPass(rank: p.below)
            high!.finishPass(rank: p.above)
            return
        }
        if low?.needsPass == true { low!.finishPass(rank: position.below) }
        if high?.needsPass == true { high!.finishPass(rank: position.above) }
    }
}
