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
}
