import Tabular

/// Reads Arrow IPC files (`.arrow`, Feather v2) with a flat schema into a `Table`, with the same
/// value rules as `ParquetReader`: numbers, booleans, decimals → Doubles; DATE in days;
/// TIMESTAMP, TIME and DURATION in seconds; strings (plain or dictionary-encoded) → categorical
/// columns with sorted levels; nulls → NaN / -1.
///
/// Record batches may be uncompressed, ZSTD- or LZ4_FRAME-compressed.
/// Nested types, views, unions and big decimals are refused with an error naming the column.
/// Format: Apache Arrow `format/File.fbs`, `Message.fbs`, `Schema.fbs` and the IPC columnar
/// specification.
public enum ArrowFileReader {
    /// Reads the file at `path`.
    /// - Throws: `ParquetError` naming the file, the column, the record batch (as `rowGroup`) and
    ///   the message offset.
    public static func read(path: String) throws(ParquetError) -> Table {
        do throws(ParquetError) {
            let file = try ParquetFile(path: path)
            return try ArrowFileDecoder(file: file).decode()
        } catch {
            throw error.locating(file: path)
        }
    }
}

/// An Arrow field as Plumb reads it.
struct ArrowField {
    enum Kind {
        /// Fixed-width values → Double.
        case numeric(ArrowNumeric, width: Int)
        case boolean
        /// Utf8 / Binary (32-bit offsets) or LargeUtf8 / LargeBinary (64-bit).
        case strings(largeOffsets: Bool)
        /// Dictionary indices of `indexWidth` bytes into dictionary `id` (of strings).
        case dictionary(id: Int64, indexWidth: Int, indexSigned: Bool, largeOffsets: Bool)
        /// The Null type: every row is null, no buffers.
        case null
    }

    var name: String
    var kind: Kind
    var columnKind: ColumnKind {
        switch kind {
        case .strings, .dictionary: .categorical
        default: .numeric
        }
    }
}

/// How fixed-width Arrow values become Doubles.
enum ArrowNumeric {
    case signed(divisor: Double)
    case unsigned(divisor: Double)
    case float16, float32, float64
    /// Decimal128, little-endian two's complement.
    case decimal128(divisor: Double)
}

struct ArrowFileDecoder {
    let file: ParquetFile
    static let magic = Array("ARROW1".utf8)

    func decode() throws(ParquetError) -> Table {
        guard file.size >= 18 else { throw ParquetError(.notParquet, "\(file.size) bytes is too short for an Arrow IPC file") }
        guard Array(try file.bytes(at: 0, count: 6)) == Self.magic, Array(try file.bytes(at: file.size - 6, count: 6)) == Self.magic else {
            throw ParquetError(.notParquet, "no ARROW1 magic at the start and end: not an Arrow IPC file (or truncated)")
        }
        let footerLength = Int(Int32(littleEndian: try file.bytes(at: file.size - 10, count: 4).loadUnaligned(as: Int32.self)))
        guard footerLength > 0, footerLength <= file.size - 18 else {
            throw ParquetError(.truncated, "footer length \(footerLength) does not fit in the file", offset: file.size - 10)
        }
        let footerStart = file.size - 10 - footerLength
        let footer = try FlatBuffer(bytes: file.bytes(at: footerStart, count: footerLength), what: "Arrow footer").root()
        guard let schema = try footer.table(1) else { throw ParquetError(.corrupt, "Arrow footer has no schema", offset: footerStart) }
        let fields = try Self.fields(of: schema)
        var columns = fields.map { ColumnBuilder(field: $0) }
        var dictionaries: [Int64: StringList] = [:]
        for (offset, metaLength, bodyLength) in try blocks(footer, 2) {
            try locating(offset: offset) { () throws(ParquetError) in
                try readDictionaryBatch(at: offset, metaLength: metaLength, bodyLength: bodyLength, fields: fields, into: &dictionaries)
            }
        }
        let batches = try blocks(footer, 3)
        // Reserve the columns once: the batches' row counts are in their headers.
        var totalRows = 0
        for (offset, metaLength, bodyLength) in batches {
            let (batch, _) = try message(at: offset, metaLength: metaLength, bodyLength: bodyLength, expecting: 3)
            totalRows = min(1 << 50, totalRows + Int(max(0, min(1 << 40, try batch.scalar(0, Int64.self, default: 0)))))
        }
        let (bytes, overflow) = totalRows.multipliedReportingOverflow(by: 8 * max(1, columns.count))
        guard !overflow, bytes <= physicalMemory() else {
            throw ParquetError(.tooLarge, "\(totalRows) rows × \(columns.count) columns need more memory than this machine has")
        }
        for j in columns.indices { columns[j].reserve(totalRows) }
        for (b, (offset, metaLength, bodyLength)) in batches.enumerated() {
            try locating(rowGroup: b, offset: offset) { () throws(ParquetError) in
                let (batch, body) = try message(at: offset, metaLength: metaLength, bodyLength: bodyLength, expecting: 3)
                let rows = try RecordBatchReader(batch: batch, body: body)
                try rows.read(fields, into: &columns, dictionaries: dictionaries)
            }
        }
        let rowCount = columns.first?.count ?? 0
        return Table(columns: columns.map { $0.finish() }, rowCount: rowCount)
    }

