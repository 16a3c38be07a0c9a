/// The body of a JSON string literal (between its quotes) with escapes resolved: `\" \\ \/ \b
/// \f \n \r \t` and `\uXXXX`, surrogate pairs joined. Shared by the request reader of the server
/// and the reference-profile reader; each maps the error to its own.
public enum JSONEscapes {
    public struct Failure: Error, Sendable {
        /// What is wrong, e.g. "unpaired surrogate in \u escape".
        public var reason: String
        /// Offset in the body of the backslash that starts the bad escape.
        public var offset: Int
    }

    /// The UTF-8 bytes `body` stands for (not validated as UTF-8: the caller decides).
    public static func unescape(_ body: UnsafeBufferPointer<UInt8>) throws(Failure) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(body.count)
        var i = 0
        while i < body.count {
            let c = body[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let at = i
            guard i + 1 < body.count else { throw Failure(reason: "unfinished escape", offset: at) }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(body, &i, escapeAt: at)
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // High surrogate: must be followed by an escaped low surrogate.
                    guard i + 1 < body.count, body[i] == UInt8(ascii: "\\"), body[i + 1] == UInt8(ascii: "u") else {
                        throw Failure(reason: "unpaired surrogate in \\u escape", offset: at)
                    }
                    i += 2
                    let low = try hex4(body, &i, escapeAt: at)
                    guard low >= 0xDC00 && low < 0xE000 else { throw Failure(reason: "unpaired surrogate in \\u escape", offset: at) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw Failure(reason: "unpaired surrogate in \\u escape", offset: at)
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure(reason: "invalid \\u escape", offset: at) }
                out.append(contentsOf: String(Character(u)).utf8)
            default:
                throw Failure(reason: "invalid escape \\\(Character(Unicode.Scalar(e)))", offset: at)
            }
        }
        return out
    }

    /// Value of one hex digit, nil for anything else.
    public static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func hex4(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, escapeAt: Int) throws(Failure) -> UInt32 {
        guard i + 4 <= b.count else { throw Failure(reason: "\\u escape needs four hex digits", offset: escapeAt) }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = hexValue(b[i + k]) else { throw Failure(reason: "\\u escape needs four hex digits", offset: escapeAt) }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }
}
