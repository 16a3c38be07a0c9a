import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import Serving
import Pipeline
import Tracking

/// FNV-1a 64 written out from its definition (an independent twin of `VariantHash.fnv1a`).
func referenceFNV1a(_ s: String) -> UInt64 {
    var h: UInt64 = 14_695_981_039_346_656_037
    for b in Array(s.utf8) {
        h = (h ^ UInt64(b)).multipliedReportingOverflow(by: 1_099_511_628_211).partialValue
    }
    return h
}

/// MurmurHash3 fmix64 as its reference code writes it.
func referenceFmix64(_ x: UInt64) -> UInt64 {
    var k = x
    k ^= k >> 33
    k = k.multipliedReportingOverflow(by: 0xff51afd7ed558ccd).partialValue
    k ^= k >> 33
    k = k.multipliedReportingOverflow(by: 0xc4ceb9fe1a85ec53).partialValue
    k ^= k >> 33
    return k
}

/// The documented assignment: the key's point 100·(fmix64(fnv1a) >> 11)/2^53, then the first
/// variant whose cumulative share exceeds it.
func referenceVariant(_ key: String, _ variants: [(String, Double)]) -> String {
    let point = Double(referenceFmix64(referenceFNV1a(key)) >> 11) / 9_007_199_254_740_992 * 100
    let total = variants.reduce(0) { $0 + $1.1 }
    var cumulative = 0.0
    for (name, w) in variants where w > 0 {
        cumulative += w
        if point < 100 * cumulative / total { return name }
    }
    return variants.last { $0.1 > 0 }?.0 ?? ""
}

let keyHeader = HTTPField.Name("X-Plumb-Key")!
let variantHeader = HTTPField.Name("X-Plumb-Variant")!

/// A server with variants over in-memory toy models; variant i's predictions are shifted by `shift(i)`.
struct VariantHarness {
    let server: PlumbServer
    let providers: [InMemoryModelProvider]
    let log: InMemoryPredictionLog
    let spec: [(String, Double)]

    static func shift(_ i: Int) -> Double { Double(i) * 100 }

    init(_ spec: [(String, Double)], routeBy: String? = nil, token: String? = "s3cret", models: [LinearToyModel]? = nil) async throws {
        self.spec = spec
        let models = models ?? spec.indices.map { toyModel(version: "\($0 + 1)", shift: Self.shift($0)) }
        providers = models.map { InMemoryModelProvider($0, description: "toy v\($0.version)") }
        log = InMemoryPredictionLog()
        var logger = Logger(label: "variant-tests")
        logger.logLevel = .warning
        let config = ServerConfiguration(host: "127.0.0.1", port: 0, maxBatchRows: 1000, adminToken: token,
                                         pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20))
        let variants = try VariantConfiguration(
            variants: zip(spec, providers).map { ServedVariant(name: $0.0, weight: $0.1, provider: $1) }, routeBy: routeBy)
        server = PlumbServer(configuration: config, variants: variants, sink: log, logger: logger)
        try await server.loadModels()
    }

    func shift(of variant: String) -> Double { Self.shift(spec.firstIndex { $0.0 == variant } ?? -1) }
}

/// A flag set once, read by many tasks.
final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

let admin: HTTPFields = [.authorization: "Bearer s3cret", .contentType: "application/json"]

@Suite struct VariantHashTests {
    @Test func fnv1aMatchesPublishedVectors() {
        // Test vectors of the FNV reference (Fowler, Noll, Vo; draft-eastlake-fnv).
        #expect(VariantHash.fnv1a(Array("".utf8)) == 0xcbf2_9ce4_8422_2325)
        #expect(VariantHash.fnv1a(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(VariantHash.fnv1a(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
        for key in ["user-1", "é", "a much longer routing key 123456789"] {
            #expect(VariantHash.fnv1a(Array(key.utf8)) == referenceFNV1a(key))
        }
    }

