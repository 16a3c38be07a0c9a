import Foundation
import Tabular

extension ReferenceProfile {
    /// Decodes a profile stored as JSON (as `JSONEncoder` writes it, non-finite numbers as the
    /// strings "nan", "inf", "-inf").
    ///
    /// A profile holds tens of thousands of sample values; Foundation's `JSONDecoder` needs
    /// ~100 ms for a 1 MB profile, which dominated `plumb monitor`. This reads the same JSON with
    /// a small tree parser that keeps number arrays as `[Double]` (numbers through Tabular's
    /// correctly rounded `NumberParser`), and falls back to `JSONDecoder` (and its error
    /// messages) on anything it does not recognise.
    /// - Throws: the `JSONDecoder` error when the data is not a valid profile.
    public static func decodeJSON(_ data: Data) throws -> ReferenceProfile {
        let fast: ReferenceProfile? = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            var parser = ProfileJSONParser(base: base, count: raw.count)
            guard let root = try? parser.document() else { return nil }
            return try? ProfileJSONMapping.profile(root)
        }
        if let fast { return fast }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try dec.decode(ReferenceProfile.self, from: data)
    }
}

/// A parsed JSON value; arrays made only of numbers are kept as `[Double]`.
indirect enum ProfileJSONValue {
    case null
    case bool(Bool)
    case number(Double, text: String)
    case string(String)
    case numbers([Double])
    case array([ProfileJSONValue])
    case object([String: ProfileJSONValue])
}

/// Thrown when the fast reader meets something it does not handle; the caller falls back.
struct ProfileJSONUnsupported: Error {}

/// Strict recursive-descent JSON parser over bytes lent by the caller.
struct ProfileJSONParser {
    static let maxDepth = 32
    let base: UnsafePointer<UInt8>
    let count: Int
    var pos = 0

    mutating func document() throws -> ProfileJSONValue {
        let v = try value(depth: 0)
        skipSpace()
        guard pos == count else { throw ProfileJSONUnsupported() }
        return v
    }

    mutating func skipSpace() {
        while pos < count {
            let c = base[pos]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos += 1
        }
    }

    mutating func value(depth: Int) throws -> ProfileJSONValue {
        guard depth < Self.maxDepth else { throw ProfileJSONUnsupported() }
        skipSpace()
        guard pos < count else { throw ProfileJSONUnsupported() }
        switch base[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var out: [String: ProfileJSONValue] = [:]
            skipSpace()
            if pos < count, base[pos] == UInt8(ascii: "}") { pos += 1; return .object(out) }
            while true {
                skipSpace()
                guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw ProfileJSONUnsupported() }
                let key = try string()
                skipSpace()
                guard pos < count, base[pos] == UInt8(ascii: ":") else { throw ProfileJSONUnsupported() }
                pos += 1
                out[key] = try value(depth: depth + 1)
                skipSpace()
                guard pos < count else { throw ProfileJSONUnsupported() }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                guard base[pos] == UInt8(ascii: "}") else { throw ProfileJSONUnsupported() }
                pos += 1
                return .object(out)
            }
        case UInt8(ascii: "["):
            pos += 1
            skipSpace()
            if pos < count, base[pos] == UInt8(ascii: "]") { pos += 1; return .numbers([]) }
            // Numbers only (the common case) go straight into [Double].
            var numbers: [Double] = []
            var mixed: [ProfileJSONValue]?
            while true {
                skipSpace()
                guard pos < count else { throw ProfileJSONUnsupported() }
                let c = base[pos]
                if mixed == nil, c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                    numbers.append(try number().value)
                } else {
                    if mixed == nil { mixed = numbers.map { .number($0, text: "") } }
                    mixed?.append(try value(depth: depth + 1))
                }
                skipSpace()
                guard pos < count else { throw ProfileJSONUnsupported() }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                guard base[pos] == UInt8(ascii: "]") else { throw ProfileJSONUnsupported() }
                pos += 1
                if let mixed { return .array(mixed) }
                return .numbers(numbers)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            let (v, range) = try number()
            return .number(v, text: String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self))
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= count, memcmp(base + pos, word.utf8Start, n) == 0 else { throw ProfileJSONUnsupported() }
        pos += n
    }

    /// A JSON number token, parsed correctly rounded.
    mutating func number() throws -> (value: Double, range: Range<Int>) {
        let start = pos
        while pos < count {
            let c = base[pos]
            let isNumberByte = (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            guard isNumberByte else { break }
            pos += 1
        }
        guard pos > start, let v = NumberParser.parse(base + start, pos - start), v.isFinite else { throw ProfileJSONUnsupported() }
        return (v, start..<pos)
    }

    /// A JSON string (opening quote at `pos`), escapes decoded.
    mutating func string() throws -> String {
        pos += 1
        let start = pos
        var plain = true
        while pos < count {
            let c = base[pos]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw ProfileJSONUnsupported() }
            if c == UInt8(ascii: "\\") { plain = false; pos += 2 } else { pos += 1 }
        }
        guard pos < count else { throw ProfileJSONUnsupported() }
        let end = pos
        pos += 1
        let bytes = UnsafeBufferPointer(start: base + start, count: end - start)
        if plain {
            guard let s = String(validating: bytes, as: UTF8.self) else { throw ProfileJSONUnsupported() }
            return s
        }
        let out: [UInt8]
        do { out = try JSONEscapes.unescape(bytes) } catch { throw ProfileJSONUnsupported() }
        guard let s = String(validating: out, as: UTF8.self) else { throw ProfileJSONUnsupported() }
        return s
    }

}

