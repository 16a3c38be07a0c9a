import Dispatch
import Foundation
import Tabular
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a `Table` as a Parquet file that pyarrow, polars, DuckDB and Spark read.
///
/// Numeric columns are OPTIONAL DOUBLE, PLAIN-encoded, with NaN written as **null** (definition
/// level 0), so a round trip through Plumb gives NaN back. Categorical columns are OPTIONAL
/// BYTE_ARRAY with the STRING logical type, dictionary-encoded: per row group a PLAIN dictionary
/// page of the levels used there, then RLE_DICTIONARY data pages; code -1 is null. Pages are
/// data pages v1; each column chunk carries statistics (min, max, null count); the footer's
/// `created_by` is "plumb". Column chunks of a row group are encoded in parallel. The file is
/// written next to `path` under a temporary name and renamed into place when complete.
public enum ParquetWriter {
    public enum Compression: Sendable, Equatable {
        case none, snappy
        /// zstd at `level` (1…22; 3 is zstd's and pyarrow's default).
        case zstd(level: Int)

        var codec: CompressionCodec {
            switch self {
            case .none: .uncompressed
            case .snappy: .snappy
            case .zstd: .zstd
            }
        }
    }

    public struct Options: Sendable, Equatable {
        public var compression: Compression
        /// Rows per row group; nil picks at most 1,000,000 rows and about 128 MB of values.
        public var rowGroupRows: Int?
        /// Target size of a data page's values, in bytes (1 MiB, as pyarrow).
        public var dataPageBytes: Int

        public init(compression: Compression = .snappy, rowGroupRows: Int? = nil, dataPageBytes: Int = 1 << 20) {
            self.compression = compression
            self.rowGroupRows = rowGroupRows
            self.dataPageBytes = dataPageBytes
        }
    }

    /// Writes `table` to `path` (replacing any file there).
    /// - Throws: `ParquetError` `.badArgument` for duplicate column names or bad options, `.io`
    ///   when the file cannot be written.
    public static func write(_ table: Table, to path: String, options: Options = Options()) throws(ParquetError) {
        let stream = try ParquetStreamWriter(path: path, options: options)
        do throws(ParquetError) {
            try stream.append(table)
            try stream.finish()
        } catch {
            stream.abandon()
            throw error
        }
    }

    static func check(_ table: Table, _ options: Options, path: String) throws(ParquetError) {
        guard Set(table.columnNames).count == table.columns.count else {
            throw ParquetError(.badArgument, "duplicate column names", file: path)
        }
        guard options.dataPageBytes > 0, options.dataPageBytes <= 1 << 30, (options.rowGroupRows ?? 1) > 0 else {
            throw ParquetError(.badArgument, "dataPageBytes must be in 1…2^30 and rowGroupRows positive", file: path)
        }
        // Page sizes are 32-bit in the format: a dictionary page holds all of a column's levels.
        for c in table.columns {
            if case .categorical(_, let levels) = c.data, levels.reduce(0, { $0 + 4 + $1.utf8.count }) > Int(Int32.max) - 1024 {
                throw ParquetError(.badArgument, "the levels of '\(c.name)' take more than 2 GiB, the most a dictionary page holds",
                                   file: path, column: c.name)
            }
        }
        if case .zstd(let level) = options.compression, !(1 ... 22).contains(level) {
            throw ParquetError(.badArgument, "zstd level \(level) out of range 1…22", file: path)
        }
    }

    /// Rows per row group: `options.rowGroupRows`, else at most 1,000,000 rows and about 128 MB.
    static func rowGroupRows(_ table: Table, _ options: Options) -> Int {
        let bytesPerRow = max(1, table.columns.reduce(0) { $0 + ($1.kind == .numeric ? 8 : 4) })
        return options.rowGroupRows ?? max(1, min(1_000_000, (128 << 20) / bytesPerRow))
    }

    static func schema(of table: Table) -> [SchemaElement] {
        var elements = [SchemaElement(name: "schema", numChildren: Int32(table.columns.count))]
        for c in table.columns {
            switch c.kind {
            case .numeric:
                elements.append(SchemaElement(type: .double, repetitionType: .optional, name: c.name))
            case .categorical:
                elements.append(SchemaElement(type: .byteArray, repetitionType: .optional, name: c.name,
                                              convertedType: .utf8, logicalType: .string))
            }
        }
        return elements
    }

