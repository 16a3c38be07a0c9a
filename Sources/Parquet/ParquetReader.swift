import Foundation
import Tabular

/// One column as the file declares it and as Plumb reads it.
public struct ParquetColumn: Sendable, Equatable {
    public var name: String
    /// `.numeric` for numbers, booleans, dates, timestamps and decimals; `.categorical` for strings.
    public var kind: ColumnKind
    /// The Parquet physical type: "DOUBLE", "INT64", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY(16)", …
    public var physicalType: String
    /// False when the column is REQUIRED (it can hold no nulls).
    public var isOptional: Bool
}

/// Reads Parquet files with a flat schema into `Table`s.
///
/// Values: integers, floats, booleans (0/1) and decimals become Doubles; DATE is days since
/// 1970-01-01; TIMESTAMP (millis, micros, nanos, and legacy INT96) and TIME are **seconds**
/// (since the Unix epoch, since midnight) as Doubles, so a column compares equal whatever unit a
/// writer chose; strings (BYTE_ARRAY, annotated or not) become categorical columns with sorted
/// levels, like the CSV reader's. Nulls become NaN or code -1.
///
/// Column chunks are decoded in parallel on all cores; every length, offset, count and index is
/// checked against the bytes that hold it, so a corrupt file throws a `ParquetError` naming the
/// file, column, row group and offset.
public struct ParquetReader: Sendable {
    /// The file.
    public let path: String
    /// The columns, in schema order.
    public let columns: [ParquetColumn]
    /// Rows in the whole file.
    public let rowCount: Int
    /// Row groups in the file; read one with `readRowGroup(_:)`.
    public var rowGroupCount: Int { rowGroups.count }
    /// The `created_by` string of the writer, when the file has one.
    public let createdBy: String?

    let file: ParquetFile
    let leaves: [LeafColumn]
    let rowGroups: [RowGroup]
    /// Where the footer starts: column data lies in 4..<dataEnd.
    let dataEnd: Int

