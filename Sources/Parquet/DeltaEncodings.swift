/// The delta encodings and BYTE_STREAM_SPLIT (Parquet `Encodings.md`).
enum DeltaEncodings {
    /// DELTA_BINARY_PACKED: a header `<block size> <miniblocks per block> <total count>
    /// <first value (zigzag)>`, then blocks of `<min delta (zigzag)> <one bit-width byte per
    /// miniblock> <miniblocks>`; each value is the previous plus min delta plus its packed delta.
    /// Arithmetic wraps, as the spec requires.
    /// - Parameters:
    ///   - count: values expected; the header's total must equal it.
    /// - Returns: the bytes consumed (the end of the last miniblock that holds a value).
    static func decodeBinaryPacked(_ bytes: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Int64>,
                                   _ what: String) throws(ParquetError) -> Int {
        var c = ByteCursor(bytes)
        let blockSize = try c.readVarint("\(what): DELTA_BINARY_PACKED block size")
        let miniblocks = try c.readVarint("\(what): DELTA_BINARY_PACKED miniblock count")
        let total = try c.readVarint("\(what): DELTA_BINARY_PACKED value count")
        let first = try c.readZigzag("\(what): DELTA_BINARY_PACKED first value")
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20, miniblocks > 0, blockSize % miniblocks == 0,
              (blockSize / miniblocks) % 32 == 0 else {
            throw ParquetError(.corrupt, "\(what): DELTA_BINARY_PACKED block of \(blockSize) values in \(miniblocks) miniblocks is not allowed")
        }
        guard total == UInt64(count) else {
            throw ParquetError(.corrupt, "\(what): DELTA_BINARY_PACKED holds \(total) values, the page needs \(count)")
        }
        if count == 0 { return c.position }
        let perMiniblock = Int(blockSize / miniblocks)
        let miniblockCount = Int(miniblocks)
        out[0] = first
        var filled = 1
        var previous = first
        while filled < count {
            let minDelta = try c.readZigzag("\(what): DELTA_BINARY_PACKED min delta")
            let widths = try c.readBytes(miniblockCount, "\(what): DELTA_BINARY_PACKED bit widths")
            for m in 0 ..< miniblockCount where filled < count {
                let width = Int(widths[m])
                guard width <= 64 else {
                    throw ParquetError(.corrupt, "\(what): DELTA_BINARY_PACKED bit width \(width) exceeds 64")
                }
                let n = min(perMiniblock, count - filled)
                let needed = (n * width + 7) / 8
                guard needed <= c.remaining else {
                    throw ParquetError(.truncated, "\(what): DELTA_BINARY_PACKED miniblock needs \(needed) bytes, \(c.remaining) remain")
                }
                let body = min(perMiniblock * width / 8, c.remaining)
                let packed = UnsafeRawBufferPointer(rebasing: c.bytes[c.position ..< c.position + body])
                let dst = out + filled
                dst.withMemoryRebound(to: UInt64.self, capacity: n) { BitPacking.unpack(packed, bitWidth: width, count: n, into: $0) }
                for k in 0 ..< n {
                    previous = previous &+ minDelta &+ dst[k]
                    dst[k] = previous
                }
                try c.skip(body, what)
                filled += n
            }
        }
        return c.position
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths (DELTA_BINARY_PACKED), then the bytes of all values.
    /// Calls `visit` with each value in order.
    /// - Returns: the bytes consumed.
    static func decodeLengthByteArray(_ bytes: UnsafeRawBufferPointer, count: Int, scratch: Scratch, _ what: String,
                                      _ visit: (UnsafeRawBufferPointer) throws(ParquetError) -> Void) throws(ParquetError) -> Int {
        let lengths = scratch.int64s(.lengths, count)
        var position = try decodeBinaryPacked(bytes, count: count, into: lengths, "\(what) (lengths)")
        for i in 0 ..< count {
            let n = lengths[i]
            guard n >= 0, n <= Int64(bytes.count - position) else {
                throw ParquetError(.truncated, "\(what): DELTA_LENGTH_BYTE_ARRAY value \(i) of \(n) bytes, \(bytes.count - position) remain")
            }
            try visit(UnsafeRawBufferPointer(rebasing: bytes[position ..< position + Int(n)]))
            position += Int(n)
        }
        return position
    }

    /// DELTA_BYTE_ARRAY: prefix lengths (DELTA_BINARY_PACKED), then the suffixes
    /// (DELTA_LENGTH_BYTE_ARRAY); each value is the previous value's prefix plus its suffix.
    static func decodeByteArray(_ bytes: UnsafeRawBufferPointer, count: Int, scratch: Scratch, _ what: String,
                                _ visit: (UnsafeRawBufferPointer) throws(ParquetError) -> Void) throws(ParquetError) -> Int {
        let prefixes = scratch.int64s(.prefixLengths, count)
        let consumed = try decodeBinaryPacked(bytes, count: count, into: prefixes, "\(what) (prefix lengths)")
        var previous: [UInt8] = []
        var current: [UInt8] = []
        var i = 0
        let rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
        let used = try decodeLengthByteArray(rest, count: count, scratch: scratch, "\(what) (suffixes)") { (suffix) throws(ParquetError) in
            let p = prefixes[i]
            guard p >= 0, p <= Int64(previous.count) else {
                throw ParquetError(.corrupt, "\(what): DELTA_BYTE_ARRAY value \(i) has prefix \(p), previous value has \(previous.count) bytes")
            }
            current.removeAll(keepingCapacity: true)
            current.append(contentsOf: previous[0 ..< Int(p)])
            current.append(contentsOf: suffix)
            try withBytes(current, visit)
            swap(&previous, &current)
            i += 1
        }
        return consumed + used
    }

    /// BYTE_STREAM_SPLIT: byte k of every value is in stream k; puts the values back together
    /// as plain little-endian values of `width` bytes in `out` (which holds count × width bytes).
    static func unsplit(_ bytes: UnsafeRawBufferPointer, width: Int, count: Int, into out: UnsafeMutableRawPointer,
                        _ what: String) throws(ParquetError) {
        guard width > 0, bytes.count % width == 0, bytes.count / width >= count else {
            throw ParquetError(.corrupt, "\(what): BYTE_STREAM_SPLIT data of \(bytes.count) bytes does not hold \(count) values of \(width) bytes")
        }
        if count == 0 { return }
        let stride = bytes.count / width
        let src = bytes.baseAddress!
        let dst = out.assumingMemoryBound(to: UInt8.self)
        for k in 0 ..< width {
            let stream = src.advanced(by: k * stride).assumingMemoryBound(to: UInt8.self)
            var i = 0
            while i < count {
                dst[i * width + k] = stream[i]
                i += 1
            }
        }
    }
}

/// `Array.withUnsafeBytes` with the closure's typed error kept.
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> R) throws(ParquetError) -> R {
    let result: Result<R, ParquetError> = array.withUnsafeBytes { bytes in
        do throws(ParquetError) { return .success(try body(bytes)) } catch { return .failure(error) }
    }
    return try result.get()
}
