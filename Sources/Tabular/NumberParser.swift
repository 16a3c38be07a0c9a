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
/// Paths: ≤ 19 significant digits and a small exponent take `nearest` (one correctly rounded
/// operation); `strtod` takes everything else.
public enum NumberParser {
    /// 10^k for 0 ≤ k ≤ 22, every one exact in a Double. A switch (a table in read-only data),
    /// not a lazily initialised global, so the hot paths pay no initialisation check per call.
    @usableFromInline @inline(__always)
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

    #if arch(x86_64) && !os(Windows) && !os(Android)
    /// 10^k for 0 ≤ k ≤ 27, every one exact in a Float80 (5^27 < 2^63).
    @usableFromInline @inline(__always)
    static func exactPowerOf10x(_ k: Int) -> Float80 {
        switch k {
        case 0...22: Float80(exactPowerOf10(k))
        case 23: 1e23
        case 24: 1e24
        case 25: 1e25
        case 26: 1e26
        case 27: 1e27
        default: .nan
        }
    }
    #endif

    /// The Double nearest to `mantissa` × 10^`exp10` when one correctly rounded operation gives
    /// it, nil when only the full parser can tell. (1) Clinger's fast path: mantissa ≤ 2^53 and
    /// |exp10| ≤ 22, one Double multiply or divide of exact operands; (2) on x86-64, |exp10| ≤ 27
    /// in Float80 (the 64-bit mantissa and the power of ten both exact there, one rounding),
    /// accepted unless the Float80 result sits exactly on a Double rounding midpoint, where
    /// rounding twice could go wrong.
    @inlinable @inline(__always)
    public static func nearest(_ mantissa: UInt64, exp10: Int) -> Double? {
        if mantissa <= 1 << 53 && exp10 >= -22 && exp10 <= 22 {
            let v = Double(mantissa)  // exact: mantissa ≤ 2^53
            return exp10 >= 0 ? v * exactPowerOf10(exp10) : v / exactPowerOf10(-exp10)
        }
        #if arch(x86_64) && !os(Windows) && !os(Android)
        if exp10 >= -27 && exp10 <= 27 {
            let m = Float80(mantissa)  // exact: 64-bit significand
            let x = exp10 >= 0 ? m * exactPowerOf10x(exp10) : m / exactPowerOf10x(-exp10)
            if x.significandBitPattern & 0x7FF != 0x400 { return Double(x) }
        }
        #endif
        return nil
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
