import Foundation
import Testing
@testable import Serving

@Suite struct JSONReaderTests {
    @Test func parsesEveryValueKind() throws {
        let v = try JSONValue.parse(#" {"a": [1, -2.5, 3e2, 0, -0.0, 1E-2], "b": {"c": true, "d": false, "e": null}, "s": "x\"y\\z\/\n\t\u00e9\ud83d\ude00"} "#)
        let expected: JSONValue = .object([
            .init(key: "a", value: .array([.number(1), .number(-2.5), .number(300), .number(0), .number(-0.0), .number(0.01)])),
            .init(key: "b", value: .object([.init(key: "c", value: .bool(true)), .init(key: "d", value: .bool(false)), .init(key: "e", value: .null)])),
            .init(key: "s", value: .string("x\"y\\z/\n\té😀")),
        ])
        #expect(v == expected)
        #expect(v["b"]?["c"] == .bool(true))
        #expect(try JSONValue.parse("[]") == .array([]))
        #expect(try JSONValue.parse("{}") == .object([]))
        #expect(try JSONValue.parse("\"\"") == .string(""))
        #expect(try JSONValue.parse("  42  ") == .number(42))
        #expect(try JSONValue.parse("\"héllo wörld\"") == .string("héllo wörld"))
    }

    /// The one-loop plain-number reader either declines (consuming nothing) or gives exactly what
    /// `readNumber` gives, ending at the same byte; it accepts the usual decimal forms.
    @Test func plainNumbersReadAsReadNumber() throws {
        var texts = ["0", "-0", "0.0", "-0.0", "1", "-1", "25.0", "-118.38", "4.022012578616352", "1.0393081761006289",
                     "9999999999999999999", "99999999999999999999", "0.1234567890123456789", "0.000001", "9007199254740993",
                     "01", "00", "-", "1.", ".5", "-.5", "1.2.3", "1e5", "1E-5", "2.5e3", "1..2", "-01.5", "0.5.", "7x"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let y = Double.random(in: -100_000...100_000, using: &g)
            texts.append(String(format: "%.\(Int.random(in: 0...17, using: &g))f", y))
            texts.append("\(y)")
        }
        var accepted = 0
        for text in texts {
            for tail in ["", ",", "}", " "] {
                let bytes = Array((text + tail).utf8)
                bytes.withUnsafeBufferPointer { b in
                    var plain = JSONReader(base: b.baseAddress!, count: b.count)
                    var general = plain
                    let expected = try? general.readNumber()
                    guard let v = plain.readPlainNumber() else {
                        #expect(plain.pos == 0, "\(text)")
                        return
                    }
                    accepted += 1
                    #expect(v.bitPattern == expected?.bitPattern && plain.pos == general.pos, "\(text)")
                }
            }
        }
        #expect(accepted > 20_000)
        for plainForm in ["0", "-0.0", "25.0", "-118.38", "4.022012578616352", "9999999999999999999"] {
            let bytes = Array(plainForm.utf8)
            let v = bytes.withUnsafeBufferPointer { b in
                var r = JSONReader(base: b.baseAddress!, count: b.count)
                return r.readPlainNumber()
            }
            #expect(v?.bitPattern == Double(plainForm)?.bitPattern, "\(plainForm)")
        }
    }

    /// The hand-written number parser agrees bit-for-bit with the standard library's strtod.
    @Test func numbersMatchStandardLibrary() throws {
        var fixed = ["0", "-0", "1", "-1", "0.1", "0.30000000000000004", "123456789012345678901234567890",
                     "1e308", "1.7976931348623157e308", "2.2250738585072014e-308", "5e-324", "1e-400",
                     "9007199254740993", "9007199254740992", "0.000001", "1.5e-7", "3.141592653589793",
                     "8.3252", "-122.23", "41.0", "1e22", "1e23", "123.456e-10", "0e5", "0.0000000000000000000001"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let x = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &g))
            if x.isFinite { fixed.append("\(x)") }
            let y = Double.random(in: -1000...1000, using: &g)
            fixed.append(String(format: "%.\(Int.random(in: 0...17, using: &g))f", y))
            fixed.append(String(format: "%.\(Int.random(in: 0...17, using: &g))e", y))
        }
        for text in fixed {
            let reference = Double(text)!
            let parsed = try JSONValue.parse(text)
            #expect(parsed.doubleValue?.bitPattern == reference.bitPattern, "\(text)")
        }
    }

    @Test(arguments: [
        ("", 0, "unexpected end of input"),
        ("{", 1, "expected string"),
        ("{\"a\" 1}", 5, "expected ':'"),
        ("{\"a\":1,}", 7, "expected string"),
        ("[1,]", 3, "expected a value"),
        ("[1 2]", 3, "expected ','"),
        ("01", 0, "leading zeros"),
        ("1.", 2, "decimal point"),
        ("1e", 2, "exponent"),
        ("-", 0, "invalid number"),
        ("+1", 0, "expected a value"),
        ("NaN", 0, "expected a value"),
        ("Infinity", 0, "expected a value"),
        ("-Infinity", 0, "invalid number"),
        ("nul", 0, "invalid literal"),
        ("tru", 0, "invalid literal"),
        ("\"abc", 0, "unterminated string"),
        ("\"a\\x\"", 2, "invalid escape"),
        ("\"\\u12G4\"", 1, "invalid \\u escape"),
        ("\"\\ud800\"", 1, "unpaired surrogate"),
        ("\"a\nb\"", 2, "control character"),
        ("[1] x", 4, "after the JSON value"),
        ("1e400", 0, "out of range"),
        ("{'a':1}", 1, "expected string"),
    ] as [(String, Int, String)])
    func rejectsMalformedInput(text: String, offset: Int, fragment: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch let e as JSONParseError {
            #expect(e.offset == offset, "\(text): \(e)")
            #expect(e.message.contains(fragment), "\(text): \(e)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func reportsLineAndColumn() {
        do {
            _ = try JSONValue.parse("{\n  \"a\": 1,\n  \"b\": tru\n}")
            Issue.record("accepted")
        } catch let e as JSONParseError {
            #expect(e.line == 3)
            #expect(e.column == 8)
        } catch { Issue.record("\(error)") }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }        // bad continuation
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC0, 0xAF, 0x22]) }        // overlong
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // surrogate
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xE2, 0x82, 0x22]) }        // truncated
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? JSONValue.parse(ok)) != nil)
    }

    /// Random byte strings and mutated documents never crash; whatever we accept Foundation accepts.
    @Test func fuzzAgainstFoundation() throws {
        var g = SystemRandomNumberGenerator()
        let seed = Array(#"{"instances":[{"MedInc":8.3,"HouseAge":41.0,"Ocean":"NEAR BAY"},{"MedInc":-1e-3,"x":[true,false,null,"\u00e9"]}]}"#.utf8)
        let alphabet = Array(#"{}[],:"\\-+.eE0123456789 truefalsn"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        for trial in 0..<3000 {
            var bytes: [UInt8]
            if trial % 2 == 0 {
                bytes = (0..<Int.random(in: 0...40, using: &g)).map { _ in alphabet.randomElement(using: &g)! }
            } else {
                bytes = seed
                for _ in 0..<Int.random(in: 1...4, using: &g) {
                    let i = Int.random(in: 0..<bytes.count, using: &g)
                    switch Int.random(in: 0..<3, using: &g) {
                    case 0: bytes[i] = alphabet.randomElement(using: &g)!
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(alphabet.randomElement(using: &g)!, at: i)
                    }
                }
            }
            let ours = try? JSONValue.parse(bytes)
            let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            if ours != nil { #expect(theirs != nil, "we accepted \(String(decoding: bytes, as: UTF8.self)) but Foundation did not") }
        }
    }

    @Test func writerRoundTrips() throws {
        let v: JSONValue = .object([
            .init(key: "s", value: .string("quote\" back\\ nl\n tab\t ctl\u{01} é😀")),
            .init(key: "n", value: .array([.number(0.1), .number(-3), .number(1e-7), .number(1e300), .null, .bool(true)])),
        ])
        var w = JSONWriter()
        w.value(v)
        let bytes = Array(w.buffer.readableBytesView)
        #expect(try JSONValue.parse(bytes) == v)
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any])
    }

    /// Numbers are written with exactly the characters of `description` (shortest round trip),
    /// over every exponent range, and non-finite values as null.
    @Test func numbersWriteTheirDescription() throws {
        var g = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-7, 1e16, 123456789012345680, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .ulpOfOne]
        for _ in 0..<5000 { values.append(Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &g)) * (Bool.random(using: &g) ? 1 : -1)) }
        for x in values {
            var w = JSONWriter()
            w.number(x)
            #expect(String(decoding: w.buffer.readableBytesView, as: UTF8.self) == x.description)
        }
        for x in [Double.nan, .infinity, -.infinity] {
            var w = JSONWriter()
            w.number(x)
            #expect(String(decoding: w.buffer.readableBytesView, as: UTF8.self) == "null")
        }
        // The one-pass list writes the same characters, comma-separated, into a buffer that
        // already holds text (the reserved space starts after it).
        let list = values + [.nan, -.infinity] + values.prefix(10)
        var w = JSONWriter(capacity: 4)
        w.raw("[")
        w.numbers(list)
        w.raw("]")
        w.numbers([])
        let expected = "[" + list.map { $0.isFinite ? $0.description : "null" }.joined(separator: ",") + "]"
        #expect(String(decoding: w.buffer.readableBytesView, as: UTF8.self) == expected)
    }

    /// Request ids written in one pass equal `prefix + String(counter, radix: 16)`, across digit-count
    /// boundaries and up to the largest counter.
    @Test func requestIDsMatchTheStringForm() throws {
        for (first, count) in [(UInt64(1), 20), (0xfff0, 40), (UInt64.max - 3, 4), (0x0fff_ffff_ffff_fffe, 3)] {
            var w = JSONWriter()
            w.raw("[")
            w.requestIDs(prefix: "00c0ffee-", first: first, count: count)
            w.raw("]")
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.buffer.readableBytesView)) as? [String])
            #expect(parsed == (0..<UInt64(count)).map { "00c0ffee-" + String(first + $0, radix: 16) })
        }
    }

    /// Numbers with more digits than Clinger's fast path covers parse to the correctly rounded
    /// Double (Swift's own parser is the reference).
    @Test func longNumbersRoundCorrectly() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let x = Double(bitPattern: UInt64.random(in: 0x3CB0_0000_0000_0000...0x4330_0000_0000_0000, using: &g))
            for text in [x.description, String(format: "%.17g", x), String(format: "%.19e", x), String(format: "%.25f", x)] {
                #expect(try JSONValue.parse(text) == .number(Double(text)!), "\(text)")
            }
        }
    }
}
