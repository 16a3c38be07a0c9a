/// A FlatBuffers reader (the binary format of Arrow IPC metadata), every offset checked.
///
/// A table starts with a signed 32-bit offset back to its vtable: u16 vtable size, u16 table
/// size, then one u16 per field giving the field's offset in the table (0 = absent, the default
/// applies). Sub-tables, vectors and strings are reached through unsigned 32-bit offsets
/// relative to where the offset is stored; a vector or string starts with its u32 length.
struct FlatBuffer {
    let bytes: UnsafeRawBufferPointer
    /// Names the buffer in error messages ("Arrow footer", "Arrow message at offset 1234").
    let what: String

    func corrupt(_ detail: String) -> ParquetError {
        ParquetError(.corrupt, "\(what): \(detail)")
    }

    func check(_ position: Int, _ size: Int) throws(ParquetError) {
        guard position >= 0, size >= 0, size <= bytes.count, position <= bytes.count - size else {
            throw ParquetError(.truncated, "\(what): \(size) bytes at \(position) pass the end of the \(bytes.count)-byte buffer")
        }
    }

    func load<T: FixedWidthInteger>(_ position: Int, as: T.Type) throws(ParquetError) -> T {
        try check(position, MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// The root table (the buffer's first u32 is its offset).
    func root() throws(ParquetError) -> FlatTable {
        try FlatTable(self, at: Int(try load(0, as: UInt32.self)))
    }
}

/// One table in a `FlatBuffer`.
struct FlatTable {
    let buffer: FlatBuffer
    let position: Int
    private let vtable: Int
    private let vtableSize: Int

    init(_ buffer: FlatBuffer, at position: Int) throws(ParquetError) {
        self.buffer = buffer
        self.position = position
        let back = Int(try buffer.load(position, as: Int32.self))
        vtable = position - back
        vtableSize = Int(try buffer.load(vtable, as: UInt16.self))
        guard vtableSize >= 4, vtableSize % 2 == 0 else { throw buffer.corrupt("vtable of \(vtableSize) bytes") }
        try buffer.check(vtable, vtableSize)
    }

    /// Where field `id` is stored, or nil when absent.
    func field(_ id: Int) throws(ParquetError) -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.load(vtable + slot, as: UInt16.self))
        return offset == 0 ? nil : position + offset
    }

    func scalar<T: FixedWidthInteger>(_ id: Int, _ type: T.Type, default value: T) throws(ParquetError) -> T {
        guard let p = try field(id) else { return value }
        return try buffer.load(p, as: T.self)
    }

    func bool(_ id: Int, default value: Bool = false) throws(ParquetError) -> Bool {
        try scalar(id, UInt8.self, default: value ? 1 : 0) != 0
    }

    /// The position an offset field points at.
    private func target(_ id: Int) throws(ParquetError) -> Int? {
        guard let p = try field(id) else { return nil }
        return p + Int(try buffer.load(p, as: UInt32.self))
    }

    func table(_ id: Int) throws(ParquetError) -> FlatTable? {
        guard let t = try target(id) else { return nil }
        return try FlatTable(buffer, at: t)
    }

    /// A vector of `elementSize`-byte elements: the position of the first and the count.
    func vector(_ id: Int, elementSize: Int) throws(ParquetError) -> (start: Int, count: Int)? {
        guard let v = try target(id) else { return nil }
        let count = Int(try buffer.load(v, as: UInt32.self))
        let (size, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw buffer.corrupt("vector of \(count) elements") }
        try buffer.check(v + 4, size)
        return (v + 4, count)
    }

    func tables(_ id: Int) throws(ParquetError) -> [FlatTable] {
        guard let (start, count) = try vector(id, elementSize: 4) else { return [] }
        var out: [FlatTable] = []
        out.reserveCapacity(count)
        for k in 0 ..< count {
            let p = start + 4 * k
            out.append(try FlatTable(buffer, at: p + Int(try buffer.load(p, as: UInt32.self))))
        }
        return out
    }

    func string(_ id: Int) throws(ParquetError) -> String? {
        guard let (start, count) = try vector(id, elementSize: 1) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer.bytes[start ..< start + count]), as: UTF8.self)
    }
}
