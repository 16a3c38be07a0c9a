#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte-level CSV record splitter shared by the header pass, the numeric pass and the
/// categorical pass of `CSVReader`.
///
/// Semantics (RFC 4180 plus the usual leniencies, mirrored by the naive twin in the tests):
/// - a record ends at LF, CRLF or a lone CR outside quotes; empty lines are skipped;
/// - a field that starts with `"` is quoted: it runs to the next `"` not followed by another
///   `"` (`""` is a literal quote) and may contain delimiters and newlines; bytes between the
///   closing quote and the next delimiter/terminator are appended literally;
/// - a `"` inside an unquoted field is an ordinary byte;
/// - line numbers count LF bytes (CRLF counts once), 1-based at the caller.
enum CSVTokenizer {
    static let quote = UInt8(ascii: "\"")
    static let lf: UInt8 = 10
    static let cr: UInt8 = 13

    enum Failure: Equatable {
        /// A record with `found` fields; `line` is relative to the chunk start (0-based).
        case ragged(line: Int, found: Int)
        /// A quote opened on relative line `line` never closed.
        case unterminated(line: Int)
    }

    struct Result {
        var end: Int
        /// LF bytes consumed (relative line of the position `end`).
        var newlines: Int
        var records: Int
        var failure: Failure?
    }

    /// Splits `b[start..<end]` into records and fields, calling `sink` for fields `0..<fields`.
    /// Stops at the first malformed record; `oneRecord` stops after the first record (header).
    static func tokenize<S: FieldSink>(_ b: UnsafePointer<UInt8>, from start: Int, to end: Int,
                                       delimiter: UInt8, fields: Int, oneRecord: Bool,
                                       sink: inout S, scratch: inout [UInt8]) -> Result {
        let minus = UInt8(ascii: "-")
        let dot = UInt8(ascii: ".")
        var pos = start
        var line = 0
        var records = 0
        while pos < end {
            let c0 = b[pos]
            if c0 == lf { line += 1; pos += 1; continue }
            if c0 == cr {
                pos += 1
                if pos < end && b[pos] == lf { pos += 1; line += 1 }
                continue
            }
            let recordLine = line
            sink.beginRecord(line: recordLine)
            var j = 0
            while true {
                if pos < end && b[pos] == quote {
                    let openLine = line
                    pos += 1
                    let qs = pos
                    var doubled = false
                    var qe = -1
                    while pos < end {
                        let c = b[pos]
                        if c == quote {
                            if pos + 1 < end && b[pos + 1] == quote { doubled = true; pos += 2; continue }
                            qe = pos
                            pos += 1
                            break
                        }
                        if c == lf { line += 1 }
                        pos += 1
                    }
                    if qe < 0 {
                        return Result(end: pos, newlines: line, records: records, failure: .unterminated(line: openLine))
                    }
                    let after = pos
                    while pos < end {
                        let c = b[pos]
                        if c == delimiter || c == lf || c == cr { break }
                        pos += 1
                    }
                    if j < fields {
                        if !doubled && after == pos {
                            sink.field(j, b + qs, qe - qs)
                        } else {
                            scratch.removeAll(keepingCapacity: true)
                            var k = qs
                            while k < qe {
                                let c = b[k]
                                scratch.append(c)
                                k += c == quote ? 2 : 1
                            }
                            var a = after
                            while a < pos { scratch.append(b[a]); a += 1 }
                            let jj = j
                            scratch.withUnsafeBufferPointer { sb in
                                sink.field(jj, sb.baseAddress ?? b, sb.count)
                            }
                        }
                    }
                } else {
                    let fs = pos
                    // Fused fast path for plain decimals (`-?digits(.digits)?`, ≤ 19 digits): parse
                    // while scanning, so numeric files touch each byte once. Anything else
                    // (exponent, spaces, long mantissas, midpoints, text) rescans below and goes
                    // through `field`.
                    if S.wantsNumbers && j < fields {
                        var q = pos
                        var neg = false
                        if q < end && b[q] == minus { neg = true; q += 1 }
                        var mant: UInt64 = 0
                        let ds = q
                        while q < end {
                            let d = b[q] &- 48
                            if d >= 10 { break }
                            mant = mant &* 10 &+ UInt64(d)
                            q += 1
                        }
                        var digits = q - ds
                        var frac = 0
                        if q < end && b[q] == dot {
                            q += 1
                            let f0 = q
                            while q < end {
                                let d = b[q] &- 48
                                if d >= 10 { break }
                                mant = mant &* 10 &+ UInt64(d)
                                q += 1
                            }
                            frac = q - f0
                            digits += frac
                        }
                        var value = Double.nan
                        if digits > 0 && digits <= 19 && (q == end || b[q] == delimiter || b[q] == lf || b[q] == cr) {
                            value = NumberParser.nearest(mant, exp10: -frac) ?? .nan
                        }
                        if !value.isNaN {
                            let v = value
                            pos = q
                            sink.number(j, neg ? -v : v, b + fs, q - fs)
                            j += 1
                            if pos >= end { break }
                            let c = b[pos]
                            pos += 1
                            if c == delimiter { continue }
                            if c == cr {
                                if pos < end && b[pos] == lf { pos += 1; line += 1 }
                            } else {
                                line += 1
                            }
                            break
                        }
                    }
                    while pos < end {
                        let c = b[pos]
                        if c == delimiter || c == lf || c == cr { break }
                        pos += 1
                    }
                    if j < fields { sink.field(j, b + fs, pos - fs) }
                }
                j += 1
                if pos >= end { break }
                let c = b[pos]
                pos += 1
                if c == delimiter { continue }
                if c == cr {
                    if pos < end && b[pos] == lf { pos += 1; line += 1 }
                } else {
                    line += 1
                }
                break
            }
            if fields != Int.max && j != fields {
                return Result(end: pos, newlines: line, records: records, failure: .ragged(line: recordLine, found: j))
            }
            sink.endRecord()
            records += 1
            if oneRecord { break }
        }
        return Result(end: pos, newlines: line, records: records, failure: nil)
    }