    @Test(arguments: [[90.0, 10.0], [50, 50], [1, 2, 3], [100, 0], [0, 30, 70]])
    func pickFollowsTheDocumentedMapping(_ weights: [Double]) {
        let named = weights.enumerated().map { ("v\($0.offset)", $0.element) }
        var counts = [Int](repeating: 0, count: weights.count)
        for i in 0..<10_000 {
            let key = "user-\(i)"
            let index = VariantHash.pick(point: VariantHash.point(key), weights: weights) ?? -1
            #expect("v\(index)" == referenceVariant(key, named))
            counts[index] += 1
        }
        // 10,000 fixed keys: each share is within 1.5 points of its weight (the hash spreads keys evenly).
        let total = weights.reduce(0, +)
        for (c, w) in zip(counts, weights) {
            #expect(abs(Double(c) / 100 - 100 * w / total) < 1.5, "\(counts) for \(weights)")
        }
    }

    @Test func configurationIsValidated() {
        let p = InMemoryModelProvider(toyModel())
        func config(_ v: [(String, Double)]) throws -> VariantConfiguration {
            try VariantConfiguration(variants: v.map { ServedVariant(name: $0.0, weight: $0.1, provider: p) })
        }
        #expect(throws: ServingError.self) { try config([("a", 1)]) }
        #expect(throws: ServingError.self) { try config([("a", 1), ("a", 1)]) }
        #expect(throws: ServingError.self) { try config([("a", 1), ("b c", 1)]) }
        #expect(throws: ServingError.self) { try config([("a", 1), ("b", -1)]) }
        #expect(throws: ServingError.self) { try config([("a", 0), ("b", 0)]) }
        #expect((try? config([("blue", 100), ("green", 0)])) != nil)
        do {
            _ = try config([("a", 1), ("b", .nan)])
            Issue.record("a NaN weight was accepted")
        } catch let e as ServingError {
            #expect(e.message.contains("variant 'b'"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func schemaMismatchNamesVariantAndFeature() async throws {
        var other = toyModel(version: "2")
        other.features[1] = FeatureSpec(name: "Age", kind: .numeric)
        do {
            _ = try await VariantHarness([("champion", 90), ("canary", 10)], models: [toyModel(), other])
            Issue.record("a variant with other features was loaded")
        } catch let e as ServingError {
            #expect(e.code == "variant_schema")
            #expect(e.message.contains("variant 'canary'"))
            #expect(e.message.contains("'Age'") && e.message.contains("'HouseAge'"))
        }
        var kinds = toyModel(version: "2")
        kinds.features[2] = FeatureSpec(name: "Ocean", kind: .numeric)
        do {
            _ = try await VariantHarness([("champion", 90), ("canary", 10)], models: [toyModel(), kinds])
            Issue.record("a variant with another feature kind was loaded")
        } catch let e as ServingError {
            #expect(e.message.contains("feature 'Ocean' is numeric, the served model's is categorical"))
        }
        do {
            // A classifier beside a regression: the features match, the answers would not.
            let log = InMemoryPredictionLog()
            let server = PlumbServer(
                configuration: ServerConfiguration(port: 0, adminToken: nil),
                variants: try VariantConfiguration(variants: [
                    ServedVariant(name: "champion", weight: 90, provider: InMemoryModelProvider(toyModel())),
                    ServedVariant(name: "canary", weight: 10, provider: InMemoryModelProvider(Classifiers.three)),
                ]),
                sink: log)
            try await server.loadModels()
            Issue.record("a classifier was loaded beside a regression")
        } catch let e as ServingError {
            #expect(e.message == "variant 'canary' (in-memory) is a classifier of classes 0, 1, 2, the served model is a regression")
        }
        do {
            _ = try await VariantHarness([("a", 1), ("b", 1)], routeBy: "Nope")
            Issue.record("an unknown route-by feature was accepted")
        } catch let e as ServingError {
            #expect(e.message.contains("'Nope' is not a feature"))
        }
    }
}

@Suite struct VariantServingTests {
    @Test(arguments: TestPath.allCases) func canaryRoutesEachKeyStably(_ path: TestPath) async throws {
        let spec = [("champion", 90.0), ("canary", 10.0)]
        let h = try await VariantHarness(spec)
        let seen = try await h.server.buildApplication().test(path.setup) { client in
            var seen: [String: String] = [:]
            for round in 0..<2 {
                for k in 0..<40 {
                    let key = "user-\(k)"
                    let answered = try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                                            body: body("{\"MedInc\":\(k),\"HouseAge\":2,\"Ocean\":\"INLAND\"}")) { r in
                        #expect(r.status == .ok)
                        let o = object(r.body)
                        let expected = referenceVariant(key, spec)
                        #expect(r.headers[variantHeader] == expected, "\(key)")
                        #expect(o["variant"] as? String == expected)
                        #expect(o["prediction"] as? Double == toyExpected(Double(k), 2, "INLAND", shift: h.shift(of: expected)))
                        return o["variant"] as? String ?? ""
                    }
                    // The same key, the same variant.
                    if round == 1 { #expect(seen[key] == answered) } else { seen[key] = answered }
                }
            }
            try await h.server.flushPredictionLog()
            return seen
        }
        #expect(Set(seen.values) == ["champion", "canary"])
        let entries = h.log.entries
        #expect(entries.count == 80)
        for e in entries {
            let key = e.routingKey ?? ""
            #expect(e.variant == referenceVariant(key, spec))
            #expect(e.modelVersion == (e.variant == "canary" ? "2" : "1"))
        }
    }

