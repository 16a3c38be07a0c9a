import Foundation
import HummingbirdTesting
import MLCore
import Pipeline
import Testing
@testable import Serving

/// POST /predict?explain=true: the usual answer plus per-row contributions that add up, with the
/// expected value, to the score behind the served probabilities.
@Suite struct ExplainServingTests {
    static let rows: [(Double, Double, String)] = [(1.5, 20, "NEAR BAY"), (6.2, 41, "INLAND"), (3.3, 7, "INLAND"), (7.9, 33, "NEAR BAY")]

    @Test func multiclassContributionsGiveTheServedProbabilities() async throws {
        let h = try await Harness(model: Classifiers.three)
        let batch = "{\"instances\":[" + Self.rows.map { rowJSON($0.0, $0.1, $0.2) }.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/predict?explain=true", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                let predictions = o["predictions"] as? [[String: Any]] ?? []
                let contributions = o["contributions"] as? [[String: [String: Double]]] ?? []
                let expected = o["expected_value"] as? [String: Double] ?? [:]
                #expect(predictions.count == 4 && contributions.count == 4)
                #expect(Set(expected.keys) == ["0", "1", "2"])
                #expect((o["request_ids"] as? [String])?.count == 4)
                for i in 0..<4 {
                    let probabilities = predictions[i]["probabilities"] as? [String: Double] ?? [:]
                    #expect(Set(contributions[i]["0"]?.keys.map { $0 } ?? []) == ["MedInc", "HouseAge", "Ocean"])
                    // softmax(E + Σφ) per class is what the server answered.
                    let scores = ["0", "1", "2"].map { k in (expected[k] ?? 0) + (contributions[i][k]?.values.reduce(0, +) ?? .nan) }
                    let top = scores.max() ?? 0
                    let e = scores.map { exp($0 - top) }, s = e.reduce(0, +)
                    for (k, name) in ["0", "1", "2"].enumerated() {
                        #expect(abs(e[k] / s - (probabilities[name] ?? .nan)) <= 1e-9, "row \(i) class \(name)")
                    }
                }
            }
        }
    }

    @Test func binaryContributionsGiveTheLogOdds() async throws {
        let h = try await Harness(model: Classifiers.spam)
        let batch = "{\"instances\":[" + Self.rows.map { rowJSON($0.0, $0.1) }.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/predict?explain=1", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                let predictions = o["predictions"] as? [[String: Any]] ?? []
                let contributions = o["contributions"] as? [[String: Double]] ?? []
                let expected = o["expected_value"] as? Double ?? .nan
                #expect(o["explained_score"] as? String == "log-odds of class 1")
                #expect(contributions.count == 4)
                for i in 0..<4 {
                    let p = (predictions[i]["probabilities"] as? [String: Double])?["spam"] ?? .nan
                    let eta = expected + contributions[i].values.reduce(0, +)
                    #expect(abs(1 / (1 + exp(-eta)) - p) <= 1e-9, "row \(i)")
                }
            }
            // Without the flag the answer is as before: no contributions.
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                #expect(object(r.body)["contributions"] == nil)
            }
        }
    }

    /// The Open Inference Protocol route: a `contributions` output, only when named, FP64
    /// [rows, classes, features + 1] with the expected value last; it agrees with /predict?explain.
    @Test func openInferenceContributionsOutput() async throws {
        let h = try await Harness(model: Classifiers.three)   // served as "housing"
        let n = Self.rows.count
        @Sendable func request(_ outputs: String) -> String {
            """
            {"inputs": [
              {"name": "MedInc", "shape": [\(n)], "datatype": "FP64", "data": \(Self.rows.map { $0.0 })},
              {"name": "HouseAge", "shape": [\(n)], "datatype": "FP64", "data": \(Self.rows.map { $0.1 })},
              {"name": "Ocean", "shape": [\(n)], "datatype": "BYTES", "data": [\(Self.rows.map { "\"\($0.2)\"" }.joined(separator: ","))]}]\(outputs)}
            """
        }
        let batch = "{\"instances\":[" + Self.rows.map { rowJSON($0.0, $0.1, $0.2) }.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(.router) { client in
            var viaPredict: [[String: [String: Double]]] = [], expected: [String: Double] = [:]
            try await client.execute(uri: "/predict?explain=true", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                let o = object(r.body)
                viaPredict = o["contributions"] as? [[String: [String: Double]]] ?? []
                expected = o["expected_value"] as? [String: Double] ?? [:]
            }
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders,
                                     body: body(request(#", "outputs": [{"name": "label"}, {"name": "contributions"}]"#))) { r in
                #expect(r.status == .ok)
                let outputs = object(r.body)["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.map { $0["name"] as? String ?? "" } == ["label", "contributions"])
                let c = outputs.last ?? [:]
                #expect(c["shape"] as? [Int] == [n, 3, 4])
                let parameters = c["parameters"] as? [String: Any] ?? [:]
                #expect(parameters["features"] as? [String] == ["MedInc", "HouseAge", "Ocean", "expected_value"])
                #expect(parameters["classes"] as? [String] == ["0", "1", "2"])
                let data = c["data"] as? [Double] ?? []
                #expect(data.count == n * 3 * 4)
                for i in 0..<min(n, viaPredict.count) {
                    for (k, cls) in ["0", "1", "2"].enumerated() {
                        for (j, f) in ["MedInc", "HouseAge", "Ocean"].enumerated() {
                            #expect(data[(i * 3 + k) * 4 + j] == viaPredict[i][cls]?[f])
                        }
                        #expect(data[(i * 3 + k) * 4 + 3] == expected[cls])
                    }
                }
            }
            // Not asked for: not computed, not answered.
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(request(""))) { r in
                let outputs = object(r.body)["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.map { $0["name"] as? String ?? "" } == ["label", "probabilities"])
            }
        }
    }

    @Test func modelThatCannotExplainSaysSo() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/predict?explain=true", method: .post, headers: jsonHeaders,
                                     body: body(rowJSON(1, 2, "INLAND"))) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("cannot explain"))
            }
        }
    }
}
