import Foundation
import Testing
import Tabular
@testable import Parquet

/// Errors name the file, the column, the row group and the offset of the page at fault.
@Suite struct ErrorTests {
    /// The fixture's bytes with `edit` applied, written to a scratch file.
    func edited(_ name: String, _ folder: String, _ edit: (inout [UInt8], ParquetReader) throws -> Void) throws -> String {
        let source = fixture(name)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        try edit(&bytes, try ParquetReader(path: source))
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func error(reading path: String) -> ParquetError? {
        do {
            _ = try ParquetReader.read(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func corruptPageHeaderNamesColumnRowGroupAndOffset() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var offset = 0
        let path = try edited("pyarrow_many_pages_v1.parquet", folder) { bytes, reader in
            let j = try #require(reader.columns.firstIndex { $0.name == "s" })
            let meta = try #require(reader.rowGroups[2].columns[j].metaData)
            offset = Int(meta.dictionaryPageOffset ?? meta.dataPageOffset)
            bytes[offset] = 0x1F  // field 1 with Thrift type 15, which does not exist
        }
        let e = try #require(error(reading: path))
        #expect(e.code == .corrupt)
        #expect(e.column == "s" && e.rowGroup == 2 && e.offset == offset)
        #expect(e.message.hasPrefix("\(path): column 's', row group 2, offset \(offset): "), "\(e.message)")
    }

    @Test func truncatedFileAndFooter() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cut = try edited("pyarrow_types_v2_zstd.parquet", folder) { bytes, _ in bytes.removeLast(100) }
        #expect(error(reading: cut)?.code == .notParquet)
        let shortFooter = try edited("duckdb_snappy.parquet", folder) { bytes, _ in
            let n = bytes.count
            bytes.replaceSubrange(n - 8 ..< n - 4, with: [0xFF, 0xFF, 0xFF, 0x7F])
        }
        let e = try #require(error(reading: shortFooter))
        #expect(e.code == .truncated && e.message.contains("footer length"), "\(e.message)")
    }

    @Test func chunkOutsideTheDataIsRefusedBeforeReading() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Point a chunk past the file: rewrite the footer with a huge total_compressed_size.
        let path = try edited("pyarrow_all_null.parquet", folder) { bytes, reader in
            var meta = FileMetaData(version: 2, schema: [], numRows: Int64(reader.rowCount), rowGroups: reader.rowGroups,
                                    keyValueMetadata: [], createdBy: "test", columnOrderCount: 0)
            meta.schema = [SchemaElement(name: "schema", numChildren: 3),
                           SchemaElement(type: .int32, repetitionType: .optional, name: "n"),
                           SchemaElement(type: .double, repetitionType: .optional, name: "x"),
                           SchemaElement(type: .byteArray, repetitionType: .optional, name: "s", convertedType: .utf8)]
            meta.rowGroups[0].columns[1].metaData?.totalCompressedSize = 1 << 40
            var w = ThriftCompactWriter()
            meta.encode(&w)
            bytes = Array(bytes[0 ..< reader.dataEnd]) + w.bytes
            bytes.appendLE(UInt32(w.bytes.count))
            bytes += Array("PAR1".utf8)
        }
        let e = try #require(error(reading: path))
        #expect(e.code == .corrupt && e.column == "x" && e.rowGroup == 0, "\(e.message)")
    }
}
