import Foundation
import Testing
@testable import Pipeline
import Tabular

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
}