    @Test(arguments: TestPath.allCases) func routeByFeatureThenRequestID(_ path: TestPath) async throws {
        let spec = [("a", 1.0), ("b", 1.0)]
        let h = try await VariantHarness(spec, routeBy: "HouseAge")
        try await h.server.buildApplication().test(path.setup) { client in
            for age in [3.0, 41, 2.5, 17] {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                         body: body("{\"MedInc\":1,\"HouseAge\":\(age),\"Ocean\":null}")) { r in
                    let key = age == 2.5 ? "2.5" : String(Int(age))
                    #expect(object(r.body)["variant"] as? String == referenceVariant(key, spec), "\(key)")
                }
            }
            // A batch is routed whole, by its first row.
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"instances":[{"MedInc":1,"HouseAge":41,"Ocean":null},{"MedInc":1,"HouseAge":3,"Ocean":null}]}"#)) { r in
                #expect(object(r.body)["variant"] as? String == referenceVariant("41", spec))
            }
            // The header wins over the feature.
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "user-7"],
                                     body: body(#"{"MedInc":1,"HouseAge":41,"Ocean":null}"#)) { r in
                #expect(object(r.body)["variant"] as? String == referenceVariant("user-7", spec))
            }
            // No header and a missing feature: the request id routes.
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                     body: body(#"{"MedInc":1,"HouseAge":null,"Ocean":null}"#)) { r in
                let o = object(r.body)
                let id = o["request_id"] as? String ?? ""
                #expect(o["variant"] as? String == referenceVariant(id, spec))
            }
            try await h.server.flushPredictionLog()
        }
        let keys = h.log.batches.map(\.routingKey)
        #expect(keys == ["3", "41", "2.5", "17", "41", "user-7", nil])
        #expect(h.log.batches.allSatisfy { $0.variant != nil })
    }

    @Test(arguments: TestPath.allCases) func metricsCountEachVariant(_ path: TestPath) async throws {
        let spec = [("champion", 50.0), ("canary", 50.0)]
        let h = try await VariantHarness(spec)
        var counts = ["champion": 0, "canary": 0]
        for k in 0..<20 { counts[referenceVariant("k\(k)", spec), default: 0] += 1 }
        let expected = counts
        try await h.server.buildApplication().test(path.setup) { client in
            for k in 0..<20 {
                try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "k\(k)"],
                                         body: body(#"{"MedInc":1,"HouseAge":1,"Ocean":"INLAND"}"#)) { r in
                    #expect(r.status == .ok)
                }
            }
            // A batch of three counts three predictions.
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "k0"],
                                     body: body(#"{"instances":[{"MedInc":1,"HouseAge":1,"Ocean":null},{"MedInc":2,"HouseAge":1,"Ocean":null},{"MedInc":3,"HouseAge":1,"Ocean":null}]}"#))
            let batchVariant = referenceVariant("k0", spec)
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                for (name, n) in expected {
                    let requests = n + (name == batchVariant ? 1 : 0)
                    let predictions = n + (name == batchVariant ? 3 : 0)
                    #expect(text.contains("plumb_variant_requests_total{variant=\"\(name)\",status=\"200\"} \(requests)\n"), "\(name)")
                    #expect(text.contains("plumb_variant_request_duration_seconds_count{variant=\"\(name)\"} \(requests)\n"))
                    #expect(text.contains("plumb_variant_request_duration_seconds_bucket{variant=\"\(name)\",le=\"+Inf\"} \(requests)\n"))
                    #expect(text.contains("plumb_variant_predictions_total{variant=\"\(name)\"} \(predictions)\n"))
                    #expect(text.contains("plumb_variant_weight{variant=\"\(name)\"} 50.0\n"))
                }
                #expect(text.contains(#"plumb_variant_info{variant="canary",name="housing",version="2"} 1"#))
                #expect(text.contains(#"plumb_http_requests_total{route="/predict",status="200"} 21"#))
            }
        }
    }

    @Test func openInferenceAnswersNameTheVariant() async throws {
        let spec = [("champion", 90.0), ("canary", 10.0)]
        let h = try await VariantHarness(spec)
        let infer = #"{"inputs":[{"name":"MedInc","datatype":"FP64","shape":[1],"data":[2]},{"name":"HouseAge","datatype":"FP64","shape":[1],"data":[4]},{"name":"Ocean","datatype":"BYTES","shape":[1],"data":["NEAR BAY"]}]}"#
        try await h.server.buildApplication().test(.router) { client in
            for k in 0..<12 {
                let key = "user-\(k)"
                try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                         body: body(infer)) { r in
                    #expect(r.status == .ok)
                    let o = object(r.body)
                    let expected = referenceVariant(key, spec)
                    #expect((o["parameters"] as? [String: Any])?["variant"] as? String == expected)
                    #expect(r.headers[variantHeader] == expected)
                    #expect(o["model_version"] as? String == (expected == "canary" ? "2" : "1"))
                    let data = ((o["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) ?? []
                    #expect(data == [toyExpected(2, 4, "NEAR BAY", shift: h.shift(of: expected))])
                }
            }
            // A version in the path names its variant, whatever the key.
            try await client.execute(uri: "/v2/models/housing/versions/2/infer", method: .post, headers: jsonHeaders, body: body(infer)) { r in
                #expect((object(r.body)["parameters"] as? [String: Any])?["variant"] as? String == "canary")
            }
            try await client.execute(uri: "/v2/models/housing/versions/2", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v2/models/housing/versions/3", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    @Test func adminSwitchAndVariants() async throws {
        let h = try await VariantHarness([("blue", 100), ("green", 0)])
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/switch", method: .post, headers: jsonHeaders, body: body(#"{"to":"green"}"#)) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/switch", method: .post, headers: [.authorization: "Bearer s3cre", .contentType: "application/json"],
                                     body: body(#"{"to":"green"}"#)) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/variants", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"purple"}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let msg = ((object(r.body)["detail"] as? [[String: Any]])?.first?["msg"] as? String) ?? ""
                #expect(msg.contains("'blue', 'green'"))
            }
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{}"#)) { r in
                #expect(r.status == .unprocessableContent)
            }
            try await client.execute(uri: "/admin/variants", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["active"] as? String == "blue")
                let vs = o["variants"] as? [[String: Any]] ?? []
                #expect(vs.map { $0["name"] as? String } == ["blue", "green"])
                #expect(vs.map { $0["percent"] as? Double } == [100, 0])
                #expect(vs.map { ($0["model"] as? [String: Any])?["version"] as? String } == ["1", "2"])
                #expect(vs.map { $0["source"] as? String } == ["toy v1", "toy v2"])
            }
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"green"}"#)) { r in
                #expect(r.status == .ok)
                let o = object(r.body)
                #expect(o["active"] as? String == "green")
                #expect(o["previous"] as? String == "blue")
            }
            for k in 0..<5 {
                try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "k\(k)"],
                                         body: body(#"{"MedInc":1,"HouseAge":0,"Ocean":null}"#)) { r in
                    #expect(r.headers[variantHeader] == "green")
                    #expect(object(r.body)["prediction"] as? Double == toyExpected(1, 0, nil, shift: 100))
                }
            }
            // Back again: the old version is still loaded, the next request gets it.
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"blue"}"#)) { r in
                #expect(object(r.body)["active"] as? String == "blue")
            }
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(#"{"MedInc":1,"HouseAge":0,"Ocean":null}"#)) { r in
                #expect(object(r.body)["variant"] as? String == "blue")
            }
        }
        // Without variants the routes say so; without a token they do not exist.
        let single = try await Harness(token: "s3cret")
        try await single.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"green"}"#)) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "k"],
                                     body: body(#"{"MedInc":1,"HouseAge":0,"Ocean":null}"#)) { r in
                #expect(r.headers[variantHeader] == nil)
                #expect(object(r.body)["variant"] == nil)
            }
        }
        let off = try await VariantHarness([("blue", 100), ("green", 0)], token: nil)
        try await off.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"green"}"#)) { r in
                #expect(r.status == .notFound)
            }
        }
    }

    /// Blue-green under load: concurrent clients, one switch in the middle. No request fails,
    /// every answer is blue's or green's (and its prediction is that version's), and every request
    /// sent after the switch answer arrived is green's.
    @Test(arguments: TestPath.allCases) func switchUnderConcurrentRequests(_ path: TestPath) async throws {
        let h = try await VariantHarness([("blue", 100), ("green", 0)])
        let switched = Flag()
        try await h.server.buildApplication().test(path.setup) { client in
            let results = try await withThrowingTaskGroup(of: (Int, String, Double, Bool, Int).self) { group in
                for i in 0..<300 {
                    group.addTask {
                        let after = switched.value
                        return try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: "user-\(i)"],
                                                        body: body("{\"MedInc\":\(i),\"HouseAge\":1,\"Ocean\":\"INLAND\"}")) { r in
                            let o = object(r.body)
                            return (Int(r.status.code), o["variant"] as? String ?? "", o["prediction"] as? Double ?? .nan, after, i)
                        }
                    }
                    if i == 150 {
                        try await client.execute(uri: "/admin/switch", method: .post, headers: admin, body: body(#"{"to":"green"}"#)) { r in
                            #expect(r.status == .ok)
                        }
                        switched.set()
                    }
                }
                var all = [(Int, String, Double, Bool, Int)]()
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.count == 300)
            var afterCount = 0
            for (status, variant, prediction, after, i) in results {
                #expect(status == 200)
                #expect(variant == "blue" || variant == "green")
                #expect(prediction == toyExpected(Double(i), 1, "INLAND", shift: variant == "green" ? 100 : 0))
                if after {
                    afterCount += 1
                    #expect(variant == "green", "request \(i) was sent after the switch")
                }
            }
            #expect(afterCount > 0)
            #expect(h.server.metrics.count(route: .adminSwitch, status: 200) == 1)
        }
    }
}

