/// A read position in a byte buffer that checks every read against the bytes that remain.
///
/// Lives only inside a `withUnsafeBytes` closure (it holds the buffer's pointer); `what` names the
/// structure being read for error messages, `baseOffset` is the buffer's offset in the file so
/// errors can say where.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int = 0
    /// Offset of `bytes[0]` in the file (or -1 when the buffer is decompressed data).
    let baseOffset: Int

    init(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = -1) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    /// The file offset of the current position, when the buffer is file bytes.
    var fileOffset: Int? { baseOffset >= 0 ? baseOffset + position : nil }

    func truncated(_ what: String, needed: Int) -> ParquetError {
        ParquetError(.truncated, "\(what): needs \(needed) bytes, \(remaining) remain", offset: fileOffset)
    }

    mutating func readByte(_ what: @autoclosure () -> String) throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw truncated(what(), needed: 1) }
        let b = bytes[position]
        position += 1
        return b
    }

    /// `count` bytes as a sub-buffer; `count` must be ≥ 0 and fit.
    mutating func readBytes(_ count: Int, _ what: @autoclosure () -> String) throws(ParquetError) -> UnsafeRawBufferPointer {
        guard count >= 0 else { throw ParquetError(.corrupt, "\(what()): negative length \(count)", offset: fileOffset) }
        guard count <= remaining else { throw truncated(what(), needed: count) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position ..< position + count])
        position += count
        return slice
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws(ParquetError) {
        _ = try readBytes(count, what())
    }

    /// A little-endian fixed-width integer.
    mutating func readLE<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(ParquetError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw truncated(what(), needed: size) }
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += size
        return v
    }

    /// An unsigned LEB128 varint of at most 64 bits (10 bytes).
    mutating func readVarint(_ what: @autoclosure () -> String) throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw truncated(what(), needed: 1) }
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 {
                throw ParquetError(.corrupt, "\(what()): varint longer than 64 bits", offset: fileOffset.map { $0 - 1 })
            }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw ParquetError(.corrupt, "\(what()): varint longer than 10 bytes", offset: fileOffset.map { $0 - 1 })
            }
        }
    }

    /// A zigzag-encoded signed varint.
    mutating func readZigzag(_ what: @autoclosure () -> String) throws(ParquetError) -> Int64 {
        let u = try readVarint(what())
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
}

extension Array where Element == UInt8 {
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    mutating func appendZigzag(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
