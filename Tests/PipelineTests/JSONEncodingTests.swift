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

    /// The log groups a request's rows (consecutive server ids, same time, model and shadow) into
    /// one record; a gap in the ids, another time or another shadow starts a new one; an id of
    /// another form stays a single-prediction record.
    @Test func logEntriesGroupByRequest() throws {
        let t0 = Date(timeIntervalSince1970: 100), t1 = Date(timeIntervalSince1970: 101)
        func entry(_ id: String, _ t: Date, shadow: Double? = nil) -> PredictionLogEntry {
            PredictionLogEntry(requestID: id, time: t, modelName: "m", modelVersion: "2", featureNames: ["x"], row: [.number(1)],
                               prediction: 0.5, shadowVersion: shadow == nil ? nil : "3", shadowPrediction: shadow)
        }
        let entries = [entry("0000abcd-9", t0), entry("0000abcd-a", t0), entry("0000abcd-b", t0),   // one request
                       entry("0000abcd-c", t1),                                                    // another time
                       entry("0000abcd-e", t1),                                                    // a gap
                       entry("custom-id", t1),
                       entry("0000abcd-f", t1, shadow: 1), entry("0000abcd-10", t1, shadow: 2)]
        let (batches, single) = StorePredictionLog.batches(entries)
        #expect(batches.map(\.firstCounter) == [9, 12, 14, 15])
        #expect(batches.map(\.predictions.count) == [3, 1, 1, 2])
        #expect(batches[0].requestID(2) == "0000abcd-b" && batches[3].requestID(1) == "0000abcd-10")
        #expect(batches[0].timeMs == 100_000 && batches[1].timeMs == 101_000 && batches[0].modelVersion == 2)
        #expect(batches[3].shadowVersion == 3 && batches[3].shadowPredictions == [1, 2] && batches[0].shadowPredictions == nil)
        #expect(try batches[0].inputsJSON() == [String](repeating: #"{"x":1.0}"#, count: 3))
        #expect(try batches[0].inputsJSON() == entries[0..<3].map { StorePredictionLog.inputsJSON($0) })
        #expect(single.map(\.requestID) == ["custom-id"])
    }
}
