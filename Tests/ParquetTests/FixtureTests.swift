import Foundation
import Testing
import Tabular
@testable import Parquet

/// The committed fixtures folder (written by scripts/parquet-fixtures.py with pyarrow 26.0.1,
/// polars 2.1.0 and DuckDB 2.0.0).
let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

func fixture(_ name: String) -> String { fixturesFolder + "/" + name }

/// Reads a Parquet file or folder, or an Arrow IPC file (by its extension).
func readAny(_ path: String) throws(ParquetError) -> Table {
    path.hasSuffix(".arrow") ? try ArrowFileReader.read(path: path) : try ParquetReader.read(path: path)
}

/// expected.json: per fixture, the columns as Plumb must read them.
struct ExpectedColumn {
    var name: String
    var kind: ColumnKind
    /// Numbers (NaN for null/NaN) for numeric columns.
    var numbers: [Double]
    /// Strings (nil for null) for categorical columns.
    var strings: [String?]
}

let expectedFixtures: (files: [String: [ExpectedColumn]], rows: [String: Int], errors: [String: [String: String]]) = {
    guard let data = FileManager.default.contents(atPath: fixture("expected.json")),
          let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let files = root["files"] as? [String: [String: Any]],
          let errors = root["errors"] as? [String: [String: String]] else {
        return ([:], [:], [:])
    }
    func columns(_ entry: [String: Any]) -> (Int, [ExpectedColumn]) {
        let entry = (entry["same_as"] as? String).flatMap { files[$0] } ?? entry
        let rows = (entry["rows"] as? Int) ?? -1
        let cols = (entry["columns"] as? [[String: Any]] ?? []).map { c -> ExpectedColumn in
            let values = c["values"] as? [Any] ?? []
            let kind: ColumnKind = (c["kind"] as? String) == "categorical" ? .categorical : .numeric
            var numbers: [Double] = []
            var strings: [String?] = []
            for v in values {
                if kind == .categorical {
                    strings.append(v as? String)
                } else if let n = v as? NSNumber {
                    numbers.append(n.doubleValue)
                } else if let s = v as? String {
                    numbers.append(Double(s) ?? .nan)  // "nan", "inf", "-inf" or a float's repr
                } else {
                    numbers.append(.nan)
                }
            }
            return ExpectedColumn(name: c["name"] as? String ?? "", kind: kind, numbers: numbers, strings: strings)
        }
        return (rows, cols)
    }
    var result: [String: [ExpectedColumn]] = [:]
    var rows: [String: Int] = [:]
    for (name, entry) in files {
        (rows[name], result[name]) = columns(entry)
    }
    return (result, rows, errors)
}()