/// JSON tree → profile types, with `JSONDecoder`'s rules for the synthesized `Codable`
/// conformances (unknown keys ignored, optional keys may be absent or null).
enum ProfileJSONMapping {
    typealias Object = [String: ProfileJSONValue]

    static func profile(_ v: ProfileJSONValue) throws -> ReferenceProfile {
        let o = try object(v)
        let features: [FeatureProfile]
        switch o["features"] {
        case .array(let fs)?: features = try fs.map(feature)
        case .numbers(let xs)? where xs.isEmpty: features = []
        default: throw ProfileJSONUnsupported()
        }
        return ReferenceProfile(formatVersion: try int(o["formatVersion"]), rowCount: try int(o["rowCount"]), features: features,
                                targetName: try optional(o["targetName"], string), target: try optional(o["target"], numeric),
                                prediction: try optional(o["prediction"], numeric), psiBins: try int(o["psiBins"]),
                                seed: try uint64(o["seed"]), classifier: try optional(o["classifier"], classifier))
    }

    static func classifier(_ v: ProfileJSONValue) throws -> ClassifierProfile {
        let o = try object(v)
        guard case .array(let xs)? = o["classes"] else { throw ProfileJSONUnsupported() }
        return ClassifierProfile(classes: try xs.map { try string($0) }, predictedCounts: try ints(o["predictedCounts"]),
                                 trueCounts: try ints(o["trueCounts"]), score: try numeric(o["score"] ?? .null),
                                 classScores: try optional(o["classScores"]) { v in
                                     guard case .array(let xs) = v else { throw ProfileJSONUnsupported() }
                                     return try xs.map(numeric)
                                 })
    }

    static func feature(_ v: ProfileJSONValue) throws -> FeatureProfile {
        let o = try object(v)
        guard let kind = ColumnKind(rawValue: try string(o["kind"])) else { throw ProfileJSONUnsupported() }
        return FeatureProfile(name: try string(o["name"]), kind: kind, numeric: try optional(o["numeric"], numeric),
                              categorical: try optional(o["categorical"], categorical))
    }

    static func numeric(_ v: ProfileJSONValue) throws -> NumericProfile {
        let o = try object(v)
        let h = try object(o["histogram"])
        let edges = try doubles(h["edges"]), counts = try ints(h["counts"])
        guard edges.count == counts.count + 1 else { throw ProfileJSONUnsupported() }
        return NumericProfile(count: try int(o["count"]), missing: try int(o["missing"]), mean: try double(o["mean"]),
                              std: try double(o["std"]), min: try double(o["min"]), max: try double(o["max"]),
                              sample: try doubles(o["sample"]), sampleIsExact: try bool(o["sampleIsExact"]),
                              psiEdges: try doubles(o["psiEdges"]), psiProportions: try doubles(o["psiProportions"]),
                              histogram: Histogram(edges: edges, counts: counts))
    }

    static func categorical(_ v: ProfileJSONValue) throws -> CategoricalProfile {
        let o = try object(v)
        let levels: [String]
        switch o["levels"] {
        case .numbers(let xs)? where xs.isEmpty: levels = []
        case .array(let xs)?: levels = try xs.map { try string($0) }
        default: throw ProfileJSONUnsupported()
        }
        return CategoricalProfile(count: try int(o["count"]), missing: try int(o["missing"]), levels: levels,
                                  frequencies: try ints(o["frequencies"]))
    }

    static func optional<T>(_ v: ProfileJSONValue?, _ f: (ProfileJSONValue) throws -> T) throws -> T? {
        guard let v else { return nil }
        if case .null = v { return nil }
        return try f(v)
    }

    static func object(_ v: ProfileJSONValue?) throws -> Object {
        guard case .object(let o)? = v else { throw ProfileJSONUnsupported() }
        return o
    }

    static func string(_ v: ProfileJSONValue?) throws -> String {
        guard case .string(let s)? = v else { throw ProfileJSONUnsupported() }
        return s
    }

    static func bool(_ v: ProfileJSONValue?) throws -> Bool {
        guard case .bool(let b)? = v else { throw ProfileJSONUnsupported() }
        return b
    }

    /// A Double: a number, or one of the strings "nan", "inf", "-inf".
    static func double(_ v: ProfileJSONValue?) throws -> Double {
        switch v {
        case .number(let x, _)?: return x
        case .string("nan")?: return .nan
        case .string("inf")?: return .infinity
        case .string("-inf")?: return -.infinity
        default: throw ProfileJSONUnsupported()
        }
    }

    static func doubles(_ v: ProfileJSONValue?) throws -> [Double] {
        switch v {
        case .numbers(let xs)?: return xs
        case .array(let xs)?: return try xs.map { try double($0) }
        default: throw ProfileJSONUnsupported()
        }
    }

    static func int(_ v: ProfileJSONValue?) throws -> Int {
        guard case .number(_, let text)? = v, let i = Int(text) else { throw ProfileJSONUnsupported() }
        return i
    }

    static func uint64(_ v: ProfileJSONValue?) throws -> UInt64 {
        guard case .number(_, let text)? = v, let i = UInt64(text) else { throw ProfileJSONUnsupported() }
        return i
    }

    /// Integers kept in a number array (exact below 2^53, which counts are).
    static func ints(_ v: ProfileJSONValue?) throws -> [Int] {
        guard case .numbers(let xs)? = v else { throw ProfileJSONUnsupported() }
        return try xs.map { x in
            guard x.rounded() == x, abs(x) < 9.0e15 else { throw ProfileJSONUnsupported() }
            return Int(x)
        }
    }
}
