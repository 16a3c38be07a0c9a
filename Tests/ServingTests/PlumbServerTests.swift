import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Serving

@Suite struct PlumbServerTests {
    @Test(arguments: TestPath.allCases) func predictSingleRow(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"MedInc": 8.3252, "HouseAge": 41, "Ocean": "NEAR BAY"}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/json")
                let o = object(r.body)
                #expect(abs((o["prediction"] as? Double ?? .nan) - toyExpected(8.3252, 41, "NEAR BAY")) < 1e-12)
                let model = o["model"] as? [String: Any]
                #expect(model?["name"] as? String == "housing")
                #expect(model?["version"] as? String == "1")
                #expect((o["request_id"] as? String)?.isEmpty == false)
            }
        }
    }

    @Test(arguments: TestPath.allCases) func predictBatch(_ path: TestPath) async throws {
        let h = try await Harness()
        let oceans = ["INLAND", "NEAR BAY", "OTHER"]
        let rows: [(Double, Double, String)] = (0..<50).map { i in (Double(i) * 0.1, Double(i % 7), oceans[i % 3]) }
        let parts = rows.map { row in "{\"MedInc\":\(row.0),\"HouseAge\":\(row.1),\"Ocean\":\"\(row.2)\"}" }
        let text: String = "{\"instances\":[" + parts.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(path.setup) { client in
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(text)) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                let preds = o["predictions"] as? [Double] ?? []
                let ids = o["request_ids"] as? [String] ?? []
                #expect(preds.count == 50)
                #expect(Set(ids).count == 50)
                for (p, row) in zip(preds, rows) { #expect(abs(p - toyExpected(row.0, row.1, row.2)) < 1e-12) }
            }
        }
    }

    @Test(arguments: TestPath.allCases) func validationErrorsAre422WithLocations(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"instances":[{"MedInc":"x","Ocean":"a","Bogus":1}]}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let o = object(r.body)
                #expect(o["error"] as? String == "validation")
                let detail = o["detail"] as? [[String: Any]] ?? []
                let locs = detail.map { ($0["loc"] as? [Any] ?? []).map { "\($0)" }.joined(separator: ".") }
                #expect(locs == ["body.instances.0.MedInc", "body.instances.0.Bogus", "body.instances.0.HouseAge"])
                #expect(detail.map { $0["type"] as? String ?? "" } == ["float_type", "extra_forbidden", "missing"])
            }
            for bad in [#"{"MedInc": NaN}"#, "{", "", #"{"MedInc": 1e999, "HouseAge": 1, "Ocean": "a"}"#, #"{"instances": []}"#, "[]"] {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(bad)) { r in
                    #expect(r.status == .unprocessableContent, "\(bad)")
                    #expect((object(r.body)["detail"] as? [Any])?.isEmpty == false, "\(bad)")
                }
            }
        }
    }

    @Test(arguments: TestPath.allCases) func bodyLimitAndContentType(_ path: TestPath) async throws {
        let h = try await Harness(maxBodyBytes: 200)
        try await h.server.buildApplication().test(path.setup) { client in
            let big = "{\"instances\":[" + Array(repeating: #"{"MedInc":1,"HouseAge":2,"Ocean":"a"}"#, count: 20).joined(separator: ",") + "]}"
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(big)) { r in
                #expect(r.status == .contentTooLarge)
                #expect((object(r.body)["error"] as? String)?.contains("200 bytes") == true)
            }
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "text/plain"],
                                     body: body(#"{"MedInc":1,"HouseAge":2,"Ocean":"a"}"#)) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/predict", method: .post, body: body("{}")) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json; charset=utf-8"],
                                     body: body(#"{"MedInc":1,"HouseAge":2,"Ocean":"a"}"#)) { r in
                #expect(r.status == .ok)
            }
        }
    }

    @Test func healthReadyAndModel() async throws {
        let h = try await Harness(load: false)
        try await h.server.buildApplication().test(.router) { client in
            // The poller loads the model in the background; poll /ready with a bounded loop.
            var ready = false
            for _ in 0..<500 {
                let status = try await client.execute(uri: "/ready", method: .get) { $0.status }
                if status == .ok { ready = true; break }
                #expect(status == .serviceUnavailable)
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(ready)
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/model", method: .get) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["name"] as? String == "housing")
                #expect(o["version"] as? String == "1")
                #expect(o["kind"] as? String == "toy_linear")
                let features = o["features"] as? [[String: Any]] ?? []
                #expect(features.map { $0["name"] as? String ?? "" } == ["MedInc", "HouseAge", "Ocean"])
                #expect(features.map { $0["type"] as? String ?? "" } == ["numeric", "numeric", "categorical"])
                #expect((o["metrics"] as? [String: Double])?["rmse"] == 0.5)
            }
        }
    }

    @Test(arguments: TestPath.allCases) func notReadyBeforeLoad(_ path: TestPath) async throws {
        let h = try await Harness(load: false)
        h.provider.setFailure(ServingError(code: "boom", message: "registry down"))
        try await h.server.buildApplication().test(path.setup) { client in
            try await client.execute(uri: "/ready", method: .get) { r in #expect(r.status == .serviceUnavailable) }
            try await client.execute(uri: "/v2/health/ready", method: .get) { r in #expect(r.status == .serviceUnavailable) }
            try await client.execute(uri: "/health", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body("{}")) { r in
                #expect(r.status == .serviceUnavailable)
            }
        }
    }

    @Test func openAPIDocumentListsEveryRoute() async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["openapi"] as? String == "3.1.0")
                let paths = Set((o["paths"] as? [String: Any] ?? [:]).keys)
                let expected: Set<String> = Set(RouteLabel.allCases.map(\.path)).union([
                    "/v2/models/{name}/versions/{version}", "/v2/models/{name}/versions/{version}/ready",
                    "/v2/models/{name}/versions/{version}/infer"])
                #expect(paths == expected)
            }
        }
    }

    @Test func adminReloadRequiresToken() async throws {
        let disabled = try await Harness(token: nil)
        try await disabled.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer x"]) { r in
                #expect(r.status == .notFound)
            }
        }
        let h = try await Harness(token: "s3cret")
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer wrong"]) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer s3cret"]) { r in
                #expect(r.status == .ok)
                #expect(object(r.body)["reloaded"] as? Bool == false)
            }
            h.provider.replace(with: toyModel(version: "2", shift: 10))
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer s3cret"]) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["reloaded"] as? Bool == true)
                #expect((o["model"] as? [String: Any])?["version"] as? String == "2")
            }
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"MedInc":1,"HouseAge":0,"Ocean":null}"#)) { r in
                #expect(object(r.body)["prediction"] as? Double == toyExpected(1, 0, nil, shift: 10))
            }
        }
    }

    @Test(arguments: TestPath.allCases) func hotSwapUnderConcurrentRequests(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            let results = try await withThrowingTaskGroup(of: (Int, String, Double).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                                 body: body("{\"MedInc\":\(i),\"HouseAge\":1,\"Ocean\":\"INLAND\"}")) { r in
                            let o = object(r.body)
                            return (Int(r.status.code), (o["model"] as? [String: Any])?["version"] as? String ?? "",
                                    o["prediction"] as? Double ?? .nan)
                        }
                    }
                    if i == 100 {
                        h.provider.replace(with: toyModel(version: "2", shift: 100))
                        try await h.server.reload()
                    }
                }
                var all = [(Int, String, Double)]()
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.count == 200)
            for (status, version, prediction) in results {
                #expect(status == 200)
                #expect(version == "1" || version == "2")
                // A response is internally consistent: its prediction came from the version it names.
                let shift = version == "2" ? 100.0 : 0
                let medInc = (prediction - toyExpected(0, 1, "INLAND", shift: shift)) / 2
                #expect(abs(medInc - medInc.rounded()) < 1e-9 && medInc >= 0 && medInc < 200)
            }
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"MedInc":0,"HouseAge":0,"Ocean":"INLAND"}"#)) { r in
                #expect((object(r.body)["model"] as? [String: Any])?["version"] as? String == "2")
            }
        }
    }

    @Test(arguments: TestPath.allCases) func predictionLogAndFeedbackRoundTrip(_ path: TestPath) async throws {
        let h = try await Harness(shadow: toyModel(version: "9", shift: 1))
        try await h.server.buildApplication().test(path.setup) { client in
            let id = try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                              body: body(#"{"MedInc":2,"HouseAge":4,"Ocean":"NEAR BAY"}"#)) { r in
                object(r.body)["request_id"] as? String ?? ""
            }
            // Feedback right away: the entry may still be queued; the server flushes before looking it up.
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(id)\",\"actual\":7.5}")) { r in
                #expect(r.status == .ok)
            }
            #expect(h.log.feedback[id] == 7.5)
            let entry = h.log.entries.first { $0.requestID == id }
            #expect(entry?.prediction == toyExpected(2, 4, "NEAR BAY"))
            #expect(entry?.modelVersion == "1")
            #expect(entry?.inputs["Ocean"] == .some(.string("NEAR BAY")))
            #expect(entry?.shadowVersion == "9")
            #expect(entry?.shadowPrediction == toyExpected(2, 4, "NEAR BAY", shift: 1))
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body(#"{"request_id":"nope","actual":1}"#)) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body(#"{"request_id":3,"extra":true}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let types = (object(r.body)["detail"] as? [[String: Any]] ?? []).map { $0["type"] as? String ?? "" }
                #expect(types == ["string_type", "extra_forbidden", "missing"])
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders, body: body("{bad")) { r in
                #expect(r.status == .unprocessableContent)
            }
        }
    }

    @Test(arguments: TestPath.allCases) func logIsDrainedOnShutdown(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            for i in 0..<30 {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                         body: body("{\"MedInc\":\(i),\"HouseAge\":1,\"Ocean\":\"INLAND\"}")) { r in
                    #expect(r.status == .ok)
                }
            }
        }
        // The test framework shut the service group down gracefully: the drainer flushed everything.
        #expect(h.log.entries.count == 30)
        #expect(h.server.predictionLogDepth == 0)
    }

    @Test(arguments: TestPath.allCases) func metricsCountersMove(_ path: TestPath) async throws {
        let h = try await Harness()
        try await h.server.buildApplication().test(path.setup) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                         body: body(#"{"MedInc":1,"HouseAge":1,"Ocean":"INLAND"}"#))
            }
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body("{}"))
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: r.body)
                #expect(text.contains(#"plumb_http_requests_total{route="/predict",status="200"} 3"#))
                #expect(text.contains(#"plumb_http_requests_total{route="/predict",status="422"} 1"#))
                #expect(text.contains(#"plumb_http_request_duration_seconds_bucket{route="/predict",le="+Inf"} 4"#))
                #expect(text.contains(#"plumb_http_request_duration_seconds_count{route="/predict"} 4"#))
                #expect(text.contains("plumb_predictions_total 3\n"))
                #expect(text.contains(#"plumb_model_info{role="primary",name="housing",version="1",kind="toy_linear"} 1"#))
                #expect(text.contains("plumb_prediction_log_queue_depth "))
            }
        }
    }
}