    /// The footer's dictionary (2) or record batch (3) blocks: offset, metadata length, body length.
    private func blocks(_ footer: FlatTable, _ id: Int) throws(ParquetError) -> [(Int, Int, Int)] {
        guard let (start, count) = try footer.vector(id, elementSize: 24) else { return [] }
        var out: [(Int, Int, Int)] = []
        for k in 0 ..< count {
            let p = start + 24 * k
            let offset = try footer.buffer.load(p, as: Int64.self)
            let metaLength = try footer.buffer.load(p + 8, as: Int32.self)
            let bodyLength = try footer.buffer.load(p + 16, as: Int64.self)
            guard offset >= 8, metaLength > 0, bodyLength >= 0, offset < Int64(file.size), bodyLength < Int64(file.size) else {
                throw ParquetError(.corrupt, "Arrow block \(k) (offset \(offset), metadata \(metaLength), body \(bodyLength)) lies outside the file")
            }
            out.append((Int(offset), Int(metaLength), Int(bodyLength)))
        }
        return out
    }

    /// The message at `offset` (its header table, of the expected type) and its body bytes.
    private func message(at offset: Int, metaLength: Int, bodyLength: Int, expecting headerType: UInt8) throws(ParquetError) -> (FlatTable, UnsafeRawBufferPointer) {
        let meta = try file.bytes(at: offset, count: metaLength)
        let body = try file.bytes(at: offset + metaLength, count: bodyLength)
        guard metaLength >= 8 else { throw ParquetError(.truncated, "Arrow message metadata of \(metaLength) bytes") }
        // An encapsulated message: 0xFFFFFFFF, then the flatbuffer's length (older files omit the marker).
        var start = 4
        var length = Int(Int32(littleEndian: meta.loadUnaligned(as: Int32.self)))
        if length == -1 {
            length = Int(Int32(littleEndian: meta.loadUnaligned(fromByteOffset: 4, as: Int32.self)))
            start = 8
        }
        guard length > 0, length <= metaLength - start else {
            throw ParquetError(.truncated, "Arrow message flatbuffer of \(length) bytes in \(metaLength - start)")
        }
        let flat = FlatBuffer(bytes: UnsafeRawBufferPointer(rebasing: meta[start ..< start + length]), what: "Arrow message")
        let message = try flat.root()
        let type = try message.scalar(1, UInt8.self, default: 0)
        guard type == headerType, let header = try message.table(2) else {
            throw ParquetError(.corrupt, "Arrow message holds header type \(type), expected \(headerType == 2 ? "DictionaryBatch" : "RecordBatch")")
        }
        let declared = try message.scalar(3, Int64.self, default: 0)
        guard declared <= Int64(bodyLength) else {
            throw ParquetError(.corrupt, "Arrow message body of \(declared) bytes, the block has \(bodyLength)")
        }
        return (header, body)
    }

