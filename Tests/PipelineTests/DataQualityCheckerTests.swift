import Foundation
import Testing
@testable import Pipeline
import Tabular

@Suite struct DataQualityCheckerTests {
    /// 10 rows: x has 1 missing (row 4) and values 0…9 (9 outside [0, 8] at row 10, 8.5? none);
    /// rows 6 and 9 repeat rows 1 and 2 exactly; c has levels a, b, z (z unexpected twice).
    static func table() -> Table {
        let nan = Double.nan
        let x: [Double] = [1, 2, 3, nan, 5, 1, 7, 8, 2, 12]
        let y: [Double] = [10, 20, 30, 40, 50, 10, 70, 80, 20, 100]
        let codes: [Int32] = [0, 1, 0, 1, 2, 0, 2, 0, 1, -1]
        let k: [Double] = Array(repeating: 3, count: 10)
        return Table(columns: [
            Column(name: "x", data: .numeric(x)),
            Column(name: "c", data: .categorical(codes: codes, levels: ["a", "b", "z"])),
            Column(name: "k", data: .numeric(k)),
            Column(name: "y", data: .numeric(y)),
        ])
    }

    static func spec() -> PipelineSpec.Validation {
        PipelineSpec.Validation(maxMissingRate: 0.05, maxDuplicateRate: 0.25,
                                ranges: ["x": .init(min: 0, max: 8), "y": .init(min: 0, max: 1000)],
                                allowedCategories: ["c": ["a", "b"]])
    }

    func find(_ r: DataQualityReport, _ name: String, _ column: String?) throws -> DataQualityCheck {
        try #require(r.checks.first { $0.name == name && $0.column == column })
    }

    @Test func knownAnswers() throws {
        let r = DataQualityChecker.check(table: Self.table(), spec: Self.spec(), target: "y")
        #expect(r.rows == 10 && r.columns == 4)

        let dup = try find(r, "duplicate_rate", nil)
        #expect(dup.observed == 0.2)
        #expect(dup.passed)
        #expect(dup.rows == [6, 9])

        let target = try find(r, "target", "y")
        #expect(target.passed)
        #expect(r.checks.first { $0.name == "missing_rate" && $0.column == "y" } == nil)

        let missX = try find(r, "missing_rate", "x")
        #expect(missX.observed == 0.1)
        #expect(!missX.passed)
        #expect(missX.message == "1 of 10 missing (10.00%)")
        let missC = try find(r, "missing_rate", "c")
        #expect(missC.observed == 0.1 && !missC.passed)
        #expect(try find(r, "missing_rate", "k").passed)

        let range = try find(r, "range", "x")
        #expect(!range.passed)
        #expect(range.observed == 1)
        #expect(range.rows == [10])
        #expect(range.message == "1 value(s) outside [0, 8] (observed [1, 12]); first: data rows 10")
        #expect(try find(r, "range", "y").passed)

        let cats = try find(r, "categories", "c")
        #expect(!cats.passed)
        #expect(cats.unexpected == ["z": 2])
        #expect(cats.rows == [5, 7])

        let constant = try find(r, "constant", "k")
        #expect(constant.severity == .warning && !constant.passed)
        #expect(r.checks.filter { $0.name == "constant" }.count == 1)

        #expect(!r.passed)
        #expect(Set(r.failures.map { "\($0.name):\($0.column ?? "")" }) == ["missing_rate:x", "missing_rate:c", "range:x", "categories:c"])
        #expect(r.warnings.count == 1)
    }

    @Test func cleanTablePasses() {
        let t = Table(columns: [
            Column(name: "a", data: .numeric([1, 2, 3, 4])),
            Column(name: "t", data: .numeric([0.5, 1, 1.5, 2])),
        ])
        let r = DataQualityChecker.check(table: t, spec: .init(), target: "t")
        #expect(r.passed)
        #expect(r.failures.isEmpty && r.warnings.isEmpty)
        #expect(r.render().hasSuffix("passed: 4 rows, 2 columns, 3 checks, 0 failed, 0 warnings\n"))
    }

