import Foundation
import Serving
import Testing
import Tracking
@testable import Pipeline

/// The hand-written JSON of the prediction log and run records must parse back to what went in
/// (checked with Foundation's JSONSerialization, an independent parser).
@Suite struct JSONEncodingTests {
    @Test(arguments: ["plain", "", "quote \" backslash \\ slash /", "tab\tnew\nline\rcr", "\u{01}\u{1f} control", "ünïcødé 🏠"])
    func stringLiteralsRoundTrip(_ s: String) throws {
        let literal = jsonStringLiteral(s)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
        #expect(parsed == [s])
    }

    /// The log's binary inputs, numeric rows (one pass) and rows with text (measured first),
    /// appended to an empty and to a non-empty record, equal the record's value-by-value appends.
    @Test(arguments: [[FeatureKind.numeric, .numeric, .numeric], [.numeric, .categorical, .numeric]])
    func binaryInputsEqualValueByValueAppends(kinds: [FeatureKind]) {
        var rows = FeatureRows(kinds: kinds)
        var expected = PredictionBatchRecord(idPrefix: "p-", firstCounter: 1, timeMs: 0, modelName: "m", modelVersion: 1, featureNames: [])
        expected.appendNumber(0.25)   // what the record already holds
        for r in 0..<40 {
            var row: [FeatureValue?] = []
            for (f, kind) in kinds.enumerated() {
                if (r + f) % 7 == 3 { row.append(nil); expected.appendMissing(); continue }
                if kind == .numeric {
                    let x = Double(r) * 1.5 - Double(f) / 3
                    row.append(.number(x)); expected.appendNumber(x)
                } else {
                    let t = "level \(r % 3) ü"
                    row.append(.string(t)); expected.appendText(t)
                }
            }
            rows.append(row)
        }
        var fresh: [UInt8] = []
        StorePredictionLog.appendInputs(rows, to: &fresh)
        #expect(fresh == Array(expected.inputs.dropFirst(9)))
        var existing = PredictionBatchRecord(idPrefix: "p-", firstCounter: 1, timeMs: 0, modelName: "m", modelVersion: 1, featureNames: [])
        existing.appendNumber(0.25)
        StorePredictionLog.appendInputs(rows, to: &existing.inputs)
        #expect(existing.inputs == expected.inputs)
    }

    @Test func predictionLogInputsRoundTrip() throws {
        let entry = PredictionLogEntry(requestID: "r1", time: Date(), modelName: "m", modelVersion: "1",
                                       featureNames: ["MedInc", "ocean \"prox\"", "gone", "inf"],
                                       row: [.number(8.3252), .string("NEAR BAY"), nil, .number(.infinity)], prediction: 4.5)
        let json = StorePredictionLog.inputsJSON(entry)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(obj["MedInc"] as? Double == 8.3252)
        #expect(obj["ocean \"prox\""] as? String == "NEAR BAY")
        #expect(obj["gone"] is NSNull && obj["inf"] is NSNull)
        #expect(obj.count == 4)
    }

    /// The key cache follows a change of feature list between entries of one batch.
    @Test func inputKeysFollowTheFeatureList() throws {
        var keys = StorePredictionLog.InputKeys()
        let a = PredictionLogEntry(requestID: "a", time: Date(), modelName: "m", modelVersion: "1",
                                   featureNames: ["x", "y"], row: [.number(1.5), .number(-2)], prediction: 0)
        let b = PredictionLogEntry(requestID: "b", time: Date(), modelName: "m", modelVersion: "2",
                                   featureNames: ["y", "z", "w"], row: [.number(3), nil, .string("q")], prediction: 0)
        #expect(StorePredictionLog.inputsJSON(a, keys: &keys) == #"{"x":1.5,"y":-2.0}"#)
        #expect(StorePredictionLog.inputsJSON(b, keys: &keys) == #"{"y":3.0,"z":null,"w":"q"}"#)
        #expect(StorePredictionLog.inputsJSON(a, keys: &keys) == #"{"x":1.5,"y":-2.0}"#)
    }

    /// The log keeps one record per request and merges requests that continue one another
    /// (consecutive ids under one prefix, same millisecond, model and shadow), taking them in id
    /// order; a gap, another millisecond, another model version or another shadow starts a new
    /// record; ids the store cannot parse back stay single-prediction records.
    @Test func logBatchesMergeIntoRecords() throws {
        let t0 = Date(timeIntervalSince1970: 100.0002), t0b = Date(timeIntervalSince1970: 100.0007), t1 = Date(timeIntervalSince1970: 101)
        let kinds: [FeatureKind] = [.numeric, .categorical]
        func batch(_ prefix: String, _ first: UInt64, _ t: Date, rows: [[FeatureValue?]], version: String = "2",
                   shadow: [Double]? = nil) -> PredictionLogBatch {
            PredictionLogBatch(idPrefix: prefix, firstCounter: first, time: t, modelName: "m", modelVersion: version,
                               featureNames: ["x", "c"], rows: FeatureRows(kinds: kinds, rows: rows),
                               predictions: rows.indices.map { 0.5 + Double($0) }, shadowVersion: shadow == nil ? nil : "3",
                               shadowPredictions: shadow)
        }
        let three: [[FeatureValue?]] = [[.number(1), .string("a \"q\"")], [nil, nil], [.number(-2.5), .string("")]]
        let one: [[FeatureValue?]] = [[.number(7), .string("b")]]
        let batches = [batch("0000abcd-", 12, t0b, rows: one),           // queued before the request it continues
                       batch("0000abcd-", 9, t0, rows: three),           // one record with the one above: same ms
                       batch("0000abcd-", 13, t1, rows: one),            // another millisecond
                       batch("0000abcd-", 14, t1, rows: one, version: "3"),  // another model version
                       batch("0000abcd-", 16, t1, rows: one, version: "3"),  // a gap
                       batch("custom", 1, t1, rows: one),                // not a server id form
                       batch("0000abcd-", 17, t1, rows: [one[0], one[0]], version: "3", shadow: [1, 2])]  // a shadow
        let (records, single) = StorePredictionLog.records(batches)
        #expect(records.map(\.firstCounter) == [9, 13, 14, 16, 17])
        #expect(records.map(\.predictions.count) == [4, 1, 1, 1, 2])
        #expect(records[0].predictions == [0.5, 1.5, 2.5, 0.5])
        #expect(records[0].requestID(3) == "0000abcd-c" && records[4].requestID(1) == "0000abcd-12")
        #expect(records[0].timeMs == 100_000 && records[1].timeMs == 101_000 && records[0].modelVersion == 2 && records[2].modelVersion == 3)
        #expect(records[4].shadowVersion == 3 && records[4].shadowPredictions == [1, 2] && records[3].shadowPredictions == nil)
        #expect(try records[0].inputsJSON() == [#"{"x":1.0,"c":"a \"q\""}"#, #"{"x":null,"c":null}"#, #"{"x":-2.5,"c":""}"#,
                                                 #"{"x":7.0,"c":"b"}"#])
        #expect(single.map(\.requestID) == ["custom1"])
        #expect(single.first?.inputsJSON == #"{"x":7.0,"c":"b"}"#)
    }
}
