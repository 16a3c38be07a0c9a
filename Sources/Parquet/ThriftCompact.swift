/// The Thrift Compact Protocol, as much of it as Parquet's metadata needs (Apache Thrift,
/// `doc/specs/thrift-compact-protocol.md`).
///
/// A struct is a sequence of fields, each a header byte `dddd tttt` (field-id delta, type) or,
/// when the delta does not fit in 1…15, the type byte and a zigzag varint field id; a 0 byte ends
/// it. Booleans live in the type nibble (1 true, 2 false). Integers are zigzag varints, binary is
/// a varint length and bytes, a list is `ssss tttt` (size, element type; size 15 = varint follows).
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7,
         binary = 8, list = 9, set = 10, map = 11, `struct` = 12
}

/// Reads compact-protocol values from a `ByteCursor`. Every length is checked against the bytes
/// that remain; nesting is limited so a hostile file cannot exhaust the stack.
struct ThriftCompactReader {
    var cursor: ByteCursor
    private var depth = 0
    static let maxDepth = 32

    init(_ cursor: ByteCursor) { self.cursor = cursor }

    /// Calls `field` for each field of the struct that starts here, with the field id and type;
    /// `field` reads the value (or calls `skip`). Returns after the struct's stop byte.
    mutating func readStruct(_ what: String, _ field: (inout ThriftCompactReader, Int16, ThriftType) throws(ParquetError) -> Void) throws(ParquetError) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
            throw ParquetError(.corrupt, "\(what): structures nested deeper than \(Self.maxDepth)", offset: cursor.fileOffset)
        }
        var lastID: Int16 = 0
        while true {
            let header = try cursor.readByte("\(what): field header")
            if header == 0 { return }
            guard let type = ThriftType(rawValue: header & 0x0F), type != .stop else {
                throw ParquetError(.corrupt, "\(what): unknown Thrift type \(header & 0x0F)", offset: cursor.fileOffset.map { $0 - 1 })
            }
            let delta = Int16(header >> 4)
            let id: Int16
            if delta != 0 {
                let (sum, overflow) = lastID.addingReportingOverflow(delta)
                guard !overflow else { throw ParquetError(.corrupt, "\(what): field id overflows", offset: cursor.fileOffset) }
                id = sum
            } else {
                let raw = try cursor.readZigzag("\(what): field id")
                guard let exact = Int16(exactly: raw) else {
                    throw ParquetError(.corrupt, "\(what): field id \(raw) out of range", offset: cursor.fileOffset)
                }
                id = exact
            }
            lastID = id
            try field(&self, id, type)
        }
    }

    /// Skips one value of `type`, whatever it holds (fields a newer writer added).
    mutating func skip(_ type: ThriftType) throws(ParquetError) {
        switch type {
        case .stop: return
        case .boolTrue, .boolFalse: return  // the value is in the field header
        case .byte: _ = try cursor.readByte("skipped byte")
        case .i16, .i32, .i64: _ = try cursor.readVarint("skipped integer")
        case .double: try cursor.skip(8, "skipped double")
        case .binary: _ = try readBinary("skipped binary")
        case .list, .set:
            let (count, element) = try readListHeader("skipped list")
            for _ in 0 ..< count { try skipElement(element) }
        case .map:
            let count = try readSize("skipped map")
            if count > 0 {
                let types = try cursor.readByte("skipped map types")
                guard let k = ThriftType(rawValue: types >> 4), let v = ThriftType(rawValue: types & 0x0F) else {
                    throw ParquetError(.corrupt, "skipped map: unknown element types \(types)", offset: cursor.fileOffset)
                }
                for _ in 0 ..< count {
                    try skipElement(k)
                    try skipElement(v)
                }
            }
        case .struct:
            try readStruct("skipped struct") { (r, _, t) throws(ParquetError) in try r.skip(t) }
        }
    }

    /// A list or map element: booleans take a byte there, unlike in a field.
    private mutating func skipElement(_ type: ThriftType) throws(ParquetError) {
        if type == .boolTrue || type == .boolFalse { _ = try cursor.readByte("skipped bool") } else { try skip(type) }
    }

    /// A non-negative varint size that cannot exceed the bytes left (every element takes ≥ 1 byte).
    private mutating func readSize(_ what: String) throws(ParquetError) -> Int {
        let n = try cursor.readVarint("\(what): size")
        guard n <= UInt64(cursor.remaining) else {
            throw ParquetError(.truncated, "\(what): \(n) elements, but only \(cursor.remaining) bytes remain", offset: cursor.fileOffset)
        }
        return Int(n)
    }

    /// The element count and type of a list that starts here; the count is checked against the
    /// bytes that remain.
    mutating func readListHeader(_ what: String) throws(ParquetError) -> (Int, ThriftType) {
        let header = try cursor.readByte("\(what): list header")
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw ParquetError(.corrupt, "\(what): unknown list element type \(header & 0x0F)", offset: cursor.fileOffset.map { $0 - 1 })
        }
        let short = Int(header >> 4)
        let count = short == 15 ? try readSize(what) : short
        guard count <= cursor.remaining else {
            throw ParquetError(.truncated, "\(what): \(count) elements, but only \(cursor.remaining) bytes remain", offset: cursor.fileOffset)
        }
        return (count, type)
    }

    /// A list whose elements are read by `element`; `what` names the field for errors.
    mutating func readList<T>(_ what: String, expecting: ThriftType,
                              _ element: (inout ThriftCompactReader) throws(ParquetError) -> T) throws(ParquetError) -> [T] {
        let (count, type) = try readListHeader(what)
        guard type == expecting || count == 0 else {
            throw ParquetError(.corrupt, "\(what): list of \(type), expected \(expecting)", offset: cursor.fileOffset)
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0 ..< count { out.append(try element(&self)) }
        return out
    }

    mutating func readI64(_ what: String) throws(ParquetError) -> Int64 {
        try cursor.readZigzag(what)
    }

    mutating func readI32(_ what: String) throws(ParquetError) -> Int32 {
        let v = try cursor.readZigzag(what)
        guard let exact = Int32(exactly: v) else {
            throw ParquetError(.corrupt, "\(what): \(v) does not fit in 32 bits", offset: cursor.fileOffset)
        }
        return exact
    }

    mutating func readI16(_ what: String) throws(ParquetError) -> Int16 {
        let v = try cursor.readZigzag(what)
        guard let exact = Int16(exactly: v) else {
            throw ParquetError(.corrupt, "\(what): \(v) does not fit in 16 bits", offset: cursor.fileOffset)
        }
        return exact
    }

    mutating func readI8(_ what: String) throws(ParquetError) -> Int8 {
        Int8(bitPattern: try cursor.readByte(what))
    }

    /// Binary: a varint length and that many bytes.
    mutating func readBinary(_ what: String) throws(ParquetError) -> [UInt8] {
        let n = try cursor.readVarint("\(what): length")
        guard n <= UInt64(cursor.remaining) else {
            throw ParquetError(.truncated, "\(what): length \(n), but only \(cursor.remaining) bytes remain", offset: cursor.fileOffset)
        }
        return Array(try cursor.readBytes(Int(n), what))
    }

    mutating func readString(_ what: String) throws(ParquetError) -> String {
        String(decoding: try readBinary(what), as: UTF8.self)
    }

    /// A boolean list element (one byte: 1 true, anything else false).
    mutating func readBoolElement(_ what: String) throws(ParquetError) -> Bool {
        try cursor.readByte(what) == 1
    }
}