    /// Opens `path` and reads its footer and schema.
    /// - Throws: `ParquetError` (`.notParquet`, `.truncated`, `.corrupt`, `.unsupported` for
    ///   nested columns naming the column, encrypted files, external column chunks).
    public init(path: String) throws(ParquetError) {
        do throws(ParquetError) {
            self.path = path
            let file = try ParquetFile(path: path)
            self.file = file
            guard file.size >= 12 else {
                throw ParquetError(.notParquet, "\(file.size) bytes is too short for a Parquet file (at least 12)")
            }
            let head = try file.read(at: 0, count: 4)
            let tail = try file.read(at: file.size - 8, count: 8)
            let magic = Array("PAR1".utf8)
            if Array(tail[4...]) == Array("PARE".utf8) {
                throw ParquetError(.unsupported, "encrypted Parquet (PARE footer) is not supported")
            }
            guard head == magic else { throw ParquetError(.notParquet, "no PAR1 magic at the start: not a Parquet file") }
            guard Array(tail[4...]) == magic else {
                throw ParquetError(.notParquet, "no PAR1 magic at the end: the file is truncated or not Parquet")
            }
            let footerLength = Int(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
            guard footerLength <= file.size - 12 else {
                throw ParquetError(.truncated, "footer length \(footerLength) exceeds the \(file.size - 12) bytes between the magics",
                                   offset: file.size - 8)
            }
            let footerStart = file.size - 8 - footerLength
            let footer = try file.read(at: footerStart, count: footerLength)
            let metadata = try withBytes(footer) { (bytes) throws(ParquetError) in
                var r = ThriftCompactReader(ByteCursor(bytes, baseOffset: footerStart))
                return try FileMetaData.decode(&r)
            }
            if metadata.hasEncryptionAlgorithm {
                throw ParquetError(.unsupported, "encrypted columns (FileMetaData.encryption_algorithm) are not supported")
            }
            let leaves = try LeafColumn.leaves(of: metadata.schema)
            var total = 0
            for (g, group) in metadata.rowGroups.enumerated() {
                try Self.validate(group, g, leaves)
                total += Int(group.numRows)  // ≤ 2^40 each (validate), so no overflow
                guard total <= 1 << 40 else { throw ParquetError(.tooLarge, "the row groups hold more than 2^40 rows") }
            }
            guard Int64(total) == metadata.numRows else {
                throw ParquetError(.corrupt, "FileMetaData.num_rows is \(metadata.numRows), the row groups hold \(total)")
            }
            self.leaves = leaves
            self.rowGroups = metadata.rowGroups
            self.rowCount = total
            self.dataEnd = footerStart
            self.createdBy = metadata.createdBy
            self.columns = leaves.map {
                ParquetColumn(name: $0.name, kind: $0.kind, physicalType: $0.typeDescription, isOptional: $0.isOptional)
            }
        } catch {
            throw error.locating(file: path)
        }
    }

    /// Checks a row group's column chunks against the schema before anything is read.
    private static func validate(_ group: RowGroup, _ g: Int, _ leaves: [LeafColumn]) throws(ParquetError) {
        guard group.numRows >= 0 && group.numRows <= 1 << 40 else {
            throw ParquetError(.corrupt, "RowGroup.num_rows is \(group.numRows)", rowGroup: g)
        }
        guard group.columns.count == leaves.count else {
            throw ParquetError(.corrupt, "row group has \(group.columns.count) column chunks, the schema \(leaves.count) columns", rowGroup: g)
        }
        for (chunk, leaf) in zip(group.columns, leaves) {
            func fail(_ code: ParquetError.Code, _ detail: String) -> ParquetError {
                ParquetError(code, detail, column: leaf.name, rowGroup: g)
            }
            if chunk.hasCryptoMetadata { throw fail(.unsupported, "encrypted column chunks are not supported") }
            if let p = chunk.filePath { throw fail(.unsupported, "column chunk stored in another file ('\(p)') is not supported") }
            guard let meta = chunk.metaData else { throw fail(.corrupt, "ColumnChunk without ColumnMetaData") }
            guard meta.numValues == group.numRows else {
                throw fail(.corrupt, "column chunk holds \(meta.numValues) values, the row group \(group.numRows) rows")
            }
            guard meta.pathInSchema.isEmpty || meta.pathInSchema == [leaf.name] else {
                throw fail(.corrupt, "column chunk is for '\(meta.pathInSchema.joined(separator: "."))'")
            }
            guard meta.type == leaf.physicalType else {
                throw fail(.corrupt, "column chunk has physical type \(meta.type), the schema says \(leaf.physicalType)")
            }
        }
    }

    /// Reads row group `index` as a table, then lets go of the file pages it read (see
    /// `ParquetFile.release`), so a file read a row group at a time never becomes resident whole.
    /// - Throws: `.badArgument` for an index out of range, else as `read()`.
    public func readRowGroup(_ index: Int) throws(ParquetError) -> Table {
        guard index >= 0 && index < rowGroups.count else {
            throw ParquetError(.badArgument, "row group \(index) out of range (the file has \(rowGroups.count))", file: path)
        }
        let table = try TableDecoder.decode(parts: [TableDecoder.Part(reader: self, rowGroup: index)], leaves: leaves)
        for chunk in rowGroups[index].columns {
            guard let meta = chunk.metaData else { continue }
            let start = Int(meta.dictionaryPageOffset ?? meta.dataPageOffset)
            file.release(at: start, count: Int(meta.totalCompressedSize))
        }
        return table
    }

    /// Reads the whole file as a table.
    public func read() throws(ParquetError) -> Table {
        try TableDecoder.decode(parts: rowGroups.indices.map { TableDecoder.Part(reader: self, rowGroup: $0) }, leaves: leaves)
    }

    /// Reads a Parquet file, or a folder of part files (Spark's and pyarrow's layout) as one table.
    ///
    /// In a folder, files whose names start with `.` or `_` (`_SUCCESS`, `_metadata`,
    /// `_common_metadata`, `.crc` files) are skipped and the rest read in name order; every part
    /// must have the same column names, in the same order, of the same kinds.
    /// - Throws: `ParquetError`; `.schemaMismatch` naming the first part file and column that
    ///   differ from the first part; `.unsupported` for subfolders (Hive-style partitions).
    public static func read(path: String) throws(ParquetError) -> Table {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ParquetError(.io, "no such file or folder", file: path)
        }
        if !isDirectory.boolValue { return try ParquetReader(path: path).read() }
        let parts = try partFiles(in: path)
        guard !parts.isEmpty else {
            throw ParquetError(.io, "folder holds no Parquet part files (names starting with '.' or '_' are skipped)", file: path)
        }
        var readers: [ParquetReader] = []
        for p in parts {
            let r = try ParquetReader(path: p)
            if let reference = readers.first {
                try checkSameSchema(r, as: reference)
            }
            readers.append(r)
        }
        let all = readers.flatMap { r in r.rowGroups.indices.map { TableDecoder.Part(reader: r, rowGroup: $0) } }
        return try TableDecoder.decode(parts: all, leaves: readers[0].leaves)
    }

    /// The part files of a folder, sorted by name (the files `read(path:)` reads).
    public static func partFiles(in folder: String) throws(ParquetError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ParquetError(.io, "cannot list folder: \(error.localizedDescription)", file: folder, underlying: error)
        }
        var files: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasPrefix("_") {
            let full = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                throw ParquetError(.unsupported, "subfolder '\(name)': partitioned folders (key=value subfolders) are not supported", file: folder)
            }
            files.append(full)
        }
        return files
    }

    /// Checks that part file `r` has `reference`'s column names and kinds, in order.
    /// - Throws: `.schemaMismatch` naming the part file and the first column that differs.
    public static func checkSameSchema(_ r: ParquetReader, as reference: ParquetReader) throws(ParquetError) {
        for (j, (a, b)) in zip(reference.columns, r.columns).enumerated() {
            guard a.name == b.name else {
                throw ParquetError(.schemaMismatch, "column \(j) is '\(b.name)', the first part file \(reference.path) has '\(a.name)'",
                                   file: r.path, column: b.name)
            }
            guard a.kind == b.kind else {
                throw ParquetError(.schemaMismatch, "column is \(b.kind) (\(b.physicalType)), in the first part file \(reference.path) it is \(a.kind) (\(a.physicalType))",
                                   file: r.path, column: b.name)
            }
        }
        guard reference.columns.count == r.columns.count else {
            let extra = r.columns.count > reference.columns.count ? r.columns[reference.columns.count].name : reference.columns[r.columns.count].name
            throw ParquetError(.schemaMismatch, "part has \(r.columns.count) columns, the first part file \(reference.path) has \(reference.columns.count)",
                               file: r.path, column: extra)
        }
    }
}