    private func readDictionaryBatch(at offset: Int, metaLength: Int, bodyLength: Int, fields: [ArrowField],
                                     into dictionaries: inout [Int64: StringList]) throws(ParquetError) {
        let (header, body) = try message(at: offset, metaLength: metaLength, bodyLength: bodyLength, expecting: 2)
        let id = try header.scalar(0, Int64.self, default: 0)
        guard let data = try header.table(1) else { throw ParquetError(.corrupt, "DictionaryBatch without data") }
        guard let field = fields.first(where: { if case .dictionary(id, _, _, _) = $0.kind { true } else { false } }),
              case .dictionary(_, _, _, let large) = field.kind else {
            throw ParquetError(.corrupt, "DictionaryBatch for dictionary \(id), which no field uses")
        }
        let isDelta = try header.bool(2)
        // Dictionary entries keep their positions (indices refer to them), repeated values too.
        var list = isDelta ? dictionaries[id] ?? StringList() : StringList()
        let reader = try RecordBatchReader(batch: data, body: body)
        var values = ColumnBuilder(field: ArrowField(name: field.name, kind: .strings(largeOffsets: large)))
        var fieldIndex = 0, bufferIndex = 0
        try locating(column: field.name) { () throws(ParquetError) in
            try reader.readField(values.field, &fieldIndex, &bufferIndex, into: &values, dictionaries: [:])
        }
        for i in 0 ..< values.codes.count {
            let code = values.codes[i]
            guard code >= 0 else { throw ParquetError(.unsupported, "null in the dictionary of '\(field.name)'", column: field.name) }
            values.strings.withEntry(Int(code)) { list.append($0) }
        }
        dictionaries[id] = list
    }

    /// The schema's fields, each mapped to how Plumb reads it.
    static func fields(of schema: FlatTable) throws(ParquetError) -> [ArrowField] {
        var out: [ArrowField] = []
        var names = Set<String>()
        for f in try schema.tables(1) {
            let name = try f.string(0) ?? ""
            do throws(ParquetError) {
                guard try f.tables(5).isEmpty else { throw ParquetError(.unsupported, "nested column (a field with children); Plumb reads flat schemas only") }
                let typeType = try f.scalar(2, UInt8.self, default: 0)
                let type = try f.table(3)
                var kind = try Self.kind(typeType, type)
                if let dictionary = try f.table(4) {
                    guard case .strings(let large) = kind else {
                        throw ParquetError(.unsupported, "dictionary-encoded values other than strings")
                    }
                    let id = try dictionary.scalar(0, Int64.self, default: 0)
                    var width = 4, signed = true
                    if let index = try dictionary.table(1) {
                        width = Int(try index.scalar(0, Int32.self, default: 32)) / 8
                        signed = try index.bool(1)
                    }
                    guard [1, 2, 4, 8].contains(width) else { throw ParquetError(.corrupt, "dictionary index width \(width * 8) bits") }
                    kind = .dictionary(id: id, indexWidth: width, indexSigned: signed, largeOffsets: large)
                }
                guard names.insert(name).inserted else { throw ParquetError(.unsupported, "duplicate column name") }
                out.append(ArrowField(name: name, kind: kind))
            } catch {
                throw error.locating(column: name)
            }
        }
        return out
    }

