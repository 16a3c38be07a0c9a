// A small strict JSON (RFC 8259) reader over request bytes: a pull tokenizer used directly by the
// /predict decoder (no intermediate tree) and by `JSONValue.parse` for the other routes.
// Foundation's JSONSerialization on Linux is several times slower and reports no byte positions.

import Tabular

/// A JSON syntax error at a byte offset (0-based) with its 1-based line and column.
public struct JSONParseError: Error, Equatable, CustomStringConvertible, Sendable {
    public var offset: Int
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "\(message) at line \(line) column \(column) (byte \(offset))" }
}

/// Pull reader over `count` bytes at `base`; valid only inside the closure that lent the pointer.
struct JSONReader {
    /// Maximum nesting of arrays/objects; deeper input is rejected (bounded recursion).
    static let maxDepth = 64

    let base: UnsafePointer<UInt8>
    let count: Int
    var pos: Int = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// Runs `body` with a reader over `bytes`.
    static func with<R>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws -> R) rethrows -> R {
        if let b = bytes.baseAddress, bytes.count > 0 {
            var r = JSONReader(base: b.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            return try body(&r)
        }
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { p in
            var r = JSONReader(base: p, count: 0)
            return try body(&r)
        }
    }

    // MARK: errors

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let off = min(offset ?? pos, count)
        var line = 1, col = 1
        var i = 0
        while i < off {
            if base[i] == UInt8(ascii: "\n") { line += 1; col = 1 } else { col += 1 }
            i += 1
        }
        return JSONParseError(offset: off, line: line, column: col, message: message)
    }

    func describeCurrent() -> String {
        guard pos < count else { return "end of input" }
        let c = base[pos]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    // MARK: tokens

    @inline(__always)  // called between every token; must not cost a call
    mutating func skipWhitespace() {
        while pos < count {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// Consumes the string `"<name>"` (name given as `n` raw bytes with no escapes) when it is
    /// next, byte for byte; otherwise consumes nothing and returns false (the caller then reads the
    /// key the general way, which also handles escaped spellings of the same name).
    @inline(__always)
    mutating func consumeKey(_ name: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        skipWhitespace()
        guard pos + n + 2 <= count, base[pos] == UInt8(ascii: "\""), base[pos + n + 1] == UInt8(ascii: "\""),
              Self.bytesEqual(base + pos + 1, name, n) else { return false }
        pos += n + 2
        return true
    }

    /// `a[0..<n] == b[0..<n]`, eight bytes at a time: feature names are short, and a call to
    /// `memcmp` costs more than the comparison.
    @inline(__always)
    static func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i + 8 <= n {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < n {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// Next non-whitespace byte without consuming it (nil at end).
    @inline(__always)  // hot: one per token
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < count ? base[pos] : nil
    }

    @inline(__always)  // hot: after every key; the error is built out of line
    mutating func expect(_ c: UInt8, _ what: @autoclosure () -> String) throws {
        skipWhitespace()
        guard pos < count, base[pos] == c else { throw expectedError(what()) }
        pos += 1
    }

    @inline(never)
    func expectedError(_ what: String) -> JSONParseError {
        error("expected \(what), found \(describeCurrent())")
    }

    /// After the top-level value only whitespace may remain.
    mutating func expectEnd() throws {
        skipWhitespace()
        if pos < count { throw error("unexpected \(describeCurrent()) after the JSON value") }
    }

    /// Consumes `,` (returns true) or the closing byte `close` (returns false).
    @inline(__always)  // hot: after every value; the error is built out of line
    mutating func commaOrClose(_ close: UInt8) throws -> Bool {
        skipWhitespace()
        if pos < count {
            let c = base[pos]
            if c == UInt8(ascii: ",") { pos += 1; return true }
            if c == close { pos += 1; return false }
        }
        throw separatorError(close)
    }

    @inline(never)
    func separatorError(_ close: UInt8) -> JSONParseError {
        let expected = "',' or '\(Character(Unicode.Scalar(close)))'"
        guard pos < count else { return error("unexpected end of input, expected \(expected)") }
        return error("expected \(expected), found \(describeCurrent())")
    }

    /// The raw extent of a string token (without quotes); `escaped` when it contains backslashes.
    struct RawString {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    /// Reads a string token, validating escapes, control characters and UTF-8; returns its extent.
    mutating func readRawString() throws -> RawString {
        skipWhitespace()
        guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw error("expected string, found \(describeCurrent())") }
        pos += 1
        let start = pos
        var escaped = false
        var nonASCII = false
        while true {
            guard pos < count else { throw error("unterminated string", at: start - 1) }
            let c = base[pos]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw error("unescaped control character in string") }
            if c >= 0x80 { nonASCII = true }
            if c == UInt8(ascii: "\\") {
                escaped = true
                pos += 1
                guard pos < count else { throw error("unterminated string", at: start - 1) }
                switch base[pos] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    for k in 1...4 {
                        guard pos + k < count, JSONEscapes.hexValue(base[pos + k]) != nil else {
                            throw error("invalid \\u escape", at: pos - 1)
                        }
                    }
                    pos += 4
                default:
                    throw error("invalid escape '\\\(describeCurrent())'", at: pos - 1)
                }
            }
            pos += 1
        }
        let end = pos
        pos += 1
        if nonASCII, !Self.isValidUTF8(base + start, end - start) {
            throw error("invalid UTF-8 in string", at: start)
        }
        return RawString(start: start, end: end, escaped: escaped)
    }

    /// Decodes a raw string token to a Swift String (escapes resolved, surrogate pairs joined).
    func decode(_ s: RawString) throws -> String {
        if !s.escaped {
            return String(decoding: UnsafeBufferPointer(start: base + s.start, count: s.end - s.start), as: UTF8.self)
        }
        let out: [UInt8]
        do {
            out = try JSONEscapes.unescape(UnsafeBufferPointer(start: base + s.start, count: s.end - s.start))
        } catch {
            throw self.error(error.reason, at: s.start + error.offset)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict UTF-8 validation (no overlongs, no surrogates, ≤ U+10FFFF).
    static func isValidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            let c = p[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var minValue: UInt32 = 0
            var v: UInt32 = 0
            if c & 0xE0 == 0xC0 { need = 1; v = UInt32(c & 0x1F); minValue = 0x80 }
            else if c & 0xF0 == 0xE0 { need = 2; v = UInt32(c & 0x0F); minValue = 0x800 }
            else if c & 0xF8 == 0xF0 { need = 3; v = UInt32(c & 0x07); minValue = 0x10000 }
            else { return false }
            guard i + need < n else { return false }
            for k in 1...need {
                let cc = p[i + k]
                guard cc & 0xC0 == 0x80 else { return false }
                v = v << 6 | UInt32(cc & 0x3F)
            }
            if v < minValue || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000) { return false }
            i += need + 1
        }
        return true
    }

    /// Compares a raw (unescaped) string token with `n` bytes at `p`.
    @inline(__always)  // hot: key matching in the predict decoder
    func rawEquals(_ s: RawString, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        if s.end - s.start != n { return false }
        var i = 0
        while i < n {
            if base[s.start + i] != p[i] { return false }
            i += 1
        }
        return true
    }

    /// Reads a JSON number (strict grammar). Returns ±infinity when the literal overflows a Double;
    /// callers decide whether that is an error.
    mutating func readNumber() throws -> Double {
        skipWhitespace()
        let start = pos
        var negative = false
        if pos < count, base[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard pos < count, base[pos] >= UInt8(ascii: "0"), base[pos] <= UInt8(ascii: "9") else {
            throw error("invalid number", at: start)
        }
        // Optimistic scan: every digit goes into `mantissa` (it can wrap only past 19 digits,
        // which `digits` counts, leading zeros included; such numbers take the general parser).
        var mantissa: UInt64 = 0
        var exp10 = 0
        let intStart = pos
        if base[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < count, base[pos] &- UInt8(ascii: "0") < 10 {
                throw error("leading zeros are not allowed in numbers", at: start)
            }
        } else {
            while pos < count {
                let d = base[pos] &- UInt8(ascii: "0")
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                pos += 1
            }
        }
        var digits = pos - intStart
        if pos < count, base[pos] == UInt8(ascii: ".") {
            pos += 1
            let fracStart = pos
            while pos < count {
                let d = base[pos] &- UInt8(ascii: "0")
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                pos += 1
            }
            if pos == fracStart { throw error("expected digits after the decimal point", at: pos) }
            digits += pos - fracStart
            exp10 = fracStart - pos
        }
        let truncated = digits > 19
        if pos < count, base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E") {
            pos += 1
            var expNegative = false
            if pos < count, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") {
                expNegative = base[pos] == UInt8(ascii: "-"); pos += 1
            }
            let expStart = pos
            var e = 0
            while pos < count, base[pos] >= UInt8(ascii: "0"), base[pos] <= UInt8(ascii: "9") {
                if e < 100_000 { e = e * 10 + Int(base[pos] - UInt8(ascii: "0")) }
                pos += 1
            }
            if pos == expStart { throw error("expected digits in the exponent", at: pos) }
            exp10 += expNegative ? -e : e
        }
        if !truncated {
            if mantissa == 0 { return negative ? -0.0 : 0.0 }
            if let v = NumberParser.nearest(mantissa, exp10: exp10) { return negative ? -v : v }
        }
        // Over 19 digits or a large exponent: the CSV reader's correctly rounded parser (strtod).
        guard let v = NumberParser.parse(base + start, pos - start) else { throw error("invalid number", at: start) }
        return v
    }

    /// A plain number — `-`? digits (`.` digits)?, at most 19 digits, no exponent, no leading
    /// zero — read in one loop with a single exit (the point is folded into it), which the
    /// branch predictor misses about once per number instead of twice; the value is the one
    /// `readNumber` gives. Anything else returns nil and consumes nothing (then `readNumber`
    /// reads it, or reports what is wrong).
    @inline(__always)
    mutating func readPlainNumber() -> Double? {
        var p = pos
        let negative = p < count && base[p] == UInt8(ascii: "-")
        if negative { p += 1 }
        let start = p
        var mantissa: UInt64 = 0
        var point = -1
        while p < count {
            let c = base[p]
            let d = c &- UInt8(ascii: "0")
            let isDigit = d < 10
            let isPoint = c == UInt8(ascii: ".") && point < 0
            if !(isDigit || isPoint) { break }
            mantissa = isDigit ? mantissa &* 10 &+ UInt64(d) : mantissa
            point = isPoint ? p : point
            p += 1
        }
        let hasPoint = point >= 0
        let digits = p - start - (hasPoint ? 1 : 0)
        guard digits >= 1, digits <= 19, !hasPoint || (point > start && point < p - 1) else { return nil }
        if base[start] == UInt8(ascii: "0"), start + 1 < p, base[start + 1] != UInt8(ascii: ".") { return nil }
        if p < count, base[p] | 0x20 == UInt8(ascii: "e") { return nil }
        if mantissa == 0 {
            pos = p
            return negative ? -0.0 : 0.0
        }
        guard let v = NumberParser.nearest(mantissa, exp10: hasPoint ? point + 1 - p : 0) else { return nil }
        pos = p
        return negative ? -v : v
    }

    /// Consumes the literal `word` (true, false, null).
    mutating func readLiteral(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let start = pos
        let w = word.utf8Start
        guard pos + n <= count else { throw error("invalid literal", at: start) }
        for i in 0..<n where base[pos + i] != w[i] { throw error("invalid literal", at: start) }
        pos += n
    }

    /// Skips one complete value of any type (validating it).
    mutating func skipValue(depth: Int) throws {
        _ = try parseValue(depth: depth, materialize: false)
    }

    /// Parses one value; with `materialize == false` it validates and returns `.null`.
    mutating func parseValue(depth: Int, materialize: Bool = true) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        guard let c = peek() else { throw error("unexpected end of input, expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var members = [JSONValue.Member]()
            if peek() == UInt8(ascii: "}") { pos += 1; return materialize ? .object(members) : .null }
            repeat {
                let raw = try readRawString()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                let v = try parseValue(depth: depth + 1, materialize: materialize)
                if materialize { members.append(.init(key: try decode(raw), value: v)) }
            } while try commaOrClose(UInt8(ascii: "}"))
            return materialize ? .object(members) : .null
        case UInt8(ascii: "["):
            pos += 1
            var items = [JSONValue]()
            if peek() == UInt8(ascii: "]") { pos += 1; return materialize ? .array(items) : .null }
            repeat {
                let v = try parseValue(depth: depth + 1, materialize: materialize)
                if materialize { items.append(v) }
            } while try commaOrClose(UInt8(ascii: "]"))
            return materialize ? .array(items) : .null
        case UInt8(ascii: "\""):
            let raw = try readRawString()
            return materialize ? .string(try decode(raw)) : .null
        case UInt8(ascii: "t"): try readLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try readLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try readLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = pos
            let v = try readNumber()
            guard v.isFinite else { throw error("number out of range for a 64-bit float", at: start) }
            return .number(v)
        default:
            throw error("unexpected \(describeCurrent()), expected a value")
        }
    }
}

/// A parsed JSON document (objects keep member order; duplicate keys are kept, lookups take the last).
public indirect enum JSONValue: Equatable, Sendable {
    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue
    }

    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// Parses a complete document (strict RFC 8259; numbers must fit a finite Double; depth ≤ 64).
    /// - Throws: `JSONParseError` with the byte offset, line and column of the first problem.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        try JSONReader.with(bytes) { r in
            let v = try r.parseValue(depth: 0)
            try r.expectEnd()
            return v
        }
    }

    /// Parses a complete document held in a byte array.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    /// Parses a complete document held in a string.
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// The value of the last member named `key` of an object (nil otherwise).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var doubleValue: Double? { if case .number(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let v) = self { return v } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let v) = self { return v } else { return nil } }
    public var objectValue: [Member]? { if case .object(let v) = self { return v } else { return nil } }

    /// The JSON type name used in error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
