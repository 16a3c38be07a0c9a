import Foundation
import Testing
@testable import Tabular

@Suite struct CSVReaderTests {
    func read(_ text: String, _ options: CSVOptions = .init()) throws -> Table {
        try CSVReader.read(data: Array(text.utf8), source: "data.csv", options: options)
    }

    func error(_ text: String, _ options: CSVOptions = .init()) -> TabularError? {
        do { _ = try read(text, options); return nil } catch let e as TabularError { return e } catch { return nil }
    }

    @Test func basicInferenceAndMissing() throws {
        let t = try read("x,y,city\n1,2.5,Paris\nNA, 3 ,\"Lyon, FR\"\n-4e2,,Paris\n")
        #expect(t.rowCount == 3)
        #expect(t.columnNames == ["x", "y", "city"])
        let x = try #require(t.column(named: "x")?.numericValues)
        #expect(x[0] == 1 && x[1].isNaN && x[2] == -400)
        let y = try #require(t.column(named: "y")?.numericValues)
        #expect(y[0] == 2.5 && y[1] == 3 && y[2].isNaN)
        #expect(t.column(named: "city")?.data == .categorical(codes: [1, 0, 1], levels: ["Lyon, FR", "Paris"]))
    }

    @Test func quotingCRLFAndBOM() throws {
        let text = "\u{FEFF}a,b\r\n\"he said \"\"hi\"\"\",\"line1\nline2\"\r\n\"x\",\"\"\r\n"
        let t = try read(text)
        #expect(t.rowCount == 2)
        #expect(t.columnNames == ["a", "b"])
        guard case .categorical(let codes, let levels) = try #require(t.column(named: "a")).data else {
            Issue.record("expected categorical"); return
        }
        #expect(levels == ["he said \"hi\"", "x"])
        #expect(codes == [0, 1])
        #expect(t.column(named: "b")?.data == .categorical(codes: [0, -1], levels: ["line1\nline2"]))
    }

    @Test func customDelimiterAndMissingTokens() throws {
        let options = CSVOptions(delimiter: UInt8(ascii: ";"), missingTokens: ["-999", ""])
        let t = try read("a;b\n1,5;-999\n2;NA\n", options)
        #expect(t.column(named: "a")?.kind == .categorical)
        let b = try #require(t.column(named: "b"))
        #expect(b.kind == .categorical)  // "NA" is not a missing token here
        #expect(b.data == .categorical(codes: [-1, 0], levels: ["NA"]))
        let t2 = try read("a;b\n1;-999\n2;7\n", options)
        let v = try #require(t2.column(named: "b")?.numericValues)
        #expect(v[0].isNaN && v[1] == 7)
    }

    @Test func infinityIsNumeric() throws {
        let t = try read("a\ninf\n-Infinity\n1\n")
        #expect(t.column(named: "a")?.numericValues == [.infinity, -.infinity, 1])
    }

    @Test func schemaOverride() throws {
        let t = try read("zip,v\n75001,1\n69002,2\n", CSVOptions(schema: ["zip": .categorical]))
        #expect(t.column(named: "zip")?.data == .categorical(codes: [1, 0], levels: ["69002", "75001"]))
        let e = error("a,total_rooms\n1,2\n3,abc\n", CSVOptions(schema: ["total_rooms": .numeric]))
        #expect(e?.code == .notNumeric)
        #expect(e?.message == "data.csv:3: column \"total_rooms\": expected a number, found \"abc\"")
        #expect(error("a\n1\n", CSVOptions(schema: ["nope": .numeric]))?.code == .unknownColumn)
    }

    @Test func errorsNameTheLine() {
        let ragged = error("a,b,c\n1,2,3\n4,5\n")
        #expect(ragged?.code == .raggedRow)
        #expect(ragged?.message == "data.csv:3: expected 3 fields, found 2")
        #expect(ragged?.line == 3)
        let quoted = error("a,b\n1,2\n\"x\ny\",3\n4,\"open\n5,6\n")
        #expect(quoted?.code == .unterminatedQuote)
        #expect(quoted?.line == 5)
        #expect(error("")?.code == .emptyFile)
        #expect(error("\u{FEFF}\n\r\n")?.code == .emptyFile)
        #expect(error("a,b\n")?.code == .headerOnly)
        #expect(error("a,b\n\n\n")?.code == .headerOnly)
        #expect(error("a,b,a\n1,2,3\n")?.code == .duplicateColumn)
        #expect(error("a,,b\n1,2,3\n")?.code == .emptyColumn)
        #expect(error("a,b\n1,2\n", CSVOptions(delimiter: UInt8(ascii: "\"")))?.code == .badArgument)
    }

    @Test func raggedLineAfterEmbeddedNewlines() {
        // The record starting on line 4 is ragged; line numbers count physical lines.
        let e = error("a,b\n\"1\n2\",x\n\n3\n")
        #expect(e?.code == .raggedRow)
        #expect(e?.line == 5)
    }

    @Test func readsFileFromDisk() throws {
        let path = NSTemporaryDirectory() + "plumb-csv-\(UInt64.random(in: 0...UInt64.max)).csv"
        try Data("a,b\n1,x\n2,y\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try CSVReader.read(path: path)
        #expect(t.rowCount == 2)
        #expect(throws: TabularError.self) { try CSVReader.read(path: path + ".missing") }
    }

    // MARK: - Fast reader vs naive twin

    static let trickyFiles: [String] = [
        "a,b,c\n1,2,3\n4,5,6\n",
        "a,b\r\n1,\"x,y\"\r\n\"2\",\"q\"\"q\"\r\n",
        "\u{FEFF}id,text\n1,\"multi\nline\r\nfield\"\n2,plain\n\n3,\"\"\n",
        "n,s\n NA ,NaN\nnull,N/A\n1.5e3,x\n-0,\"\"\n",
        "a;b\n1;2\n3;4\n",
        "x,y\n1,\"a\"b\n2,c\"d\n3,\"\"\"\"\n",
        "p,q\r1,2\r3,4\r",
        "a,b\n1,2\n3\n4,5\n",
        "a,b\n1,\"open\n2,3\n",
        "h\n\"\"\n\"x\"\n",
        "a,b\n1,2,\n",
        "a,b\n0.1,1e-5\n123456789012345678901234567890,2.2250738585072011e-308\n 7 ,\t8\t\n",
    ]

    func expectAgreement(_ bytes: [UInt8], _ base: CSVOptions, file: String = "") {
        let reference = NaiveCSV.table(bytes, options: base)
        let bodyLength = bytes.count
        for parallelism in [1, 2, 3, 5, bodyLength + 1] {
            var options = base
            options.parallelism = parallelism
            options.minChunkBytes = 1
            let fast: Result<Table, NaiveCSV.Failure>
            do {
                fast = .success(try CSVReader.read(data: bytes, source: "t.csv", options: options))
            } catch let e as TabularError {
                fast = .failure(NaiveCSV.Failure(code: e.code, line: e.line))
            } catch {
                Issue.record("unexpected error \(error)"); return
            }
            switch (fast, reference) {
            case (.success(let a), .success(let b)):
                #expect(sameTable(a, b), "tables differ (parallelism \(parallelism)) for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "errors differ (parallelism \(parallelism)) for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            default:
                Issue.record("fast \(fast) vs naive \(reference) (parallelism \(parallelism)) for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            }
        }
    }

    @Test(arguments: trickyFiles) func agreesWithNaiveTwin(_ text: String) {
        let delimiter = text.hasPrefix("a;") ? UInt8(ascii: ";") : UInt8(ascii: ",")
        expectAgreement(Array(text.utf8), CSVOptions(delimiter: delimiter))
    }

    @Test func everyChunkBoundary() throws {
        // Chunk bounds forced at every byte position: results must not depend on where chunks start.
        let text = "a,b,c\n1,\"x\ny\",3\r\n4,\"5,5\",6\n\n7,\"\"\"\",9\n10,z,11\n"
        let bytes = Array(text.utf8)
        let reference = try CSVReader.read(data: bytes, source: "t.csv", options: CSVOptions(parallelism: 1))
        for p in 2...bytes.count {
            let t = try CSVReader.read(data: bytes, source: "t.csv", options: CSVOptions(parallelism: p, minChunkBytes: 1))
            #expect(sameTable(t, reference), "parallelism \(p)")
        }
        let body = Array(text.utf8.dropFirst(6))
        let quoted = body.withUnsafeBufferPointer { b in
            CSVTokenizer.chunkBounds(b.baseAddress!, from: 0, to: b.count, count: b.count, delimiter: 44, hasQuote: true)
        }
        // Every bound is a record start: the bytes before it end a record (LF outside quotes).
        for bound in quoted where bound > 0 && bound < body.count { #expect(body[bound - 1] == 10) }
        let insideQuotes = (body.firstIndex(of: 10) ?? 0) + 1  // the first LF is inside "x\ny"
        #expect(!quoted.contains(insideQuotes))
        #expect(quoted.first == 0 && quoted.last == body.count)
        #expect(zip(quoted, quoted.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func randomTrickyFilesAgree() {
        var rng = SeededGenerator(seed: 7)
        let alphabet: [String] = ["1", "2.5", "-3e2", "x", "NA", "", " ", "\"", "\"\"", ",", "\n", "\r\n", "\r", "y z", "é", "inf", "0.1"]
        for _ in 0..<150 {
            let columns = 1 + rng.below(3)
            var text = (0..<columns).map { "c\($0)" }.joined(separator: ",") + (rng.below(2) == 0 ? "\n" : "\r\n")
            let pieces = rng.below(40)
            for _ in 0..<pieces { text += alphabet[rng.below(alphabet.count)] }
            expectAgreement(Array(text.utf8), CSVOptions())
        }
    }

    @Test func randomStructuredFilesAgree() {
        // Well-formed files with quoting of every kind: mostly successful parses.
        var rng = SeededGenerator(seed: 11)
        let values = ["1", "-2.25", "3e-3", " 4 ", "NA", "", "abc", "a,b", "q\"q", "two\nlines", "0.30000000000000004", "N/A"]
        for _ in 0..<60 {
            let columns = 1 + rng.below(4)
            let rows = 1 + rng.below(8)
            let newline = rng.below(2) == 0 ? "\n" : "\r\n"
            var text = (rng.below(3) == 0 ? "\u{FEFF}" : "") + (0..<columns).map { "k\($0)" }.joined(separator: ",") + newline
            for _ in 0..<rows {
                var cells: [String] = []
                for _ in 0..<columns {
                    let v = values[rng.below(values.count)]
                    let mustQuote = v.contains(",") || v.contains("\"") || v.contains("\n")
                    cells.append(mustQuote || rng.below(4) == 0 ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v)
                }
                text += cells.joined(separator: ",") + newline
            }
            expectAgreement(Array(text.utf8), CSVOptions())
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 99)
        let interesting: [UInt8] = [44, 34, 10, 13, 32, 48, 49, 46, 101, 45, 78, 65, 0xEF, 0xBB, 0xBF, 0xFF, 0, 9, 97]
        for trial in 0..<300 {
            let n = rng.below(80)
            let bytes = (0..<n).map { _ in rng.below(4) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : interesting[rng.below(interesting.count)] }
            expectAgreement(bytes, CSVOptions())
            if trial % 10 == 0 {
                // Truncations of a valid file.
                let valid = Array("a,b,c\n1,\"x\ny\",3\n4,5,6\n".utf8)
                expectAgreement(Array(valid.prefix(rng.below(valid.count + 1))), CSVOptions())
            }
        }
    }

    @Test func largeFileParallelMatchesSerial() throws {
        var rng = SeededGenerator(seed: 5)
        var text = "a,b,c,d\n"
        for i in 0..<3000 {
            let q = i % 97 == 0 ? "\"quoted,\nvalue\"" : "lvl\(rng.below(5))"
            text += "\(rng.unit() * 1000 - 500),\(rng.below(100)),\(q),\(i % 13 == 0 ? "" : String(rng.unit()))\n"
        }
        let bytes = Array(text.utf8)
        let serial = try CSVReader.read(data: bytes, source: "t", options: CSVOptions(parallelism: 1))
        for p in [2, 3, 8] {
            let parallel = try CSVReader.read(data: bytes, source: "t", options: CSVOptions(parallelism: p, minChunkBytes: 1000))
            #expect(sameTable(serial, parallel))
        }
        guard case .success(let naive) = NaiveCSV.table(bytes) else { Issue.record("naive failed"); return }
        #expect(sameTable(serial, naive))
    }

    // MARK: - Many chunks through the mapped path

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "plumb-csv-\(UInt64.random(in: 0...UInt64.max)).csv"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Numeric and categorical columns, CRLF line ends, missing values, and quoted fields of
    /// 100+ bytes with commas, doubled quotes and line breaks, so that chunks of tens of bytes
    /// have targets inside quoted fields.
    static func mixedFile(rows: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var text = "id,x,city,note,y\r\n"
        for i in 0..<rows {
            let x = rng.below(10) == 0 ? "NA" : String(rng.unit() * 200 - 100)
            let city = ["Paris", "Lyon", "\"Nice, FR\"", "", "NA", "\"Brest\""][rng.below(6)]
            let note: String
            switch rng.below(4) {
            case 0: note = "\"" + String(repeating: "long \"\"quoted\"\", text\r\nover lines ", count: 3 + rng.below(3)) + "\""
            case 1: note = ""
            default: note = "n\(rng.below(7))"
            }
            let y = rng.below(15) == 0 ? "" : String(rng.below(1000))
            text += "\(i),\(x),\(city),\(note),\(y)\r\n"
        }
        return Array(text.utf8)
    }

    @Test func manyChunksMatchOneChunk() throws {
        let bytes = Self.mixedFile(rows: 3000, seed: 21)
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try CSVReader.read(data: bytes, source: path, options: CSVOptions(parallelism: 1))
        #expect(reference.rowCount == 3000)
        #expect(reference.columns.map(\.kind) == [.numeric, .numeric, .categorical, .categorical, .numeric])
        guard case .success(let naive) = NaiveCSV.table(bytes) else { Issue.record("naive failed"); return }
        #expect(sameTable(reference, naive))
        for maxChunkBytes in [37, 200, 4099, 20_000] {
            for parallelism in [1, 2, 3] {
                let options = CSVOptions(parallelism: parallelism, minChunkBytes: 1)
                let mapped = try CSVReader.read(path: path, options: options, maxChunkBytes: maxChunkBytes)
                #expect(sameTable(mapped, reference), "maxChunkBytes \(maxChunkBytes), parallelism \(parallelism)")
            }
        }
    }

    @Test func manyChunksReportTheSameErrors() throws {
        let good = Self.mixedFile(rows: 2000, seed: 4)
        let cases: [(suffix: String, code: TabularError.Code)] = [
            ("1,2,x,y\r\n5,6,a,b,7\r\n", .raggedRow),
            ("9,1,\"open,x,y\r\n1,2,3,4,5\r\n", .unterminatedQuote),
        ]
        for (suffix, code) in cases {
            let bytes = good + Array(suffix.utf8)
            let path = try temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var expected: TabularError?
            do { _ = try CSVReader.read(data: bytes, source: path, options: CSVOptions(parallelism: 1)) } catch let e as TabularError { expected = e }
            #expect(expected?.code == code)
            for maxChunkBytes in [50, 5000] {
                var got: TabularError?
                do {
                    _ = try CSVReader.read(path: path, options: CSVOptions(minChunkBytes: 1), maxChunkBytes: maxChunkBytes)
                } catch let e as TabularError { got = e }
                #expect(got?.code == code && got?.message == expected?.message && got?.line == expected?.line,
                        "maxChunkBytes \(maxChunkBytes): \(String(describing: got?.message))")
            }
        }
    }

    @Test func mappedNumericFileMatchesData() throws {
        var rng = SeededGenerator(seed: 3)
        var text = "a,b,c,d\n"
        for _ in 0..<20_000 {
            let a = String(rng.unit() * 1e6 - 5e5)
            let b = ["", "NA", " 7 ", "-1.5e-3", "0.1", String(rng.below(100))][rng.below(6)]
            text += "\(a),\(b),\(rng.below(1_000_000)),\(rng.unit())\n"
        }
        let bytes = Array(text.utf8)
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromData = try CSVReader.read(data: bytes, source: path)
        #expect(fromData.rowCount == 20_000 && fromData.columns.allSatisfy { $0.kind == .numeric })
        #expect(sameTable(try CSVReader.read(path: path), fromData))
        for maxChunkBytes in [1000, 9000] {
            let mapped = try CSVReader.read(path: path, options: CSVOptions(minChunkBytes: 1), maxChunkBytes: maxChunkBytes)
            #expect(sameTable(mapped, fromData), "maxChunkBytes \(maxChunkBytes)")
        }
    }

    /// Starts of the records (or empty lines) that follow an LF outside quotes: the naive twin of
    /// `CSVTokenizer.nextRecordStart`, one state-machine step per byte.
    static func recordStartsAfterLF(_ b: [UInt8], delimiter: UInt8) -> [Int] {
        var starts: [Int] = []
        var inQuotes = false
        var atFieldStart = true
        var i = 0
        while i < b.count {
            let c = b[i]
            if inQuotes {
                if c == CSVTokenizer.quote {
                    if i + 1 < b.count && b[i + 1] == CSVTokenizer.quote { i += 2; continue }
                    inQuotes = false
                }
            } else if c == CSVTokenizer.quote && atFieldStart {
                inQuotes = true
                atFieldStart = false
            } else {
                atFieldStart = c == delimiter || c == CSVTokenizer.lf || c == CSVTokenizer.cr
                if c == CSVTokenizer.lf { starts.append(i + 1) }
            }
            i += 1
        }
        return starts
    }

    @Test func nextRecordStartMatchesNaiveTwin() {
        var rng = SeededGenerator(seed: 17)
        let pieces = ["1", "ab", ",", "\"", "\"\"", "\n", "\r\n", "\r", " ", "x\"y", "\"q,\nq\""]
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<(1 + rng.below(30)) { text += pieces[rng.below(pieces.count)] }
            text += "\n"  // an LF at the end: every target has an LF at or after it
            let b = Array(text.utf8)
            let starts = Self.recordStartsAfterLF(b, delimiter: 44)
            for start in [0] + starts where start < b.count {
                for target in (start + 1)...b.count {
                    let expected = starts.first { $0 >= target } ?? b.count
                    let got = b.withUnsafeBufferPointer { p in
                        CSVTokenizer.nextRecordStart(p.baseAddress!, from: start, atLeast: target, to: b.count, delimiter: 44)
                    }
                    #expect(got == expected, "start \(start) target \(target) in \(text.debugDescription)")
                }
            }
        }
    }
}