    /// Schema.fbs `Type` union members Plumb reads.
    private static func kind(_ typeType: UInt8, _ type: FlatTable?) throws(ParquetError) -> ArrowField.Kind {
        func unit(_ raw: Int16) -> Double { [1, 1e3, 1e6, 1e9][Int(max(0, min(3, raw)))] }
        switch typeType {
        case 1: return .null
        case 2:  // Int
            let bits = Int(try type?.scalar(0, Int32.self, default: 0) ?? 0)
            let signed = try type?.bool(1) ?? false
            guard [8, 16, 32, 64].contains(bits) else { throw ParquetError(.corrupt, "Int of \(bits) bits") }
            return .numeric(signed ? .signed(divisor: 1) : .unsigned(divisor: 1), width: bits / 8)
        case 3:  // FloatingPoint: HALF, SINGLE, DOUBLE
            switch try type?.scalar(0, Int16.self, default: 0) ?? 0 {
            case 0: return .numeric(.float16, width: 2)
            case 1: return .numeric(.float32, width: 4)
            case 2: return .numeric(.float64, width: 8)
            case let p: throw ParquetError(.corrupt, "FloatingPoint precision \(p)")
            }
        case 4, 5: return .strings(largeOffsets: false)   // Binary, Utf8
        case 19, 20: return .strings(largeOffsets: true)  // LargeBinary, LargeUtf8
        case 6: return .boolean
        case 7:  // Decimal
            let scale = try type?.scalar(1, Int32.self, default: 0) ?? 0
            let bits = try type?.scalar(2, Int32.self, default: 128) ?? 128
            guard bits == 128 else { throw ParquetError(.unsupported, "Decimal\(bits) (Decimal128 is supported)") }
            guard scale >= 0 && scale <= 76 else { throw ParquetError(.corrupt, "Decimal scale \(scale)") }
            var divisor = 1.0
            for _ in 0 ..< scale { divisor *= 10 }
            return .numeric(.decimal128(divisor: divisor), width: 16)
        case 8:  // Date: DAY (int32) or MILLISECOND (int64) → days
            return try type?.scalar(0, Int16.self, default: 1) == 0
                ? .numeric(.signed(divisor: 1), width: 4) : .numeric(.signed(divisor: 86_400_000), width: 8)
        case 9:  // Time: unit, bitWidth → seconds
            let u = try type?.scalar(0, Int16.self, default: 1) ?? 1
            let bits = Int(try type?.scalar(1, Int32.self, default: 32) ?? 32)
            guard bits == 32 || bits == 64 else { throw ParquetError(.corrupt, "Time of \(bits) bits") }
            return .numeric(.signed(divisor: unit(u)), width: bits / 8)
        case 10, 18:  // Timestamp, Duration → seconds
            return .numeric(.signed(divisor: unit(try type?.scalar(0, Int16.self, default: 0) ?? 0)), width: 8)
        default:
            let names: [UInt8: String] = [11: "Interval", 12: "List", 13: "Struct", 14: "Union", 15: "FixedSizeBinary",
                                          16: "FixedSizeList", 17: "Map", 21: "LargeList", 22: "RunEndEncoded",
                                          23: "BinaryView", 24: "Utf8View", 25: "ListView", 26: "LargeListView"]
            throw ParquetError(.unsupported, "Arrow type \(names[typeType] ?? "#\(typeType)") is not supported")
        }
    }
}

/// One record batch's nodes and buffers, decompressed when the batch is compressed.
struct RecordBatchReader {
    let length: Int
    let nodes: [(length: Int, nulls: Int)]
    let buffers: [UnsafeRawBufferPointer]
    /// Owns decompressed buffers (the pointers in `buffers` point into it or into the file).
    private let storage = OwnedBuffers()