    @Test func targetProblems() throws {
        let t = Table(columns: [
            Column(name: "a", data: .numeric([1, 2, 3, 4])),
            Column(name: "t", data: .numeric([1, .nan, .infinity, 2])),
            Column(name: "s", data: .categorical(codes: [0, 0, 0, 0], levels: ["u"])),
        ])
        let r = DataQualityChecker.check(table: t, spec: .init(ranges: ["gone": .init(min: 0, max: 1)]), target: "t")
        let target = try find(r, "target", "t")
        #expect(!target.passed && target.observed == 2 && target.rows == [2, 3])
        #expect(try find(r, "column_present", "gone").passed == false)
        #expect(try find(r, "constant", "s").severity == .warning)
        let missing = DataQualityChecker.check(table: t, spec: .init(), target: "nope")
        #expect(try find(missing, "target", "nope").passed == false)
        // Class labels are a classifier's target: present everywhere, they pass.
        let categorical = DataQualityChecker.check(table: t, spec: .init(), target: "s")
        #expect(try find(categorical, "target", "s").passed)
        #expect(try find(categorical, "target", "s").message.contains("1 classes"))
        let unlabelled = Table(columns: [Column(name: "s", data: .categorical(codes: [0, -1, 0, -1], levels: ["u"]))])
        let missingLabels = try find(DataQualityChecker.check(table: unlabelled, spec: .init(), target: "s"), "target", "s")
        #expect(!missingLabels.passed && missingLabels.rows == [2, 4])
    }

    @Test func duplicateRowsMatchNaive() {
        var g = SeededGenerator(seed: 7)
        for trial in 0..<20 {
            let n = 50 + trial
            // Few distinct values so duplicates are common; NaN and -0.0 included.
            let pool: [Double] = [0, -0.0, 1, .nan, 2]
            let a = (0..<n).map { _ in pool[Int(g.next() % UInt64(pool.count))] }
            let b = (0..<n).map { _ in pool[Int(g.next() % 2)] }
            let codes = (0..<n).map { _ in Int32(g.next() % 3) - 1 }
            let t = Table(columns: [
                Column(name: "a", data: .numeric(a)), Column(name: "b", data: .numeric(b)),
                Column(name: "c", data: .categorical(codes: codes, levels: ["p", "q"])),
            ])
            #expect(DataQualityChecker.duplicateRows(t) == DataQualityChecker.duplicateRowsNaive(t))
        }
        let signed = Table(columns: [Column(name: "a", data: .numeric([0, -0.0, .nan, .nan]))])
        #expect(DataQualityChecker.duplicateRows(signed) == [2, 4])
    }

    @Test func renderIsAlignedAndJSONRoundTrips() throws {
        let r = DataQualityChecker.check(table: Self.table(), spec: Self.spec(), target: "y")
        let lines = r.render().split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("STATUS  CHECK") == true)
        let messageColumn = try #require(lines.first?.range(of: "MESSAGE")).lowerBound.utf16Offset(in: lines[0])
        for l in lines.dropFirst().dropLast() {
            #expect(l.count > messageColumn)
            let before = l.prefix(messageColumn)
            #expect(before.hasSuffix("  "))
        }
        #expect(lines.last == "FAILED: 10 rows, 4 columns, \(r.checks.count) checks, 4 failed, 1 warning")
        let data = try JSONEncoder().encode(r)
        let back = try JSONDecoder().decode(DataQualityReport.self, from: data)
        #expect(back == r)
    }

    @Test func defaultSpecRangesHoldOnGeneratedCaliforniaLikeRows() throws {
        // Values at the documented extremes of California Housing stay inside the default ranges.
        let v = PipelineSpec.default.validation
        let extremes: [String: (Double, Double)] = [
            "MedInc": (0.4999, 15.0001), "HouseAge": (1, 52), "AveRooms": (0.846, 141.9), "AveBedrms": (0.333, 34.07),
            "Population": (3, 35682), "AveOccup": (0.692, 1243.3), "Latitude": (32.54, 41.95),
            "Longitude": (-124.35, -114.31), "MedHouseVal": (0.14999, 5.00001),
        ]
        let t = Table(columns: extremes.keys.sorted().map { Column(name: $0, data: .numeric([extremes[$0]!.0, extremes[$0]!.1])) })
        let r = DataQualityChecker.check(table: t, spec: v, target: "MedHouseVal")
        #expect(r.passed, "\(r.render())")
    }
}
