import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Serving

@Suite struct OpenInferenceTests {
    @Test func metadataRoutes() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2", method: .get) { r in
                let o = object(r.body)
                #expect(o["name"] as? String == "plumb")
                #expect(o["extensions"] is [Any])
            }
            try await client.execute(uri: "/v2/health/live", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v2/models/housing", method: .get) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["name"] as? String == "housing")
                #expect(o["versions"] as? [String] == ["1"])
                let inputs = o["inputs"] as? [[String: Any]] ?? []
                #expect(inputs.map { $0["name"] as? String ?? "" } == ["MedInc", "HouseAge", "Ocean"])
                #expect(inputs.map { $0["datatype"] as? String ?? "" } == ["FP64", "FP64", "BYTES"])
                let outputs = o["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.first?["name"] as? String == "predictions")
            }
            try await client.execute(uri: "/v2/models/housing/versions/1", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v2/models/housing/versions/7", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v2/models/housing/ready", method: .get) { r in
                #expect(r.status == .ok)
                #expect(object(r.body)["ready"] as? Bool == true)
            }
            try await client.execute(uri: "/v2/models/other", method: .get) { r in
                #expect(r.status == .notFound)
                #expect((object(r.body)["error"] as? String)?.contains("other") == true)
            }
            try await client.execute(uri: "/v2/models/other/ready", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    @Test func inferOneTensorPerFeature() async throws {
        let h = try await Harness()
        let request = #"""
        {"id": "req-1", "inputs": [
          {"name": "Ocean", "shape": [3], "datatype": "BYTES", "data": ["INLAND", "NEAR BAY", null]},
          {"name": "MedInc", "shape": [3], "datatype": "FP32", "data": [1.5, 2, 3]},
          {"name": "HouseAge", "shape": [3, 1], "datatype": "FP64", "data": [[10], [20], [30]]}]}
        """#
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(request)) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["model_name"] as? String == "housing")
                #expect(o["model_version"] as? String == "1")
                #expect(o["id"] as? String == "req-1")
                let out = (o["outputs"] as? [[String: Any]])?.first ?? [:]
                #expect(out["name"] as? String == "predictions")
                #expect(out["datatype"] as? String == "FP64")
                #expect(out["shape"] as? [Int] == [3])
                #expect(out["data"] as? [Double] == [toyExpected(1.5, 10, "INLAND"), toyExpected(2, 20, "NEAR BAY"), toyExpected(3, 30, nil)])
            }
        }
    }

    @Test func inferMatrixFlatAndNested() async throws {
        let h = try await Harness()
        h.provider.replace(with: LinearToyModel(name: "housing", version: "2",
            features: [FeatureSpec(name: "a", kind: .numeric), FeatureSpec(name: "b", kind: .numeric)], weights: [1, 10]))
        try await h.server.reload()
        try await h.server.buildApplication().test(.router) { client in
            for data in ["[1, 2, 3, 4, 5, 6]", "[[1, 2], [3, 4], [5, 6]]"] {
                let request = "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [3, 2], \"datatype\": \"FP64\", \"data\": \(data)}]}"
                try await client.execute(uri: "/v2/models/housing/versions/2/infer", method: .post, headers: jsonHeaders, body: body(request)) { r in
                    #expect(r.status == .ok)
                    let out = (object(r.body)["outputs"] as? [[String: Any]])?.first ?? [:]
                    #expect(out["data"] as? [Double] == [21, 43, 65])
                }
            }
        }
    }

    @Test(arguments: [
        (#"{"inputs": []}"#, "non-empty 'inputs'"),
        (#"{"inputs": [{"name": "MedInc", "shape": [2], "datatype": "FP64", "data": [1]}]}"#, "needs 2 values"),
        (#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}"#, "categorical"),
        (#"{"inputs": [{"name": "MedInc", "shape": [1], "datatype": "FP64", "data": [1]}]}"#, "missing inputs: HouseAge, Ocean"),
        (#"{"inputs": [{"name": "MedInc", "shape": [1], "datatype": "BYTES", "data": ["1"]}, {"name": "HouseAge", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "Ocean", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}"#, "datatype must be FP32"),
        (#"{"inputs": [{"name": "Zzz", "shape": [1], "datatype": "FP64", "data": [1]}]}"#, "unknown input 'Zzz'"),
        ("{not json", "invalid JSON"),
        ("[]", "JSON object"),
    ] as [(String, String)])
    func inferErrorsAre400(request: String, fragment: String) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(request)) { r in
                #expect(r.status == .badRequest)
                #expect((object(r.body)["error"] as? String)?.contains(fragment) == true, "\(String(buffer: r.body))")
            }
        }
    }

    @Test func inferUnknownModelIs404() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/nope/infer", method: .post, headers: jsonHeaders, body: body(#"{"inputs":[]}"#)) { r in
                #expect(r.status == .notFound)
            }
        }
    }
}

@Suite struct LiveSocketTests {
    @Test func predictAndFeedbackOverARealSocket() async throws {
        let h = try await Harness(token: "t")
        try await h.server.buildApplication().test(.live) { client in
            let id = try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                              body: body(#"{"MedInc":3,"HouseAge":2,"Ocean":"INLAND"}"#)) { r in
                #expect(r.status == .ok)
                #expect(object(r.body)["prediction"] as? Double == toyExpected(3, 2, "INLAND"))
                return object(r.body)["request_id"] as? String ?? ""
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(id)\",\"actual\":1}")) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "text/csv"], body: body("1,2,3")) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/nowhere", method: .get) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/admin/reload", method: .post) { r in #expect(r.status == .unauthorized) }
        }
        #expect(h.log.feedback.count == 1)
    }

    @Test func oversizedBodyOverASocket() async throws {
        let h = try await Harness(maxBodyBytes: 1000)
        try await h.server.buildApplication().test(.live) { client in
            let big = String(repeating: " ", count: 5000) + "{}"
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(big)) { r in
                #expect(r.status == .contentTooLarge)
            }
            // The connection still serves requests afterwards.
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
