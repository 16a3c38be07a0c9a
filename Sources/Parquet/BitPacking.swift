/// Bit unpacking and the RLE / bit-packed hybrid encoding (Parquet `Encodings.md`, "Run Length
/// Encoding / Bit-Packing Hybrid"): used for definition levels, dictionary indices and booleans.
///
/// Values are packed least-significant bit first. A hybrid stream is a sequence of runs, each
/// headed by a ULEB128 varint: `count << 1` for an RLE run (the value follows in
/// ceil(bitWidth / 8) little-endian bytes), `groups << 1 | 1` for `groups × 8` bit-packed values.
enum BitPacking {
    /// Unpacks `count` values of `bitWidth` bits (0…64) starting at bit 0 of `bytes`.
    /// - Precondition: `bytes` holds at least ceil(count × bitWidth / 8) bytes (callers check).
    @inlinable
    static func unpack<T: FixedWidthInteger & UnsignedInteger>(_ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int,
                                                               into out: UnsafeMutablePointer<T>) {
        precondition(bitWidth >= 0 && bitWidth <= 64 && (count * bitWidth + 7) / 8 <= bytes.count)
        if count == 0 { return }
        if bitWidth == 0 {
            out.update(repeating: 0, count: count)
            return
        }
        let base = bytes.baseAddress!
        let mask: UInt64 = bitWidth == 64 ? ~0 : (1 << UInt64(bitWidth)) - 1
        var i = 0
        // One bit per value into bytes (definition levels, booleans): a table gives each packed
        // byte's 8 values as one 64-bit store.
        if bitWidth == 1 && T.self == UInt8.self {
            let groups = min(count / 8, bytes.count)
            let o = UnsafeMutableRawPointer(out)
            byteExpansion.withUnsafeBufferPointer { table in
                for g in 0 ..< groups {
                    o.storeBytes(of: table[Int(base.load(fromByteOffset: g, as: UInt8.self))], toByteOffset: 8 * g, as: UInt64.self)
                }
            }
            i = groups * 8
        }
        // Whole groups of 8 values while a 64-bit load at the group's last value stays inside
        // the buffer: group g ends at byte (g + 1) × bitWidth, its last load ends ≤ 8 bytes later.
        if i == 0 && bitWidth <= 32 && bytes.count >= 8 {
            let groups = min(count / 8, (bytes.count - 8) / bitWidth)
            unpackGroups(base, bitWidth: bitWidth, groups: groups, into: out)
            i = groups * 8
        }
        // Then one unaligned 64-bit load per value while 8 bytes remain after its first byte
        // (a value spans at most 7 + 56 bits when bitWidth ≤ 56).
        if bitWidth <= 56 {
            let lastFast = bytes.count >= 8 ? ((bytes.count - 8) * 8) / bitWidth : -1
            let end = min(count, lastFast + 1)
            var bit = i * bitWidth
            while i < end {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
                out[i] = T(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
                bit += bitWidth
                i += 1
            }
        }
        // Tail (and widths above 56): assemble each value byte by byte.
        while i < count {
            var bit = i * bitWidth
            var value: UInt64 = 0
            var got = 0
            while got < bitWidth {
                let byte = UInt64(bytes[bit >> 3])
                let shift = bit & 7
                let take = min(8 - shift, bitWidth - got)
                value |= ((byte >> UInt64(shift)) & ((1 << UInt64(take)) - 1)) << UInt64(got)
                got += take
                bit += take
            }
            out[i] = T(truncatingIfNeeded: value)
            i += 1
        }
    }

    /// Byte b → 8 bytes, byte k holding bit k of b (little-endian).
    static let byteExpansion: [UInt64] = (0 ..< 256).map { b in
        var v: UInt64 = 0
        for k in 0 ..< 8 where b >> k & 1 == 1 { v |= 1 << UInt64(8 * k) }
        return v
    }

    /// `groups` × 8 values of `bitWidth` ≤ 32 bits; the caller guarantees 8 readable bytes past
    /// the last group. One case per width, so each loop runs with constant shifts and offsets.
    static func unpackGroups<T: FixedWidthInteger & UnsignedInteger>(_ base: UnsafeRawPointer, bitWidth: Int, groups: Int,
                                                                     into out: UnsafeMutablePointer<T>) {
        switch bitWidth {
        case 1: unpackGroups(base, 1, groups, out)
        case 2: unpackGroups(base, 2, groups, out)
        case 3: unpackGroups(base, 3, groups, out)
        case 4: unpackGroups(base, 4, groups, out)
        case 5: unpackGroups(base, 5, groups, out)
        case 6: unpackGroups(base, 6, groups, out)
        case 7: unpackGroups(base, 7, groups, out)
        case 8: unpackGroups(base, 8, groups, out)
        case 9: unpackGroups(base, 9, groups, out)
        case 10: unpackGroups(base, 10, groups, out)
        case 11: unpackGroups(base, 11, groups, out)
        case 12: unpackGroups(base, 12, groups, out)
        case 13: unpackGroups(base, 13, groups, out)
        case 14: unpackGroups(base, 14, groups, out)
        case 15: unpackGroups(base, 15, groups, out)
        case 16: unpackGroups(base, 16, groups, out)
        case 17: unpackGroups(base, 17, groups, out)
        case 18: unpackGroups(base, 18, groups, out)
        case 19: unpackGroups(base, 19, groups, out)
        case 20: unpackGroups(base, 20, groups, out)
        case 21: unpackGroups(base, 21, groups, out)
        case 22: unpackGroups(base, 22, groups, out)
        case 23: unpackGroups(base, 23, groups, out)
        case 24: unpackGroups(base, 24, groups, out)
        case 25: unpackGroups(base, 25, groups, out)
        case 26: unpackGroups(base, 26, groups, out)
        case 27: unpackGroups(base, 27, groups, out)
        case 28: unpackGroups(base, 28, groups, out)
        case 29: unpackGroups(base, 29, groups, out)
        case 30: unpackGroups(base, 30, groups, out)
        case 31: unpackGroups(base, 31, groups, out)
        case 32: unpackGroups(base, 32, groups, out)
        default: preconditionFailure("unpackGroups: bit width \(bitWidth)")
        }
    }

    @inline(__always)  // inlined into each case above, where `width` is a constant
    private static func unpackGroups<T: FixedWidthInteger & UnsignedInteger>(_ base: UnsafeRawPointer, _ width: Int, _ groups: Int,
                                                                             _ out: UnsafeMutablePointer<T>) {
        let mask: UInt64 = (1 << UInt64(width)) - 1
        for g in 0 ..< groups {
            let p = base + g * width
            let o = out + g * 8
            for k in 0 ..< 8 {
                let bit = k * width
                let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
                o[k] = T(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            }
        }
    }

    /// Decodes `count` values of a hybrid stream into `out`, checking every run against the bytes
    /// that remain and every value against `bitWidth`.
    /// - Returns: the bytes consumed.
    /// - Throws: `.truncated` / `.corrupt` naming `what`.
    static func decodeHybrid<T: FixedWidthInteger & UnsignedInteger>(_ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int,
                                                                      into out: UnsafeMutablePointer<T>, _ what: String) throws(ParquetError) -> Int {
        guard bitWidth >= 0 && bitWidth <= min(32, T.bitWidth) else {
            throw ParquetError(.corrupt, "\(what): bit width \(bitWidth) out of range 0…32")
        }
        var c = ByteCursor(bytes)
        var filled = 0
        let valueBytes = (bitWidth + 7) / 8
        let limit: UInt64 = bitWidth == 0 ? 0 : (1 << UInt64(bitWidth)) - 1
        while filled < count {
            let header = try c.readVarint("\(what): run header")
            if header & 1 == 0 {
                let runLength = header >> 1
                var value: UInt64 = 0
                for k in 0 ..< valueBytes {
                    value |= UInt64(try c.readByte("\(what): RLE value")) << UInt64(8 * k)
                }
                guard value <= limit else {
                    throw ParquetError(.corrupt, "\(what): RLE value \(value) does not fit in \(bitWidth) bits")
                }
                let n = Int(min(runLength, UInt64(count - filled)))
                (out + filled).update(repeating: T(truncatingIfNeeded: value), count: n)
                filled += n
            } else {
                let groups = header >> 1
                let wanted = count - filled
                if bitWidth == 0 {
                    let n = groups >= UInt64(wanted) ? wanted : min(Int(groups) * 8, wanted)
                    (out + filled).update(repeating: 0, count: n)
                    filled += n
                    continue
                }
                guard groups <= UInt64(c.remaining) else {
                    throw ParquetError(.truncated, "\(what): bit-packed run of \(groups) groups needs \(groups) × \(bitWidth) bytes, \(c.remaining) remain")
                }
                let runValues = Int(groups) * 8
                let runBytes = Int(groups) * bitWidth
                let n = min(runValues, wanted)
                // The last run of a page may stop after its last needed byte.
                let needed = (n * bitWidth + 7) / 8
                guard needed <= c.remaining else {
                    throw ParquetError(.truncated, "\(what): bit-packed run needs \(needed) bytes, \(c.remaining) remain")
                }
                let run = UnsafeRawBufferPointer(rebasing: c.bytes[c.position ..< c.position + min(runBytes, c.remaining)])
                unpack(run, bitWidth: bitWidth, count: n, into: out + filled)
                try c.skip(min(runBytes, c.remaining), what)
                filled += n
            }
        }
        return c.position
    }
}

/// Encodes values as an RLE / bit-packed hybrid stream: runs of ≥ 8 equal values as RLE runs,
/// everything else bit-packed in groups of 8 (the last group padded with zeros).
struct HybridEncoder {
    let bitWidth: Int
    private(set) var bytes: [UInt8] = []

    init(bitWidth: Int) {
        precondition(bitWidth >= 0 && bitWidth <= 32)
        self.bitWidth = bitWidth
    }

    /// Encodes all of `values` (each < 2^bitWidth).
    mutating func encode(_ values: UnsafeBufferPointer<UInt32>) {
        let n = values.count
        var literalStart = 0  // values[literalStart..<i] wait to be bit-packed
        var i = 0
        while i < n {
            var j = i + 1
            while j < n && values[j] == values[i] { j += 1 }
            var run = j - i
            if run >= 8 {
                // Pad the pending literals to a multiple of 8 with values from this run.
                let pending = i - literalStart
                if pending > 0 {
                    let pad = (8 - pending % 8) % 8
                    appendPacked(values, literalStart, i + pad)
                    i += pad
                    run -= pad
                }
                if run >= 8 {
                    appendRLE(values[i], run)
                    i += run
                    literalStart = i
                } else {
                    literalStart = i  // fewer than 8 left: they start the next literal group
                    i += run
                }
            } else {
                i = j
            }
        }
        if literalStart < n { appendPacked(values, literalStart, n) }
    }

    private mutating func appendRLE(_ value: UInt32, _ count: Int) {
        bytes.appendVarint(UInt64(count) << 1)
        for k in 0 ..< (bitWidth + 7) / 8 { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * k))) }
    }

    /// Bit-packs values[start..<end], padded with zeros to a multiple of 8 values.
    private mutating func appendPacked(_ values: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int) {
        let count = end - start
        let groups = (count + 7) / 8
        bytes.appendVarint(UInt64(groups) << 1 | 1)
        var acc: UInt64 = 0
        var bits = 0
        for k in 0 ..< groups * 8 {
            let v = start + k < end ? UInt64(values[start + k]) : 0
            acc |= v << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { bytes.append(UInt8(truncatingIfNeeded: acc)) }
    }
}

/// The number of bits needed to store `maxValue`.
func bitWidth(for maxValue: UInt32) -> Int { maxValue == 0 ? 0 : 32 - maxValue.leadingZeroBitCount }
