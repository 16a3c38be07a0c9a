#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal text → Double, correctly rounded (bit-identical to `strtod`), on raw bytes.
///
/// Grammar: optional spaces/tabs, optional sign, digits with an optional `.`, optional exponent
/// (`e`/`E`, optional sign, digits), optional spaces/tabs. `inf`/`infinity` (any case, optional
/// sign) are accepted too. Anything else (hex floats, `nan`, trailing junk) is not a number.
///
/// Paths: ≤ 19 significant digits and |exponent| ≤ 27 take `nearest` (Clinger's fast path or
/// Eisel–Lemire); `strtod` takes everything else.
public enum NumberParser {
    /// 10^k for 0 ≤ k ≤ 22, every one exact in a Double. A switch (a table in read-only data),
    /// not a lazily initialised global, so the hot paths pay no initialisation check per call.
    @inlinable @inline(__always)
    static func exactPowerOf10(_ k: Int) -> Double {
        switch k {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: .nan
        }
    }

    /// 5^q for -27 ≤ q ≤ 27 as a 128-bit number with its top bit set, (high word, low word) —
    /// the part of Lemire's table this parser uses. q ≥ 0: 5^q shifted left (exact). q < 0:
    /// ⌊2^(z+127) / 5^-q⌋ + 1, z the bit length of 5^-q: an upper bound, by less than one unit
    /// in the last place. Generated from exact integers (Python: `c = 2**(z + 127) // 5**-q + 1`);
    /// a switch, so a table in read-only data.
    @inlinable @inline(__always)
    static func powerOf5(_ q: Int) -> (high: UInt64, low: UInt64) {
        switch q {
        case -27: (0x9E74D1B791E07E48, 0x775EA264CF55347E)
        case -26: (0xC612062576589DDA, 0x95364AFE032A819E)
        case -25: (0xF79687AED3EEC551, 0x3A83DDBD83F52205)
        case -24: (0x9ABE14CD44753B52, 0xC4926A9672793543)
        case -23: (0xC16D9A0095928A27, 0x75B7053C0F178294)
        case -22: (0xF1C90080BAF72CB1, 0x5324C68B12DD6339)
        case -21: (0x971DA05074DA7BEE, 0xD3F6FC16EBCA5E04)
        case -20: (0xBCE5086492111AEA, 0x88F4BB1CA6BCF585)
        case -19: (0xEC1E4A7DB69561A5, 0x2B31E9E3D06C32E6)
        case -18: (0x9392EE8E921D5D07, 0x3AFF322E62439FD0)
        case -17: (0xB877AA3236A4B449, 0x09BEFEB9FAD487C3)
        case -16: (0xE69594BEC44DE15B, 0x4C2EBE687989A9B4)
        case -15: (0x901D7CF73AB0ACD9, 0x0F9D37014BF60A11)
        case -14: (0xB424DC35095CD80F, 0x538484C19EF38C95)
        case -13: (0xE12E13424BB40E13, 0x2865A5F206B06FBA)
        case -12: (0x8CBCCC096F5088CB, 0xF93F87B7442E45D4)
        case -11: (0xAFEBFF0BCB24AAFE, 0xF78F69A51539D749)
        case -10: (0xDBE6FECEBDEDD5BE, 0xB573440E5A884D1C)
        case -9: (0x89705F4136B4A597, 0x31680A88F8953031)
        case -8: (0xABCC77118461CEFC, 0xFDC20D2B36BA7C3E)
        case -7: (0xD6BF94D5E57A42BC, 0x3D32907604691B4D)
        case -6: (0x8637BD05AF6C69B5, 0xA63F9A49C2C1B110)
        case -5: (0xA7C5AC471B478423, 0x0FCF80DC33721D54)
        case -4: (0xD1B71758E219652B, 0xD3C36113404EA4A9)
        case -3: (0x83126E978D4FDF3B, 0x645A1CAC083126EA)
        case -2: (0xA3D70A3D70A3D70A, 0x3D70A3D70A3D70A4)
        case -1: (0xCCCCCCCCCCCCCCCC, 0xCCCCCCCCCCCCCCCD)
        case 0: (0x8000000000000000, 0x0000000000000000)
        case 1: (0xA000000000000000, 0x0000000000000000)
        case 2: (0xC800000000000000, 0x0000000000000000)
        case 3: (0xFA00000000000000, 0x0000000000000000)
        case 4: (0x9C40000000000000, 0x0000000000000000)
        case 5: (0xC350000000000000, 0x0000000000000000)
        case 6: (0xF424000000000000, 0x0000000000000000)
        case 7: (0x9896800000000000, 0x0000000000000000)
        case 8: (0xBEBC200000000000, 0x0000000000000000)
        case 9: (0xEE6B280000000000, 0x0000000000000000)
        case 10: (0x9502F90000000000, 0x0000000000000000)
        case 11: (0xBA43B74000000000, 0x0000000000000000)
        case 12: (0xE8D4A51000000000, 0x0000000000000000)
        case 13: (0x9184E72A00000000, 0x0000000000000000)
        case 14: (0xB5E620F480000000, 0x0000000000000000)
        case 15: (0xE35FA931A0000000, 0x0000000000000000)
        case 16: (0x8E1BC9BF04000000, 0x0000000000000000)
        case 17: (0xB1A2BC2EC5000000, 0x0000000000000000)
        case 18: (0xDE0B6B3A76400000, 0x0000000000000000)
        case 19: (0x8AC7230489E80000, 0x0000000000000000)
        case 20: (0xAD78EBC5AC620000, 0x0000000000000000)
        case 21: (0xD8D726B7177A8000, 0x0000000000000000)
        case 22: (0x878678326EAC9000, 0x0000000000000000)
        case 23: (0xA968163F0A57B400, 0x0000000000000000)
        case 24: (0xD3C21BCECCEDA100, 0x0000000000000000)
        case 25: (0x84595161401484A0, 0x0000000000000000)
        case 26: (0xA56FA5B99019A5C8, 0x0000000000000000)
        case 27: (0xCECB8F27F4200F3A, 0x0000000000000000)
        default: (0, 0)
        }
    }

