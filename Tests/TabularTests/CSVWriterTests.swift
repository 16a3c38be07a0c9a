import Foundation
import Testing
@testable import Tabular

@Suite struct CSVWriterTests {
    @Test func formatsNumbersAndQuotes() {
        #expect(CSVWriter.format(5.0) == "5")
        #expect(CSVWriter.format(-0.25) == "-0.25")
        #expect(CSVWriter.format(0.1) == "0.1")
        #expect(CSVWriter.format(1e-5) == "1e-05")
        #expect(CSVWriter.format(.infinity) == "inf")
        let t = Table(columns: [
            Column(name: "x", data: .numeric([1, .nan, 2.5])),
            Column(name: "name, full", data: .categorical(codes: [0, 1, -1], levels: ["a\"b", "c\nd"])),
        ])
        let text = String(decoding: CSVWriter.encode(t), as: UTF8.self)
        #expect(text == "x,\"name, full\"\n1,\"a\"\"b\"\n,\"c\nd\"\n2.5,\n")
    }

    /// The plain form the fast number writer must reproduce byte for byte.
    static func plainFormat(_ x: Double) -> String {
        if x == .infinity { return "inf" }
        if x == -.infinity { return "-inf" }
        let s = x.description
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    @Test func numbersMatchSwiftsShortestForm() {
        var rng = SeededGenerator(seed: 11)
        var values: [Double] = [0, -0.0, 1, -1, 9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_992,
                                9_007_199_254_740_994, 9_999_999_999_999_998, 1e16, 1e22, 123456789012, 0.5, -2.5e-300,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, 4503599627370495.5]
        for _ in 0..<20_000 {
            let bits = UInt64(rng.below(Int.max)) &* 2_654_435_761 ^ UInt64(rng.below(Int.max)) << 20
            let x = Double(bitPattern: bits)
            if x.isFinite { values.append(x) }
            values.append(Double(rng.below(1 << 40)) - Double(1 << 39))
            values.append(Double(rng.below(1_000_000)) / 1000)
        }
        for x in values { #expect(CSVWriter.format(x) == Self.plainFormat(x), "\(x.bitPattern)") }
    }

    @Test func manyRowsEncodeAsOneBlockWould() throws {
        let n = 40_000   // several encoding blocks
        let t = Table(columns: [
            Column(name: "i", data: .numeric((0..<n).map { Double($0) / 3 })),
            Column(name: "c", data: .categorical(codes: (0..<n).map { Int32($0 % 3) - 1 }, levels: ["a", "b,c"])),
        ])
        var expected = "i,c\n"
        for r in 0..<n {
            let code = r % 3 - 1
            expected += Self.plainFormat(Double(r) / 3) + "," + (code < 0 ? "" : code == 0 ? "a" : "\"b,c\"") + "\n"
        }
        #expect(String(decoding: CSVWriter.encode(t), as: UTF8.self) == expected)
    }

    /// Random tables whose categorical levels are sorted, used and not number-like.
    func randomTable(_ rng: inout SeededGenerator) -> Table {
        let rows = 1 + rng.below(30)
        let ncols = 1 + rng.below(5)
        let words = ["alpha", "b,c", "q\"uote", "multi\nline", "é", "x y", "Z", "crlf\r\nx", "tab\tin"]
        var columns: [Column] = []
        for j in 0..<ncols {
            if rng.below(3) == 0 {
                let pool = Array(Set((0..<(1 + rng.below(4))).map { _ in words[rng.below(words.count)] })).sorted()
                var codes = (0..<rows).map { _ in rng.below(6) == 0 ? Int32(-1) : Int32(rng.below(pool.count)) }
                codes[rng.below(rows)] = 0
                let used = Set(codes.filter { $0 >= 0 }).sorted()
                let levels = used.map { pool[Int($0)] }
                let remap = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, Int32($0)) })
                columns.append(Column(name: "c\(j)", data: .categorical(codes: codes.map { $0 < 0 ? -1 : remap[$0]! }, levels: levels)))
            } else {
                let v: [Double] = (0..<rows).map { _ in
                    switch rng.below(8) {
                    case 0: return .nan
                    case 1: return Double(rng.below(1000)) - 500
                    case 2: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF | (rng.next() & (1 << 63)))
                    case 3: return -0.0
                    default: return (rng.unit() - 0.5) * pow(10, Double(rng.below(30)) - 15)
                    }
                }
                columns.append(Column(name: "n \(j)", data: .numeric(v)))
            }
        }
        return Table(columns: columns, rowCount: rows)
    }

    @Test func roundTripProperty() throws {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            let t = randomTable(&rng)
            // An all-missing numeric column reads back numeric; an all-missing categorical one would not.
            let schema = Dictionary(uniqueKeysWithValues: t.columns.map { ($0.name, $0.kind) })
            let back = try CSVReader.read(data: CSVWriter.encode(t), source: "rt.csv", options: CSVOptions(schema: schema))
            #expect(sameTable(back, t))
            // -0 reads back as -0: the comparison above is bit-exact.
        }
    }

    @Test func writesAtomically() throws {
        let dir = NSTemporaryDirectory() + "plumb-writer-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.csv"
        let t = Table(columns: [Column(name: "a", data: .numeric([1, 2, 3]))])
        try CSVWriter.write(t, to: path)
        try CSVWriter.write(t, to: path)  // overwrite
        #expect(try CSVReader.read(path: path) == t)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
        #expect(throws: TabularError.self) { try CSVWriter.write(t, to: dir + "/no/such/dir.csv") }
    }
}
