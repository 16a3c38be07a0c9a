import Foundation
import Serving
import Testing
@testable import Pipeline

/// The hand-written JSON of the prediction log and run records must parse back to what went in
/// (checked with Foundation's JSONSerialization, an independent parser).
@Suite struct JSONEncodingTests {
    @Test(arguments: ["plain", "", "quote \" backslash \\ slash /", "tab\tnew\nline\rcr", "\u{01}\u{1f} control", "ünïcødé 🏠"])
    func stringLiteralsRoundTrip(_ s: String) throws {
        let literal = TrainingRecorder.jsonString(s)
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
}