    /// Encodes the row group's column chunks in parallel, then appends them in column order.
    static func writeRowGroup(_ table: Table, rows: Range<Int>, _ options: Options, _ out: OutputFile) throws(ParquetError) -> RowGroup {
        var chunks = [ColumnChunkWriter.Encoded?](repeating: nil, count: table.columns.count)
        chunks.withUnsafeMutableBufferPointer { buffer in
            let shared = DisjointWrites(buffer)
            DispatchQueue.concurrentPerform(iterations: table.columns.count) { j in
                shared.value[j] = ColumnChunkWriter(column: table.columns[j], rows: rows, options: options).encode()
            }
        }
        var group = RowGroup(columns: [], totalByteSize: 0, numRows: Int64(rows.count))
        for case let chunk? in chunks {
            let offset = Int64(out.written)
            try out.append(chunk.bytes)
            var meta = chunk.meta
            meta.dataPageOffset += offset
            if let d = meta.dictionaryPageOffset { meta.dictionaryPageOffset = d + offset }
            group.columns.append(ColumnChunk(filePath: nil, fileOffset: offset, metaData: meta))
            group.totalByteSize += meta.totalUncompressedSize
        }
        return group
    }
}

/// Writes a Parquet file a table at a time: `append` adds row groups as tables arrive (each
/// encoded and written at once, so memory holds one table, not the file), `finish` writes the
/// footer and renames the file into place. Every appended table must have the first one's column
/// names and kinds; categorical levels may differ (each row group has its own dictionary).
/// Until `finish`, the data sits under a temporary name next to `path`; `abandon` removes it.
public final class ParquetStreamWriter {
    public let path: String
    public let options: ParquetWriter.Options
    private let temporary: String
    private let out: OutputFile
    /// The first table's columns without rows: the schema every later table must match.
    private var schemaTable: Table?
    private var rowGroups: [RowGroup] = []
    private var rows = 0

    public init(path: String, options: ParquetWriter.Options = .init()) throws(ParquetError) {
        self.path = path
        self.options = options
        let temporary = path + ".plumb-tmp-\(getpid())"
        self.temporary = temporary
        out = try locating(file: path) { () throws(ParquetError) in try OutputFile(path: temporary) }
        do throws(ParquetError) { try out.append(Array("PAR1".utf8)) } catch { abandon(); throw error.locating(file: path) }
    }

    /// Encodes and writes `table`'s rows as one or more row groups.
    /// - Throws: `.schemaMismatch` when its columns differ from the first table's; `.io`.
    public func append(_ table: Table) throws(ParquetError) {
        try ParquetWriter.check(table, options, path: path)
        let shape = table.columns.map { (name: $0.name, kind: $0.kind) }
        if let columns = schemaTable?.columns.map({ (name: $0.name, kind: $0.kind) }) {
            guard columns.map(\.name) == shape.map(\.name), columns.map(\.kind) == shape.map(\.kind) else {
                throw ParquetError(.schemaMismatch, "a later batch has columns \(Self.describe(shape)), the first had \(Self.describe(columns))", file: path)
            }
        } else {
            schemaTable = Table(columns: table.columns.map { $0.selecting(rows: []) }, rowCount: 0)
        }
        let groupRows = ParquetWriter.rowGroupRows(table, options)
        var start = 0
        do throws(ParquetError) {
            while start < table.rowCount {
                let count = min(groupRows, table.rowCount - start)
                rowGroups.append(try ParquetWriter.writeRowGroup(table, rows: start ..< start + count, options, out))
                start += count
            }
        } catch {
            throw error.locating(file: path)
        }
        rows += table.rowCount
    }

    /// Writes the footer and moves the file into place. With nothing appended the file has no
    /// columns and no rows.
    public func finish() throws(ParquetError) {
        let schemaSource = schemaTable ?? Table(columns: [], rowCount: 0)
        let metadata = FileMetaData(version: 2, schema: ParquetWriter.schema(of: schemaSource), numRows: Int64(rows),
                                    rowGroups: rowGroups, keyValueMetadata: [], createdBy: "plumb",
                                    columnOrderCount: schemaSource.columns.count)
        var w = ThriftCompactWriter()
        metadata.encode(&w)
        var tail: [UInt8] = []
        tail.appendLE(UInt32(w.bytes.count))
        tail += Array("PAR1".utf8)
        do throws(ParquetError) {
            try out.append(w.bytes)
            try out.append(tail)
            try out.finish()
        } catch {
            throw error.locating(file: path)
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw ParquetError(.io, "cannot rename \(temporary) into place: \(String(cString: strerror(e)))", file: path)
        }
    }

    /// Removes the unfinished file (after an error).
    public func abandon() { out.abandon() }

    private static func describe(_ columns: [(name: String, kind: ColumnKind)]) -> String {
        columns.map { "\($0.name) (\($0.kind))" }.joined(separator: ", ")
    }
}