/// Writes compact-protocol values. Fields must be written in increasing id order per struct.
struct ThriftCompactWriter {
    var bytes: [UInt8] = []
    private var lastIDs: [Int16] = []
    private var lastID: Int16 = 0

    mutating func beginStruct() {
        lastIDs.append(lastID)
        lastID = 0
    }

    mutating func endStruct() {
        bytes.append(0)
        lastID = lastIDs.removeLast()
    }

    mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = id - lastID
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            bytes.appendZigzag(Int64(id))
        }
        lastID = id
    }

    mutating func writeI32(_ id: Int16, _ v: Int32) {
        fieldHeader(id, .i32)
        bytes.appendZigzag(Int64(v))
    }

    mutating func writeI64(_ id: Int16, _ v: Int64) {
        fieldHeader(id, .i64)
        bytes.appendZigzag(v)
    }

    mutating func writeBool(_ id: Int16, _ v: Bool) {
        fieldHeader(id, v ? .boolTrue : .boolFalse)
    }

    mutating func writeBinary(_ id: Int16, _ v: [UInt8]) {
        fieldHeader(id, .binary)
        bytes.appendVarint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    mutating func writeString(_ id: Int16, _ v: String) { writeBinary(id, Array(v.utf8)) }

    /// A list header; the caller writes `count` elements of `type` next.
    mutating func listHeader(_ id: Int16, _ type: ThriftType, count: Int) {
        fieldHeader(id, .list)
        listHeaderOnly(type, count: count)
    }

    mutating func listHeaderOnly(_ type: ThriftType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            bytes.appendVarint(UInt64(count))
        }
    }

    /// A bare zigzag varint (a list element of type i32/i64).
    mutating func writeElementInt(_ v: Int64) { bytes.appendZigzag(v) }

    mutating func writeElementString(_ v: String) {
        bytes.appendVarint(UInt64(v.utf8.count))
        bytes.append(contentsOf: Array(v.utf8))
    }

    /// A struct-typed field: header, then the caller's fields inside `body`.
    mutating func writeStruct(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .struct)
        beginStruct()
        body(&self)
        endStruct()
    }
}
