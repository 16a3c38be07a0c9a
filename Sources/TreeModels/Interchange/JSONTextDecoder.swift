/// Decodes JSON text (RFC 8259) into `InterchangeValue`s, plus the `NaN`, `Infinity` and
/// `-Infinity` tokens XGBoost's own reader accepts.
///
/// Numbers keep float32 precision exactly: a number token is parsed both to the nearest Double
/// and to the nearest Float. Integers without fraction or exponent that fit Int64 are `.integer`.
public struct JSONTextDecoder {
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Decodes one JSON document (surrounding whitespace allowed, nothing after it).
    /// - Throws: `InterchangeDecodingError` naming the byte offset and what was expected.
    public static func decode(_ bytes: [UInt8]) throws -> InterchangeValue {
        var d = JSONTextDecoder(bytes)
        d.skipSpace()
        let v = try d.value()
        d.skipSpace()
        guard d.pos == bytes.count else { throw d.fail("unexpected \(d.describeByte()) after the document") }
        return v
    }

    private func fail(_ message: String) -> InterchangeDecodingError {
        InterchangeDecodingError(format: .json, offset: pos, message: message)
    }

    private func describeByte() -> String {
        guard pos < bytes.count else { return "end of file" }
        let b = bytes[pos]
        return b >= 0x21 && b < 0x7F ? "'\(Character(UnicodeScalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipSpace() {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 { pos += 1 }
    }

    private mutating func expectLiteral(_ word: String) throws {
        for b in word.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw fail("expected '\(word)'") }
            pos += 1
        }
    }

    private mutating func value() throws -> InterchangeValue {
        guard pos < bytes.count else { throw fail("unexpected end of file, a value expected") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "N"): try expectLiteral("NaN"); return .number(.nan, float: .nan)
        case UInt8(ascii: "I"): try expectLiteral("Infinity"); return .number(.infinity, float: .infinity)
        case UInt8(ascii: "-") where pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "I"):
            pos += 1; try expectLiteral("Infinity"); return .number(-.infinity, float: -.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected \(describeByte()), a value expected")
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= interchangeMaximumDepth else { throw fail("containers nested deeper than \(interchangeMaximumDepth) levels") }
    }

    private mutating func object() throws -> InterchangeValue {
        try enter()
        pos += 1
        var members: [String: InterchangeValue] = [:]
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; depth -= 1; return .object(members) }
        while true {
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes, found \(describeByte())") }
            let key = try string()
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after member \"\(key)\", found \(describeByte())") }
            pos += 1
            skipSpace()
            members[key] = try value()
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of file inside an object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            guard bytes[pos] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object, found \(describeByte())") }
            pos += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws -> InterchangeValue {
        try enter()
        pos += 1
        var items: [InterchangeValue] = []
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; depth -= 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of file inside an array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            guard bytes[pos] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array, found \(describeByte())") }
            pos += 1
            depth -= 1
            return .array(items)
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("unexpected end of file in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in a \\u escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw fail("unexpected end of file inside a string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw fail("control byte 0x\(String(b, radix: 16)) inside a string") }
            if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { throw fail("unexpected end of file in an escape") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, pos + 1 < bytes.count,
                   bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    pos += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 { scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) }
                }
                out.append(contentsOf: Array(String(Character(UnicodeScalar(scalar) ?? "\u{FFFD}")).utf8))
            default: throw fail("unknown escape '\\\(Character(UnicodeScalar(e)))'")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func number() throws -> InterchangeValue {
        let start = pos
        var integral = true
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            return pos - s
        }
        guard digits() > 0 else { throw fail("expected a digit in a number") }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1; integral = false
            guard digits() > 0 else { throw fail("expected a digit after '.' in a number") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1; integral = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw fail("expected a digit in a number's exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if integral, let i = Int64(text) { return .integer(i) }
        guard let d = Double(text), let f = Float(text) else {
            throw InterchangeDecodingError(format: .json, offset: start, message: "number '\(text)' does not parse")
        }
        return .number(d, float: f)
    }
}