/// Variants through the real prediction log: the store keeps each request's variant and key, and
/// never merges requests of two variants (or two keys) into one stored row.
@Suite struct VariantStoreLogTests {
    @Test func variantAndKeyReachTheStore() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-variants-\(UUID().uuidString)")
        let store = try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
        let spec = [("champion", 50.0), ("canary", 50.0)]
        let providers = [InMemoryModelProvider(toyModel(version: "1")), InMemoryModelProvider(toyModel(version: "2", shift: 100))]
        var logger = Logger(label: "variant-store-tests")
        logger.logLevel = .warning
        let server = PlumbServer(
            configuration: ServerConfiguration(port: 0, adminToken: nil, pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20)),
            variants: try VariantConfiguration(variants: zip(spec, providers).map { ServedVariant(name: $0.0, weight: $0.1, provider: $1) }),
            sink: StorePredictionLog(store: store), logger: logger)
        try await server.loadModels()
        let keys = (0..<30).map { "user-\($0 % 6)" }
        try await server.buildApplication().test(.live) { client in
            for (i, key) in keys.enumerated() {
                try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                         body: body("{\"MedInc\":\(i),\"HouseAge\":1,\"Ocean\":\"INLAND\"}")) { r in #expect(r.status == .ok) }
            }
            // Three requests routed by their request id (no key): consecutive ones may share a stored row.
            for _ in 0..<3 {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders,
                                         body: body(#"{"MedInc":1,"HouseAge":1,"Ocean":null}"#)) { r in #expect(r.status == .ok) }
            }
            try await server.flushPredictionLog()
        }
        let rows = try store.predictions(model: "housing")
        #expect(rows.count == 33)
        for (row, key) in zip(rows, keys) {
            let variant = referenceVariant(key, spec)
            #expect(row.routingKey == key)
            #expect(row.variant == variant)
            #expect(row.modelVersion == (variant == "canary" ? 2 : 1))
        }
        for row in rows.suffix(3) {
            #expect(row.routingKey == nil)
            #expect(row.variant == referenceVariant(row.requestID, spec))
        }
    }
}

