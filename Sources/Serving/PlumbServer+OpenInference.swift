// Open Inference Protocol (KServe V2) REST routes:
//   GET  /v2                                  {"name","version","extensions"}
//   GET  /v2/health/live | /v2/health/ready   200 / 503
//   GET  /v2/models/{name}[/versions/{v}]     {"name","versions","platform","inputs","outputs"}
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer
// Infer accepts either ONE tensor of shape [n, features] (FP32/FP64/INT*, `data` row-major, flat or
// nested; all features numeric) or ONE tensor PER FEATURE of shape [n] (or [n, 1]) named like the
// feature (numeric datatypes for numeric features, BYTES for categorical ones; JSON null = missing).
// A regression's response holds one FP64 tensor "predictions" of shape [n]; a classifier's two,
// "label" (BYTES, [n]) and "probabilities" (FP64, [n, classes], row-major, the classes in the
// tensor's parameters), or those the request's "outputs" names. Errors are 400 {"error": "..."},
// an unknown model or version 404.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

extension PlumbServer {
    static let serverVersion = "0.1.0"
    static let numericDatatypes: Set<String> = ["FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]

    func v2ServerMetadata() -> Response {
        Self.json(.ok, #"{"name":"plumb","version":"\#(Self.serverVersion)","extensions":[]}"#)
    }

    /// The loaded model when `name` (and `version`, if given) match it.
    func v2Lookup(name: String, version: String?) -> LoadedModel? {
        guard let loaded = primary.current, loaded.model.name == name else { return nil }
        if let version, version != loaded.model.version { return nil }
        return loaded
    }

    func v2NotFound(name: String, version: String?) -> Response {
        if let version { return Self.error(.notFound, "model '\(name)' version '\(version)' is not served") }
        return Self.error(.notFound, "model '\(name)' is not served")
    }

    func v2ModelMetadata(name: String, version: String?) -> Response {
        guard let loaded = v2Lookup(name: name, version: version) else { return v2NotFound(name: name, version: version) }
        let m = loaded.model
        var w = JSONWriter(capacity: 512)
        w.raw(#"{"name":"#); w.string(m.name)
        w.raw(#","versions":["#); w.string(m.version)
        w.raw(#"],"platform":"#); w.string("plumb_\(m.kind)")
        w.raw(#","inputs":["#)
        for (i, f) in m.features.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(f.name)
            w.raw(f.kind == .numeric ? #","datatype":"FP64","shape":[-1]}"# : #","datatype":"BYTES","shape":[-1]}"#)
        }
        if let c = loaded.classifier {
            w.raw(#"],"outputs":[{"name":"label","datatype":"BYTES","shape":[-1]},{"name":"probabilities","datatype":"FP64","shape":[-1,"#)
            w.int(c.spec.classes.count)
            w.raw("]}]}")
        } else {
            w.raw(#"],"outputs":[{"name":"predictions","datatype":"FP64","shape":[-1]}]}"#)
        }
        return Self.json(.ok, w.buffer)
    }

    func v2ModelReady(name: String, version: String?) -> Response {
        guard let loaded = v2Lookup(name: name, version: version) else { return v2NotFound(name: name, version: version) }
        var w = JSONWriter()
        w.raw(#"{"name":"#); w.string(loaded.model.name)
        w.raw(#","ready":true}"#)
        return Self.json(.ok, w.buffer)
    }

    func v2Infer(_ request: Request, name: String, version: String?) async -> (Response, Int) {
        let body: ByteBuffer
        switch await readJSONBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        guard let loaded = v2Lookup(name: name, version: version) else { return (v2NotFound(name: name, version: version), 0) }
        let root: JSONValue
        do {
            root = try body.withUnsafeReadableBytes { try JSONValue.parse($0) }
        } catch {
            return (Self.error(.badRequest, "invalid JSON: \(error)"), 0)
        }
        let rows: FeatureRows
        do {
            rows = try Self.oipRows(root, layout: loaded.layout, maxRows: configuration.maxBatchRows)
        } catch let e as OIPError {
            return (Self.error(.badRequest, e.message), 0)
        } catch {
            return (Self.error(.badRequest, "\(error)"), 0)
        }
        if let c = loaded.classifier {
            return await v2InferClassifier(root, loaded, c, rows: rows)
        }
        let predictions: [Double]
        do {
            predictions = try loaded.model.predict(rows)
        } catch {
            return (Self.error(.badRequest, "the model could not score the input: \(error)"), 0)
        }
        guard predictions.count == rows.count else {
            return (Self.error(.internalServerError, "model returned \(predictions.count) predictions for \(rows.count) rows"), 0)
        }
        let first = ids.reserve(rows.count)
        await logPredictions(loaded, rows: rows, predictions: predictions, firstID: first)
        var w = JSONWriter(capacity: 128 + rows.count * 40)
        w.raw(#"{"model_name":"#); w.string(loaded.model.name)
        w.raw(#","model_version":"#); w.string(loaded.model.version)
        if let id = root["id"]?.stringValue { w.raw(#","id":"#); w.string(id) }
        w.raw(#","parameters":{"request_ids":["#)
        w.requestIDs(prefix: ids.prefix, first: first, count: rows.count)
        w.raw(#"]},"outputs":[{"name":"predictions","datatype":"FP64","shape":["#)
        w.int(rows.count)
        w.raw(#"],"data":["#)
        w.numbers(predictions)
        w.raw("]}]}")
        return (Self.json(.ok, w.buffer), rows.count)
    }

    /// A classifier's infer answer: the outputs the request names (`"outputs": [{"name": …}]`),
    /// both when it names none.
    func v2InferClassifier(_ root: JSONValue, _ loaded: LoadedModel, _ c: ClassifierResponse, rows: FeatureRows) async -> (Response, Int) {
        let wanted: ClassifierOutputs
        switch Self.requestedOutputs(root, model: loaded.model.name) {
        case .success(let w): wanted = w
        case .failure(let e): return (Self.error(.badRequest, e.message), 0)
        }
        let k = c.spec.classes.count
        let probabilities: [Double]
        do {
            probabilities = try loaded.model.predict(rows)
        } catch {
            return (Self.error(.badRequest, "the model could not score the input: \(error)"), 0)
        }
        guard probabilities.count == rows.count * k else {
            return (Self.error(.internalServerError, "model returned \(probabilities.count) probabilities for \(rows.count) rows of \(k) classes"), 0)
        }
        let indices = c.spec.classIndices(probabilities)
        let first = ids.reserve(rows.count)
        await logPredictions(loaded, rows: rows, predictions: indices.map(Double.init), probabilities: probabilities, firstID: first)
        var w = JSONWriter(capacity: 192 + rows.count * (24 + k * 24))
        w.raw(#"{"model_name":"#); w.string(loaded.model.name)
        w.raw(#","model_version":"#); w.string(loaded.model.version)
        if let id = root["id"]?.stringValue { w.raw(#","id":"#); w.string(id) }
        w.raw(#","parameters":{"request_ids":["#)
        w.requestIDs(prefix: ids.prefix, first: first, count: rows.count)
        w.raw(#"]},"outputs":["#)
        if wanted.label {
            w.raw(#"{"name":"label","datatype":"BYTES","shape":["#)
            w.int(rows.count)
            w.raw(#"],"data":["#)
            w.classLabels(indices: indices, c)
            w.raw("]}")
        }
        if wanted.probabilities {
            if wanted.label { w.raw(",") }
            w.raw(#"{"name":"probabilities","datatype":"FP64","shape":["#)
            w.int(rows.count)
            w.raw(",")
            w.int(k)
            w.raw(#"],"parameters":{"classes":"#)
            w.stringArray(c.spec.classes)
            w.raw(#"},"data":["#)
            w.numbers(probabilities)
            w.raw("]}")
        }
        w.raw("]}")
        return (Self.json(.ok, w.buffer), rows.count)
    }

    /// Which of a classifier's two outputs to answer.
    struct ClassifierOutputs: Equatable {
        var label = true
        var probabilities = true
    }

    /// The outputs an infer request names in `"outputs": [{"name": …}]`; both when it names
    /// none (absent, null or an empty list).
    /// - Returns: a failure naming an unknown output or a malformed list.
    static func requestedOutputs(_ root: JSONValue, model: String) -> Result<ClassifierOutputs, OIPError> {
        guard let requested = root["outputs"], requested != .null else { return .success(ClassifierOutputs()) }
        guard let items = requested.arrayValue else { return .failure(OIPError("outputs must be an array of {\"name\": …} objects")) }
        if items.isEmpty { return .success(ClassifierOutputs()) }
        var wanted = ClassifierOutputs(label: false, probabilities: false)
        for (i, item) in items.enumerated() {
            switch item["name"]?.stringValue {
            case "label": wanted.label = true
            case "probabilities": wanted.probabilities = true
            case let name?: return .failure(OIPError("unknown output '\(name)'; model '\(model)' has outputs label, probabilities"))
            case nil: return .failure(OIPError("outputs[\(i)].name must be a string"))
            }
        }
        return .success(wanted)
    }

    struct OIPError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// One decoded input tensor.
    struct Tensor {
        var name: String
        var shape: [Int]
        var datatype: String
        var data: [JSONValue]   // flattened, row-major
    }

    static func flatten(_ v: JSONValue, into out: inout [JSONValue]) {
        if case .array(let items) = v { for i in items { flatten(i, into: &out) } } else { out.append(v) }
    }

    static func tensor(_ v: JSONValue, index: Int) throws -> Tensor {
        guard case .object = v else { throw OIPError("inputs[\(index)] must be an object") }
        guard let name = v["name"]?.stringValue else { throw OIPError("inputs[\(index)].name must be a string") }
        guard let datatype = v["datatype"]?.stringValue else { throw OIPError("inputs[\(index)] ('\(name)'): datatype must be a string") }
        guard let shapeValues = v["shape"]?.arrayValue, !shapeValues.isEmpty else {
            throw OIPError("inputs[\(index)] ('\(name)'): shape must be a non-empty array of integers")
        }
        var shape = [Int]()
        for s in shapeValues {
            guard let d = s.doubleValue, d >= 0, d == d.rounded(), d < 1e12 else {
                throw OIPError("inputs[\(index)] ('\(name)'): shape must contain non-negative integers")
            }
            shape.append(Int(d))
        }
        guard let dataValue = v["data"], case .array = dataValue else { throw OIPError("inputs[\(index)] ('\(name)'): data must be an array") }
        var data = [JSONValue]()
        flatten(dataValue, into: &data)
        let expected = shape.reduce(1, *)
        guard data.count == expected else {
            throw OIPError("inputs[\(index)] ('\(name)'): shape \(shape) needs \(expected) values, data has \(data.count)")
        }
        return Tensor(name: name, shape: shape, datatype: datatype.uppercased(), data: data)
    }

    /// Converts an infer request into model-ordered rows.
    static func oipRows(_ root: JSONValue, layout: FeatureLayout, maxRows: Int) throws -> FeatureRows {
        guard case .object = root else { throw OIPError("request body must be a JSON object") }
        guard let inputs = root["inputs"]?.arrayValue, !inputs.isEmpty else {
            throw OIPError("request must have a non-empty 'inputs' array")
        }
        let tensors = try inputs.enumerated().map { try tensor($0.element, index: $0.offset) }
        let featureCount = layout.names.count
        if tensors.count == 1, tensors[0].shape.count == 2, layout.byName[tensors[0].name] == nil || featureCount > 1 {
            // Layout A: one [n, features] matrix.
            let t = tensors[0]
            guard t.shape[1] == featureCount else {
                throw OIPError("input '\(t.name)' has shape \(t.shape); expected [n, \(featureCount)] (features: \(layout.names.joined(separator: ", ")))")
            }
            guard numericDatatypes.contains(t.datatype) else {
                throw OIPError("input '\(t.name)': datatype \(t.datatype) is not numeric; use one tensor per feature for categorical features")
            }
            if let f = layout.kinds.firstIndex(of: .categorical) {
                throw OIPError("feature '\(layout.names[f])' is categorical: send one tensor per feature (BYTES for categorical)")
            }
            let n = t.shape[0]
            guard n >= 1 else { throw OIPError("input '\(t.name)' has no rows") }
            guard n <= maxRows else { throw OIPError("input '\(t.name)' has \(n) rows; at most \(maxRows) are allowed") }
            var rows = FeatureRows(kinds: layout.kinds, capacity: n)
            for i in 0..<n {
                let row = rows.appendMissingRow()
                for j in 0..<featureCount {
                    guard let x = t.data[i * featureCount + j].doubleValue else {
                        throw OIPError("input '\(t.name)': element [\(i), \(j)] is not a number")
                    }
                    rows.setNumber(row: row, feature: j, x)
                }
            }
            return rows
        }
        // Layout B: one [n] tensor per feature.
        var byFeature = [Int: Tensor]()
        for t in tensors {
            guard let f = layout.byName[t.name] else {
                throw OIPError("unknown input '\(t.name)'; expected one tensor per feature (\(layout.names.joined(separator: ", "))) or one [n, \(featureCount)] tensor")
            }
            guard byFeature[f] == nil else { throw OIPError("input '\(t.name)' appears twice") }
            guard t.shape.count == 1 || (t.shape.count == 2 && t.shape[1] == 1) else {
                throw OIPError("input '\(t.name)' has shape \(t.shape); expected [n] or [n, 1]")
            }
            byFeature[f] = t
        }
        let missing = (0..<featureCount).filter { byFeature[$0] == nil }.map { layout.names[$0] }
        guard missing.isEmpty else { throw OIPError("missing inputs: \(missing.joined(separator: ", "))") }
        let n = byFeature[0]?.shape[0] ?? 0
        guard n >= 1 else { throw OIPError("inputs have no rows") }
        guard n <= maxRows else { throw OIPError("inputs have \(n) rows; at most \(maxRows) are allowed") }
        var rows = FeatureRows(kinds: layout.kinds, capacity: n)
        for _ in 0..<n { _ = rows.appendMissingRow() }
        for f in 0..<featureCount {
            guard let t = byFeature[f] else { continue }
            guard t.shape[0] == n else { throw OIPError("input '\(t.name)' has \(t.shape[0]) rows, '\(layout.names[0])' has \(n)") }
            let numeric = layout.kinds[f] == .numeric
            if numeric {
                guard numericDatatypes.contains(t.datatype) else {
                    throw OIPError("input '\(t.name)' is a numeric feature; datatype must be FP32/FP64/INT*, got \(t.datatype)")
                }
            } else {
                guard t.datatype == "BYTES" else {
                    throw OIPError("input '\(t.name)' is a categorical feature; datatype must be BYTES, got \(t.datatype)")
                }
            }
            for i in 0..<n {
                switch t.data[i] {
                case .null: break
                case .number(let x) where numeric: rows.setNumber(row: i, feature: f, x)
                case .string(let s) where !numeric: rows.setText(row: i, feature: f, s)
                default:
                    throw OIPError("input '\(t.name)': element [\(i)] must be a \(numeric ? "number" : "string"), got \(t.data[i].typeName)")
                }
            }
        }
        return rows
    }
}
