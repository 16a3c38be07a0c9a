/// Decodes Universal Binary JSON (https://ubjson.org, draft 12) into `InterchangeValue`s.
///
/// Markers: `Z` null, `N` no-op, `T`/`F`, `i` int8, `U` uint8, `I` int16, `l` int32, `L` int64,
/// `d` float32, `D` float64, `H` high-precision number (its decimal text), `C` char, `S` string,
/// `[`…`]` array, `{`…`}` object (keys are a length then UTF-8 bytes, no `S`). Numbers are big
/// endian. A container may open with `$type#count` (typed: elements carry no marker, no closing
/// bracket) or `#count` (counted: no closing bracket). XGBoost writes its float32, int32 and uint8
/// arrays as typed arrays (`[$d#L<n>`…); those decode to `.floats` / `.integers` without a value
/// per element.
///
/// Every length and count is checked against the bytes that remain before it is used; errors
/// name the byte offset.
public struct UBJSONDecoder {
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Decodes one UBJSON value; nothing but no-ops may follow it.
    /// - Throws: `InterchangeDecodingError` naming the byte offset and what was expected.
    public static func decode(_ bytes: [UInt8]) throws -> InterchangeValue {
        var d = UBJSONDecoder(bytes)
        let v = try d.value()
        while d.pos < bytes.count, bytes[d.pos] == UInt8(ascii: "N") { d.pos += 1 }
        guard d.pos == bytes.count else { throw d.fail("\(bytes.count - d.pos) bytes after the document") }
        return v
    }

    private func fail(_ message: String, at offset: Int? = nil) -> InterchangeDecodingError {
        InterchangeDecodingError(format: .ubjson, offset: offset ?? pos, message: message)
    }

    private static func describe(_ marker: UInt8) -> String {
        marker >= 0x21 && marker < 0x7F ? "'\(Character(UnicodeScalar(marker)))'" : "byte 0x\(String(marker, radix: 16))"
    }

    private var remaining: Int { bytes.count - pos }

    private mutating func byte(_ what: String) throws -> UInt8 {
        guard pos < bytes.count else { throw fail("unexpected end of file, \(what) expected") }
        defer { pos += 1 }
        return bytes[pos]
    }

    /// The next `n` bytes as a big-endian unsigned integer.
    private mutating func bigEndian(_ n: Int, _ what: String) throws -> UInt64 {
        guard remaining >= n else { throw fail("unexpected end of file: \(what) needs \(n) bytes, \(remaining) left") }
        var v: UInt64 = 0
        for k in 0..<n { v = v << 8 | UInt64(bytes[pos + k]) }
        pos += n
        return v
    }

