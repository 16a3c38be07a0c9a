/// Little-endian binary writer for model payloads: plain scalars and length-prefixed arrays.
///
/// Model files hold large numeric arrays (tree nodes, coefficients); JSON would make a 500-tree
/// model take far longer to load than to score, so payloads are raw bytes.
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func write(_ v: Double) { write(v.bitPattern) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }
    public mutating func write(_ v: Bool) { write(UInt8(v ? 1 : 0)) }
    public mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    /// Writes a count then the elements' raw little-endian bytes.
    public mutating func write<T: BitwiseCopyable>(array: [T]) {
        write(UInt64(array.count))
        // All supported platforms are little-endian; the reader checks the same assumption.
        array.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
    public mutating func write(strings: [String]) {
        write(UInt64(strings.count))
        for s in strings { write(s) }
    }
    public mutating func append(raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

/// Reads what `BinaryWriter` wrote; every read is bounds-checked and a short buffer throws.
public struct BinaryReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int, _ what: String) throws -> Range<Int> {
        guard n >= 0, n <= remaining else {
            throw ModelFileError(code: .truncated, message: "model payload ends early while reading \(what) (need \(n) bytes at offset \(offset), \(remaining) left)")
        }
        defer { offset += n }
        return offset..<(offset + n)
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let r = try take(MemoryLayout<T>.size, "\(T.self)")
        var v = T.zero
        withUnsafeMutableBytes(of: &v) { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[r])) }
        }
        return T(littleEndian: v)
    }
    public mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }
    public mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public mutating func readBool() throws -> Bool { try read(UInt8.self) != 0 }
    public mutating func readString() throws -> String {
        let n = try readCount(elementSize: 1, "string")
        let r = try take(n, "string")
        return String(decoding: bytes[r], as: UTF8.self)
    }
    private mutating func readCount(elementSize: Int, _ what: String) throws -> Int {
        let n = try read(UInt64.self)
        guard n <= UInt64(remaining / max(elementSize, 1)) else {
            throw ModelFileError(code: .corrupt, message: "model payload declares \(n) elements of \(what), more than the \(remaining) bytes left")
        }
        return Int(n)
    }
    public mutating func readArray<T: BitwiseCopyable>(of _: T.Type = T.self) throws -> [T] {
        let size = MemoryLayout<T>.stride
        let n = try readCount(elementSize: size, "\(T.self)")
        let r = try take(n * size, "[\(T.self)]")
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[r]))
            }
            count = n
        }
    }
    /// Reads exactly `count` elements with no length prefix.
    public mutating func readArray<T: BitwiseCopyable>(of _: T.Type = T.self, count n: Int) throws -> [T] {
        let size = MemoryLayout<T>.stride
        let r = try take(n * size, "[\(T.self)]")
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[r]))
            }
            count = n
        }
    }
    public mutating func readStrings() throws -> [String] {
        let n = try readCount(elementSize: 8, "strings")
        return try (0..<n).map { _ in try readString() }
    }
}
