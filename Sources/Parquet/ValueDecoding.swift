#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding of one page's non-null values: numbers into Doubles, strings into local codes.
extension NumericConversion {
    /// PLAIN values of `column`'s physical type in `bytes` → `count` Doubles.
    /// - Returns: the bytes consumed.
    func decodePlain(_ bytes: UnsafeRawBufferPointer, count: Int, column: LeafColumn,
                     into out: UnsafeMutablePointer<Double>) throws(ParquetError) -> Int {
        if count == 0 { return 0 }
        switch column.physicalType {
        case .boolean:
            let needed = (count + 7) / 8
            guard needed <= bytes.count else { throw Self.short(bytes, needed, count, "BOOLEAN") }
            for i in 0 ..< count { out[i] = Double((bytes[i >> 3] >> UInt8(i & 7)) & 1) }
            return needed
        case .byteArray:
            guard case .decimalBytes(let divisor) = self else { throw Self.mismatch(column) }
            var c = ByteCursor(bytes)
            for i in 0 ..< count {
                let n = Int(try c.readLE(UInt32.self, "BYTE_ARRAY value \(i) length"))
                let v = try c.readBytes(n, "BYTE_ARRAY value \(i)")
                out[i] = try Self.bigEndianDecimal(v) / divisor
            }
            return c.position
        default:
            guard let width = column.plainWidth else { throw Self.mismatch(column) }
            let (needed, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, needed <= bytes.count else { throw Self.short(bytes, needed, count, column.typeDescription) }
            convertFixed(bytes.baseAddress!, count: count, width: width, into: out)
            return needed
        }
    }

    /// Converts `count` fixed-width little-endian values at `src` (already bounds-checked).
    func convertFixed(_ src: UnsafeRawPointer, count: Int, width: Int, into out: UnsafeMutablePointer<Double>) {
        switch self {
        case .double:
            // PLAIN doubles are the in-memory representation on a little-endian machine.
            UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: count * 8)
        case .float:
            for i in 0 ..< count { out[i] = Double(Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
        case .integer(let unsigned, let divisor):
            if width == 4 {
                if unsigned {
                    for i in 0 ..< count { out[i] = Double(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                } else {
                    for i in 0 ..< count { out[i] = Double(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                }
            } else {
                if unsigned {
                    for i in 0 ..< count { out[i] = Double(UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
                } else {
                    for i in 0 ..< count { out[i] = Double(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
                }
            }
            if divisor != 1 { for i in 0 ..< count { out[i] /= divisor } }
        case .int96:
            for i in 0 ..< count {
                let nanos = Int64(littleEndian: src.loadUnaligned(fromByteOffset: 12 * i, as: Int64.self))
                let julianDay = Int64(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 12 * i + 8, as: Int32.self)))
                // As nanoseconds since the epoch first, like a TIMESTAMP(NANOS) column (wrapping
                // outside ±292 years, where INT96 itself is meaningless).
                let ticks = (julianDay &- 2_440_588) &* 86_400_000_000_000 &+ nanos
                out[i] = Double(ticks) / 1e9
            }
        case .decimalBytes(let divisor):
            for i in 0 ..< count {
                // Width ≤ 16 was checked when the schema was read, so this cannot throw.
                let v = UnsafeRawBufferPointer(start: src + width * i, count: width)
                out[i] = ((try? Self.bigEndianDecimal(v)) ?? .nan) / divisor
            }
        case .float16:
            for i in 0 ..< count {
                out[i] = Double(Self.halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .boolean:
            for i in 0 ..< count { out[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        }
    }

    /// Integers from DELTA_BINARY_PACKED (INT32 columns keep the low 32 bits).
    func convertIntegers(_ values: UnsafePointer<Int64>, count: Int, physical: PhysicalType, into out: UnsafeMutablePointer<Double>) {
        guard case .integer(let unsigned, let divisor) = self else { return }
        for i in 0 ..< count {
            let v = values[i]
            if physical == .int32 {
                out[i] = unsigned ? Double(UInt32(truncatingIfNeeded: v)) : Double(Int32(truncatingIfNeeded: v))
            } else {
                out[i] = unsigned ? Double(UInt64(bitPattern: v)) : Double(v)
            }
            if divisor != 1 { out[i] /= divisor }
        }
    }

    /// A big-endian two's complement integer of 0…16 bytes as a Double.
    static func bigEndianDecimal(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) -> Double {
        guard bytes.count <= 16 else {
            throw ParquetError(.unsupported, "DECIMAL value of \(bytes.count) bytes (at most 16 are supported)")
        }
        if bytes.isEmpty { return 0 }
        var v: Int128 = bytes[0] >= 0x80 ? -1 : 0
        for b in bytes { v = (v << 8) | Int128(b) }
        return Double(v)
    }

    /// IEEE 754 binary16 → Float.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    private static func short(_ bytes: UnsafeRawBufferPointer, _ needed: Int, _ count: Int, _ type: String) -> ParquetError {
        ParquetError(.truncated, "PLAIN \(type) page holds \(bytes.count) bytes, \(count) values need \(needed)")
    }

    private static func mismatch(_ column: LeafColumn) -> ParquetError {
        ParquetError(.corrupt, "\(column.typeDescription) values cannot be read as \(column.output)")
    }
}

/// Reads a dictionary-index stream (a bit-width byte, then an RLE / bit-packed hybrid).
/// Indices are checked by `gather`, not here.
func decodeDictionaryIndices(_ bytes: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<UInt32>) throws(ParquetError) {
    if count == 0 { return }
    guard let width = bytes.first else { throw ParquetError(.truncated, "dictionary-encoded page has no bit-width byte") }
    guard width <= 32 else { throw ParquetError(.corrupt, "dictionary index bit width \(width) exceeds 32") }
    _ = try BitPacking.decodeHybrid(UnsafeRawBufferPointer(rebasing: bytes[1...]), bitWidth: Int(width), count: count,
                                    into: out, "dictionary indices")
}

/// `out[i] = dictionary[indices[i]]`, checking every index: an index past the end reads the last
/// entry (never out of bounds) and makes the call throw once the loop is done.
func gather<T>(_ dictionary: UnsafeBufferPointer<T>, _ indices: UnsafePointer<UInt32>, count: Int,
               into out: UnsafeMutablePointer<T>) throws(ParquetError) {
    if count == 0 { return }
    guard let d = dictionary.baseAddress, dictionary.count > 0 else {
        throw ParquetError(.corrupt, "dictionary index into an empty dictionary")
    }
    let last = UInt32(truncatingIfNeeded: min(dictionary.count - 1, Int(UInt32.max)))
    var maxIndex: UInt32 = 0
    for i in 0 ..< count {
        let k = indices[i]
        maxIndex = max(maxIndex, k)
        out[i] = d[Int(min(k, last))]
    }
    guard maxIndex <= last else {
        throw ParquetError(.corrupt, "dictionary index \(maxIndex) out of range (the dictionary has \(dictionary.count) entries)")
    }
}
