import Foundation
import MLCore
import Parquet
import Tabular

/// Reads and writes tables in the formats Plumb accepts wherever it takes a data file: CSV, a
/// Parquet file or a folder of Parquet part files (as Spark and pyarrow write them), and Arrow IPC
/// files (`.arrow`, `.feather`). The format follows the path: a folder or a `.parquet`/`.parq`
/// name is Parquet, `.arrow`/`.feather`/`.ipc` is Arrow, anything else CSV.
public enum TableFile {
    public enum Format: Sendable, Equatable {
        case csv, parquet, arrow
    }

    /// The format of `path` by its name, or a folder (Parquet part files).
    public static func format(of path: String) -> Format {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return .parquet }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "parquet", "parq": return .parquet
        case "arrow", "feather", "ipc": return .arrow
        default: return .csv
        }
    }

    /// Reads the table at `path`; `csv` applies to CSV files only.
    /// - Throws: the reader's error, naming the file (and for Parquet the column and row group).
    public static func read(_ path: String, csv: CSVOptions = CSVOptions()) throws -> Table {
        switch format(of: path) {
        case .csv: return try CSVReader.read(path: path, options: csv)
        case .parquet: return try ParquetReader.read(path: path)
        case .arrow: return try ArrowFileReader.read(path: path)
        }
    }

    /// The number of rows at `path` when it can be told without reading the data: a Parquet file
    /// or folder (from the footers); nil for CSV and Arrow files.
    public static func knownRowCount(_ path: String) -> Int? {
        guard format(of: path) == .parquet else { return nil }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard let files = isDirectory.boolValue ? try? ParquetReader.partFiles(in: path) : [path] else { return nil }
        var rows = 0
        for file in files {
            guard let reader = try? ParquetReader(path: file) else { return nil }
            rows += reader.rowCount
        }
        return rows
    }

    /// The SHA-256 of the data at `path`: of the file, or for a folder of part files, of each part
    /// file's name and digest in name order (so renaming or changing any part changes it).
    public static func sha256(of path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return try SHA256.hex(fileAt: path)
        }
        var listing = ""
        for part in try ParquetReader.partFiles(in: path) {
            listing += "\(URL(fileURLWithPath: part).lastPathComponent)\t\(try SHA256.hex(fileAt: part))\n"
        }
        return SHA256.hex(Array(listing.utf8))
    }

    /// Writes `table` to `path`: Parquet (SNAPPY) for a `.parquet` name, else CSV with `delimiter`.
    public static func write(_ table: Table, to path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        switch format(of: path) {
        case .parquet: try ParquetWriter.write(table, to: path)
        case .arrow: throw TabularError(code: .io, message: "\(path): writing Arrow IPC files is not supported; write .parquet or .csv")
        case .csv: try CSVWriter.write(table, to: path, delimiter: delimiter)
        }
    }
}

extension TableFile {
    /// Calls `body` with the table at `path` one chunk at a time, reading the next chunk while
    /// `body` works on the current one: a Parquet file or folder a row group at a time (so memory
    /// holds two row groups, not the file); a CSV over 64 MB in blocks of whole records; smaller CSV and Arrow files in one piece.
    /// - Throws: the reader's or `body`'s first error; no later chunk is read after it.
    public static func forEachChunk(_ path: String, csv: CSVOptions = CSVOptions(), _ body: (Table) throws -> Void) throws {
        if format(of: path) == .csv, fileSize(path) > csvStreamingBytes { return try forEachCSVChunk(path, csv: csv, body) }
        guard format(of: path) == .parquet else { return try body(read(path, csv: csv)) }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let files = isDirectory.boolValue ? try ParquetReader.partFiles(in: path) : [path]
        guard !files.isEmpty else { return try body(read(path)) }   // read(_:) names the empty folder
        var groups: [(reader: ParquetReader, index: Int)] = []
        for file in files {
            let reader = try ParquetReader(path: file)
            if let first = groups.first?.reader { try ParquetReader.checkSameSchema(reader, as: first) }
            groups += (0..<reader.rowGroupCount).map { (reader, $0) }
        }
        guard !groups.isEmpty else { return try body(read(path)) }
        var current = try groups[0].reader.readRowGroup(groups[0].index)
        for next in groups.indices.dropFirst() {
            (_, current) = try concurrently({ try body(current) }, { try groups[next].reader.readRowGroup(groups[next].index) })
        }
        try body(current)
    }
}

