import Foundation
import Testing
@testable import Tabular

@Suite struct NumberParserTests {
    /// Reference: C `strtod` via Foundation (correctly rounded on glibc).
    func reference(_ s: String) -> Double? {
        var end: UnsafeMutablePointer<CChar>? = nil
        return s.withCString { p -> Double? in
            let v = strtod(p, &end)
            guard let end, end - UnsafeMutablePointer(mutating: p) == strlen(p), strlen(p) > 0 else { return nil }
            return v
        }
    }

    func check(_ s: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = NumberParser.parse(s)
        let ref = reference(s)
        #expect(fast?.bitPattern == ref?.bitPattern, "\(s): \(String(describing: fast)) vs \(String(describing: ref))", sourceLocation: sourceLocation)
        // The tokenizer's fused path must agree as well.
        if let ref, let t = try? CSVReader.read(data: Array("v\n\(s)\n".utf8), source: "t"), let v = t.columns[0].numericValues {
            #expect(v[0].bitPattern == ref.bitPattern, "fused \(s)", sourceLocation: sourceLocation)
        }
    }

    @Test func hardCases() {
        for s in ["0", "-0", "0.0", "-0.000", "1", "0.1", "0.3", "1e23", "9007199254740993", "9007199254740992",
                  "9007199254740991", "18014398509481985", "2.2250738585072011e-308", "2.2250738585072014e-308",
                  "4.9e-324", "1e-400", "1e400", "1.7976931348623157e308", "123456789012345678901234567890",
                  "0.000000000000000000000000000001", "3.14159265358979323846", "7.038531e-26", "+5", ".5", "5.",
                  "1E5", "1e+5", "00012.5000", "12345678901234567", "0.1234567890123456789", "99999999999999999999",
                  "8.98846567431158e307", "1.00000000000000011102230246251565404236316680908203125",
                  "1.00000000000000011102230246251565404236316680908203124"] {
            check(s)
        }
        #expect(NumberParser.parse("1.2.3") == nil)
        #expect(NumberParser.parse("abc") == nil)
        #expect(NumberParser.parse("1e") == nil)
        #expect(NumberParser.parse("nan") == nil)
        #expect(NumberParser.parse("0x10") == nil)
        #expect(NumberParser.parse(" 42 ") == 42)
        #expect(NumberParser.parse("-inf") == -.infinity)
        #expect(NumberParser.parse("Infinity") == .infinity)
    }

    @Test func randomDoublesInManyFormats() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<1200 {
            let magnitude = pow(10.0, Double(rng.below(40)) - 20)
            let x = (rng.unit() - 0.5) * magnitude
            for s in [String(format: "%.17g", x), String(format: "%.15g", x), String(format: "%.6f", x),
                      String(format: "%.3e", x), String(format: "%.19g", x), x.description] {
                check(s)
            }
        }
    }

    /// Every decimal exponent the Eisel–Lemire path takes (-27...27), with mantissas of 1 to 19
    /// digits, in plain and exponent notation: bit for bit what strtod gives.
    @Test func eiselLemireRangeMatchesStrtod() {
        var rng = SeededGenerator(seed: 3)
        for q in -27...27 {
            for _ in 0..<150 {
                let digits = 1 + rng.below(19)
                var m = String(1 + rng.below(9))
                for _ in 1..<digits { m += String(rng.below(10)) }
                check("\(m)e\(q)")
                if q < 0 && -q < digits {
                    var s = m
                    s.insert(".", at: s.index(s.endIndex, offsetBy: q))
                    check(s)
                }
            }
        }
    }

    /// Exact halfway points between neighbouring Doubles: integers (2k+1)·2^(e-1) above 2^53,
    /// written whole and with up to four trailing zeros moved into a negative exponent (the tie
    /// rule applies for -4 ≤ q ≤ 23), and their neighbours one unit away.
    @Test func tiesRoundToEven() {
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<3000 {
            let e = 1 + rng.below(10)                                   // spacing 2^e between Doubles
            let k = UInt64(1) << 52 | UInt64(rng.below(1 << 30)) << 22 | UInt64(rng.below(1 << 22))
            let (half, overflow) = (k << UInt64(e)).addingReportingOverflow(UInt64(1) << UInt64(e - 1))
            guard !overflow, half < 10_000_000_000_000_000_000 else { continue }
            let text = String(half)
            check(text)
            check(String(half - 1))
            check(String(half + 1))
            let zeros = rng.below(5)
            if text.count + zeros <= 19 { check(text + String(repeating: "0", count: zeros) + "e-\(zeros)") }
        }
    }

    @Test func randomDigitStrings() {
        // Long mantissas: Eisel–Lemire within |exponent| ≤ 27, strtod past 19 digits.
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<2000 {
            let digits = 1 + rng.below(22)
            var s = String(1 + rng.below(9))
            for _ in 1..<digits { s += String(rng.below(10)) }
            let point = rng.below(digits + 1)
            if point < digits { s.insert(".", at: s.index(s.startIndex, offsetBy: point)) }
            if rng.below(2) == 0 { s += "e\(rng.below(60) - 30)" }
            check(s)
        }
    }

    /// 19-digit decimals whose Float80 quotient rounds exactly onto a Double midpoint while the
    /// true value lies on the side away from the even neighbour (found by exact rational search):
    /// any conversion that rounds twice comes out one ulp off on them.
    @Test(arguments: ["1.000000000000005218", "1.000000000000009881", "1.000000000000010103", "1.000000000000014766",
                      "1.000000000000014988", "1.000000000000019651", "1.000000000000029865", "1.000000000000030087",
                      "1.000000000000034750", "1.000000000000034972"])
    func doubleRoundingTraps(_ s: String) {
        check(s)
        check("-" + s)
    }

    @Test func midpointsFallBack() {
        // Integers exactly halfway between adjacent doubles (exact in Float80, so only the
        // midpoint check keeps them correct), at several binades, plus neighbours.
        for shift in [53, 55, 58, 60, 62] {
            let base = UInt64(1) << UInt64(shift)
            let half = base >> 53
            for k in 0..<20 {
                let mid = base + half * UInt64(2 * k + 1)
                check(String(mid))
                check(String(mid + 1))
                check(String(mid - 1))
            }
        }
    }
}