/// Encodes one column's rows of one row group: pages, their headers, the chunk's metadata.
struct ColumnChunkWriter {
    let column: Column
    let rows: Range<Int>
    let options: ParquetWriter.Options

    /// The chunk's bytes, and its metadata with offsets relative to the chunk's first byte.
    struct Encoded {
        var bytes: [UInt8]
        var meta: ColumnMetaData
    }

    func encode() -> Encoded {
        var bytes: [UInt8] = []
        var meta = ColumnMetaData()
        meta.pathInSchema = [column.name]
        meta.codec = options.compression.codec
        meta.numValues = Int64(rows.count)
        var content: [UInt8] = []  // one page before compression, reused
        switch column.data {
        case .numeric(let values):
            meta.type = .double
            meta.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue]
            var stats = NumericStatistics()
            let pageRows = max(1, options.dataPageBytes / 8)
            meta.dataPageOffset = 0
            values.withUnsafeBufferPointer { v in
                for start in stride(from: rows.lowerBound, to: rows.upperBound, by: pageRows) {
                    let page = UnsafeBufferPointer(rebasing: v[start ..< min(rows.upperBound, start + pageRows)])
                    content.removeAll(keepingCapacity: true)
                    numericPage(page, into: &content, &stats)
                    appendDataPage(content, values: page.count, encoding: .plain, to: &bytes, &meta)
                }
            }
            meta.statistics = stats.parquet
        case .categorical(let codes, let levels):
            meta.type = .byteArray
            meta.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue, Encoding.rleDictionary.rawValue]
            // The dictionary holds the levels this row group uses, in level order.
            var local = [Int32](repeating: -1, count: levels.count)
            var nullCount = 0
            codes.withUnsafeBufferPointer { c in
                for i in rows {
                    let code = c[i]
                    if code >= 0 && Int(code) < levels.count { local[Int(code)] = 0 } else { nullCount += 1 }
                }
            }
            var used: [Int] = []
            for l in levels.indices where local[l] == 0 {
                local[l] = Int32(used.count)
                used.append(l)
            }
            content.removeAll(keepingCapacity: true)
            var minLevel: [UInt8]?, maxLevel: [UInt8]?
            for l in used {
                let utf8 = Array(levels[l].utf8)
                content.appendLE(UInt32(utf8.count))
                content += utf8
                if minLevel.map({ utf8.lexicographicallyPrecedes($0) }) ?? true { minLevel = utf8 }
                if maxLevel.map({ $0.lexicographicallyPrecedes(utf8) }) ?? true { maxLevel = utf8 }
            }
            meta.dictionaryPageOffset = Int64(bytes.count)
            appendPage(content, header: { h in
                h.rawType = PageType.dictionaryPage.rawValue
                h.dictionaryPageHeader = DictionaryPageHeader(numValues: Int32(used.count), encoding: Encoding.plain.rawValue)
            }, to: &bytes, &meta)
            let width = bitWidth(for: UInt32(max(0, used.count - 1)))
            let pageRows = max(1, options.dataPageBytes / 4)
            var indices: [UInt32] = []
            var defined: [UInt32] = []
            meta.dataPageOffset = Int64(bytes.count)
            codes.withUnsafeBufferPointer { c in
                for start in stride(from: rows.lowerBound, to: rows.upperBound, by: pageRows) {
                    let end = min(rows.upperBound, start + pageRows)
                    indices.removeAll(keepingCapacity: true)
                    defined.removeAll(keepingCapacity: true)
                    for i in start ..< end {
                        let code = c[i]
                        if code >= 0 && Int(code) < levels.count {
                            indices.append(UInt32(local[Int(code)]))
                            defined.append(1)
                        } else {
                            defined.append(0)
                        }
                    }
                    content.removeAll(keepingCapacity: true)
                    appendLevels(defined, allDefined: indices.count == defined.count, to: &content)
                    content.append(UInt8(width))
                    var encoder = HybridEncoder(bitWidth: width)
                    indices.withUnsafeBufferPointer { encoder.encode($0) }
                    content += encoder.bytes
                    appendDataPage(content, values: end - start, encoding: .rleDictionary, to: &bytes, &meta)
                }
            }
            meta.statistics = Statistics(nullCount: Int64(nullCount), distinctCount: nil, maxValue: maxLevel, minValue: minLevel)
        }
        // The data pages follow the dictionary page (when there is one).
        return Encoded(bytes: bytes, meta: meta)
    }

    /// Definition levels (4-byte length, then the hybrid stream) of one page, then its non-NaN
    /// values as PLAIN doubles; counts the page in `stats`.
    private func numericPage(_ page: UnsafeBufferPointer<Double>, into content: inout [UInt8], _ stats: inout NumericStatistics) {
        var nulls = 0
        for x in page where x.isNaN { nulls += 1 }
        if nulls == 0 {
            appendLevels([], allDefined: true, count: page.count, to: &content)
            content.append(contentsOf: UnsafeRawBufferPointer(page))
            stats.add(page)
        } else {
            let defined = page.map { $0.isNaN ? UInt32(0) : 1 }
            appendLevels(defined, allDefined: false, to: &content)
            let present = page.filter { !$0.isNaN }
            present.withUnsafeBufferPointer { p in
                content.append(contentsOf: UnsafeRawBufferPointer(p))
                stats.add(p)
            }
        }
        stats.nullCount += nulls
    }

    /// Appends RLE definition levels with their 4-byte length; all defined is one RLE run.
    private func appendLevels(_ defined: [UInt32], allDefined: Bool, count: Int? = nil, to content: inout [UInt8]) {
        var encoder = HybridEncoder(bitWidth: 1)
        if allDefined {
            var run: [UInt8] = []
            run.appendVarint(UInt64(count ?? defined.count) << 1)
            run.append(1)
            content.appendLE(UInt32(run.count))
            content += run
            return
        }
        defined.withUnsafeBufferPointer { encoder.encode($0) }
        content.appendLE(UInt32(encoder.bytes.count))
        content += encoder.bytes
    }

    private func appendDataPage(_ content: [UInt8], values: Int, encoding: Encoding,
                                to bytes: inout [UInt8], _ meta: inout ColumnMetaData) {
        appendPage(content, header: { h in
            h.rawType = PageType.dataPage.rawValue
            h.dataPageHeader = DataPageHeader(numValues: Int32(values), encoding: encoding.rawValue,
                                              definitionLevelEncoding: Encoding.rle.rawValue,
                                              repetitionLevelEncoding: Encoding.rle.rawValue)
        }, to: &bytes, &meta)
    }

    /// Compresses `content` and appends its page header and body.
    private func appendPage(_ content: [UInt8], header fill: (inout PageHeader) -> Void,
                            to bytes: inout [UInt8], _ meta: inout ColumnMetaData) {
        var body: [UInt8] = []
        body.reserveCapacity(content.count + content.count / 16 + 64)
        content.withUnsafeBytes { _ = Codec.compress(options.compression, $0, appendingTo: &body) }
        var header = PageHeader()
        header.uncompressedPageSize = Int32(content.count)
        header.compressedPageSize = Int32(body.count)
        fill(&header)
        var w = ThriftCompactWriter()
        header.encode(&w)
        bytes += w.bytes
        bytes += body
        meta.totalUncompressedSize += Int64(w.bytes.count + content.count)
        meta.totalCompressedSize += Int64(w.bytes.count + body.count)
    }
}