extension TableFile {
    /// CSV files larger than this are read in blocks by `forEachChunk` (as fast as a whole read
    /// and far less memory: see Benchmarks/README.md), smaller ones whole;
    /// `PLUMB_CSV_STREAMING_BYTES` sets another limit (0: always in blocks).
    static let csvStreamingBytes = ProcessInfo.processInfo.environment["PLUMB_CSV_STREAMING_BYTES"].flatMap { Int($0) } ?? 64 << 20
    /// The size of those blocks (`PLUMB_CSV_BLOCK_BYTES` sets another): two are in memory at a
    /// time, parsed to Float64 columns, with the scorer's copy of one.
    static let csvChunkBytes = ProcessInfo.processInfo.environment["PLUMB_CSV_BLOCK_BYTES"].flatMap { Int($0) }.map { max(1 << 16, $0) } ?? 16 << 20

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// A large CSV a block of whole records at a time (`CSVReader.BlockReader`), the next block
    /// parsed while `body` works on this one. Give `csv.schema` to fix the columns' kinds, which
    /// are otherwise inferred per block.
    static func forEachCSVChunk(_ path: String, csv: CSVOptions, blockBytes: Int = csvChunkBytes, _ body: (Table) throws -> Void) throws {
        let reader = try CSVReader.BlockReader(path: path, options: csv, blockBytes: blockBytes)
        var current = try reader.nextBlock()
        while let block = current {
            (_, current) = try concurrently({ try body(block) }, { try reader.nextBlock() })
        }
    }
}

/// Writes a table in parts as they are computed: Parquet (a row group per part) for a `.parquet`
/// name, else CSV (the header once). The file appears under its name only after `finish()`;
/// until then it is a temporary file beside it, which `abandon()` removes.
public final class TableFileWriter {
    private enum Target {
        case parquet(ParquetStreamWriter)
        case csv(FileHandle, temporary: String, delimiter: UInt8)
    }
    public let path: String
    private let target: Target
    private var wroteHeader = false

    public init(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        self.path = path
        switch TableFile.format(of: path) {
        case .parquet: target = .parquet(try ParquetStreamWriter(path: path))
        case .arrow: throw TabularError(code: .io, message: "\(path): writing Arrow IPC files is not supported; write .parquet or .csv")
        case .csv:
            let url = URL(fileURLWithPath: path)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw TabularError(code: .io, message: "\(path): cannot create \(temporary)")
            }
            target = .csv(handle, temporary: temporary, delimiter: delimiter)
        }
    }

    public func append(_ table: Table) throws {
        switch target {
        case .parquet(let writer): try writer.append(table)
        case .csv(let handle, _, let delimiter):
            do { try handle.write(contentsOf: CSVWriter.encode(table, delimiter: delimiter, header: !wroteHeader)) } catch {
                throw TabularError(code: .io, message: "\(path): cannot write (\(error.localizedDescription))")
            }
            wroteHeader = true
        }
    }

    public func finish() throws {
        switch target {
        case .parquet(let writer): try writer.finish()
        case .csv(let handle, let temporary, _):
            do { try handle.close() } catch { throw TabularError(code: .io, message: "\(path): cannot write (\(error.localizedDescription))") }
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw TabularError(code: .io, message: "\(path): cannot move written file into place (\(reason))")
            }
        }
    }

    public func abandon() {
        switch target {
        case .parquet(let writer): writer.abandon()
        case .csv(let handle, let temporary, _):
            try? handle.close()
            unlink(temporary)
        }
    }
}
