import Foundation
import Testing
@testable import TreeModels

/// The JSON and UBJSON decoders on hand-written documents (values worked out from RFC 8259 and
/// the UBJSON draft-12 spec, https://ubjson.org).
@Suite struct InterchangeDecoderTests {
    static func ubj(_ parts: [Any]) -> [UInt8] {
        var out: [UInt8] = []
        for p in parts {
            switch p {
            case let s as String: out += Array(s.utf8)
            case let b as UInt8: out.append(b)
            case let bs as [UInt8]: out += bs
            default: break
            }
        }
        return out
    }

    @Test func ubjsonScalarsAndContainers() throws {
        // {"a": int8 -2, "b": uint8 200, "c": int16 -300, "d": int32 70000, "e": int64 2^40, "f": true, "g": null,
        //  "h": float32 1.5, "i": float64 0.1, "j": "hé", "k": high-precision "2.5", "l": char 'x'}
        let bytes = Self.ubj(["{",
            "i", UInt8(1), "a", "i", UInt8(0xFE),
            "i", UInt8(1), "b", "U", UInt8(200),
            "i", UInt8(1), "c", "I", [UInt8(0xFE), 0xD4],
            "i", UInt8(1), "d", "l", [UInt8(0), 1, 0x11, 0x70],
            "i", UInt8(1), "e", "L", [UInt8(0), 0, 1, 0, 0, 0, 0, 0],
            "i", UInt8(1), "f", "T",
            "U", UInt8(1), "g", "N", "Z",
            "i", UInt8(1), "h", "d", [UInt8(0x3F), 0xC0, 0, 0],
            "i", UInt8(1), "i", "D", Array(withUnsafeBytes(of: (0.1).bitPattern.bigEndian) { Array($0) }),
            "i", UInt8(1), "j", "S", "i", UInt8(3), [UInt8(0x68), 0xC3, 0xA9],
            "i", UInt8(1), "k", "H", "i", UInt8(3), "2.5",
            "i", UInt8(1), "l", "C", "x",
            "}"])
        let v = try UBJSONDecoder.decode(bytes)
        #expect(v == .object(["a": .integer(-2), "b": .integer(200), "c": .integer(-300), "d": .integer(70000),
                              "e": .integer(1 << 40), "f": .bool(true), "g": .null, "h": .number(1.5, float: 1.5),
                              "i": .number(0.1, float: Float(0.1)), "j": .string("hé"), "k": .number(2.5, float: 2.5),
                              "l": .integer(120)]))
    }

    @Test func ubjsonOptimizedContainers() throws {
        // Typed float32 array, typed int32 array, counted untyped array, plain array with no-ops,
        // typed-and-counted object.
        let bytes = Self.ubj(["[",
            "[", "$", "d", "#", "i", UInt8(2), [UInt8(0x3F), 0x80, 0, 0], [UInt8(0xC0), 0, 0, 0],
            "[", "$", "l", "#", "U", UInt8(2), [UInt8(0xFF), 0xFF, 0xFF, 0xFF], [UInt8(0), 0, 0, 7],
            "[", "#", "i", UInt8(2), "T", "S", "i", UInt8(1), "z",
            "[", "N", "i", UInt8(5), "N", "]",
            "{", "$", "U", "#", "i", UInt8(2), "i", UInt8(1), "p", UInt8(1), "i", UInt8(1), "q", UInt8(2),
            "]"])
        let v = try UBJSONDecoder.decode(bytes)
        #expect(v == .array([.floats([1, -2]), .integers([-1, 7]), .array([.bool(true), .string("z")]),
                             .array([.integer(5)]), .object(["p": .integer(1), "q": .integer(2)])]))
    }

    @Test func ubjsonErrorsNameTheOffset() {
        func error(_ bytes: [UInt8]) -> InterchangeDecodingError? {
            do { _ = try UBJSONDecoder.decode(bytes); return nil } catch { return error as? InterchangeDecodingError }
        }
        // A typed array claiming 3 float32s in 8 bytes, and a count beyond the bytes left.
        let e1 = error(Self.ubj(["[", "$", "d", "#", "i", UInt8(3), [UInt8](repeating: 0, count: 8)]))
        #expect(e1?.message.contains("needs 12 bytes, 8 left") == true)
        #expect(error(Self.ubj(["[", "#", "I", [UInt8(0x03), 0xE8], "Z"]))?.message.contains("array count 1000 exceeds the 1 bytes left") == true)
        // A negative count.
        #expect(error(Self.ubj(["[", "#", "i", UInt8(0xFF)]))?.message.contains("negative") == true)
        // A string longer than the bytes left after its length.
        let e3 = error(Self.ubj(["S", "i", UInt8(3), "ab"]))
        #expect(e3?.message.contains("exceeds the 2 bytes left") == true && e3?.offset == 1)
        // An unknown marker, and trailing bytes.
        #expect(error(Self.ubj(["X"]))?.message.contains("unknown value marker 'X'") == true)
        #expect(error(Self.ubj(["T", "T"]))?.message.contains("1 bytes after the document") == true)
        // '$' without '#', and nesting too deep.
        #expect(error(Self.ubj(["[", "$", "i", "]"]))?.message.contains("'#' count expected") == true)
        #expect(error([UInt8](repeating: UInt8(ascii: "["), count: 10_000))?.message.contains("nested deeper") == true)
    }

    @Test func jsonValues() throws {
        let text = #" {"a": [1, -2.5e3, 0.1, NaN, Infinity, -Infinity, true, false, null], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "big": 12345678901234567890} "#
        let v = try JSONTextDecoder.decode(Array(text.utf8))
        guard case .object(let m) = v, case .array(let a)? = m["a"] else { Issue.record("not an object with an array"); return }
        #expect(a[0] == .integer(1) && a[1] == .number(-2500, float: -2500) && a[2] == .number(0.1, float: Float(0.1)))
        if case .number(let d, let f) = a[3] { #expect(d.isNaN && f.isNaN) } else { Issue.record("NaN") }
        #expect(a[4] == .number(.infinity, float: .infinity) && a[5] == .number(-.infinity, float: -.infinity))
        #expect(Array(a[6...]) == [.bool(true), .bool(false), .null])
        #expect(m["s"] == .string("q\"\\/\u{8}\u{c}\n\r\té😀"))
        // Beyond Int64: a number (Double), not an error.
        #expect(m["big"] == .number(12345678901234567890, float: 12345678901234567890))
    }

    /// float32 fields parse straight from the text: a decimal just above a float32 midpoint must
    /// not round through a Double that lands on the midpoint.
    @Test func jsonFloatsRoundOnce() throws {
        // 1 + 2^-24 is the midpoint of 1 and 1 + 2^-23; this decimal is above it by ~1e-20, so the
        // nearest float32 is 1 + 2^-23, while the nearest Double is the midpoint, which rounds to 1.
        let text = "1.00000005960464477539063"
        guard case .number(let d, let f) = try JSONTextDecoder.decode(Array(text.utf8)) else { Issue.record("no number"); return }
        #expect(d == 1 + 0x1p-24)
        #expect(f == Float(1).nextUp)
        #expect(Float(d) == 1)
    }

    @Test func jsonErrorsNameTheOffset() {
        func message(_ s: String) -> String? {
            do { _ = try JSONTextDecoder.decode(Array(s.utf8)); return nil } catch { return (error as? InterchangeDecodingError)?.description }
        }
        #expect(message(#"{"a": 1"#) == "JSON at byte 7: unexpected end of file inside an object")
        #expect(message(#"{"a" 1}"#) == #"JSON at byte 5: expected ':' after member "a", found '1'"#)
        #expect(message("[1,]") == "JSON at byte 3: unexpected ']', a value expected")
        #expect(message("[1x]") == "JSON at byte 2: expected ',' or ']' in an array, found 'x'")
        #expect(message("[1] 2") == "JSON at byte 4: unexpected '2' after the document")
        #expect(message(String(repeating: "[", count: 10_000))?.contains("nested deeper") == true)
    }
}