/// Min, max and null count of a DOUBLE column chunk (NaN never reaches it: NaN is null).
struct NumericStatistics {
    var minimum = Double.infinity
    var maximum = -Double.infinity
    var count = 0
    var nullCount = 0

    mutating func add(_ values: UnsafeBufferPointer<Double>) {
        var lo = minimum, hi = maximum
        for x in values {
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
        }
        minimum = lo
        maximum = hi
        count += values.count
    }

    var parquet: Statistics {
        var s = Statistics(nullCount: Int64(nullCount))
        if count > 0 {
            // The spec asks for -0.0 as a zero minimum and +0.0 as a zero maximum.
            let lo = minimum == 0 ? -0.0 : minimum
            let hi = maximum == 0 ? 0.0 : maximum
            var a: [UInt8] = [], b: [UInt8] = []
            a.appendLE(lo.bitPattern)
            b.appendLE(hi.bitPattern)
            s.minValue = a
            s.maxValue = b
        }
        return s
    }
}

/// A file being written with `write(2)` from one thread; `abandon` removes it after a failure.
final class OutputFile {
    let path: String
    private let fd: Int32
    /// Bytes appended so far.
    private(set) var written = 0

    init(path: String) throws(ParquetError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            throw ParquetError(.io, "cannot create \(path): \(String(cString: strerror(e)))")
        }
    }

    func append(_ bytes: [UInt8]) throws(ParquetError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 { throw ParquetError(.io, "write failed: \(String(cString: strerror(failure)))") }
        written += bytes.count
    }

    func finish() throws(ParquetError) {
        guard close(fd) == 0 else {
            let e = errno
            throw ParquetError(.io, "close failed: \(String(cString: strerror(e)))")
        }
    }

    func abandon() {
        _ = close(fd)
        unlink(path)
    }
}
