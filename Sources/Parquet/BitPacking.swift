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
        // Fast path: one unaligned 64-bit load per value while 8 bytes remain after its first
        // byte (a value spans at most 7 + 56 bits when bitWidth ≤ 56).
        var i = 0
        if bitWidth <= 56 {
            let lastFast = bytes.count >= 8 ? ((bytes.count - 8) * 8) / bitWidth : -1
            let end = min(count, lastFast + 1)
            var bit = 0
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