    init(batch: FlatTable, body: UnsafeRawBufferPointer) throws(ParquetError) {
        let length = try batch.scalar(0, Int64.self, default: 0)
        guard length >= 0, length <= 1 << 40 else { throw ParquetError(.corrupt, "RecordBatch of \(length) rows") }
        self.length = Int(length)
        var nodes: [(Int, Int)] = []
        if let (start, count) = try batch.vector(1, elementSize: 16) {
            for k in 0 ..< count {
                let n = try batch.buffer.load(start + 16 * k, as: Int64.self)
                let nulls = try batch.buffer.load(start + 16 * k + 8, as: Int64.self)
                guard n >= 0, n <= length, nulls >= 0, nulls <= n else { throw ParquetError(.corrupt, "FieldNode \(k): \(n) values, \(nulls) nulls") }
                nodes.append((Int(n), Int(nulls)))
            }
        }
        self.nodes = nodes
        var codec: CompressionCodec?
        if let compression = try batch.table(3) {
            switch try compression.scalar(0, Int8.self, default: 0) {
            case 1: codec = .zstd
            case 0: codec = .lz4  // LZ4_FRAME
            case let c: throw ParquetError(.corrupt, "unknown BodyCompression codec \(c)")
            }
            guard try compression.scalar(1, Int8.self, default: 0) == 0 else {
                throw ParquetError(.unsupported, "BodyCompression method other than BUFFER")
            }
        }
        var buffers: [UnsafeRawBufferPointer] = []
        if let (start, count) = try batch.vector(2, elementSize: 16) {
            for k in 0 ..< count {
                let offset = try batch.buffer.load(start + 16 * k, as: Int64.self)
                let size = try batch.buffer.load(start + 16 * k + 8, as: Int64.self)
                guard offset >= 0, size >= 0, size <= Int64(body.count), offset <= Int64(body.count) - size else {
                    throw ParquetError(.truncated, "buffer \(k) (\(size) bytes at \(offset)) passes the end of the \(body.count)-byte body")
                }
                let raw = UnsafeRawBufferPointer(rebasing: body[Int(offset) ..< Int(offset + size)])
                guard let codec, size > 0 else {
                    buffers.append(raw)
                    continue
                }
                // A compressed buffer: its uncompressed length (-1: stored as is), then the data.
                guard raw.count >= 8 else { throw ParquetError(.truncated, "compressed buffer \(k) of \(raw.count) bytes") }
                let uncompressed = Int64(littleEndian: raw.loadUnaligned(as: Int64.self))
                let data = UnsafeRawBufferPointer(rebasing: raw[8...])
                if uncompressed == -1 {
                    buffers.append(data)
                    continue
                }
                guard uncompressed >= 0, uncompressed <= 1 << 30 else {
                    throw ParquetError(.corrupt, "buffer \(k) claims \(uncompressed) uncompressed bytes (at most 1 GiB is accepted)")
                }
                let out = storage.allocate(Int(uncompressed))
                if codec == .lz4 { try Codec.lz4Frame(data, into: out) } else { try Codec.decompress(codec, data, into: out) }
                buffers.append(UnsafeRawBufferPointer(out))
            }
        }
        self.buffers = buffers
    }

    /// Appends this batch's rows of every field to `columns`.
    func read(_ fields: [ArrowField], into columns: inout [ColumnBuilder], dictionaries: [Int64: StringList]) throws(ParquetError) {
        var fieldIndex = 0, bufferIndex = 0
        for j in fields.indices {
            try locating(column: fields[j].name) { () throws(ParquetError) in
                guard nodes.count > fieldIndex, nodes[fieldIndex].length == length else {
                    throw ParquetError(.corrupt, "field node missing or of another length than the batch's \(length) rows")
                }
                try readField(fields[j], &fieldIndex, &bufferIndex, into: &columns[j], dictionaries: dictionaries)
            }
        }
    }