    /// Eisel and Lemire's conversion of w × 10^q for w ≠ 0 and -27 ≤ q ≤ 27 (Lemire, "Number
    /// Parsing at a Gigabyte per Second", 2021): the normalised w times the 128-bit 5^q; in this
    /// range of q the product always decides the rounding (ties to even), so there is no fallback.
    /// No division: a 64×64→128-bit multiply or two, shifts and compares.
    @inlinable @inline(__always)
    static func eiselLemire(_ w: UInt64, _ q: Int) -> Double {
        let lz = w.leadingZeroBitCount
        let wn = w << UInt64(lz)
        let p = powerOf5(q)
        var (high, low) = wn.multipliedFullWidth(by: p.high)
        // The low 9 bits below the 55 kept are all ones: the next word could carry into them.
        if high & 0x1FF == 0x1FF {
            let carry = wn.multipliedFullWidth(by: p.low).high
            low = low &+ carry
            if carry > low { high += 1 }
        }
        let upper = Int(high >> 63)
        let shift = UInt64(upper + 9)
        var m = high >> shift  // 54 or 55 bits: the 53 kept, one for rounding
        // Biased binary exponent: ⌊q·log2(10)⌋ + 63, with 217706/2^16 for log2(10) (exact over this range).
        var power2 = ((q &* 217_706) >> 16) + 63 + upper - lz + 1023
        // Exactly halfway (possible only for -4 ≤ q ≤ 23, and only with nothing in the low word):
        // ties go to even, so clear the bit that would round up.
        if low <= 1 && q >= -4 && q <= 23 && m & 3 == 1 && m << shift == high { m &= ~1 }
        m += m & 1
        m >>= 1
        if m >= 1 << 53 {
            m = 1 << 52
            power2 += 1
        }
        m &= ~(1 << 52)
        return Double(bitPattern: UInt64(power2) << 52 | m)
    }

    /// The Double nearest to `mantissa` × 10^`exp10` (ties to even), or nil when only the full
    /// parser can tell: Clinger's fast path for mantissa ≤ 2^53 and |exp10| ≤ 22 (one multiply
    /// or divide of exact operands: the fewest instructions, and the division's latency hides
    /// behind the next number's scan), Eisel–Lemire for the rest of -27 ≤ exp10 ≤ 27, nil beyond.
    @_transparent  // inlined into every caller (other modules too): it sits in the hottest loops
    public static func nearest(_ mantissa: UInt64, exp10: Int) -> Double? {
        if mantissa <= 1 << 53 && exp10 >= -22 && exp10 <= 22 {
            let v = Double(mantissa)  // exact
            return exp10 >= 0 ? v * exactPowerOf10(exp10) : v / exactPowerOf10(-exp10)
        }
        return nearestLong(mantissa, exp10: exp10)
    }

