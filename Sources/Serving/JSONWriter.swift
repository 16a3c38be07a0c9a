// Minimal JSON output straight into a ByteBuffer (responses are built without Foundation's encoder).
import Foundation
import NIOCore

struct JSONWriter {
    var buffer: ByteBuffer

    init(capacity: Int = 256) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Literal JSON text. (No `String` overload: a literal would pick it, and build a String.)
    @inline(__always)  // called per token while building responses
    mutating func raw(_ s: StaticString) { buffer.writeStaticString(s) }

    /// A finite number in shortest round-trip form; non-finite values become `null` (JSON has none).
    mutating func number(_ x: Double) {
        guard x.isFinite else { buffer.writeStaticString("null"); return }
        // Swift's shortest round-trip form ("3.0", "1e-05", the characters of `description`) is
        // valid JSON. `write(to:)` hands its digits over as bytes (`_writeASCII` below) instead
        // of building a String per number.
        x.write(to: &self)
    }

    /// Comma-separated numbers as `number` writes them, in one pass into reserved space: the
    /// digits go straight into the buffer, with no per-number capacity checks.
    mutating func numbers(_ xs: [Double]) {
        // The shortest round-trip form of a Double is at most 24 characters
        // ("-2.2250738585072014e-308"; 32 leaves a margin); a comma follows each.
        let most = xs.count * (Self.maxNumberLength + 1)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: most) { out in
            var sink = ASCIISink(out: out)
            for (i, x) in xs.enumerated() {
                if i > 0 { sink.byte(UInt8(ascii: ",")) }
                if x.isFinite { x.write(to: &sink) } else { sink.write("null") }
            }
            return sink.at
        }
    }

    static let maxNumberLength = 32

    mutating func int(_ x: Int) { buffer.writeString(String(x)) }

    /// A JSON string literal with the mandatory escapes.
    mutating func string(_ s: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { needsEscape = true; break }
        if !needsEscape {
            buffer.writeString(s)
        } else {
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0..<0x20:
                    buffer.writeStaticString("\\u00")
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    buffer.writeInteger(hex[Int(b >> 4)])
                    buffer.writeInteger(hex[Int(b & 0xF)])
                default: buffer.writeInteger(b)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Server request ids `"<prefix><lowercase hex counter>"` for counters `first ..< first + count`,
    /// comma-separated, written in one pass into reserved space (no strings built). The prefix
    /// needs no escaping: the server makes it of hex digits and a dash.
    mutating func requestIDs(prefix: String, first: UInt64, count: Int) {
        var prefix = prefix
        prefix.withUTF8 { p in
            let most = count * (p.count + 20)  // quotes, comma and ≤ 16 hex digits per id
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: most) { out in
                var at = 0
                for i in 0..<UInt64(count) {
                    if i > 0 { out[at] = UInt8(ascii: ","); at += 1 }
                    out[at] = UInt8(ascii: "\""); at += 1
                    UnsafeMutableRawBufferPointer(rebasing: out[at...]).copyMemory(from: UnsafeRawBufferPointer(p))
                    at += p.count
                    let c = first + i
                    let digits = max(1, (64 - c.leadingZeroBitCount + 3) / 4)
                    for k in 0..<digits {
                        let d = UInt8(truncatingIfNeeded: (c >> (4 * UInt64(digits - 1 - k))) & 0xF)
                        out[at + k] = d < 10 ? d + 48 : d + 87
                    }
                    at += digits
                    out[at] = UInt8(ascii: "\""); at += 1
                }
                return at
            }
        }
    }

    /// Writes a `JSONValue`.
    mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .number(let x): number(x)
        case .string(let s): string(s)
        case .array(let items):
            raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { raw(",") }
                value(item)
            }
            raw("]")
        case .object(let members):
            raw("{")
            for (i, m) in members.enumerated() {
                if i > 0 { raw(",") }
                string(m.key)
                raw(":")
                value(m.value)
            }
            raw("}")
        }
    }

    mutating func featureValue(_ v: FeatureValue?) {
        switch v {
        case .none: raw("null")
        case .number(let x)?: number(x)
        case .string(let s)?: string(s)
        }
    }

    mutating func loc(_ loc: [LocElement]) {
        raw("[")
        for (i, l) in loc.enumerated() {
            if i > 0 { raw(",") }
            switch l {
            case .key(let k): string(k)
            case .index(let n): int(n)
            }
        }
        raw("]")
    }
}

extension JSONWriter: TextOutputStream {
    mutating func write(_ string: String) { buffer.writeString(string) }

    /// The standard library's numbers write their characters through this hook when the stream
    /// provides it (its default builds a String first).
    mutating func _writeASCII(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.writeBytes(bytes) }
}

/// Writes ASCII into reserved bytes; the standard library's numbers hand over their characters
/// through `_writeASCII`.
struct ASCIISink: TextOutputStream {
    let out: UnsafeMutableRawBufferPointer
    var at = 0

    init(out: UnsafeMutableRawBufferPointer) { self.out = out }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        precondition(at < out.count, "JSON number list overran its reserved space")
        out[at] = b
        at += 1
    }

    mutating func _writeASCII(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(at + bytes.count <= out.count, "JSON number list overran its reserved space")
        UnsafeMutableRawBufferPointer(rebasing: out[at...]).copyMemory(from: UnsafeRawBufferPointer(bytes))
        at += bytes.count
    }

    mutating func write(_ string: String) {
        for b in string.utf8 { byte(b) }
    }

    /// Bytes prepared beforehand (a JSON literal or key).
    mutating func bytes(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { _writeASCII($0) }
    }

    /// Literal text.
    mutating func raw(_ s: StaticString) {
        _writeASCII(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
