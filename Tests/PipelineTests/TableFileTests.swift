import Foundation
import Testing
@testable import Pipeline
import Tabular

@testable import Parquet

@Suite struct TableFileTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-tablefile-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    let table = Table(columns: [
        Column(name: "x", data: .numeric([1.5, .nan, -3, 4e10])),
        Column(name: "city", data: .categorical(codes: [0, 1, -1, 0], levels: ["Oslo", "Lima"])),
    ])

    @Test func formatFollowsTheName() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(TableFile.format(of: "a/b.csv") == .csv)
        #expect(TableFile.format(of: "a/b.tsv") == .csv)
        #expect(TableFile.format(of: "a/B.PARQUET") == .parquet)
        #expect(TableFile.format(of: "a/b.feather") == .arrow)
        #expect(TableFile.format(of: dir) == .parquet)
    }

    @Test func parquetAndCSVRoundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["t.parquet", "t.csv"] {
            try TableFile.write(table, to: dir + "/" + name)
            let back = try TableFile.read(dir + "/" + name)
            #expect(back.columnNames == ["x", "city"])
            let x = try #require(back.columns[0].numericValues)
            #expect(x[0] == 1.5 && x[1].isNaN && x[2] == -3 && x[3] == 4e10)
            guard case .categorical(let codes, let levels) = back.columns[1].data else { Issue.record("city is not categorical"); continue }
            #expect(codes.map { $0 < 0 ? nil : levels[Int($0)] } == ["Oslo", "Lima", nil, "Oslo"])
        }
        #expect(throws: TabularError.self) { try TableFile.write(table, to: dir + "/t.arrow") }
    }

    /// A folder of part files reads as one table; its digest covers every part's name and bytes.
    @Test func folderOfPartsAndItsDigest() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TableFile.write(table.selecting(rows: [0, 1]), to: dir + "/part-0.parquet")
        try TableFile.write(table.selecting(rows: [2, 3]), to: dir + "/part-1.parquet")
        FileManager.default.createFile(atPath: dir + "/_SUCCESS", contents: Data())
        let back = try TableFile.read(dir)
        #expect(back.rowCount == 4)
        #expect(back.columns[0].numericValues?[3] == 4e10)

        let digest = try TableFile.sha256(of: dir)
        #expect(digest.count == 64)
        #expect(try TableFile.sha256(of: dir) == digest)
        try FileManager.default.moveItem(atPath: dir + "/part-1.parquet", toPath: dir + "/part-2.parquet")
        #expect(try TableFile.sha256(of: dir) != digest)
        #expect(try TableFile.sha256(of: dir + "/part-0.parquet") == SHA256.hex(fileAt: dir + "/part-0.parquet"))
    }

    /// Row groups across part files arrive in order, one per call; their concatenation is the
    /// table `read` returns.
    @Test func chunksAreRowGroupsInOrder() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 1_000
        let big = Table(columns: [
            Column(name: "x", data: .numeric((0..<n).map { Double($0) })),
            Column(name: "c", data: .categorical(codes: (0..<n).map { Int32($0 % 3) }, levels: ["a", "b", "c"])),
        ])
        let options = ParquetWriter.Options(rowGroupRows: 300)
        try ParquetWriter.write(big.selecting(rows: Array(0..<700)), to: dir + "/part-0.parquet", options: options)
        try ParquetWriter.write(big.selecting(rows: Array(700..<n)), to: dir + "/part-1.parquet", options: options)
        var sizes: [Int] = [], xs: [Double] = [], cs: [String] = []
        try TableFile.forEachChunk(dir) { chunk in
            sizes.append(chunk.rowCount)
            xs += chunk.columns[0].numericValues!
            guard case .categorical(let codes, let levels) = chunk.columns[1].data else { return }
            cs += codes.map { levels[Int($0)] }
        }
        #expect(sizes == [300, 300, 100, 300])
        #expect(xs == (0..<n).map { Double($0) })
        #expect(cs == (0..<n).map { ["a", "b", "c"][$0 % 3] })

        // An error from the body stops the reading and is rethrown.
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) { try TableFile.forEachChunk(dir) { _ in calls += 1; if calls == 2 { throw Stop() } } }
        #expect(calls == 2)
    }

    /// Parts written one at a time read back as the whole table, in both formats; the file only
    /// appears when finished, and an abandoned one leaves nothing behind.
    @Test func writerInParts() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["parts.parquet", "parts.csv"] {
            let path = dir + "/" + name
            let writer = try TableFileWriter(path: path)
            try writer.append(table.selecting(rows: [0, 1]))
            #expect(!FileManager.default.fileExists(atPath: path))
            try writer.append(table.selecting(rows: [2, 3]))
            try writer.finish()
            let back = try TableFile.read(path)
            #expect(back.rowCount == 4)
            let x = try #require(back.columns[0].numericValues)
            #expect(x[0] == 1.5 && x[1].isNaN && x[3] == 4e10)
        }
        let abandoned = try TableFileWriter(path: dir + "/gone.parquet")
        try abandoned.append(table)
        abandoned.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["parts.csv", "parts.parquet"])

        // A later part with other columns is refused, naming the file.
        let mismatched = try TableFileWriter(path: dir + "/m.parquet")
        try mismatched.append(table)
        #expect { try mismatched.append(Table(columns: [Column(name: "y", data: .numeric([1]))])) } throws: { error in
            "\(error)".contains("m.parquet") && "\(error)".contains("y (numeric)")
        }
        mismatched.abandon()
    }

    /// A CSV read in blocks of whole records (quoted fields holding newlines and delimiters
    /// included) gives the rows of the whole file, in order, with the header's names.
    @Test func csvInBlocksOfWholeRecords() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "id,note,x\n"
        for i in 0..<200 { text += "\(i),\(i % 7 == 0 ? "\"two\nlines, \"\"quoted\"\"\"" : "plain\(i % 3)"),\(Double(i) / 4)\n" }
        text += "200,last,1"   // no newline at the end
        let path = dir + "/t.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = CSVOptions()
        options.schema = ["note": .categorical]
        let whole = try CSVReader.read(path: path, options: options)
        for blockBytes in [16, 100, 1 << 20] {
            var ids: [Double] = [], notes: [String] = [], blocks = 0
            try TableFile.forEachCSVChunk(path, csv: options, blockBytes: blockBytes) { chunk in
                blocks += 1
                #expect(chunk.columnNames == ["id", "note", "x"])
                ids += chunk.columns[0].numericValues!
                guard case .categorical(let codes, let levels) = chunk.columns[1].data else { Issue.record("note is not categorical"); return }
                notes += codes.map { levels[Int($0)] }
            }
            #expect(ids == whole.columns[0].numericValues!)
            guard case .categorical(let codes, let levels) = whole.columns[1].data else { return }
            #expect(notes == codes.map { levels[Int($0)] })
            #expect(blockBytes == 1 << 20 ? blocks <= 2 : blocks > 5)
        }
    }
}
