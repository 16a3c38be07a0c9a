import Foundation
import Testing
import Tabular

@Suite struct PreprocessorTests {
    /// Training table: two numeric features (one with missing values and an outlier) and a
    /// categorical one with a missing value.
    static func training() -> Table {
        Table(columns: [
            Column(name: "rooms", data: .numeric([1, 2, .nan, 4, 100, 3])),
            Column(name: "age", data: .numeric([10, 20, 30, 40, 50, 60])),
            Column(name: "ocean", data: .categorical(codes: [0, 1, 1, -1, 2, 1], levels: ["INLAND", "NEAR BAY", "ISLAND"])),
            Column(name: "target", data: .numeric([1, 2, 3, 4, 5, 6])),
        ])
    }

    func column(_ t: TransformedFeatures, _ name: String) -> [Double] {
        guard let j = t.names.firstIndex(of: name) else { return [] }
        return Array(t.values[(j * t.rows)..<((j + 1) * t.rows)])
    }

    @Test func medianImputeOneHotMatchesNaive() throws {
        let p = try Preprocessor.fit(Self.training(), features: ["rooms", "ocean", "age"], options: PreprocessingOptions())
        #expect(p.outputNames == ["rooms", "ocean=INLAND", "ocean=ISLAND", "ocean=NEAR BAY", "age"])
        #expect(p.inputFeatures == [FeatureSpec(name: "rooms", kind: .numeric),
                                    FeatureSpec(name: "ocean", kind: .categorical, levels: ["INLAND", "ISLAND", "NEAR BAY"]),
                                    FeatureSpec(name: "age", kind: .numeric)])
        let t = try p.transform(Self.training())
        #expect(t.rows == 6 && t.columns == 5 && t.unseenCategories.isEmpty)
        // Median of 1 2 3 4 100 = 3.
        #expect(column(t, "rooms") == [1, 2, 3, 4, 100, 3])
        // Missing category imputed with the most frequent level, NEAR BAY.
        #expect(column(t, "ocean=NEAR BAY") == [0, 1, 1, 1, 0, 1])
        #expect(column(t, "ocean=INLAND") == [1, 0, 0, 0, 0, 0])
        #expect(column(t, "ocean=ISLAND") == [0, 0, 0, 0, 1, 0])
        #expect(column(t, "age") == [10, 20, 30, 40, 50, 60])
    }

    @Test func clipImputeScaleMatchesNaive() throws {
        let options = PreprocessingOptions(impute: .mean, scale: true, oneHot: true, clip: ClipRange(lower: 0.0, upper: 0.75))
        let p = try Preprocessor.fit(Self.training(), features: ["rooms"], options: options)
        // Clip: sorted present 1 2 3 4 100, q75 at position 3 → 4; q0 → 1.
        let clipped: [Double] = [1, 2, .nan, 4, 4, 3]
        let present = clipped.filter { !$0.isNaN }
        let mean = present.reduce(0, +) / Double(present.count)
        let imputed = clipped.map { $0.isNaN ? mean : $0 }
        let m2 = imputed.reduce(0, +) / Double(imputed.count)
        let std = (imputed.map { ($0 - m2) * ($0 - m2) }.reduce(0, +) / Double(imputed.count)).squareRoot()
        let expected = imputed.map { ($0 - m2) / std }
        let got = column(try p.transform(Self.training()), "rooms")
        for (a, b) in zip(got, expected) { #expect(abs(a - b) < 1e-12) }
    }

    /// The flat row path of an all-numeric preprocessor gives the table path's values bit for bit
    /// (clip, impute and scale; missing values; features in fitted order); a categorical feature
    /// turns it off.
    @Test func rowMajorPathEqualsTablePath() throws {
        for options in [PreprocessingOptions(), PreprocessingOptions(impute: .mean, scale: true, clip: ClipRange(lower: 0.1, upper: 0.8))] {
            let p = try Preprocessor.fit(Self.training(), features: ["age", "rooms"], options: options)
            #expect(p.isAllNumeric)
            let table = Self.training()
            let age = try #require(table.column(named: "age")), rooms = try #require(table.column(named: "rooms"))
            guard case .numeric(let a) = age.data, case .numeric(let r) = rooms.data else { Issue.record("not numeric"); return }
            let flat = (0..<table.rowCount).flatMap { [a[$0], r[$0]] }
            let got = flat.withUnsafeBufferPointer { p.transform(rowMajor: $0, rows: table.rowCount) }
            let expected = try p.transform(table).values
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
        }
        #expect(!(try Preprocessor.fit(Self.training(), features: ["age", "ocean"])).isAllNumeric)
    }

    @Test func jsonRoundTripGivesIdenticalOutput() throws {
        let options = PreprocessingOptions(impute: .median, scale: true, oneHot: true, clip: ClipRange(lower: 0.01, upper: 0.99))
        let p = try Preprocessor.fit(Self.training(), features: ["rooms", "age", "ocean"], options: options)
        let data = try JSONEncoder().encode(p)
        let q = try JSONDecoder().decode(Preprocessor.self, from: data)
        #expect(p == q)
        let a = try p.transform(Self.training())
        let b = try q.transform(Self.training())
        #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern))
    }

    @Test func unseenCategoryCountedAndLevelsMatchedByText() throws {
        let p = try Preprocessor.fit(Self.training(), features: ["ocean", "age"], options: PreprocessingOptions())
        // New table: different level order, an unseen level (twice) and a missing value.
        let serving = Table(columns: [
            Column(name: "age", data: .numeric([5, 6, 7, 8])),
            Column(name: "ocean", data: .categorical(codes: [0, 1, 2, 0], levels: ["MOON", "INLAND", "ISLAND"])),
        ])
        let t = try p.transform(serving)
        #expect(t.unseenCategories == ["ocean": 2])
        #expect(column(t, "ocean=INLAND") == [0, 1, 0, 0])
        #expect(column(t, "ocean=ISLAND") == [0, 0, 1, 0])
        #expect(column(t, "ocean=NEAR BAY") == [0, 0, 0, 0])
    }

    @Test func noImputeLeavesMissingAndOrdinalEncoding() throws {
        let options = PreprocessingOptions(impute: .none, scale: false, oneHot: false)
        let p = try Preprocessor.fit(Self.training(), features: ["rooms", "ocean"], options: options)
        #expect(p.outputNames == ["rooms", "ocean"])
        let t = try p.transform(Self.training())
        let rooms = column(t, "rooms")
        #expect(rooms[2].isNaN && rooms[0] == 1)
        let ocean = column(t, "ocean")
        // Fitted levels sorted: INLAND 0, ISLAND 1, NEAR BAY 2; missing → NaN.
        #expect(ocean[0] == 0 && ocean[1] == 2 && ocean[3].isNaN && ocean[4] == 1)
    }

    @Test func errorsNameTheColumns() throws {
        let p = try Preprocessor.fit(Self.training(), features: ["rooms", "ocean"], options: PreprocessingOptions())
        let missing = Table(columns: [Column(name: "age", data: .numeric([1]))])
        #expect {
            try p.transform(missing)
        } throws: { e in
            guard let e = e as? TabularError else { return false }
            return e.code == .unknownColumn && e.message.contains("\"rooms\"") && e.message.contains("\"ocean\"")
        }
        let wrongKind = Table(columns: [
            Column(name: "rooms", data: .categorical(codes: [0], levels: ["many"])),
            Column(name: "ocean", data: .categorical(codes: [0], levels: ["INLAND"])),
        ])
        #expect {
            try p.transform(wrongKind)
        } throws: { e in (e as? TabularError)?.code == .notNumeric && (e as? TabularError)?.message.contains("rooms") == true }
        #expect(throws: TabularError.self) { try Preprocessor.fit(Self.training(), features: ["nope"], options: .init()) }
        let empty = Table(columns: [Column(name: "e", data: .numeric([.nan, .nan]))])
        #expect(throws: TabularError.self) { try Preprocessor.fit(empty, features: ["e"], options: .init()) }
    }

    @Test func fromRowsServingPath() throws {
        let p = try Preprocessor.fit(Self.training(), features: ["rooms", "ocean"], options: PreprocessingOptions(scale: true))
        let rows: [[String: CellValue]] = [
            ["rooms": .number(2), "ocean": .string("INLAND")],
            ["rooms": .missing, "ocean": .string("ATLANTIS")],
            ["ocean": .missing],
        ]
        let table = try Table.fromRows(rows, schema: p.inputFeatures)
        let t = try p.transform(table)
        #expect(t.rows == 3 && t.unseenCategories == ["ocean": 1])
        // Same as transforming the equivalent table built column by column.
        let direct = Table(columns: [
            Column(name: "rooms", data: .numeric([2, .nan, .nan])),
            Column(name: "ocean", data: .categorical(codes: [0, 1, -1], levels: ["INLAND", "ATLANTIS"])),
        ])
        #expect(try p.transform(direct) == t)
        #expect {
            try Table.fromRows([["rooms": .number(1)], ["rooms": .string("abc")]], schema: p.inputFeatures)
        } throws: { e in
            let m = (e as? TabularError)?.message ?? ""
            return m.contains("row 1") && m.contains("\"rooms\"") && m.contains("abc")
        }
    }

    @Test func standaloneTransforms() {
        let s = StandardScaler.fit([1, 2, 3, .nan])
        #expect(s.mean == 2 && abs(s.scale - (2.0 / 3).squareRoot()) < 1e-15)
        #expect(StandardScaler.fit([5, 5, 5]).scale == 1)
        let c = QuantileClipper.fit(Array(stride(from: 0.0, through: 100, by: 1)), range: ClipRange(lower: 0.01, upper: 0.99))
        #expect(abs(c.lower - 1) < 1e-9 && abs(c.upper - 99) < 1e-9 && c.apply(-5) == c.lower && c.apply(1000) == c.upper && c.apply(.nan).isNaN)
        #expect(Imputer.fit(codes: [0, 1, 1, 0, -1], levels: ["b", "a"], strategy: .median).level == "a")
        #expect(OneHotEncoder.fit(codes: [2, 0], levels: ["z", "unused", "a"]).levels == ["a", "z"])
    }

    /// Columns computed one at a time equal the whole transform's, for every combination of
    /// steps, with missing values, unseen and missing categories; an untouched numeric column is
    /// handed over as it is.
    @Test func outputColumnsEqualTransform() throws {
        let scoring = Table(columns: [
            Column(name: "rooms", data: .numeric([5, .nan, 2, 1e9])),
            Column(name: "age", data: .numeric([1, 2, 3, 4])),
            Column(name: "ocean", data: .categorical(codes: [0, 1, -1, 2], levels: ["NEAR BAY", "MOON", "INLAND"])),
        ])
        for options in [PreprocessingOptions(), PreprocessingOptions(impute: .mean, scale: true, clip: ClipRange(lower: 0.1, upper: 0.9)),
                        PreprocessingOptions(impute: .none, oneHot: false)] {
            let p = try Preprocessor.fit(Self.training(), features: ["rooms", "ocean", "age"], options: options)
            for table in [Self.training(), scoring] {
                let whole = try p.transform(table), columns = try p.outputColumns(table)
                #expect(columns.count == whole.columns && columns.rows == whole.rows)
                for j in 0..<columns.count {
                    let expected = Array(whole.values[(j * whole.rows)..<((j + 1) * whole.rows)])
                    #expect(columns.column(j).elementsEqual(expected) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(options) column \(j)")
                }
            }
        }
        let p = try Preprocessor.fit(Self.training(), features: ["age"], options: PreprocessingOptions(impute: .none))
        #expect(try p.outputColumns(Self.training()).column(0) == [10, 20, 30, 40, 50, 60])
        #expect(throws: TabularError.self) { try p.outputColumns(Table(columns: [Column(name: "x", data: .numeric([1]))])) }
    }
}
