import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MLCore
import Pipeline
import Testing
import Tracking
@testable import Serving

/// The body as Foundation values like `object(_:)`, but its numbers read by Serving's own parser,
/// which rounds correctly (Foundation's on Linux can miss the last bit, and probabilities are
/// compared exactly). Numbers are all Doubles.
func exactObject(_ buffer: ByteBuffer) -> [String: Any] {
    func foundation(_ v: JSONValue) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let x): return x
        case .string(let s): return s
        case .array(let items): return items.map(foundation)
        case .object(let members): return Dictionary(members.map { ($0.key, foundation($0.value)) }, uniquingKeysWith: { $1 })
        }
    }
    let value = try? JSONValue.parse(Array(buffer.readableBytesView))
    return value.map(foundation) as? [String: Any] ?? [:]
}

/// Classifiers trained in the test process (`Classifiers`), served in process: every answer is
/// compared with the model's own probabilities for the same rows and with the decision rule
/// (`ClassDecision`) applied to them.
@Suite struct ClassifierServingTests {
    /// Rows of the binary model (MedInc, HouseAge): the ends of the range it was trained on, and
    /// a fine grid across the class boundary (2·MedInc + HouseAge/10 = 12), where probabilities
    /// between 0.5 and the threshold 0.65 occur.
    static let spamRows: [(Double, Double)] = [(0.5, 10), (7.5, 48)]
        + [10.0, 20, 30, 40].flatMap { age in stride(from: 4.3, through: 5.0, by: 0.05).map { ($0, age) } }
    /// Rows of the three-class model (MedInc, HouseAge, Ocean).
    static let threeRows: [(Double, Double, String)] = [(0.5, 10, "INLAND"), (4, 20, "NEAR BAY"), (7.5, 45, "NEAR BAY"), (5, 30, "INLAND")]