/// `plumb models promote --from-canary` and `rollback` with `--server`: the registry moves, then
/// the running server reloads (`ServerAdmin`, the commands' client) and answers with the version
/// the champion alias now names, in the champion variant.
@Suite struct CanaryPromotionTests {
    @Test func promoteFromCanaryAndRollbackReachTheRunningServer() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-canary-\(UUID().uuidString)")
        let storePath = dir.appendingPathComponent("plumb.db").path
        let store = try TrackingStore(path: storePath)
        for seed: UInt64 in [1, 3] {
            let trained = Classifiers.train(name: "spam", classes: ["ham", "spam"], ocean: false, task: .binary, threshold: 0.65, seed: seed)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: trained.located.reference))
            try store.registerVersion(model: "spam", runID: nil, artifactSHA256: try store.putArtifact(bytes))
        }
        try store.setAlias(model: "spam", alias: "champion", version: 1)
        try store.setAlias(model: "spam", alias: "challenger", version: 2)
        let spec = [("champion", 90.0), ("canary", 10.0)]
        var logger = Logger(label: "canary-promotion-tests")
        logger.logLevel = .warning
        let server = PlumbServer(
            configuration: ServerConfiguration(port: 0, adminToken: "s3cret", pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20)),
            variants: try VariantConfiguration(variants: [
                ServedVariant(name: "champion", weight: 90, provider: LocatorModelProvider(reference: "models:/spam@champion", storePath: storePath)),
                ServedVariant(name: "canary", weight: 10, provider: LocatorModelProvider(reference: "models:/spam@challenger", storePath: storePath)),
            ]),
            sink: InMemoryPredictionLog(), logger: logger)
        try await server.loadModels()
        let key = try #require((0..<100).map { "user-\($0)" }.first { referenceVariant($0, spec) == "champion" })
        try await server.buildApplication().test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func answer() async throws -> (variant: String, version: String) {
                try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                         body: body(rowJSON(3, 20))) { r in
                    let o = object(r.body)
                    return (o["variant"] as? String ?? "", (o["model"] as? [String: Any])?["version"] as? String ?? "")
                }
            }
            #expect(try await answer() == ("champion", "1"))

            try store.promote(model: "spam", fromAlias: "challenger", reason: "canary better")
            let reloaded = try await ServerAdmin.post(server: base, path: "/admin/reload", token: "s3cret")
            #expect(reloaded.contains(#""reloaded":true"#))
            #expect(try await answer() == ("champion", "2"))

            try store.rollback(model: "spam", reason: "worse at full traffic")
            _ = try await ServerAdmin.post(server: base, path: "/admin/reload", token: "s3cret")
            #expect(try await answer() == ("champion", "1"))

            do {
                _ = try await ServerAdmin.post(server: base, path: "/admin/reload", token: "wrong")
                Issue.record("a wrong token was accepted")
            } catch let e as ServingError {
                #expect(e.message.contains("401"))
            }
            // Blue-green through the same client: all traffic to the canary, then back.
            let switched = try await ServerAdmin.post(server: base, path: "/admin/switch", token: "s3cret", json: #"{"to":"canary"}"#)
            #expect(switched.contains(#""active":"canary""#))
            #expect(try await answer() == ("canary", "2"))
        }
    }
}

