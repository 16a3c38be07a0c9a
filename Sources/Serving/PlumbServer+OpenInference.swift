// Open Inference Protocol (KServe V2) REST routes:
//   GET  /v2                                  {"name","version","extensions":["binary_tensor_data"]}
//   GET  /v2/health/live | /v2/health/ready   200 / 503
//   GET  /v2/models/{name}[/versions/{v}]     {"name","versions","platform","inputs","outputs"}
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer
// Infer accepts either ONE tensor of shape [n, features] (FP*/INT*/UINT*/BOOL, `data` row-major,
// flat or nested; all features numeric) or ONE tensor PER FEATURE of shape [n] (or [n, 1]) named
// like the feature (numeric datatypes or BOOL for numeric features, BYTES for categorical ones;
// JSON null = missing). Any input may come as binary data instead (`BinaryTensorData.swift`).
// A regression's response holds one FP64 tensor "predictions" of shape [n]; a classifier's two,
// "label" (BYTES, [n]) and "probabilities" (FP64, [n, classes], row-major, the classes in the
// tensor's parameters), or those the request's "outputs" names; each as JSON or, when asked,
// binary. The body is read as JSON without a Content-Type (the protocol does not require one);
// application/octet-stream is accepted for binary requests, any other type is 415. Errors are
// 400 {"error": "..."}, an unknown model or version 404.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