    /// Record starts that split `b[start..<end]` into `count` chunks of roughly equal size:
    /// `count + 1` nondecreasing offsets from `start` to `end`. `hasQuote: false` promises that
    /// the range holds no quote byte (the quote check is skipped).
    static func chunkBounds(_ b: UnsafePointer<UInt8>, from start: Int, to end: Int, count: Int,
                            delimiter: UInt8, hasQuote: Bool) -> [Int] {
        var bounds = [start]
        guard count > 1, end > start else { bounds.append(end); return bounds }
        let len = end - start
        for k in 1..<count {
            let last = bounds[bounds.count - 1]
            let target = start + len * k / count
            bounds.append(target <= last ? last : nextRecordStart(b, from: last, atLeast: target, to: end,
                                                                  delimiter: delimiter, mayHaveQuotes: hasQuote))
        }
        bounds.append(end)
        return bounds
    }

    /// The first record start at or after `target` in `b[start...end]`, or `end` when none is.
    /// `start` must be a record start and `target > start`; reads only `b[start..<end]`.
    ///
    /// The answer is just past the first LF at or after `target - 1` that is outside quotes. From
    /// `start`, memchr jumps from quote to quote: a quote opens a quoted field only at a field
    /// start (right after `start`, a delimiter, LF or CR), and a quoted field is skipped to its
    /// closing quote. Without any LF past the target (CR line ends), one byte-at-a-time pass
    /// also ends records at CR.
    static func nextRecordStart(_ b: UnsafePointer<UInt8>, from start: Int, atLeast target: Int, to end: Int,
                                delimiter: UInt8, mayHaveQuotes: Bool = true) -> Int {
        precondition(start < target, "nextRecordStart: target \(target) not after start \(start)")
        guard target < end else { return end }
        guard var lfAt = find(lf, in: b, from: target - 1, to: end) else {
            return mayHaveQuotes ? quotedRecordStart(b, from: start, atLeast: target, to: end, delimiter: delimiter) : end
        }
        guard mayHaveQuotes else { return lfAt + 1 }
        var p = start
        var atFieldStart = true
        while let q = find(quote, in: b, from: p, to: lfAt) {
            let opens = q == p ? atFieldStart : (b[q - 1] == delimiter || b[q - 1] == lf || b[q - 1] == cr)
            atFieldStart = false
            p = q + 1
            guard opens else { continue }
            // Skip the quoted field: its closing quote is the first quote not followed by another.
            while true {
                guard let c = find(quote, in: b, from: p, to: end) else { return end }
                if c + 1 < end && b[c + 1] == quote { p = c + 2; continue }
                p = c + 1
                break
            }
            if p > lfAt {
                guard let next = find(lf, in: b, from: p, to: end) else { return end }
                lfAt = next
            }
        }
        return lfAt + 1
    }