/// `/predict?explain=true` on a server with variants: the model that answered explains, and
/// its contributions add up to that model's log-odds.
@Suite struct VariantExplainTests {
    @Test func explanationComesFromTheAnsweringVariant() async throws {
        let other = Classifiers.train(name: "spam", classes: ["ham", "spam"], ocean: false, task: .binary, threshold: 0.65, seed: 5)
        let spec = [("champion", 50.0), ("canary", 50.0)]
        var logger = Logger(label: "variant-explain-tests")
        logger.logLevel = .warning
        let log = InMemoryPredictionLog()
        let server = PlumbServer(
            configuration: ServerConfiguration(port: 0, adminToken: nil, pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20)),
            variants: try VariantConfiguration(variants: [
                ServedVariant(name: "champion", weight: 50, provider: InMemoryModelProvider(Classifiers.spam)),
                ServedVariant(name: "canary", weight: 50, provider: InMemoryModelProvider(other)),
            ]),
            sink: log, logger: logger)
        try await server.loadModels()
        let keys = ["user-1", "user-2", "user-3", "user-4", "user-5", "user-6"]
        let variants = try await server.buildApplication().test(.router) { client in
            var variants: [String] = []
            for key in keys {
                let v = try await client.execute(uri: "/predict?explain=true", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                                 body: body(rowJSON(3, 20))) { r in
                    #expect(r.status == .ok)
                    let o = object(r.body)
                    let variant = o["variant"] as? String ?? ""
                    #expect(variant == referenceVariant(key, spec) && r.headers[variantHeader] == variant)
                    let model: any ServableModel = variant == "canary" ? other : Classifiers.spam
                    #expect((o["model"] as? [String: Any])?["version"] as? String == model.version)
                    let p = (o["probabilities"] as? [String: Double])?["spam"] ?? .nan
                    let direct = try model.predict(rows: [[.number(3), .number(20)]])[1]
                    #expect(abs(p - direct) <= 1e-12)
                    let eta = (o["expected_value"] as? Double ?? .nan) + ((o["contributions"] as? [[String: Double]])?.first ?? [:]).values.reduce(0, +)
                    #expect(abs(1 / (1 + exp(-eta)) - p) <= 1e-9, "\(key) on \(variant)")
                    return variant
                }
                variants.append(v)
            }
            try await server.flushPredictionLog()
            return variants
        }
        #expect(Set(variants) == ["champion", "canary"])
        #expect(log.batches.map(\.variant) == variants)
    }
}