    func readField(_ field: ArrowField, _ fieldIndex: inout Int, _ bufferIndex: inout Int, into column: inout ColumnBuilder,
                   dictionaries: [Int64: StringList]) throws(ParquetError) {
        guard fieldIndex < nodes.count else { throw ParquetError(.corrupt, "no field node for the column") }
        let (n, nulls) = nodes[fieldIndex]
        fieldIndex += 1
        func next() throws(ParquetError) -> UnsafeRawBufferPointer {
            guard bufferIndex < buffers.count else { throw ParquetError(.corrupt, "record batch has too few buffers") }
            bufferIndex += 1
            return buffers[bufferIndex - 1]
        }
        if case .null = field.kind {
            column.appendNulls(n)
            return
        }
        let validity = try next()
        guard nulls == 0 || validity.count >= (n + 7) / 8 else {
            throw ParquetError(.truncated, "validity bitmap of \(validity.count) bytes for \(n) rows")
        }
        let valid: (Int) -> Bool = nulls == 0 ? { _ in true } : { i in validity[i >> 3] >> UInt8(i & 7) & 1 == 1 }
        switch field.kind {
        case .null: break
        case .boolean:
            let data = try next()
            guard data.count >= (n + 7) / 8 else { throw ParquetError(.truncated, "boolean buffer of \(data.count) bytes for \(n) rows") }
            column.appendNumbers(n) { out in
                for i in 0 ..< n { out[i] = Double(data[i >> 3] >> UInt8(i & 7) & 1) }
                if nulls > 0 { for i in 0 ..< n where !valid(i) { out[i] = .nan } }
            }
        case .numeric(let conversion, let width):
            let data = try next()
            guard data.count >= n * width else { throw ParquetError(.truncated, "value buffer of \(data.count) bytes for \(n) × \(width)-byte values") }
            column.appendNumbers(n) { out in
                Self.convert(data, n, width, conversion, into: out)
                if nulls > 0 { for i in 0 ..< n where !valid(i) { out[i] = .nan } }
            }
        case .strings(let large):
            let offsets = try next(), data = try next()
            let width = large ? 8 : 4
            guard n == 0 || offsets.count >= (n + 1) * width else { throw ParquetError(.truncated, "offsets buffer of \(offsets.count) bytes for \(n) rows") }
            func offset(_ i: Int) -> Int64 {
                large ? Int64(littleEndian: offsets.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                    : Int64(Int32(littleEndian: offsets.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
            for i in 0 ..< n {
                guard valid(i) else {
                    column.codes.append(-1)
                    continue
                }
                let start = offset(i), end = offset(i + 1)
                guard start >= 0, start <= end, end <= Int64(data.count) else {
                    throw ParquetError(.corrupt, "string \(i) spans offsets \(start)..<\(end) of a \(data.count)-byte buffer")
                }
                column.codes.append(column.strings.intern(UnsafeRawBufferPointer(rebasing: data[Int(start) ..< Int(end)])))
            }
        case .dictionary(let id, let width, let signed, _):
            let data = try next()
            guard data.count >= n * width else { throw ParquetError(.truncated, "index buffer of \(data.count) bytes for \(n) rows") }
            guard let dictionary = dictionaries[id] else { throw ParquetError(.corrupt, "no DictionaryBatch for dictionary \(id)") }
            // Map dictionary positions to this column's codes once.
            let map = column.mapping(for: id, dictionary)
            for i in 0 ..< n {
                guard valid(i) else {
                    column.codes.append(-1)
                    continue
                }
                let raw = Self.integer(data, i, width, signed)
                guard raw >= 0, raw < Int64(map.count) else {
                    throw ParquetError(.corrupt, "dictionary index \(raw) out of range (the dictionary has \(map.count) entries)")
                }
                column.codes.append(map[Int(raw)])
            }
        }
    }

    static func integer(_ data: UnsafeRawBufferPointer, _ i: Int, _ width: Int, _ signed: Bool) -> Int64 {
        switch (width, signed) {
        case (1, true): Int64(Int8(bitPattern: data[i]))
        case (1, false): Int64(data[i])
        case (2, true): Int64(Int16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case (2, false): Int64(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case (4, true): Int64(Int32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        case (4, false): Int64(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        default: Int64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        }
    }

    /// `n` fixed-width values → Doubles, one loop per conversion.
    static func convert(_ data: UnsafeRawBufferPointer, _ n: Int, _ width: Int, _ conversion: ArrowNumeric,
                        into out: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        switch conversion {
        case .float64:
            UnsafeMutableRawPointer(out).copyMemory(from: data.baseAddress!, byteCount: n * 8)
        case .signed(let divisor) where width == 8:
            for i in 0 ..< n { out[i] = Double(Int64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            if divisor != 1 { for i in 0 ..< n { out[i] /= divisor } }
        case .signed(let divisor) where width == 4:
            for i in 0 ..< n { out[i] = Double(Int32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            if divisor != 1 { for i in 0 ..< n { out[i] /= divisor } }
        case .float32:
            for i in 0 ..< n { out[i] = Double(Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
        default:
            for i in 0 ..< n { out[i] = number(data, i, width, conversion) }
        }
    }

    static func number(_ data: UnsafeRawBufferPointer, _ i: Int, _ width: Int, _ conversion: ArrowNumeric) -> Double {
        switch conversion {
        case .signed(let divisor):
            return Double(integer(data, i, width, true)) / divisor
        case .unsigned(let divisor):
            if width == 8 { return Double(UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) / divisor }
            return Double(integer(data, i, width, false)) / divisor
        case .float16:
            return Double(NumericConversion.halfToFloat(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        case .float32:
            return Double(Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
        case .float64:
            return Double(bitPattern: UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        case .decimal128(let divisor):
            let low = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
            let high = Int64(littleEndian: data.loadUnaligned(fromByteOffset: 16 * i + 8, as: Int64.self))
            return Double(Int128(high) << 64 | Int128(low)) / divisor
        }
    }
}

/// One output column being filled batch by batch.
struct ColumnBuilder {
    let field: ArrowField
    var numbers: [Double] = []
    var codes: [Int32] = []
    var strings = ByteStringTable()
    /// Dictionary id → (entries already mapped, code per dictionary position).
    private var mapped: [Int64: [Int32]] = [:]

    init(field: ArrowField) { self.field = field }

    var count: Int { field.columnKind == .numeric ? numbers.count : codes.count }

    mutating func reserve(_ rows: Int) {
        if field.columnKind == .numeric { numbers.reserveCapacity(rows) } else { codes.reserveCapacity(rows) }
    }

    /// Appends `n` numbers written by `fill` into their place.
    mutating func appendNumbers(_ n: Int, _ fill: (UnsafeMutablePointer<Double>) -> Void) {
        if n == 0 { return }
        let start = numbers.count
        numbers.append(contentsOf: repeatElement(0, count: n))
        numbers.withUnsafeMutableBufferPointer { fill($0.baseAddress! + start) }
    }

    mutating func appendNulls(_ n: Int) {
        numbers.append(contentsOf: repeatElement(.nan, count: n))
    }

    /// Codes in this column for each entry of `dictionary` (interning entries not seen yet).
    mutating func mapping(for id: Int64, _ dictionary: StringList) -> [Int32] {
        var map = mapped[id] ?? []
        if map.count < dictionary.count {
            for k in map.count ..< dictionary.count {
                map.append(dictionary.withEntry(k) { strings.intern($0) })
            }
            mapped[id] = map
        }
        return map
    }

    func finish() -> Column {
        switch field.columnKind {
        case .numeric:
            return Column(name: field.name, data: .numeric(numbers))
        case .categorical:
            var out = codes
            let levels = out.withUnsafeMutableBufferPointer { c in
                TableDecoder.mergeLevels([(strings, 0, c.count)], codes: c.baseAddress ?? UnsafeMutablePointer(bitPattern: 64)!)
            }
            return Column(name: field.name, data: .categorical(codes: out, levels: levels))
        }
    }
}

/// Byte strings by position (an Arrow dictionary: indices refer to positions, values may repeat).
struct StringList: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]

    var count: Int { starts.count - 1 }

    mutating func append(_ value: UnsafeRawBufferPointer) {
        arena.append(contentsOf: value)
        starts.append(arena.count)
    }

    func withEntry<R>(_ k: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withUnsafeBytes { a in body(UnsafeRawBufferPointer(rebasing: a[starts[k] ..< starts[k + 1]])) }
    }
}

/// Decompressed buffers of one record batch. Owns raw memory (freed in deinit); used by one
/// thread.
final class OwnedBuffers {
    private var blocks: [UnsafeMutableRawBufferPointer] = []

    /// A new zeroed buffer of `count` bytes, valid while this object lives.
    func allocate(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        b.initializeMemory(as: UInt8.self, repeating: 0)
        blocks.append(b)
        return UnsafeMutableRawBufferPointer(rebasing: b[0 ..< count])
    }

    deinit {
        for b in blocks { b.deallocate() }
    }
}