    /// `nearest` past Clinger's range, out of line so that the common case inlines small.
    @usableFromInline
    static func nearestLong(_ mantissa: UInt64, exp10: Int) -> Double? {
        guard exp10 >= -27 && exp10 <= 27 else { return nil }
        return mantissa == 0 ? 0 : eiselLemire(mantissa, exp10)
    }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }

    /// Parses `p[0..<n]`; nil when the bytes are not a number.
    public static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var e = n
        while i < e && isSpace(p[i]) { i += 1 }
        while e > i && isSpace(p[e - 1]) { e -= 1 }
        if i == e { return nil }
        let s0 = i
        var neg = false
        if p[i] == UInt8(ascii: "-") { neg = true; i += 1 } else if p[i] == UInt8(ascii: "+") { i += 1 }
        // Optimistic scan: every digit goes into `mant`; `digits` counts them all (leading zeros
        // included). Only when `digits` > 19 can `mant` have wrapped; then `slowDigits` recounts.
        var mant: UInt64 = 0
        let intStart = i
        while i < e {
            let d = p[i] &- 48
            if d >= 10 { break }
            mant = mant &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - intStart
        var exp10 = 0
        if i < e && p[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < e {
                let d = p[i] &- 48
                if d >= 10 { break }
                mant = mant &* 10 &+ UInt64(d)
                i += 1
            }
            digits += i - fracStart
            exp10 = fracStart - i
        }
        if digits == 0 { return parseInfinity(p, s0, e) }
        if i < e && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var eneg = false
            if i < e && p[i] == UInt8(ascii: "-") { eneg = true; i += 1 } else if i < e && p[i] == UInt8(ascii: "+") { i += 1 }
            var ev = 0
            let expStart = i
            while i < e {
                let d = p[i] &- 48
                if d >= 10 { break }
                if ev < 100_000 { ev = ev * 10 + Int(d) }
                i += 1
            }
            if i == expStart { return nil }
            exp10 += eneg ? -ev : ev
        }
        if i != e { return nil }
        if mant == 0 && digits <= 19 { return neg ? -0.0 : 0.0 }
        if digits > 19 && !significantDigitsFit(p, intStart, e) {
            return strtodFallback(p + s0, e - s0)
        }
        if mant == 0 { return neg ? -0.0 : 0.0 }
        if let v = nearest(mant, exp10: exp10) { return neg ? -v : v }
        return strtodFallback(p + s0, e - s0)
    }

    /// True when the digits in `p[s..<e]` (up to an exponent) hold at most 19 significant
    /// digits, i.e. the optimistic scan did not wrap: leading zeros made the count exceed 19.
    private static func significantDigitsFit(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        var sig = 0
        var leading = true
        while i < e {
            let c = p[i]
            if c == UInt8(ascii: ".") { i += 1; continue }
            let d = c &- 48
            if d >= 10 { break }
            if leading && d == 0 { i += 1; continue }
            leading = false
            sig += 1
            i += 1
        }
        return sig <= 19
    }

    private static func parseInfinity(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
        var i = s
        var neg = false
        if p[i] == UInt8(ascii: "-") { neg = true; i += 1 } else if p[i] == UInt8(ascii: "+") { i += 1 }
        let len = e - i
        guard len == 3 || len == 8 else { return nil }
        let word: [UInt8] = Array("infinity".utf8)
        for k in 0..<len where (p[i + k] | 0x20) != word[k] { return nil }
        return neg ? -Double.infinity : Double.infinity
    }

    /// `strtod` on a NUL-terminated copy; nil unless it consumes every byte.
    static func strtodFallback(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf -> Double? in
            for k in 0..<n { buf[k] = CChar(bitPattern: p[k]) }
            buf[n] = 0
            guard let base = buf.baseAddress else { return nil }
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(base, &end)
            guard let end, end - base == n else { return nil }
            return v
        }
    }

    /// Convenience for tests and small inputs.
    static func parse(_ s: String) -> Double? {
        var bytes = Array(s.utf8)
        let n = bytes.count
        if n == 0 { return nil }
        return bytes.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { parse(UnsafePointer($0), n) } }
    }
}