/// A model that refuses every row (a broken canary).
struct RefusingModel: ServableModel {
    let name = "housing"
    let version = "9"
    let features = toyModel().features
    let metrics: [String: Double] = [:]
    let kind = "refusing"
    func predict(_ rows: FeatureRows) throws -> [Double] { throw ServingError(code: "refused", message: "this canary refuses every row") }
}

@Suite struct VariantFailureTests {
    @Test(arguments: TestPath.allCases) func aFailingCanaryIsNamedAndCounted(_ path: TestPath) async throws {
        let spec = [("champion", 50.0), ("canary", 50.0)]
        let log = InMemoryPredictionLog()
        var logger = Logger(label: "variant-failure-tests")
        logger.logLevel = .warning
        let server = PlumbServer(
            configuration: ServerConfiguration(port: 0, adminToken: nil, pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20)),
            variants: try VariantConfiguration(variants: [
                ServedVariant(name: "champion", weight: 50, provider: InMemoryModelProvider(toyModel())),
                ServedVariant(name: "canary", weight: 50, provider: InMemoryModelProvider(RefusingModel())),
            ]),
            sink: log, logger: logger)
        try await server.loadModels()
        let keys = (0..<10).map { "user-\($0)" }
        let failures = keys.filter { referenceVariant($0, spec) == "canary" }.count
        try await server.buildApplication().test(path.setup) { client in
            for key in keys {
                try await client.execute(uri: "/predict", method: .post, headers: [.contentType: "application/json", keyHeader: key],
                                         body: body(#"{"MedInc":1,"HouseAge":1,"Ocean":null}"#)) { r in
                    let variant = referenceVariant(key, spec)
                    #expect(r.status == (variant == "canary" ? .unprocessableContent : .ok))
                    #expect(r.headers[variantHeader] == variant)
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("plumb_variant_requests_total{variant=\"canary\",status=\"422\"} \(failures)\n"))
                #expect(text.contains("plumb_variant_requests_total{variant=\"champion\",status=\"200\"} \(keys.count - failures)\n"))
            }
        }
        #expect(failures > 0 && failures < keys.count)
    }
}