/// Compares a table with the expected columns: names, kinds, every value and null exactly.
func expectMatches(_ table: Table, _ expected: [ExpectedColumn], rows: Int, _ label: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(table.rowCount == rows, "\(label): rows", sourceLocation: sourceLocation)
    #expect(table.columnNames == expected.map(\.name), "\(label): column names", sourceLocation: sourceLocation)
    for e in expected {
        guard let column = table.column(named: e.name) else { continue }
        #expect(column.kind == e.kind, "\(label): kind of \(e.name)", sourceLocation: sourceLocation)
        switch column.data {
        case .numeric(let values):
            guard values.count == e.numbers.count else {
                Issue.record("\(label): \(e.name) has \(values.count) values, expected \(e.numbers.count)", sourceLocation: sourceLocation)
                continue
            }
            let bad = zip(values, e.numbers).enumerated().first { _, p in !(p.0 == p.1 || (p.0.isNaN && p.1.isNaN)) }
            if let (i, (got, want)) = bad {
                Issue.record("\(label): \(e.name)[\(i)] = \(got), expected \(want)", sourceLocation: sourceLocation)
            }
        case .categorical(let codes, let levels):
            #expect(levels == levels.sorted() && Set(levels).count == levels.count, "\(label): \(e.name) levels sorted and distinct",
                    sourceLocation: sourceLocation)
            let got: [String?] = codes.map { $0 < 0 ? nil : levels[Int($0)] }
            if got != e.strings {
                let i = zip(got, e.strings).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
                Issue.record("\(label): \(e.name) differs at row \(i): \(i >= 0 ? String(describing: got[i]) : "count") vs \(i >= 0 ? String(describing: e.strings[i]) : "")",
                             sourceLocation: sourceLocation)
            }
            let used = Set(codes.filter { $0 >= 0 })
            #expect(used.count == levels.count, "\(label): \(e.name) levels are exactly the values used", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct FixtureTests {
    static let names = expectedFixtures.files.keys.sorted()

    @Test func fixturesArePresent() {
        #expect(Self.names.count >= 20)
        #expect(expectedFixtures.errors.count >= 4)
        #expect(Self.names.contains("spark_parts") && Self.names.contains("arrow_zstd.arrow"))
    }

    @Test(arguments: names)
    func readsFixture(_ name: String) throws {
        let table = try readAny(fixture(name))
        expectMatches(table, expectedFixtures.files[name] ?? [], rows: expectedFixtures.rows[name] ?? -1, name)
    }

    /// Reading row group by row group gives the same rows as reading the file at once.
    @Test(arguments: names.filter { $0.hasSuffix(".parquet") })
    func rowGroupsConcatenate(_ name: String) throws {
        let reader = try ParquetReader(path: fixture(name))
        let whole = try reader.read()
        var offset = 0
        for g in 0 ..< reader.rowGroupCount {
            let part = try reader.readRowGroup(g)
            #expect(part.columnNames == whole.columnNames)
            for (a, b) in zip(part.columns, whole.columns) {
                switch (a.data, b.data) {
                case (.numeric(let x), .numeric(let y)):
                    let slice = Array(y[offset ..< offset + part.rowCount])
                    #expect(zip(x, slice).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name) rg \(g) \(a.name)")
                case (.categorical(let c1, let l1), .categorical(let c2, let l2)):
                    let s1 = c1.map { $0 < 0 ? nil : l1[Int($0)] }
                    let s2 = c2[offset ..< offset + part.rowCount].map { $0 < 0 ? nil : l2[Int($0)] }
                    #expect(s1 == s2, "\(name) rg \(g) \(a.name)")
                default:
                    Issue.record("\(name): kinds differ")
                }
            }
            offset += part.rowCount
        }
        #expect(offset == whole.rowCount)
        #expect(reader.rowCount == whole.rowCount)
    }

    @Test(arguments: expectedFixtures.errors.keys.sorted())
    func refusesFixture(_ name: String) throws {
        let want = try #require(expectedFixtures.errors[name])
        do {
            _ = try readAny(fixture(name))
            Issue.record("\(name): read without error")
        } catch {
            #expect(error.code.rawValue == want["code"], "\(error.message)")
            #expect(error.column == want["column"], "\(error.message)")
            if let file = want["file"] { #expect(error.file?.hasSuffix(file) == true, "\(error.message)") }
            if let column = want["column"] { #expect(error.message.contains("'\(column)'"), "\(error.message)") }
            #expect(error.message.hasPrefix(fixture(name)), "\(error.message)")
        }
    }

    @Test func schemaOfTypesFixture() throws {
        let reader = try ParquetReader(path: fixture("pyarrow_types_v1_none.parquet"))
        let byName = Dictionary(uniqueKeysWithValues: reader.columns.map { ($0.name, $0) })
        #expect(byName["f64"]?.physicalType == "DOUBLE")
        #expect(byName["dec_30_6"]?.physicalType == "FIXED_LEN_BYTE_ARRAY(13)")
        #expect(byName["s_dict"]?.kind == .categorical)
        #expect(byName["ts_ns"]?.kind == .numeric)
        #expect(reader.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
        let required = try ParquetReader(path: fixture("pyarrow_required_flba.parquet"))
        #expect(required.columns.allSatisfy { !$0.isOptional })
    }

    @Test func notParquetAndMissing() throws {
        #expect(throws: ParquetError.self) { try ParquetReader.read(path: fixture("expected.json")) }
        do {
            _ = try ParquetReader.read(path: fixture("no-such.parquet"))
        } catch {
            #expect(error.code == .io)
        }
        do {
            _ = try ParquetReader(path: fixture("expected.json"))
        } catch {
            #expect(error.code == .notParquet)
            #expect(error.message.hasPrefix(fixture("expected.json")))
        }
    }
}