    /// The index of the first `byte` in `b[from..<to]`, or nil.
    private static func find(_ byte: UInt8, in b: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let hit = memchr(b + from, Int32(byte), to - from) else { return nil }
        return from + (UnsafeRawPointer(hit) - UnsafeRawPointer(b + from))
    }

    /// `nextRecordStart` by one byte-at-a-time pass from the record start `start`, tracking
    /// quotes; records also end at a lone CR here.
    private static func quotedRecordStart(_ b: UnsafePointer<UInt8>, from start: Int, atLeast target: Int, to end: Int,
                                          delimiter: UInt8) -> Int {
        var p = start
        var inQuotes = false
        var atFieldStart = true
        while p < end {
            let c = b[p]
            if inQuotes {
                if c == quote {
                    if p + 1 < end && b[p + 1] == quote { p += 2; continue }
                    inQuotes = false
                }
                p += 1
                continue
            }
            var boundary = -1
            if c == quote && atFieldStart {
                inQuotes = true; atFieldStart = false
            } else if c == delimiter {
                atFieldStart = true
            } else if c == lf {
                boundary = p + 1; atFieldStart = true
            } else if c == cr {
                if p + 1 < end && b[p + 1] == lf { p += 1 }
                boundary = p + 1; atFieldStart = true
            } else {
                atFieldStart = false
            }
            p += 1
            if boundary >= target { return boundary }
        }
        return end
    }
}

/// Receives the fields of each record from `CSVTokenizer.tokenize`.
protocol FieldSink {
    /// When true the tokenizer parses plain unquoted decimals itself and calls `number`.
    static var wantsNumbers: Bool { get }
    mutating func beginRecord(line: Int)
    /// Field `j` of the current record: `n` bytes at `p`, quotes already removed.
    mutating func field(_ j: Int, _ p: UnsafePointer<UInt8>, _ n: Int)
    /// Field `j`, an unquoted plain decimal whose correctly rounded value is `value`.
    mutating func number(_ j: Int, _ value: Double, _ p: UnsafePointer<UInt8>, _ n: Int)
    mutating func endRecord()
}

extension FieldSink {
    static var wantsNumbers: Bool { false }
    mutating func number(_ j: Int, _ value: Double, _ p: UnsafePointer<UInt8>, _ n: Int) { field(j, p, n) }
}

/// Matches the missing-value tokens (after trimming spaces and tabs) with a cheap length /
/// first-byte filter so that ordinary numbers never reach a string comparison.
struct MissingMatcher: Sendable {
    let tokens: [[UInt8]]
    let matchesEmpty: Bool
    let lengthMask: UInt64
    let firstBytes: [Bool]
    /// Some token starts like a number (digit, sign or dot), so numbers must be checked too.
    let hasNumericToken: Bool

    init(_ set: Set<String>) {
        var toks: [[UInt8]] = []
        var empty = false
        var mask: UInt64 = 0
        var first = [Bool](repeating: false, count: 256)
        for t in set {
            var bytes = Array(t.utf8)
            while let f = bytes.first, f == 32 || f == 9 { bytes.removeFirst() }
            while let l = bytes.last, l == 32 || l == 9 { bytes.removeLast() }
            if bytes.isEmpty { empty = true; continue }
            toks.append(bytes)
            mask |= 1 << UInt64(min(bytes.count, 63))
            first[Int(bytes[0])] = true
        }
        hasNumericToken = toks.contains { t in
            let c = t[0]
            return (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
        }
        tokens = toks.sorted { $0.lexicographicallyPrecedes($1) }
        matchesEmpty = empty
        lengthMask = mask
        firstBytes = first
    }

    func matches(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var s = 0
        var e = n
        while s < e && (p[s] == 32 || p[s] == 9) { s += 1 }
        while e > s && (p[e - 1] == 32 || p[e - 1] == 9) { e -= 1 }
        let len = e - s
        if len == 0 { return matchesEmpty }
        if (lengthMask >> UInt64(min(len, 63))) & 1 == 0 || !firstBytes[Int(p[s])] { return false }
        outer: for t in tokens where t.count == len {
            for k in 0..<len where t[k] != p[s + k] { continue outer }
            return true
        }
        return false
    }
}
