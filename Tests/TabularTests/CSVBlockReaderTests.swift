import Foundation
import Testing
@testable import Tabular

@Suite struct CSVBlockReaderTests {
    /// Writes `text` to a new temporary file and returns its path.
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func blocks(_ path: String, _ options: CSVOptions = .init(), blockBytes: Int) throws -> [Table] {
        let reader = try CSVReader.BlockReader(path: path, options: options, blockBytes: blockBytes)
        var out: [Table] = []
        while let t = try reader.nextBlock() { out.append(t) }
        return out
    }

    func error(_ body: () throws -> Void) -> TabularError? {
        do { try body(); return nil } catch let e as TabularError { return e } catch { return nil }
    }

    @Test(arguments: [1, 7, 64, 1 << 20])
    func blocksHoldTheWholeFilesRows(blockBytes: Int) throws {
        var text = "\u{FEFF}id,note,x\r\n"
        for i in 0..<300 { text += "\(i),\(i % 11 == 0 ? "\"two\nlines, \"\"q\"\"\"" : "n\(i % 4)"),\(Double(i) / 8)\r\n" }
        text += "300,last,1\n\n\n"   // blank lines after the data
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = CSVOptions()
        options.schema = ["note": .categorical]
        let whole = try CSVReader.read(path: path, options: options)
        let parts = try blocks(path, options, blockBytes: blockBytes)
        #expect(parts.allSatisfy { $0.columnNames == ["id", "note", "x"] })
        #expect(parts.flatMap { $0.columns[0].numericValues! } == whole.columns[0].numericValues!)
        #expect(parts.flatMap { $0.columns[2].numericValues! } == whole.columns[2].numericValues!)
        func labels(_ c: Column) -> [String] {
            guard case .categorical(let codes, let levels) = c.data else { return [] }
            return codes.map { levels[Int($0)] }
        }
        #expect(parts.flatMap { labels($0.columns[1]) } == labels(whole.columns[1]))
        #expect(blockBytes == 1 << 20 ? parts.count == 1 : parts.count > 5)
    }

    /// Records counted without parsing agree with the rows the blocks hand out: quoted newlines,
    /// CRLF, blank lines in the middle and at the end, a last line without LF.
    @Test(arguments: [7, 64, 1 << 20])
    func countedRecordsEqualTheRowsRead(blockBytes: Int) throws {
        var quoted = "\u{FEFF}id,note\r\n"
        for i in 0..<200 { quoted += "\(i),\(i % 9 == 0 ? "\"two\nlines\"" : "n")\r\n\(i % 13 == 0 ? "\r\n" : "")" }
        var plain = "a,b\n"
        for i in 0..<300 { plain += "\(i),\(i * 2)\n\(i % 17 == 0 ? "\n\n" : "")" }
        plain += "300,600"   // no final LF
        for text in [quoted, plain] {
            let path = try file(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let whole = try CSVReader.read(path: path)
            let reader = try CSVReader.BlockReader(path: path, blockBytes: blockBytes)
            let first = try #require(try reader.nextBlock())
            let counted = try reader.countRemainingRecords()
            #expect(first.rowCount + counted == whole.rowCount, "\(first.rowCount) + \(counted) vs \(whole.rowCount), \(text.prefix(8))")
        }
    }

    /// Each block is mapped as a window of the file: a header or a record longer than the
    /// window widens it, and nothing is cut.
    @Test func recordsLongerThanTheMappedWindow() throws {
        let longName = String(repeating: "h", count: 1_200_000)
        let longNote = String(repeating: "line\n", count: 500_000)   // 2.5 MB, quoted, with newlines
        let text = "id,\(longName)\n1,a\n2,\"\(longNote)\"\n3,c\n"
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let parts = try blocks(path, blockBytes: 64)
        #expect(parts.first?.columnNames == ["id", longName])
        #expect(parts.flatMap { $0.columns[0].numericValues! } == [1, 2, 3])
        let notes = parts.flatMap { t -> [String] in
            guard case .categorical(let codes, let levels) = t.columns[1].data else { return [] }
            return codes.map { levels[Int($0)] }
        }
        #expect(notes == ["a", longNote, "c"])
    }

    @Test func kindsInferredFromTheFirstBlockHoldForTheRest() throws {
        var text = "n,c\n"
        for i in 0..<50 { text += "\(i),\(i % 2 == 0 ? "x" : "7")\n" }   // c: text in the first block
        for i in 50..<100 { text += "\(i),7\n" }                          // only numbers later
        text += "oops,7\n"                                                // n: line 102
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVReader.BlockReader(path: path, blockBytes: 100)
        var kinds: [[ColumnKind]] = []
        let e = error { while let t = try reader.nextBlock() { kinds.append(t.columns.map(\.kind)) } }
        #expect(kinds.count > 1 && kinds.allSatisfy { $0 == [.numeric, .categorical] })
        #expect(e?.code == .notNumeric)
        #expect(e?.message == "\(path):102: column \"n\": expected a number, found \"oops\"")
    }

    @Test func errorsNameTheLineInTheFile() throws {
        var text = "a,b\n"
        for i in 0..<100 { text += "\(i),\(i)\n" }
        text += "1,2,3\n"   // line 102
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let e = error { _ = try blocks(path, blockBytes: 50) }
        #expect(e?.code == .raggedRow)
        #expect(e?.message == "\(path):102: expected 2 fields, found 3")
        #expect(e?.message == error { _ = try CSVReader.read(path: path) }?.message)
    }

    @Test func headerOnlyAndEmptyFilesAreErrors() throws {
        let headerOnly = try file("a,b\n")
        let empty = try file("")
        defer { for p in [headerOnly, empty] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(error { _ = try blocks(headerOnly, blockBytes: 8) }?.code == .headerOnly)
        #expect(error { _ = try blocks(empty, blockBytes: 8) }?.code == .emptyFile)
        #expect(error { _ = try blocks("/nonexistent/x.csv", blockBytes: 8) }?.code == .io)
    }
}
