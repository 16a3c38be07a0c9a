/// The bytes around a batch row's values, learned from one row and matched against the rows after it.
///
/// Clients build a batch from dictionaries of one shape, so its rows usually differ only in their
/// values: `{"MedInc": 3.5, "HouseAge": 25.0, …}`. Once a row has been read the general way with
/// exactly the layout's keys, in order, unescaped, and every value of its feature's type, the
/// bytes between its values (`{"MedInc": `, `, "HouseAge": `, …, `}`) become the template. A later
/// row whose bytes equal those pieces reads as its values alone: a compare of a few words per
/// piece instead of tokenizing and matching each key. Equal bytes tokenize the same way, so a
/// matching row decodes exactly as the general path decodes it; any difference (spacing, key
/// order, a null, a value of the wrong type, a non-finite number, a syntax error) leaves the row
/// to the general path, which also reports its problems.
struct RowTemplate {
    /// Piece i: the bytes before value i (piece 0 starts at the row's `{`); the last piece runs
    /// from the end of the last value through the row's `}`.
    private var pieces: [Piece] = []
    /// Every piece's bytes, for the pieces longer than 16 bytes.
    private var bytes: [UInt8] = []
    private let kinds: [FeatureKind]

    private struct Piece {
        var length: Int
        var offset: Int       // into `bytes`
        var head: UInt64      // the first min(8, length) bytes, little-endian, zero above
        var headMask: UInt64  // the bytes of `head` that count
        var tail: UInt64      // the last 8 bytes (lengths 9...16)
    }

    /// Learns the template from the row at base[start ..< end] (its `{` through its `}`), or
    /// returns nil when that row does not have a template's shape.
    init?(base: UnsafePointer<UInt8>, start: Int, end: Int, layout: FeatureLayout, names: UnsafePointer<UInt8>) {
        let n = layout.names.count
        guard n > 0 else { return nil }
        kinds = layout.kinds
        var r = JSONReader(base: base, count: end)
        r.pos = start
        guard r.peek() == UInt8(ascii: "{") else { return nil }
        var from = r.pos
        r.pos += 1
        for f in 0..<n {
            guard r.consumeKey(names + layout.starts[f], layout.lengths[f]),
                  (try? r.expect(UInt8(ascii: ":"), "':'")) != nil, r.peek() != nil else { return nil }
            add(base + from, r.pos - from)
            guard Self.readValue(&r, kind: kinds[f]) != nil else { return nil }
            from = r.pos
            guard let more = try? r.commaOrClose(UInt8(ascii: "}")), more == (f < n - 1) else { return nil }
        }
        guard r.pos == end else { return nil }
        add(base + from, r.pos - from)
    }

    private mutating func add(_ p: UnsafePointer<UInt8>, _ length: Int) {
        var head: UInt64 = 0, tail: UInt64 = 0
        for i in 0..<min(8, length) { head |= UInt64(p[i]) << (8 * UInt64(i)) }
        if length > 8 { for i in 0..<8 { tail |= UInt64(p[length - 8 + i]) << (8 * UInt64(i)) } }
        let headMask: UInt64 = length >= 8 ? ~0 : (1 << (8 * UInt64(length))) - 1
        pieces.append(Piece(length: length, offset: bytes.count, head: head, headMask: headMask, tail: tail))
        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: length))
    }

    /// A value as the general path accepts it without an issue: a finite number for a numeric
    /// feature, a string for a categorical one (its text, decoded). Nil otherwise.
    @inline(__always)
    private static func readValue(_ r: inout JSONReader, kind: FeatureKind) -> Value? {
        guard r.pos < r.count else { return nil }
        let c = r.base[r.pos]
        if kind == .numeric {
            guard c == UInt8(ascii: "-") || c &- UInt8(ascii: "0") < 10,
                  let v = r.readPlainNumber() ?? (try? r.readNumber()), v.isFinite else { return nil }
            return .number(v)
        }
        guard c == UInt8(ascii: "\""), let raw = try? r.readRawString(), let s = try? r.decode(raw) else { return nil }
        return .text(s)
    }

    private enum Value {
        case number(Double)
        case text(String)
    }

    /// Reads the next row into `rows` when it matches the template and returns true; otherwise
    /// leaves `r` and `rows` as they were and returns false.
    func read(_ r: inout JSONReader, into rows: inout FeatureRows) -> Bool {
        let start = r.pos
        r.skipWhitespace()
        let texts = rows.texts.count
        let row = rows.appendMissingRow()
        let last = pieces.count - 1
        var f = 0
        while matches(pieces[f], r.base, r.pos, r.count) {
            r.pos += pieces[f].length
            if f == last { return true }
            guard let value = Self.readValue(&r, kind: kinds[f]) else { break }
            switch value {
            case .number(let v): rows.setNumber(row: row, feature: f, v)
            case .text(let s): rows.setText(row: row, feature: f, s)
            }
            f += 1
        }
        // Not this shape: undo the row.
        r.pos = start
        rows.removeLastRow(keepingTexts: texts)
        return false
    }

    /// Whether base[pos ..< pos + p.length] holds the piece's bytes: two word compares for
    /// pieces of up to 16 bytes (away from the end of the body), byte by byte otherwise.
    @inline(__always)
    private func matches(_ p: Piece, _ base: UnsafePointer<UInt8>, _ pos: Int, _ count: Int) -> Bool {
        if p.length <= 16, pos + max(8, p.length) <= count {
            let raw = UnsafeRawPointer(base + pos)
            guard raw.loadUnaligned(as: UInt64.self).littleEndian & p.headMask == p.head else { return false }
            return p.length <= 8 || raw.loadUnaligned(fromByteOffset: p.length - 8, as: UInt64.self).littleEndian == p.tail
        }
        guard pos + p.length <= count else { return false }
        return bytes.withUnsafeBufferPointer { JSONReader.bytesEqual(base + pos, $0.baseAddress! + p.offset, p.length) }
    }
}
