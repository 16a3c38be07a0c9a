/// Errors from reading or writing Parquet. `message` names the file, the column, the row group and
/// the byte offset (of the page or structure) where they are known, then what was wrong.
public struct ParquetError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The file could not be opened, read or written.
        case io
        /// No `PAR1` magic at the start or the end: not a Parquet file (or cut short).
        case notParquet
        /// A length or offset points past the end of the bytes that hold it.
        case truncated
        /// A structure holds a value the specification does not allow (bad enum, negative size,
        /// index out of range, inconsistent counts, failed decompression).
        case corrupt
        /// Valid Parquet that Plumb does not read: nested columns, encryption, INT96 arithmetic
        /// it does not know, codecs other than none/snappy/gzip/zstd/lz4, and so on.
        case unsupported
        /// Part files of a folder disagree on their columns.
        case schemaMismatch
        /// The caller passed something unusable (an empty path, an out-of-range row group).
        case badArgument
        /// The file claims more rows or bytes than this machine can hold.
        case tooLarge
    }

    public var code: Code
    /// What was wrong, without the location (see `message`).
    public var detail: String
    /// The file, when known.
    public var file: String?
    /// The column (its name in the schema), when known.
    public var column: String?
    /// The 0-based row group, when known.
    public var rowGroup: Int?
    /// Byte offset in the file of the page or structure at fault, when known.
    public var offset: Int?
    /// The error from a foreign boundary (POSIX, zlib), when there was one.
    public var underlying: (any Error)?

    public init(_ code: Code, _ detail: String, file: String? = nil, column: String? = nil,
                rowGroup: Int? = nil, offset: Int? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.detail = detail
        self.file = file
        self.column = column
        self.rowGroup = rowGroup
        self.offset = offset
        self.underlying = underlying
    }

    /// "file: column 'x', row group 2, offset 1234: detail".
    public var message: String {
        var location: [String] = []
        if let column { location.append("column '\(column)'") }
        if let rowGroup { location.append("row group \(rowGroup)") }
        if let offset { location.append("offset \(offset)") }
        var text = location.isEmpty ? detail : location.joined(separator: ", ") + ": " + detail
        if let file { text = "\(file): " + text }
        return text
    }

    public var description: String { message }

    /// The same error with the location fields it does not have yet filled in.
    func locating(file: String? = nil, column: String? = nil, rowGroup: Int? = nil, offset: Int? = nil) -> ParquetError {
        var e = self
        if e.file == nil { e.file = file }
        if e.column == nil { e.column = column }
        if e.rowGroup == nil { e.rowGroup = rowGroup }
        if e.offset == nil { e.offset = offset }
        return e
    }
}

/// Runs `body` and adds the location to any error it throws.
func locating<T>(file: String? = nil, column: String? = nil, rowGroup: Int? = nil, offset: Int? = nil,
                 _ body: () throws(ParquetError) -> T) throws(ParquetError) -> T {
    do throws(ParquetError) {
        return try body()
    } catch {
        throw error.locating(file: file, column: column, rowGroup: rowGroup, offset: offset)
    }
}
