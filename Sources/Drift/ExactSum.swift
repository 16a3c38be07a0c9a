/// The exactly rounded sum of Doubles, whatever their order.
///
/// A finite Double is ±m · 2^(e − 1075) for its biased exponent e (1 for subnormals) and a
/// 53-bit integer m, so the sum is Σ ±bins[sign, e] · 2^(e − 1075) with one integer per sign and
/// exponent (the top 12 bits of the Double). Each bin is an Int128 (2^74 terms before it could
/// overflow), kept in `lanes` interleaved copies so that consecutive terms of the same exponent
/// do not wait on each other; `rounded()` adds the bins into one fixed-point integer and rounds
/// it once, to nearest-even. The result depends only on the multiset of terms: the reference
/// profile gets the same mean from its sorted values (the plain twin) as from the column in row
/// order.
///
/// Infinite terms follow IEEE addition (+∞ and −∞ together give NaN), and so does a NaN term
/// (where it is not a missing value); a finite sum beyond the Double range rounds to ±∞.
final class ExactSum {
    static let lanes = 4
    /// Sign-and-exponent 0 ..< 4096 (exponent 2047 stays empty), `lanes` Int128 bins each.
    private let bins: UnsafeMutablePointer<Int128>
    private var positiveInfinity = false
    private var negativeInfinity = false
    private var notANumber = false

    init() {
        bins = .allocate(capacity: 4096 * Self.lanes)
        bins.initialize(repeating: 0, count: 4096 * Self.lanes)
    }

    deinit { bins.deallocate() }

    /// Adds `x` into bin copy `lane` (0 ..< lanes); a NaN is skipped when `skipNaN`, else it
    /// makes the sum NaN.
    // Inlined: once per value in the loops below, with constant lanes.
    @inline(__always) func add(_ x: Double, lane: Int, skipNaN: Bool) {
        let bits = x.bitPattern
        let signAndExponent = Int(truncatingIfNeeded: bits &>> 52)
        let exponent = signAndExponent & 0x7FF
        if exponent == 0x7FF {
            if x.isNaN { if !skipNaN { notANumber = true } } else if x > 0 { positiveInfinity = true } else { negativeInfinity = true }
            return
        }
        let implicit: UInt64 = exponent == 0 ? 0 : 1 << 52
        let magnitude = bits & 0xF_FFFF_FFFF_FFFF | implicit
        bins[signAndExponent &* Self.lanes &+ lane] &+= Int128(truncatingIfNeeded: magnitude)
    }

    /// Adds every non-NaN element of `values` (NaN = missing).
    func addSkippingNaN(_ values: UnsafeBufferPointer<Double>) {
        var i = 0
        let n = values.count
        while i &+ 4 <= n {
            add(values[i], lane: 0, skipNaN: true)
            add(values[i &+ 1], lane: 1, skipNaN: true)
            add(values[i &+ 2], lane: 2, skipNaN: true)
            add(values[i &+ 3], lane: 3, skipNaN: true)
            i &+= 4
        }
        while i < n { add(values[i], lane: 0, skipNaN: true); i &+= 1 }
    }

    /// Adds (x − mean)² for every non-NaN x of `values` (NaN = missing).
    func addSquaredDeviations(_ values: UnsafeBufferPointer<Double>, from mean: Double) {
        // Inlined: four times per step below.
        @inline(__always) func term(_ x: Double, _ lane: Int) {
            if x.isNaN { return }
            let d = x - mean
            add(d * d, lane: lane, skipNaN: false)
        }
        var i = 0
        let n = values.count
        while i &+ 4 <= n {
            term(values[i], 0)
            term(values[i &+ 1], 1)
            term(values[i &+ 2], 2)
            term(values[i &+ 3], 3)
            i &+= 4
        }
        while i < n { term(values[i], 0); i &+= 1 }
    }

    /// The sum rounded to the nearest Double (ties to even); +0 for no terms or an exact zero.
    func rounded() -> Double {
        if notANumber || (positiveInfinity && negativeInfinity) { return .nan }
        if positiveInfinity { return .infinity }
        if negativeInfinity { return -.infinity }
        // Σ bins[e] · 2^(e − 1) in units of 2^−1074, as a two's-complement integer: bins reach
        // bit 2045 + 127, and the sum of 2046 of them three bits more.
        var limbs = [UInt64](repeating: 0, count: 36)
        for signAndExponent in 0..<4096 {
            var total: Int128 = 0
            for l in 0..<Self.lanes { total &+= bins[signAndExponent * Self.lanes + l] }
            if total == 0 { continue }
            let e = Swift.max(signAndExponent & 0x7FF, 1)
            Self.add(signAndExponent >> 11 == 1 ? 0 &- total : total, shiftedBy: e - 1, to: &limbs)
        }
        let negative = limbs[limbs.count - 1] >> 63 == 1
        if negative {
            var carry: UInt64 = 1
            for i in limbs.indices {
                let (v, o) = (~limbs[i]).addingReportingOverflow(carry)
                limbs[i] = v
                carry = o ? 1 : 0
            }
        }
        guard let top = limbs.lastIndex(where: { $0 != 0 }) else { return 0 }
        let h = top * 64 + 63 - limbs[top].leadingZeroBitCount  // highest set bit
        let magnitude: Double
        if h < 53 {
            // N < 2^53: the bit pattern N encodes N · 2^−1074 exactly (subnormal or binade 1).
            magnitude = Double(bitPattern: limbs[0])
        } else {
            // 53 significant bits from h down, then the bit below them and the rest (sticky).
            let significand = Self.bits(limbs, from: h - 52) & (1 << 53 - 1)
            let half = Self.bits(limbs, from: h - 53) & 1 == 1
            let below = h - 53
            var sticky = limbs[..<(below / 64)].contains { $0 != 0 }
            if below % 64 != 0 { sticky = sticky || limbs[below / 64] & (1 << UInt64(below % 64) - 1) != 0 }
            // Biased exponent h − 51: (h − 52) << 52 plus the significand's leading bit. A
            // round-up that carries out of the significand moves into the exponent, and past
            // the largest finite value into the pattern of +∞.
            var pattern = UInt64(h - 52) << 52 + significand
            if half && (sticky || significand & 1 == 1) { pattern += 1 }
            magnitude = pattern >= Double.infinity.bitPattern ? .infinity : Double(bitPattern: pattern)
        }
        return negative ? -magnitude : magnitude
    }

    /// `limbs += value · 2^shift` in two's complement (`limbs` is wide enough not to overflow).
    private static func add(_ value: Int128, shiftedBy shift: Int, to limbs: inout [UInt64]) {
        let low = UInt64(truncatingIfNeeded: value), high = UInt64(truncatingIfNeeded: value >> 64)
        let fill: UInt64 = value < 0 ? ~0 : 0
        let q = shift / 64, r = UInt64(shift % 64)
        let words: [UInt64] = r == 0 ? [low, high, fill]
            : [low << r, high << r | low >> (64 - r), fill << r | high >> (64 - r)]
        var carry: UInt64 = 0
        for i in q..<limbs.count {
            let w = i - q < 3 ? words[i - q] : fill
            let (s1, o1) = limbs[i].addingReportingOverflow(w)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            limbs[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }

    /// The 64 bits of `limbs` from bit `position` up (zeros past the top).
    private static func bits(_ limbs: [UInt64], from position: Int) -> UInt64 {
        let q = position / 64, r = UInt64(position % 64)
        let next = q + 1 < limbs.count ? limbs[q + 1] : 0
        return r == 0 ? limbs[q] : limbs[q] >> r | next << (64 - r)
    }
}