    /// The model's probabilities for `rows`, split per row.
    static func expected(_ model: any ServableModel, _ rows: [[FeatureValue?]]) throws -> [[Double]] {
        let p = try directProbabilities(model, rows)
        let k = p.count / rows.count
        return (0..<rows.count).map { Array(p[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// `{"label": …, "probabilities": {…}}` checked against the model's probabilities of the row.
    static func expectAnswer(_ o: [String: Any], probabilities p: [Double], classes: [String], threshold: Double?) {
        let got = o["probabilities"] as? [String: Double] ?? [:]
        #expect(got.count == classes.count)
        for (c, name) in classes.enumerated() { #expect(got[name] == p[c], "class \(name)") }
        let index = ClassDecision.classIndices(p, classes: classes.count, threshold: threshold)[0]
        #expect(o["label"] as? String == classes[index])
    }

    @Test(arguments: TestPath.allCases) func binaryPredictAnswersLabelAndProbabilities(_ path: TestPath) async throws {
        let model = Versioned(base: Classifiers.spam, name: "spam", version: "1")
        let spec = try #require(model.classifier)
        #expect(spec.task == .binary && spec.classes == ["ham", "spam"] && spec.threshold == 0.65)
        let rows = Self.spamRows.map { [FeatureValue?.some(.number($0.0)), .number($0.1)] }
        let expected = try Self.expected(model, rows)
        // The threshold matters here: some row is "ham" at 0.65 that would be "spam" at 0.5.
        #expect(expected.contains { $0[1] >= 0.5 && $0[1] < 0.65 }, "P(spam) of the rows: \(expected.map { $0[1] })")
        let h = try await Harness(model: model)
        try await h.server.buildApplication().test(path.setup) { client in
            for (i, row) in Self.spamRows.enumerated() {
                try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(rowJSON(row.0, row.1))) { r in
                    #expect(r.status == .ok)
                    let o = exactObject(r.body)
                    Self.expectAnswer(o, probabilities: expected[i], classes: spec.classes, threshold: 0.65)
                    #expect((o["model"] as? [String: Any])?["name"] as? String == "spam")
                    #expect(o["request_id"] is String)
                    #expect(o["prediction"] == nil)
                }
            }
            let batch = "{\"instances\":[" + Self.spamRows.map { rowJSON($0.0, $0.1) }.joined(separator: ",") + "]}"
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                #expect(r.status == .ok)
                let o = exactObject(r.body)
                let items = o["predictions"] as? [[String: Any]] ?? []
                #expect(items.count == Self.spamRows.count)
                for (i, item) in items.enumerated() {
                    Self.expectAnswer(item, probabilities: expected[i], classes: spec.classes, threshold: 0.65)
                }
                #expect((o["request_ids"] as? [String])?.count == Self.spamRows.count)
            }
        }
    }

    @Test func multiclassBatchTakesTheMostProbableClass() async throws {
        let model = Versioned(base: Classifiers.three, name: "housing", version: "1")
        let spec = try #require(model.classifier)
        #expect(spec.task == .multiclass && spec.classes == ["0", "1", "2"] && spec.threshold == nil)
        let rows = Self.threeRows.map { [FeatureValue?.some(.number($0.0)), .number($0.1), .string($0.2)] }
        let expected = try Self.expected(model, rows)
        // The rows reach every class, so a wrong class order could not pass.
        #expect(Set(expected.map { ClassDecision.classIndices($0, classes: 3, threshold: nil)[0] }).count == 3)
        let h = try await Harness(model: model)
        let batch = "{\"instances\":[" + Self.threeRows.map { rowJSON($0.0, $0.1, $0.2) }.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                #expect(r.status == .ok)
                let items = exactObject(r.body)["predictions"] as? [[String: Any]] ?? []
                #expect(items.count == rows.count)
                for (i, item) in items.enumerated() {
                    Self.expectAnswer(item, probabilities: expected[i], classes: spec.classes, threshold: nil)
                }
            }
        }
        // The log keeps each row's probabilities and predicted class.
        try await h.server.flushPredictionLog()
        let entries = h.log.entries
        #expect(entries.count == rows.count)
        for (i, e) in entries.enumerated() {
            #expect(e.classes == spec.classes)
            #expect(e.probabilities == expected[i])
            #expect(e.label == spec.classes[ClassDecision.classIndices(expected[i], classes: 3, threshold: nil)[0]])
        }
    }

    @Test func openInferenceAnswersLabelAndProbabilityTensors() async throws {
        let model = Versioned(base: Classifiers.three, name: "housing", version: "1")
        let rows = Self.threeRows.map { [FeatureValue?.some(.number($0.0)), .number($0.1), .string($0.2)] }
        let expected = try Self.expected(model, rows)
        let labels = expected.map { ["0", "1", "2"][ClassDecision.classIndices($0, classes: 3, threshold: nil)[0]] }
        let n = rows.count
        let request = """
            {"id": "r", "inputs": [
              {"name": "MedInc", "shape": [\(n)], "datatype": "FP64", "data": \(Self.threeRows.map { $0.0 })},
              {"name": "HouseAge", "shape": [\(n)], "datatype": "FP64", "data": \(Self.threeRows.map { $0.1 })},
              {"name": "Ocean", "shape": [\(n)], "datatype": "BYTES", "data": [\(Self.threeRows.map { "\"\($0.2)\"" }.joined(separator: ","))]}]}
            """
        let h = try await Harness(model: model)
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/v2/models/housing", method: .get) { r in
                let outputs = object(r.body)["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.map { $0["name"] as? String ?? "" } == ["label", "probabilities"])
                #expect(outputs.map { $0["datatype"] as? String ?? "" } == ["BYTES", "FP64"])
                #expect(outputs.map { $0["shape"] as? [Int] ?? [] } == [[-1], [-1, 3]])
            }
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(request)) { r in
                #expect(r.status == .ok)
                let outputs = exactObject(r.body)["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.count == 2)
                let label = outputs.first { $0["name"] as? String == "label" } ?? [:]
                #expect(label["datatype"] as? String == "BYTES")
                #expect(label["shape"] as? [Double] == [Double(n)])
                #expect(label["data"] as? [String] == labels)
                let probabilities = outputs.first { $0["name"] as? String == "probabilities" } ?? [:]
                #expect(probabilities["datatype"] as? String == "FP64")
                #expect(probabilities["shape"] as? [Double] == [Double(n), 3])
                #expect(probabilities["data"] as? [Double] == expected.flatMap { $0 })
            }
            // Only the outputs asked for.
            let onlyLabel = request.dropLast() + #", "outputs": [{"name": "label"}]}"#
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(String(onlyLabel))) { r in
                let outputs = object(r.body)["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.map { $0["name"] as? String ?? "" } == ["label"])
            }
            let unknown = request.dropLast() + #", "outputs": [{"name": "predictions"}]}"#
            try await client.execute(uri: "/v2/models/housing/infer", method: .post, headers: jsonHeaders, body: body(String(unknown))) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    @Test func modelAndOpenAPIDescribeTheClassifier() async throws {
        let h = try await Harness(model: Versioned(base: Classifiers.spam, name: "spam", version: "1"))
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/model", method: .get) { r in
                let o = object(r.body)
                #expect(o["task"] as? String == "binary")
                #expect(o["classes"] as? [String] == ["ham", "spam"])
                #expect(o["threshold"] as? Double == 0.65)
            }
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                let schemas = (object(r.body)["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
                let prediction = schemas["Prediction"] as? [String: Any] ?? [:]
                #expect(prediction["required"] as? [String] == ["label", "probabilities", "model", "request_id"])
                let label = (prediction["properties"] as? [String: Any])?["label"] as? [String: Any] ?? [:]
                #expect(label["enum"] as? [String] == ["ham", "spam"])
                let probabilities = schemas["ClassProbabilities"] as? [String: Any] ?? [:]
                #expect(probabilities["required"] as? [String] == ["ham", "spam"])
                #expect(schemas["BatchPrediction"] != nil && schemas["ClassPrediction"] != nil)
            }
        }
        // A regression's document has no classifier schemas.
        let regression = try await Harness()
        try await regression.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                #expect(String(buffer: r.body) == OpenAPIDocument.document(for: regression.server.model, adminEnabled: false))
            }
            try await client.execute(uri: "/model", method: .get) { r in
                #expect(object(r.body)["classes"] == nil && object(r.body)["task"] == nil)
            }
        }
    }

    /// The classifier's document is the fixed one with schemas changed in place: the same paths
    /// and schemas (plus the two new ones), every `$ref` resolving.
    @Test(arguments: [ClassifierSpec(task: .binary, classes: ["no", "yes"], threshold: 0.4),
                      ClassifierSpec(task: .multiclass, classes: ["a", "b \"quoted\"", "c"])])
    func openAPIDocumentStaysWhole(_ spec: ClassifierSpec) throws {
        let base = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.classifier(spec).utf8)) as? [String: Any])
        func keys(_ o: [String: Any], _ path: [String]) -> Set<String> {
            var at: Any = o
            for k in path { at = (at as? [String: Any])?[k] ?? [:] }
            return Set((at as? [String: Any] ?? [:]).keys)
        }
        #expect(keys(doc, ["paths"]) == keys(base, ["paths"]))
        #expect(keys(doc, ["components", "schemas"]) == keys(base, ["components", "schemas"]).union(["ClassPrediction", "ClassProbabilities"]))
        #expect(keys(doc, ["components", "schemas", "ClassProbabilities", "properties"]) == Set(spec.classes))
        #expect(keys(doc, ["components", "schemas", "ModelInfo", "properties"]).isSuperset(of: ["task", "classes"]))
        var refs: [String] = []
        func collect(_ v: Any) {
            if let o = v as? [String: Any] {
                if let r = o["$ref"] as? String { refs.append(r) }
                o.values.forEach(collect)
            } else if let a = v as? [Any] { a.forEach(collect) }
        }
        collect(doc)
        for r in refs {
            let parts = r.split(separator: "/").dropFirst().map(String.init)  // "#/components/schemas/X"
            #expect(keys(doc, Array(parts.dropLast())).contains(parts.last ?? ""), "\(r)")
        }
    }

    @Test func feedbackTakesAKnownLabelAndRefusesOthers() async throws {
        let h = try await Harness(model: Versioned(base: Classifiers.three, name: "housing", version: "1"))
        try await h.server.buildApplication().test(.router) { client in
            var ids: [String] = []
            for row in Self.threeRows.prefix(3) {
                ids.append(try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(rowJSON(row.0, row.1, row.2))) { r in
                    object(r.body)["request_id"] as? String ?? ""
                })
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(ids[0])\",\"actual\":\"2\"}")) { r in
                #expect(r.status == .ok)
                #expect(object(r.body)["label"] as? String == "2")
            }
            // A number names the class written the same way.
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(ids[1])\",\"actual\":1}")) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(ids[2])\",\"actual\":\"7\"}")) { r in
                #expect(r.status == .unprocessableContent)
                let msg = (object(r.body)["detail"] as? [[String: Any]])?.first?["msg"] as? String ?? ""
                #expect(msg.contains("'7'") && msg.contains("'0', '1', '2'"))
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body(#"{"request_id":"nope","actual":"1"}"#)) { r in
                #expect(r.status == .notFound)
            }
            #expect(h.log.feedbackLabels == [ids[0]: "2", ids[1]: "1"])
            #expect(h.log.feedback == [ids[0]: 2, ids[1]: 1])
        }
    }

    /// Feedback is read as the model that answered the request takes it, whatever is served now.
    @Test func feedbackFollowsTheModelThatAnswered() async throws {
        let h = try await Harness(model: Versioned(base: Classifiers.three, name: "housing", version: "1"))
        try await h.server.buildApplication().test(.router) { client in
            let id = try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(rowJSON(4, 20, "NEAR BAY"))) { r in
                object(r.body)["request_id"] as? String ?? ""
            }
            try await h.server.flushPredictionLog()
            h.provider.replace(with: toyModel(version: "2"))
            try await h.server.reload()
            // A regression is served now, but the request was a classifier's: its label is taken.
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(id)\",\"actual\":\"0\"}")) { r in
                #expect(r.status == .ok)
            }
            #expect(h.log.feedbackLabels[id] == "0")
            // A label for an unknown request while a regression is served: refused as a number expected, as always.
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body(#"{"request_id":"nope","actual":"0"}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect((object(r.body)["detail"] as? [[String: Any]])?.first?["type"] as? String == "float_type")
            }
        }
    }

    /// A shadow classifier with the same classes is logged beside the primary as class indices.
    @Test func shadowClassifierLogsItsClass() async throws {
        let primary = Versioned(base: Classifiers.three, name: "housing", version: "1")
        let h = try await Harness(model: primary, shadow: Versioned(base: Classifiers.three, name: "housing", version: "2"))
        let rows = Self.threeRows.map { [FeatureValue?.some(.number($0.0)), .number($0.1), .string($0.2)] }
        let expected = ClassDecision.classIndices(try directProbabilities(primary, rows), classes: 3, threshold: nil).map(Double.init)
        let batch = "{\"instances\":[" + Self.threeRows.map { rowJSON($0.0, $0.1, $0.2) }.joined(separator: ",") + "]}"
        try await h.server.buildApplication().test(.router) { client in
            try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(batch)) { r in #expect(r.status == .ok) }
        }
        try await h.server.flushPredictionLog()
        #expect(h.log.entries.map(\.prediction) == expected)
        #expect(h.log.entries.map(\.shadowPrediction) == expected)
        #expect(h.log.entries.allSatisfy { $0.shadowVersion == "2" })
    }

    /// The real prediction log: a served classifier's predictions and feedback read back from
    /// the store as monitoring reads them.
    @Test func storeKeepsProbabilitiesLabelsAndFeedback() async throws {
        let model = Versioned(base: Classifiers.spam, name: "spam", version: "3")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-cls-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
        var logger = Logger(label: "serving-tests")
        logger.logLevel = .warning
        let config = ServerConfiguration(host: "127.0.0.1", port: 0, maxBatchRows: 1000, adminToken: nil,
                                         pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20))
        let server = PlumbServer(configuration: config, provider: InMemoryModelProvider(model, description: "test"),
                                 sink: StorePredictionLog(store: store), logger: logger)
        try await server.loadModels()
        let rows = Self.spamRows.map { [FeatureValue?.some(.number($0.0)), .number($0.1)] }
        let expected = try Self.expected(model, rows)
        let batch = "{\"instances\":[" + Self.spamRows.map { rowJSON($0.0, $0.1) }.joined(separator: ",") + "]}"
        try await server.buildApplication().test(.router) { client in
            let ids = try await client.execute(uri: "/predict", method: .post, headers: jsonHeaders, body: body(batch)) { r in
                object(r.body)["request_ids"] as? [String] ?? []
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(ids[1])\",\"actual\":\"spam\"}")) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/feedback", method: .post, headers: jsonHeaders,
                                     body: body("{\"request_id\":\"\(ids[2])\",\"actual\":\"eggs\"}")) { r in
                #expect(r.status == .unprocessableContent)
            }
        }
        try await server.flushPredictionLog()
        let labels = expected.map { ["ham", "spam"][ClassDecision.classIndices($0, classes: 2, threshold: 0.65)[0]] }
        let logged = try store.predictionBatches(model: "spam")
        #expect(logged.count == 1)
        let b = try #require(logged.first)
        #expect(b.record.classes == ["ham", "spam"])
        #expect(b.record.labels == labels)
        #expect((0..<rows.count).map { b.record.probabilities(row: $0).map(Array.init) } == expected)
        let fedBack: [String?] = [nil, "spam"] + Array(repeating: nil, count: rows.count - 2)
        #expect(b.actualLabels == fedBack)
        #expect(b.actuals == fedBack.map { $0 == nil ? nil : 1 })
        // Row by row, as `predictions(model:)` reads them.
        let records = try store.predictions(model: "spam")
        #expect(records.map(\.label) == labels)
        #expect(records.map { $0.probabilities ?? [] } == expected)
        #expect(records.map(\.actualLabel) == fedBack)
    }
}
