import Foundation
import Testing
import Tabular
@testable import Parquet

/// A scratch folder for one test, removed by the caller.
func temporaryFolder(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "plumb-parquet-\(safe)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Random tables with NaN, ±0, ±inf, huge and tiny numbers, nulls, unicode, empty strings,
/// unused and unsorted levels.
func randomTable(_ rng: inout TestRNG, rows: Int, columns: Int) -> Table {
    let words = ["b", "a", "", "é", "日本", "x y", "q\"uote", "line\nbreak", "zz", String(repeating: "long", count: 40)]
    var cols: [Column] = []
    for j in 0 ..< columns {
        if j % 3 == 2 {
            let levels = Array(words.shuffled(using: &rng).prefix(Int.random(in: 1 ... words.count, using: &rng)))
            let codes = (0 ..< rows).map { _ -> Int32 in
                Int.random(in: 0 ..< 10, using: &rng) == 0 ? -1 : Int32.random(in: 0 ..< Int32(levels.count), using: &rng)
            }
            cols.append(Column(name: "c\(j)", data: .categorical(codes: codes, levels: levels)))
        } else {
            let specials: [Double] = [.nan, 0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -1e-300]
            let values = (0 ..< rows).map { _ -> Double in
                switch Int.random(in: 0 ..< 12, using: &rng) {
                case 0: specials.randomElement(using: &rng)!
                case 1: Double(Int.random(in: -5 ... 5, using: &rng))
                default: Double.random(in: -1e6 ... 1e6, using: &rng)
                }
            }
            cols.append(Column(name: "n\(j)", data: .numeric(values)))
        }
    }
    return Table(columns: cols, rowCount: rows)
}

/// Tables equal as Plumb means it: numbers bit for bit (NaN = NaN), categories by value.
func expectSameValues(_ a: Table, _ b: Table, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.rowCount == b.rowCount && a.columnNames == b.columnNames, "\(label): shape", sourceLocation: sourceLocation)
    for (x, y) in zip(a.columns, b.columns) {
        switch (x.data, y.data) {
        case (.numeric(let u), .numeric(let v)):
            let same = u.count == v.count && zip(u, v).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
            #expect(same, "\(label): \(x.name)", sourceLocation: sourceLocation)
        case (.categorical(let c1, let l1), .categorical(let c2, let l2)):
            #expect(c1.map { $0 < 0 ? nil : l1[Int($0)] } == c2.map { $0 < 0 ? nil : l2[Int($0)] }, "\(label): \(x.name)",
                    sourceLocation: sourceLocation)
        default:
            Issue.record("\(label): \(x.name) kinds differ", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct RoundTripTests {
    static let compressions: [ParquetWriter.Compression] = [.none, .snappy, .zstd(level: 3)]

    @Test(arguments: compressions)
    func randomTablesRoundTrip(_ compression: ParquetWriter.Compression) throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rng = TestRNG(seed: 7)
        for trial in 0 ..< 12 {
            let rows = [0, 1, 5, 100, 1000, 3001][trial % 6]
            let table = randomTable(&rng, rows: rows, columns: 1 + trial % 7)
            let path = folder + "/t\(trial).parquet"
            let options = ParquetWriter.Options(compression: compression, rowGroupRows: trial % 2 == 0 ? nil : 333,
                                                dataPageBytes: trial % 3 == 0 ? 1 << 20 : 256)
            try ParquetWriter.write(table, to: path, options: options)
            let back = try ParquetReader.read(path: path)
            expectSameValues(table, back, "trial \(trial) \(compression)")
            let reader = try ParquetReader(path: path)
            #expect(reader.createdBy == "plumb")
            if rows > 0, let groupRows = options.rowGroupRows {
                #expect(reader.rowGroupCount == (rows + groupRows - 1) / groupRows)
            }
        }
    }

    @Test func statisticsAndSchemaInFooter() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let table = Table(columns: [
            Column(name: "x", data: .numeric([3, .nan, -2.5, 0, 7])),
            Column(name: "s", data: .categorical(codes: [2, -1, 0, 2, -1], levels: ["pear", "unused", "apple"])),
        ])
        let path = folder + "/stats.parquet"
        try ParquetWriter.write(table, to: path)
        let reader = try ParquetReader(path: path)
        #expect(reader.columns == [
            ParquetColumn(name: "x", kind: .numeric, physicalType: "DOUBLE", isOptional: true),
            ParquetColumn(name: "s", kind: .categorical, physicalType: "BYTE_ARRAY", isOptional: true),
        ])
        let chunks = reader.rowGroups[0].columns.compactMap(\.metaData)
        let xs = try #require(chunks[0].statistics)
        #expect(xs.nullCount == 1)
        #expect(xs.minValue == Array(withUnsafeBytes(of: (-2.5).bitPattern.littleEndian, Array.init)))
        #expect(xs.maxValue == Array(withUnsafeBytes(of: (7.0).bitPattern.littleEndian, Array.init)))
        let ss = try #require(chunks[1].statistics)
        #expect(ss.nullCount == 2)
        #expect(ss.minValue == Array("apple".utf8))
        #expect(ss.maxValue == Array("pear".utf8))
        let back = try ParquetReader.read(path: path)
        #expect(back.column(named: "s")?.data == .categorical(codes: [0, -1, 1, 0, -1], levels: ["apple", "pear"]))
    }

    @Test func writerRefusesBadInput() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dup = Table(columns: [Column(name: "a", data: .numeric([1])), Column(name: "a", data: .numeric([2]))])
        #expect(throws: ParquetError.self) { try ParquetWriter.write(dup, to: folder + "/dup.parquet") }
        let ok = Table(columns: [Column(name: "a", data: .numeric([1]))])
        do {
            try ParquetWriter.write(ok, to: folder + "/no/such/dir/x.parquet")
            Issue.record("wrote into a missing folder")
        } catch {
            #expect(error.code == .io)
        }
        #expect(throws: ParquetError.self) {
            try ParquetWriter.write(ok, to: folder + "/z.parquet", options: .init(compression: .zstd(level: 99)))
        }
    }

    /// A folder of Plumb-written parts reads as their concatenation, skipping `_SUCCESS`.
    @Test func folderOfParts() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rng = TestRNG(seed: 3)
        let table = randomTable(&rng, rows: 900, columns: 6)
        for p in 0 ..< 3 {
            let part = table.selecting(rows: Array(p * 300 ..< (p + 1) * 300))
            try ParquetWriter.write(part, to: folder + "/part-\(p).parquet")
        }
        _ = FileManager.default.createFile(atPath: folder + "/_SUCCESS", contents: Data())
        _ = FileManager.default.createFile(atPath: folder + "/.hidden", contents: Data("junk".utf8))
        expectSameValues(table, try ParquetReader.read(path: folder), "folder")
    }
}

extension ParquetWriter.Compression: CustomTestStringConvertible {
    public var testDescription: String {
        switch self {
        case .none: "none"
        case .snappy: "snappy"
        case .zstd(let level): "zstd(\(level))"
        }
    }
}
