import Foundation
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
