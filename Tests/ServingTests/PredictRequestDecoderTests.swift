import Foundation
import Testing
@testable import Serving

@Suite struct PredictRequestDecoderTests {
    static let layout = FeatureLayout([
        FeatureSpec(name: "MedInc", kind: .numeric),
        FeatureSpec(name: "HouseAge", kind: .numeric),
        FeatureSpec(name: "Ocean", kind: .categorical, levels: ["NEAR BAY", "INLAND"]),
    ])

    func decode(_ text: String, maxRows: Int = 100) -> PredictDecodeOutcome {
        let d = PredictRequestDecoder(layout: Self.layout, maxRows: maxRows)
        return Array(text.utf8).withUnsafeBytes { d.decode($0) }
    }

    func issues(_ text: String, maxRows: Int = 100) -> [ValidationIssue] {
        if case .invalid(let i) = decode(text, maxRows: maxRows) { return i }
        Issue.record("accepted \(text)")
        return []
    }

    /// Batch rows whose keys come in model order take the byte-for-byte key path; near misses
    /// (a longer name, an escaped spelling, a repeat, a shuffled order) fall back to the general one.
    @Test func batchKeysInOrderAndNearMisses() {
        let text = #"{"instances": [{"MedInc": 1, "HouseAge": 2, "Ocean": "a"}, {"Med\u0049nc": 3, "HouseAge":4,"Ocean":null},"#
            + #" {"Ocean": "b", "MedInc": 5, "HouseAge": 6}, { "MedInc" : 7 , "HouseAge" : 8 , "Ocean" : "c" }]}"#
        guard case .rows(let rows, true) = decode(text) else { Issue.record("rejected"); return }
        #expect(rows.rows == [[.number(1), .number(2), .string("a")], [.number(3), .number(4), nil],
                              [.number(5), .number(6), .string("b")], [.number(7), .number(8), .string("c")]])
        let bad = issues(#"{"instances": [{"MedIncX": 1, "HouseAge": 2, "Ocean": "a"}, {"MedInc": 1, "MedInc": 2, "Ocean": 3}]}"#)
        #expect(bad.map(\.type) == ["extra_forbidden", "missing", "duplicate_field", "string_type", "missing"])
        #expect(bad.map(\.loc) == [[.key("body"), .key("instances"), .index(0), .key("MedIncX")],
                                   [.key("body"), .key("instances"), .index(0), .key("MedInc")],
                                   [.key("body"), .key("instances"), .index(1), .key("MedInc")],
                                   [.key("body"), .key("instances"), .index(1), .key("Ocean")],
                                   [.key("body"), .key("instances"), .index(1), .key("HouseAge")]])
    }

    @Test func decodesSingleRowInModelOrder() {
        guard case .rows(let rows, let batch) = decode(#"{"Ocean": "INLAND", "HouseAge": 41, "MedInc": 8.3252}"#) else {
            Issue.record("rejected"); return
        }
        #expect(!batch)
        #expect(rows.rows == [[.number(8.3252), .number(41), .string("INLAND")]])
    }

    @Test func nullIsMissingAndEscapedKeysMatch() {
        guard case .rows(let rows, _) = decode(#"{"Med\u0049nc": null, "HouseAge": -0.5, "Ocean": null}"#) else {
            Issue.record("rejected"); return
        }
        #expect(rows.rows == [[nil, .number(-0.5), nil]])
    }

    @Test func decodesBatch() {
        let text = #"{"instances": [{"MedInc": 1, "HouseAge": 2, "Ocean": "a"}, {"HouseAge": 3e1, "MedInc": -1.5, "Ocean": "b\n"}]}"#
        guard case .rows(let rows, let batch) = decode(text) else { Issue.record("rejected"); return }
        #expect(batch)
        #expect(rows.rows == [[.number(1), .number(2), .string("a")], [.number(-1.5), .number(30), .string("b\n")]])
    }

    @Test func listsEveryProblemWithLocation() {
        let text = #"{"instances": [{"MedInc": "8.3", "HouseAge": 1, "Ocean": 3, "Extra": 1}, 5, {"MedInc": 1e999, "Ocean": "x", "HouseAge": [1]}, {"MedInc": 1, "MedInc": 2, "HouseAge": true, "Ocean": {}}]}"#
        let got = issues(text)
        let expected: [ValidationIssue] = [
            .init(loc: [.key("body"), .key("instances"), .index(0), .key("MedInc")], msg: "Input should be a valid number", type: "float_type"),
            .init(loc: [.key("body"), .key("instances"), .index(0), .key("Ocean")], msg: "Input should be a valid string", type: "string_type"),
            .init(loc: [.key("body"), .key("instances"), .index(0), .key("Extra")], msg: "Extra inputs are not permitted", type: "extra_forbidden"),
            .init(loc: [.key("body"), .key("instances"), .index(1)], msg: "Input should be a valid object", type: "model_attributes_type"),
            .init(loc: [.key("body"), .key("instances"), .index(2), .key("MedInc")], msg: "Input should be a finite number", type: "finite_number"),
            .init(loc: [.key("body"), .key("instances"), .index(2), .key("HouseAge")], msg: "Input should be a valid number", type: "float_type"),
            .init(loc: [.key("body"), .key("instances"), .index(3), .key("MedInc")], msg: "Duplicate field", type: "duplicate_field"),
            .init(loc: [.key("body"), .key("instances"), .index(3), .key("HouseAge")], msg: "Input should be a valid number", type: "float_type"),
            .init(loc: [.key("body"), .key("instances"), .index(3), .key("Ocean")], msg: "Input should be a valid string", type: "string_type"),
        ]
        #expect(got == expected)
    }

    @Test func missingFieldsInSingleRow() {
        #expect(issues(#"{"MedInc": 1}"#) == [
            .init(loc: [.key("body"), .key("HouseAge")], msg: "Field required", type: "missing"),
            .init(loc: [.key("body"), .key("Ocean")], msg: "Field required", type: "missing"),
        ])
        #expect(issues("{}").count == 3)
    }

    @Test func batchShapeErrors() {
        #expect(issues(#"{"instances": []}"#).map(\.type) == ["too_short"])
        #expect(issues(#"{"instances": {}}"#).map(\.type) == ["list_type"])
        #expect(issues(#"{"instances": [{"MedInc":1,"HouseAge":1,"Ocean":"a"}], "MedInc": 1}"#) == [
            .init(loc: [.key("body"), .key("MedInc")], msg: "Extra inputs are not permitted", type: "extra_forbidden"),
        ])
        let row = #"{"MedInc":1,"HouseAge":1,"Ocean":"a"}"#
        let four = "{\"instances\": [\(row),\(row),\(row),\(row)]}"
        #expect(issues(four, maxRows: 3).map(\.type) == ["too_long"])
        #expect(issues("[1,2]").map(\.type) == ["model_attributes_type"])
    }

    @Test func malformedJSONIsOneIssueWithOffset() {
        let got = issues(#"{"MedInc": NaN}"#)
        #expect(got.count == 1)
        #expect(got.first?.type == "json_invalid")
        #expect(got.first?.loc == [.key("body"), .index(11)])
        #expect(issues("").first?.type == "json_invalid")
        #expect(issues(#"{"MedInc": 1} trailing"#).first?.type == "json_invalid")
        #expect(issues(#"{"MedInc": Infinity, "HouseAge": 1, "Ocean": "a"}"#).first?.type == "json_invalid")
    }

    @Test func issueListIsBounded() {
        let rows = Array(repeating: #"{"MedInc":"x","HouseAge":"y","Ocean":1}"#, count: 400).joined(separator: ",")
        let got = issues("{\"instances\":[\(rows)]}", maxRows: 1000)
        #expect(got.count == PredictRequestDecoder.maxIssues + 1)
        #expect(got.last?.type == "too_many_errors")
    }

    /// A row template learns from a row of the layout's shape, reads rows of the same bytes
    /// around other values, and leaves every other row (and the reader) untouched.
    @Test func rowTemplateLearnsAndMatches() throws {
        let body = #"[{"MedInc": 1.5, "HouseAge": 2, "Ocean": "a"}, {"MedInc": -3e1, "HouseAge": 0.25, "Ocean": "b\n"}, "#
            + #"{"MedInc": 4, "HouseAge": null, "Ocean": "c"}, {"MedInc":5, "HouseAge": 6, "Ocean": "d"}]"#
        let bytes = Array(body.utf8)
        try bytes.withUnsafeBufferPointer { b in
            try Self.layout.blob.withUnsafeBufferPointer { names in
                let p = b.baseAddress!
                let end = bytes.firstIndex(of: UInt8(ascii: "}"))! + 1
                let t = try #require(RowTemplate(base: p, start: 1, end: end, layout: Self.layout, names: names.baseAddress!))
                #expect(RowTemplate(base: p, start: 0, end: end, layout: Self.layout, names: names.baseAddress!) == nil)
                var r = JSONReader(base: p, count: bytes.count)
                var rows = FeatureRows(kinds: Self.layout.kinds)
                r.pos = 1
                #expect(t.read(&r, into: &rows))
                #expect(r.pos == end)
                _ = try r.commaOrClose(UInt8(ascii: "]"))
                #expect(t.read(&r, into: &rows))
                _ = try r.commaOrClose(UInt8(ascii: "]"))
                let before = r.pos
                #expect(!t.read(&r, into: &rows))  // null
                #expect(r.pos == before)
                #expect(rows.rows == [[.number(1.5), .number(2), .string("a")], [.number(-30), .number(0.25), .string("b\n")]])
                #expect(rows.texts == ["a", "b\n"])
            }
        }
        // A key out of order, an escaped key, a missing or extra key, a wrong type: no template.
        for row in [#"{"HouseAge": 2, "MedInc": 1, "Ocean": "a"}"#, #"{"Med\u0049nc": 1, "HouseAge": 2, "Ocean": "a"}"#,
                    #"{"MedInc": 1, "HouseAge": 2}"#, #"{"MedInc": 1, "HouseAge": 2, "Ocean": "a", "X": 1}"#,
                    #"{"MedInc": 1, "HouseAge": "2", "Ocean": "a"}"#, #"{"MedInc": 1, "HouseAge": 2, "Ocean": null}"#,
                    #"{"MedInc": 1e999, "HouseAge": 2, "Ocean": "a"}"#] {
            let b = Array(row.utf8)
            let learned = b.withUnsafeBufferPointer { p in
                Self.layout.blob.withUnsafeBufferPointer { names in
                    RowTemplate(base: p.baseAddress!, start: 0, end: b.count, layout: Self.layout, names: names.baseAddress!)
                }
            }
            #expect(learned == nil, "\(row)")
        }
    }

    /// Batches mixing rows of many shapes, valid and not, decode to exactly the same rows and
    /// issues with row templates as without them.
    @Test func rowTemplatesDecodeAsTheGeneralPath() {
        let numericLayout = FeatureLayout([FeatureSpec(name: "a", kind: .numeric), FeatureSpec(name: "bb", kind: .numeric),
                                           FeatureSpec(name: "a_long_feature_name", kind: .numeric)])
        var rng = SystemRandomNumberGenerator()
        let numbers = ["0", "-0", "1", "25.0", "-118.38", "4.022012578616352", "1.0393081761006289", "3e1", "-2.5E-3",
                       "123456789012345678901234", "0.000001", "1e999", "-0.0", "0.0", "9999999999999999999",
                       "0.1234567890123456789", "1E5", "10", "1.5e+2"]
        let malformed = ["-", "01", "1.", ".5", "1.2.3", "00", "-.5"]
        func num() -> String {
            Int.random(in: 0..<50, using: &rng) == 0 ? malformed.randomElement(using: &rng)! : numbers.randomElement(using: &rng)!
        }
        func row(_ names: [String], categorical: Set<String>) -> String {
            func value(_ n: String) -> String { categorical.contains(n) ? ["\"x\"", "\"é\\n\"", "\"\""].randomElement(using: &rng)! : num() }
            switch Int.random(in: 0..<14, using: &rng) {
            case 0: return "{" + names.map { "\"\($0)\":\(value($0))" }.joined(separator: ",") + "}"
            case 1: return "{\n    " + names.map { "\"\($0)\": \(value($0))" }.joined(separator: ",\n    ") + "\n  }"
            case 2: return "{" + names.reversed().map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            case 3: return "{" + names.enumerated().map { "\"\($1)\": \($0 == 1 ? "null" : value($1))" }.joined(separator: ", ") + "}"
            case 4: return "{" + names.enumerated().map { "\"\($1)\": \($0 == 0 ? "\"7\"" : "7")" }.joined(separator: ", ") + "}"
            case 5: return "{" + names.dropLast().map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            case 6: return "{" + (names + ["zz"]).map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            case 7: return "{" + (names + [names[0]]).map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            case 8: return "[1]"
            case 9: return "{\"\\u00" + String(names[0].utf8.first!, radix: 16) + names[0].dropFirst() + "\": 1, "
                + names.dropFirst().map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            default: return "{" + names.map { "\"\($0)\": \(value($0))" }.joined(separator: ", ") + "}"
            }
        }
        for layout in [Self.layout, numericLayout] {
            let categorical = Set(zip(layout.names, layout.kinds).filter { $0.1 == .categorical }.map(\.0))
            for _ in 0..<300 {
                let rows = (0..<Int.random(in: 1...12, using: &rng)).map { _ in row(layout.names, categorical: categorical) }
                let body = "{\"instances\": [" + rows.joined(separator: Bool.random(using: &rng) ? ", " : ",") + "]}"
                var fast = PredictRequestDecoder(layout: layout, maxRows: 10)
                var general = fast
                general.rowTemplates = false
                fast.rowTemplates = true
                let a = Array(body.utf8).withUnsafeBytes { fast.decode($0) }
                let b = Array(body.utf8).withUnsafeBytes { general.decode($0) }
                switch (a, b) {
                case (.rows(let x, let xb), .rows(let y, let yb)):
                    #expect(xb == yb && x.values.map(\.bitPattern) == y.values.map(\.bitPattern) && x.texts == y.texts
                            && x.count == y.count, "\(body)")
                case (.invalid(let x), .invalid(let y)):
                    #expect(x == y, "\(body)")
                default:
                    Issue.record("outcomes differ for \(body)")
                }
            }
        }
    }
}