extension PlumbServer {
    static let serverVersion = "0.1.0"
    static let numericDatatypes: Set<String> = ["FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]
    /// Datatypes a numeric feature's tensor may have: the numeric ones and BOOL (1 / 0).
    static let numericFeatureDatatypes = numericDatatypes.union(["BOOL"])

    func v2ServerMetadata() -> Response {
        Self.json(.ok, #"{"name":"plumb","version":"\#(Self.serverVersion)","extensions":["binary_tensor_data"]}"#)
    }

    /// The loaded model when `name` (and `version`, if given) match it.
    /// With variants, any variant's model may match; without a version, the served model's
    /// name first.
    func v2Lookup(name: String, version: String?) -> LoadedModel? {
        if let variants { return v2VariantLookup(variants, name: name, version: version)?.loaded }
        guard let loaded = primary.current, loaded.model.name == name else { return nil }
        if let version, version != loaded.model.version { return nil }
        return loaded
    }

    /// The first variant whose model is `name` (and `version`, if given), and its model.
    func v2VariantLookup(_ router: VariantRouter, name: String, version: String?) -> (index: Int, loaded: LoadedModel)? {
        for (i, v) in router.variants.enumerated() {
            guard let loaded = v.box.current, loaded.model.name == name else { continue }
            if let version, version != loaded.model.version { continue }
            return (i, loaded)
        }
        return nil
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

    /// Reads an infer request's body: JSON with or without a Content-Type, or
    /// application/octet-stream (binary tensor data); 415 for any other type, 413 over the limit.
    func readInferBody(_ request: Request) async -> Result<ByteBuffer, ResponseFailure> {
        if let type = Self.value(of: .contentType, in: request.headers), !Self.isJSONMediaType(type), !Self.isOctetStream(type) {
            return .failure(.init(Self.error(.unsupportedMediaType,
                "Content-Type must be application/json (or application/octet-stream with Inference-Header-Content-Length), got '\(type)'")))
        }
        return await readBody(request)
    }

    /// True for `application/octet-stream`, any case, with optional parameters.
    static func isOctetStream(_ header: String) -> Bool {
        header.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == "application/octet-stream"
    }

    /// An infer request split per the binary tensor data extension: its JSON part, parsed, and
    /// the binary part after it (nil without an `Inference-Header-Content-Length` header).
    static func splitInferBody(_ body: ByteBuffer, headers: HTTPFields) -> Result<(JSONValue, BinaryTensorReader?), OIPError> {
        var jsonPart = body
        var binary: BinaryTensorReader?
        if let name = HTTPField.Name.inferenceHeaderContentLength, let text = value(of: name, in: headers) {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                return .failure(OIPError("Inference-Header-Content-Length must be a non-negative integer, got '\(text)'"))
            }
            guard n <= body.readableBytes, let json = body.getSlice(at: body.readerIndex, length: n),
                  let rest = body.getSlice(at: body.readerIndex + n, length: body.readableBytes - n) else {
                return .failure(OIPError("Inference-Header-Content-Length is \(n) but the body has only \(body.readableBytes) bytes"))
            }
            jsonPart = json
            binary = BinaryTensorReader(rest)
        }
        do {
            let root = try jsonPart.withUnsafeReadableBytes { try JSONValue.parse($0) }
            return .success((root, binary))
        } catch {
            return .failure(OIPError(binary == nil ? "invalid JSON: \(error)" : "invalid JSON in the first bytes (Inference-Header-Content-Length): \(error)"))
        }
    }

    func v2Infer(_ request: Request, name: String, version: String?) async -> (Response, Int) {
        let body: ByteBuffer
        switch await readInferBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        guard var loaded = v2Lookup(name: name, version: version) else { return (v2NotFound(name: name, version: version), 0) }
        let root: JSONValue
        var binary: BinaryTensorReader?
        switch Self.splitInferBody(body, headers: request.headers) {
        case .success(let (r, b)): root = r; binary = b
        case .failure(let e): return (Self.error(.badRequest, e.message), 0)
        }
        if let id = root["id"], id != .null, id.stringValue == nil {
            return (Self.error(.badRequest, "id must be a string, got \(id.typeName)"), 0)
        }
        let rows: FeatureRows
        let wanted: [RequestedOutput]
        do {
            rows = try Self.oipRows(root, layout: loaded.layout, maxRows: configuration.maxBatchRows, binary: &binary)
            wanted = try Self.requestedOutputs(root, model: loaded.model.name, outputs: Self.outputNames(loaded),
                                               onRequest: loaded.model is any ExplainableServableModel ? [Self.contributionsOutput] : [])
        } catch let e as OIPError {
            return (Self.error(.badRequest, e.message), 0)
        } catch {
            return (Self.error(.badRequest, "\(error)"), 0)
        }
        // With variants: a version in the path names its variant; otherwise the routing key picks one.
        var routed: RoutedVariant?
        var reserved: UInt64?
        if let variants {
            let key = routingKeyHeader(request)
            if version != nil, let found = v2VariantLookup(variants, name: name, version: version) {
                routed = RoutedVariant(index: found.index, name: variants.variants[found.index].name, key: key)
                loaded = found.loaded
            } else {
                let (r, first) = route(variants, header: key, rows: rows, layout: loaded.layout)
                guard let l = variants.variants[r.index].box.current else {
                    return (Self.error(.serviceUnavailable, "variant '\(r.name)' has no model loaded yet"), 0)
                }
                routed = r
                reserved = first
                loaded = l
            }
        }
        let scores: [Double]
        do {
            scores = try loaded.model.predict(rows)
        } catch {
            return (Self.error(.badRequest, "the model could not score the input: \(error)"), 0)
        }
        guard scores.count == rows.count * loaded.outputCount else {
            return (Self.error(.internalServerError, loaded.classifier == nil
                ? "model returned \(scores.count) predictions for \(rows.count) rows"
                : "model returned \(scores.count) probabilities for \(rows.count) rows of \(loaded.outputCount) classes"), 0)
        }
        let first = reserved ?? ids.reserve(rows.count)
        var outputs = [OutputTensor]()
        if let c = loaded.classifier {
            let indices = c.spec.classIndices(scores)
            await logPredictions(loaded, rows: rows, predictions: indices.map(Double.init), probabilities: scores, firstID: first,
                                 variant: routed)
            for o in wanted {
                if o.name == Self.contributionsOutput { continue }
                if o.name == "label" {
                    outputs.append(OutputTensor(name: "label", datatype: "BYTES", shape: [rows.count], classes: nil,
                                                payload: .labels(indices, c), binary: o.binary))
                } else {
                    outputs.append(OutputTensor(name: "probabilities", datatype: "FP64", shape: [rows.count, c.spec.classes.count],
                                                classes: c.spec.classes, payload: .numbers(scores), binary: o.binary))
                }
            }
        } else {
            await logPredictions(loaded, rows: rows, predictions: scores, firstID: first, variant: routed)
            for o in wanted where o.name == "predictions" {
                outputs.append(OutputTensor(name: "predictions", datatype: "FP64", shape: [rows.count], classes: nil,
                                            payload: .numbers(scores), binary: o.binary))
            }
        }
        if let o = wanted.first(where: { $0.name == Self.contributionsOutput }),
           let model = loaded.model as? any ExplainableServableModel {
            do {
                outputs.append(Self.contributionsTensor(try model.explain(rows), features: model.features.map(\.name),
                                                        rows: rows.count, binary: o.binary))
            } catch {
                return (Self.error(.badRequest, "the model could not explain the input: \(error)"), 0)
            }
        }
        var response = inferResponse(loaded, id: root["id"]?.stringValue, first: first, count: rows.count, outputs: outputs,
                                     variant: routed?.name)
        if let routed { response.headers.append(contentsOf: variantFields(routed.index)) }
        return (response, rows.count)
    }

    /// An output of an infer answer.
    struct OutputTensor {
        enum Payload {
            case numbers([Double])
            /// Class indices, written as the classifier's labels.
            case labels([Int], ClassifierResponse)
        }
        var name: String
        var datatype: String
        var shape: [Int]
        /// A classifier's probabilities name their classes in the tensor's parameters.
        var classes: [String]?
        var payload: Payload
        /// The contributions output names its last axis (the features, then "expected_value").
        var features: [String]? = nil
        /// Sent as binary data after the JSON (`binary_data_size` in its parameters).
        var binary: Bool
    }

    /// The infer answer: JSON, or (when any output is binary) JSON followed by the outputs' binary
    /// data, with `Inference-Header-Content-Length` naming the JSON's length.
    /// A variant's answer names it in `parameters.variant`.
    func inferResponse(_ loaded: LoadedModel, id: String?, first: UInt64, count: Int, outputs: [OutputTensor],
                       variant: String? = nil) -> Response {
        var w = JSONWriter(capacity: 192 + count * 40 * max(1, loaded.outputCount))
        var tail = ByteBufferAllocator().buffer(capacity: 0)
        w.raw(#"{"model_name":"#); w.string(loaded.model.name)
        w.raw(#","model_version":"#); w.string(loaded.model.version)
        if let id { w.raw(#","id":"#); w.string(id) }
        w.raw(#","parameters":{"request_ids":["#)
        w.requestIDs(prefix: ids.prefix, first: first, count: count)
        if let variant {
            w.raw(#"],"variant":"#); w.string(variant)
            w.raw(#"},"outputs":["#)
        } else {
            w.raw(#"]},"outputs":["#)
        }
        for (i, o) in outputs.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(o.name)
            w.raw(#","datatype":"#); w.string(o.datatype)
            w.raw(#","shape":["#)
            for (j, d) in o.shape.enumerated() {
                if j > 0 { w.raw(",") }
                w.int(d)
            }
            w.raw("]")
            var labelBytes = [[UInt8]]()
            if o.binary, case .labels(let indices, let c) = o.payload {
                // JSON literals without their quotes are the labels' UTF-8 only when nothing is escaped.
                labelBytes = indices.map { Array(c.spec.classes[$0].utf8) }
            }
            if o.classes != nil || o.features != nil || o.binary {
                w.raw(#","parameters":{"#)
                if let classes = o.classes {
                    w.raw(#""classes":"#); w.stringArray(classes)
                    if o.features != nil || o.binary { w.raw(",") }
                }
                if let features = o.features {
                    w.raw(#""features":"#); w.stringArray(features)
                    if o.binary { w.raw(",") }
                }
                if o.binary {
                    w.raw(#""binary_data_size":"#)
                    switch o.payload {
                    case .numbers(let xs): w.int(xs.count * 8)
                    case .labels: w.int(BinaryTensorWriter.byteCount(labelBytes))
                    }
                }
                w.raw("}")
            }
            if o.binary {
                switch o.payload {
                case .numbers(let xs): BinaryTensorWriter.fp64(xs, into: &tail)
                case .labels: BinaryTensorWriter.bytes(labelBytes, into: &tail)
                }
            } else {
                w.raw(#","data":["#)
                switch o.payload {
                case .numbers(let xs): w.numbers(xs)
                case .labels(let indices, let c): w.classLabels(indices: indices, c)
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("]}")
        guard outputs.contains(where: \.binary), let header = HTTPField.Name.inferenceHeaderContentLength else {
            return Self.json(.ok, w.buffer)
        }
        var body = w.buffer
        let jsonLength = body.readableBytes
        body.writeBuffer(&tail)
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", header: String(jsonLength)],
                        body: .init(byteBuffer: body))
    }

    /// The output an explainable model adds when a request names it: exact SHAP contributions.
    static let contributionsOutput = "contributions"

    /// `contributions`: FP64 [rows, scores, features + 1], each row's and score's contributions in
    /// the model's feature order followed by the expected value (LightGBM's `pred_contrib` layout);
    /// `parameters.classes` names the scores when there are several, `parameters.features` the last axis.
    static func contributionsTensor(_ c: ServedContributions, features: [String], rows: Int, binary: Bool) -> OutputTensor {
        let scores = c.outputs.count, nf = features.count
        var values = [Double]()
        values.reserveCapacity(rows * scores * (nf + 1))
        for i in 0..<rows {
            for k in 0..<scores {
                let start = (i * scores + k) * nf
                values.append(contentsOf: c.values[start..<(start + nf)])
                values.append(c.expectedValue[k])
            }
        }
        var tensor = OutputTensor(name: contributionsOutput, datatype: "FP64", shape: [rows, scores, nf + 1],
                                  classes: scores > 1 ? c.outputs : nil, payload: .numbers(values), binary: binary)
        tensor.features = features + ["expected_value"]
        return tensor
    }

    /// The outputs a model answers, in the order of an answer.
    static func outputNames(_ loaded: LoadedModel) -> [String] {
        loaded.classifier == nil ? ["predictions"] : ["label", "probabilities"]
    }

    /// One output an infer request asks for.
    struct RequestedOutput: Equatable {
        var name: String
        var binary: Bool
    }

    /// The outputs an infer request names in `"outputs": [{"name": …, "parameters": {"binary_data": …}}]`,
    /// in the model's order; all of them when it names none (absent, null or an empty list).
    /// An output is binary when its `binary_data` says so, else when the request's
    /// `parameters.binary_data_output` does.
    /// - Throws: `OIPError` naming an unknown output, a malformed list or parameter.
    static func requestedOutputs(_ root: JSONValue, model: String, outputs names: [String],
                                 onRequest extra: [String] = []) throws -> [RequestedOutput] {
        var binaryDefault = false
        if let parameters = root["parameters"], parameters != .null {
            guard parameters.objectValue != nil else { throw OIPError("parameters must be an object") }
            switch parameters["binary_data_output"] {
            case nil, .null?: break
            case .bool(let b)?: binaryDefault = b
            case let v?: throw OIPError("parameters.binary_data_output must be a boolean, got \(v.typeName)")
            }
        }
        guard let requested = root["outputs"], requested != .null, let items = requested.arrayValue, !items.isEmpty else {
            if let requested = root["outputs"], requested != .null, requested.arrayValue == nil {
                throw OIPError("outputs must be an array of {\"name\": …} objects")
            }
            return names.map { RequestedOutput(name: $0, binary: binaryDefault) }
        }
        var binary = [String: Bool]()
        for (i, item) in items.enumerated() {
            guard item.objectValue != nil else { throw OIPError("outputs[\(i)] must be an object") }
            guard let name = item["name"]?.stringValue else { throw OIPError("outputs[\(i)].name must be a string") }
            guard names.contains(name) || extra.contains(name) else {
                let known = names + extra
                throw OIPError("unknown output '\(name)'; model '\(model)' has output\(known.count == 1 ? "" : "s") \(known.joined(separator: ", "))")
            }
            var isBinary = binaryDefault
            if let parameters = item["parameters"], parameters != .null {
                guard parameters.objectValue != nil else { throw OIPError("outputs[\(i)].parameters must be an object") }
                switch parameters["binary_data"] {
                case nil, .null?: break
                case .bool(let b)?: isBinary = b
                case let v?: throw OIPError("outputs[\(i)].parameters.binary_data must be a boolean, got \(v.typeName)")
                }
                if let c = parameters["classification"], c != .null, c != .number(0) {
                    throw OIPError("outputs[\(i)] ('\(name)'): the classification extension is not supported; ask for 'label' and 'probabilities'")
                }
            }
            binary[name] = isBinary
        }
        return (names + extra).compactMap { n in binary[n].map { RequestedOutput(name: n, binary: $0) } }
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
        var data: TensorData   // flattened, row-major

        /// One element as a feature value.
        enum Element {
            case missing
            case number(Double)
            case string(String)
            /// A JSON value of the wrong kind for the datatype (its type name).
            case wrong(String)
        }

        /// Element `i`: JSON null and a binary NaN are missing; BOOL elements are 1 and 0.
        func element(_ i: Int) -> Element {
            switch data {
            case .numbers(let xs): return xs[i].isNaN ? .missing : .number(xs[i])
            case .strings(let s): return .string(s[i])
            case .json(let values):
                switch values[i] {
                case .null: return .missing
                case .number(let x): return datatype == "BOOL" ? .wrong("number") : .number(x)
                case .bool(let b): return datatype == "BOOL" ? .number(b ? 1 : 0) : .wrong("boolean")
                case .string(let s): return .string(s)
                case let other: return .wrong(other.typeName)
                }
            }
        }
    }

    /// A tensor's JSON `data` row-major: as it is when flat, else nested exactly as `shape`
    /// (every level as long as its dimension); nil for any other nesting.
    static func flatten(_ data: [JSONValue], shape: [Int]) -> [JSONValue]? {
        if !data.contains(where: { $0.arrayValue != nil }) { return data }
        var out = [JSONValue]()
        func walk(_ items: [JSONValue], _ depth: Int) -> Bool {
            guard depth < shape.count, items.count == shape[depth] else { return false }
            if depth == shape.count - 1 {
                guard !items.contains(where: { $0.arrayValue != nil }) else { return false }
                out.append(contentsOf: items)
                return true
            }
            for item in items {
                guard let sub = item.arrayValue, walk(sub, depth + 1) else { return false }
            }
            return true
        }
        return walk(data, 0) ? out : nil
    }

    /// Input `index` of a request, its data from the JSON or, with `binary_data_size`, from the
    /// request's binary part.
    static func tensor(_ v: JSONValue, index: Int, binary: inout BinaryTensorReader?) throws -> Tensor {
        guard case .object = v else { throw OIPError("inputs[\(index)] must be an object") }
        guard let name = v["name"]?.stringValue else { throw OIPError("inputs[\(index)].name must be a string") }
        guard let datatype = v["datatype"]?.stringValue else { throw OIPError("inputs[\(index)] ('\(name)'): datatype must be a string") }
        guard let shapeValues = v["shape"]?.arrayValue, !shapeValues.isEmpty else {
            throw OIPError("inputs[\(index)] ('\(name)'): shape must be a non-empty array of integers")
        }
        var shape = [Int]()
        var expected = 1
        for s in shapeValues {
            guard let d = s.doubleValue, d >= 0, d == d.rounded(), d < 1e12 else {
                throw OIPError("inputs[\(index)] ('\(name)'): shape must contain non-negative integers")
            }
            shape.append(Int(d))
            let (product, overflow) = expected.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= 1 << 40 else { throw OIPError("inputs[\(index)] ('\(name)'): shape \(shapeValues.map { $0.doubleValue ?? 0 }) is too large") }
            expected = product
        }
        var binarySize: Int?
        if let parameters = v["parameters"], parameters != .null {
            guard parameters.objectValue != nil else { throw OIPError("inputs[\(index)] ('\(name)'): parameters must be an object") }
            if let size = parameters["binary_data_size"], size != .null {
                guard let d = size.doubleValue, d >= 0, d == d.rounded(), d < 1e15 else {
                    throw OIPError("inputs[\(index)] ('\(name)'): binary_data_size must be a non-negative integer")
                }
                binarySize = Int(d)
            }
        }
        let data: TensorData
        if let binarySize {
            guard v["data"] == nil || v["data"] == .null else {
                throw OIPError("inputs[\(index)] ('\(name)'): has both data and binary_data_size")
            }
            guard var reader = binary else {
                throw OIPError("inputs[\(index)] ('\(name)'): binary_data_size needs the Inference-Header-Content-Length header (the length of the JSON before the binary data)")
            }
            data = try reader.take(size: binarySize, count: expected, datatype: datatype, input: name)
            binary = reader
        } else {
            guard let items = v["data"]?.arrayValue else { throw OIPError("inputs[\(index)] ('\(name)'): data must be an array") }
            guard let values = flatten(items, shape: shape) else {
                throw OIPError("inputs[\(index)] ('\(name)'): data must be flat or nested as its shape \(shape)")
            }
            guard values.count == expected else {
                throw OIPError("inputs[\(index)] ('\(name)'): shape \(shape) needs \(expected) values, data has \(values.count)")
            }
            data = .json(values)
        }
        return Tensor(name: name, shape: shape, datatype: datatype, data: data)
    }

    /// Converts an infer request into model-ordered rows; inputs with `binary_data_size` take
    /// their data from `binary`, which they must use up exactly.
    static func oipRows(_ root: JSONValue, layout: FeatureLayout, maxRows: Int, binary: inout BinaryTensorReader?) throws -> FeatureRows {
        guard case .object = root else { throw OIPError("request body must be a JSON object") }
        guard let inputs = root["inputs"]?.arrayValue, !inputs.isEmpty else {
            throw OIPError("request must have a non-empty 'inputs' array")
        }
        var tensors = [Tensor]()
        for (i, input) in inputs.enumerated() { tensors.append(try tensor(input, index: i, binary: &binary)) }
        if let left = binary?.remaining, left > 0 {
            throw OIPError("\(left) bytes of binary data follow the last input's binary_data_size")
        }
        let featureCount = layout.names.count
        if tensors.count == 1, tensors[0].shape.count == 2, layout.byName[tensors[0].name] == nil || featureCount > 1 {
            // Layout A: one [n, features] matrix.
            let t = tensors[0]
            guard t.shape[1] == featureCount else {
                throw OIPError("input '\(t.name)' has shape \(t.shape); expected [n, \(featureCount)] (features: \(layout.names.joined(separator: ", ")))")
            }
            guard numericFeatureDatatypes.contains(t.datatype) else {
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
                    switch t.element(i * featureCount + j) {
                    case .number(let x) where x.isFinite: rows.setNumber(row: row, feature: j, x)
                    case .missing where !isJSON(t.data): break  // a binary NaN: missing
                    default: throw OIPError("input '\(t.name)': element [\(i), \(j)] is not a \(t.datatype == "BOOL" ? "boolean" : "finite number")")
                    }
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
                guard numericFeatureDatatypes.contains(t.datatype) else {
                    throw OIPError("input '\(t.name)' is a numeric feature; datatype must be FP32/FP64/FP16/INT*/UINT* or BOOL, got \(t.datatype)")
                }
            } else {
                guard t.datatype == "BYTES" else {
                    throw OIPError("input '\(t.name)' is a categorical feature; datatype must be BYTES, got \(t.datatype)")
                }
            }
            for i in 0..<n {
                switch t.element(i) {
                case .missing: break
                case .number(let x) where numeric && x.isFinite: rows.setNumber(row: i, feature: f, x)
                case .string(let s) where !numeric: rows.setText(row: i, feature: f, s)
                case .number where numeric:
                    throw OIPError("input '\(t.name)': element [\(i)] is not finite")
                case .number: throw OIPError("input '\(t.name)': element [\(i)] must be a string, got number")
                case .string: throw OIPError("input '\(t.name)': element [\(i)] must be a \(t.datatype == "BOOL" ? "boolean" : "number"), got string")
                case .wrong(let type):
                    throw OIPError("input '\(t.name)': element [\(i)] must be a \(!numeric ? "string" : t.datatype == "BOOL" ? "boolean" : "number"), got \(type)")
                }
            }
        }
        return rows
    }

    static func isJSON(_ d: TensorData) -> Bool {
        if case .json = d { return true } else { return false }
    }
}