    /// Payload size of a fixed-size scalar type, nil for other markers.
    private static func fixedSize(_ marker: UInt8) -> Int? {
        switch marker {
        case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "C"): 1
        case UInt8(ascii: "I"): 2
        case UInt8(ascii: "l"), UInt8(ascii: "d"): 4
        case UInt8(ascii: "L"), UInt8(ascii: "D"): 8
        case UInt8(ascii: "Z"), UInt8(ascii: "T"), UInt8(ascii: "F"): 0
        default: nil
        }
    }

    /// An integer payload of type `marker`.
    private mutating func integer(_ marker: UInt8, _ what: String) throws -> Int64 {
        switch marker {
        case UInt8(ascii: "i"): return Int64(Int8(bitPattern: UInt8(try bigEndian(1, what))))
        case UInt8(ascii: "U"), UInt8(ascii: "C"): return Int64(try bigEndian(1, what))
        case UInt8(ascii: "I"): return Int64(Int16(bitPattern: UInt16(try bigEndian(2, what))))
        case UInt8(ascii: "l"): return Int64(Int32(bitPattern: UInt32(try bigEndian(4, what))))
        case UInt8(ascii: "L"): return Int64(bitPattern: try bigEndian(8, what))
        default: throw fail("\(what): an integer marker (i, U, I, l, L) expected, found \(Self.describe(marker))", at: pos - 1)
        }
    }

    /// A length or count: an integer with its marker, at least 0 and at most the bytes left
    /// after it.
    private mutating func length(_ what: String) throws -> Int {
        let at = pos
        let n = try integer(try byte(what), what)
        guard n >= 0 else { throw fail("\(what) is negative (\(n))", at: at) }
        guard n <= Int64(remaining) else { throw fail("\(what) \(n) exceeds the \(remaining) bytes left", at: at) }
        return Int(n)
    }

    private mutating func utf8(_ what: String) throws -> String {
        let n = try length("\(what) length")
        defer { pos += n }
        return String(decoding: bytes[pos..<(pos + n)], as: UTF8.self)
    }

    private mutating func value() throws -> InterchangeValue {
        var marker = try byte("a value marker")
        while marker == UInt8(ascii: "N") { marker = try byte("a value marker") }
        return try payload(marker)
    }

    /// The value of type `marker` whose marker has been read (or is implied by a typed container).
    private mutating func payload(_ marker: UInt8) throws -> InterchangeValue {
        switch marker {
        case UInt8(ascii: "Z"): return .null
        case UInt8(ascii: "T"): return .bool(true)
        case UInt8(ascii: "F"): return .bool(false)
        case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "C"):
            return .integer(try integer(marker, "an integer"))
        case UInt8(ascii: "d"):
            let f = Float(bitPattern: UInt32(try bigEndian(4, "a float32")))
            return .number(Double(f), float: f)
        case UInt8(ascii: "D"):
            let d = Double(bitPattern: try bigEndian(8, "a float64"))
            return .number(d, float: Float(d))
        case UInt8(ascii: "H"):
            let at = pos
            let text = try utf8("high-precision number")
            guard let d = Double(text), let f = Float(text) else { throw fail("high-precision number '\(text)' does not parse", at: at) }
            return .number(d, float: f)
        case UInt8(ascii: "S"): return .string(try utf8("string"))
        case UInt8(ascii: "["): return try container(isObject: false)
        case UInt8(ascii: "{"): return try container(isObject: true)
        default: throw fail("unknown value marker \(Self.describe(marker))", at: pos - 1)
        }
    }

    private mutating func container(isObject: Bool) throws -> InterchangeValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= interchangeMaximumDepth else { throw fail("containers nested deeper than \(interchangeMaximumDepth) levels") }
        let noun = isObject ? "object" : "array"
        var type: UInt8? = nil
        var count: Int? = nil
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "$") {
            pos += 1
            let t = try byte("the \(noun)'s element type")
            guard t != UInt8(ascii: "N") && t != UInt8(ascii: "]") && t != UInt8(ascii: "}") && t != UInt8(ascii: "#") else {
                throw fail("\(Self.describe(t)) is no element type", at: pos - 1)
            }
            type = t
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "#") else { throw fail("'#' count expected after the typed \(noun)'s type") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "#") {
            pos += 1
            // Every element takes at least one byte, except zero-size types (null, true, false),
            // whose count the same bound keeps finite.
            count = try length("\(noun) count")
        }
        if !isObject, let type, let n = count, let size = Self.fixedSize(type), size > 0 {
            return try typedArray(type, count: n, size: size)
        }
        if isObject {
            var members: [String: InterchangeValue] = [:]
            var k = 0
            while true {
                if let n = count {
                    if k == n { break }
                } else {
                    while pos < bytes.count, bytes[pos] == UInt8(ascii: "N") { pos += 1 }
                    guard pos < bytes.count else { throw fail("unexpected end of file inside an object, '}' expected") }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
                }
                let key = try utf8("member name")
                members[key] = try type.map { try payload($0) } ?? value()
                k += 1
            }
            return .object(members)
        }
        var items: [InterchangeValue] = []
        var k = 0
        while true {
            if let n = count {
                if k == n { break }
            } else {
                while pos < bytes.count, bytes[pos] == UInt8(ascii: "N") { pos += 1 }
                guard pos < bytes.count else { throw fail("unexpected end of file inside an array, ']' expected") }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
            }
            items.append(try type.map { try payload($0) } ?? value())
            k += 1
        }
        return .array(items)
    }

    /// `count` fixed-size elements of type `type`, checked to fit the bytes left.
    private mutating func typedArray(_ type: UInt8, count n: Int, size: Int) throws -> InterchangeValue {
        guard n <= remaining / size else {
            throw fail("typed array of \(n) \(Self.describe(type)) elements needs \(n * size) bytes, \(remaining) left")
        }
        let base = pos
        pos += n * size
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            let s = base + i * size
            for k in 0..<size { v = v << 8 | UInt64(bytes[s + k]) }
            return v
        }
        switch type {
        case UInt8(ascii: "d"): return .floats((0..<n).map { Float(bitPattern: UInt32(word($0))) })
        case UInt8(ascii: "D"): return .doubles((0..<n).map { Double(bitPattern: word($0)) })
        case UInt8(ascii: "i"): return .integers((0..<n).map { Int64(Int8(bitPattern: UInt8(word($0)))) })
        case UInt8(ascii: "U"), UInt8(ascii: "C"): return .integers((0..<n).map { Int64(word($0)) })
        case UInt8(ascii: "I"): return .integers((0..<n).map { Int64(Int16(bitPattern: UInt16(word($0)))) })
        case UInt8(ascii: "l"): return .integers((0..<n).map { Int64(Int32(bitPattern: UInt32(word($0)))) })
        default: return .integers((0..<n).map { Int64(bitPattern: word($0)) })
        }
    }
}
