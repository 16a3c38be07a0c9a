// Route table and the plain (non-OIP) handlers. Handlers never throw: every failure becomes a JSON
// error response, and every request is counted and timed under its route label.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

extension PlumbServer {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/predict") { req, _ in await self.timed(.predict) { await self.predict(req) } }
        router.post("/feedback") { req, _ in await self.timed(.feedback) { await self.feedback(req) } }
        router.get("/health") { _, _ in await self.timed(.health) { (Self.json(.ok, #"{"status":"ok"}"#), 0) } }
        router.get("/ready") { _, _ in await self.timed(.ready) { (self.readiness(), 0) } }
        router.get("/model") { _, _ in await self.timed(.model) { (self.modelInfo(), 0) } }
        router.get("/openapi.json") { _, _ in await self.timed(.openapi) { (self.openAPIResponse(), 0) } }
        router.get("/metrics") { _, _ in await self.timed(.metrics) { (self.metricsResponse(), 0) } }
        router.post("/admin/reload") { req, _ in await self.timed(.adminReload) { await self.adminReload(req) } }
        router.post("/admin/switch") { req, _ in await self.timed(.adminSwitch) { await self.adminSwitch(req) } }
        router.get("/admin/variants") { req, _ in await self.timed(.adminVariants) { (self.adminVariants(req), 0) } }
        router.get("/v2") { _, _ in await self.timed(.v2) { (self.v2ServerMetadata(), 0) } }
        router.get("/v2/health/live") { _, _ in await self.timed(.v2Live) { (Self.json(.ok, #"{"live":true}"#), 0) } }
        router.get("/v2/health/ready") { _, _ in
            await self.timed(.v2Ready) {
                self.primary.current == nil ? (Self.json(.serviceUnavailable, #"{"ready":false}"#), 0) : (Self.json(.ok, #"{"ready":true}"#), 0)
            }
        }
        router.get("/v2/models/:name") { _, ctx in
            await self.timed(.v2Model) { (self.v2ModelMetadata(name: ctx.parameters.get("name") ?? "", version: nil), 0) }
        }
        router.get("/v2/models/:name/versions/:version") { _, ctx in
            await self.timed(.v2Model) {
                (self.v2ModelMetadata(name: ctx.parameters.get("name") ?? "", version: ctx.parameters.get("version")), 0)
            }
        }
        router.get("/v2/models/:name/ready") { _, ctx in
            await self.timed(.v2ModelReady) { (self.v2ModelReady(name: ctx.parameters.get("name") ?? "", version: nil), 0) }
        }
        router.get("/v2/models/:name/versions/:version/ready") { _, ctx in
            await self.timed(.v2ModelReady) {
                (self.v2ModelReady(name: ctx.parameters.get("name") ?? "", version: ctx.parameters.get("version")), 0)
            }
        }
        router.post("/v2/models/:name/infer") { req, ctx in
            await self.timed(.v2Infer) { await self.v2Infer(req, name: ctx.parameters.get("name") ?? "", version: nil) }
        }
        router.post("/v2/models/:name/versions/:version/infer") { req, ctx in
            await self.timed(.v2Infer) {
                await self.v2Infer(req, name: ctx.parameters.get("name") ?? "", version: ctx.parameters.get("version"))
            }
        }
    }

    /// Every route's path (`:x` matches one segment) and its one method, as `addRoutes` registers
    /// them: a request for one of these paths with another method is answered 405.
    static let routeTable: [(path: [Substring], method: HTTPRequest.Method)] = ([
        ("/predict", .post), ("/feedback", .post), ("/health", .get), ("/ready", .get), ("/model", .get),
        ("/openapi.json", .get), ("/metrics", .get), ("/admin/reload", .post), ("/admin/switch", .post),
        ("/admin/variants", .get), ("/v2", .get),
        ("/v2/health/live", .get), ("/v2/health/ready", .get), ("/v2/models/:name", .get),
        ("/v2/models/:name/versions/:version", .get), ("/v2/models/:name/ready", .get),
        ("/v2/models/:name/versions/:version/ready", .get), ("/v2/models/:name/infer", .post),
        ("/v2/models/:name/versions/:version/infer", .post),
    ] as [(String, HTTPRequest.Method)]).map { (path: $0.0.split(separator: "/"), method: $0.1) }

    /// The methods the routes matching `path` answer (empty for an unknown path).
    static func allowedMethods(path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routeTable.filter { route in
            route.path.count == segments.count && zip(route.path, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method)
    }

    /// 405 with `Allow` when the request's path is a route's but its method is none of them; nil
    /// otherwise (the router's own 404 stands).
    static func methodNotAllowed(_ request: Request) -> Response? {
        let allowed = allowedMethods(path: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method) else { return nil }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return error(.methodNotAllowed, "method \(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(list)",
                     extra: [.allow: list])
    }

    /// Runs a handler returning (response, rows scored) and records status, latency and predictions.
    func timed(_ route: RouteLabel, _ body: () async -> (Response, Int)) async -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let (response, predictions) = await body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds &- start) * 1e-9
        metrics.record(route: route, status: response.status.code, seconds: seconds, predictions: predictions)
        if let variants, let name = HTTPField.Name.plumbVariant, let v = Self.value(of: name, in: response.headers),
           let index = variants.index(of: v) {
            metrics.recordVariant(index, status: response.status.code, seconds: seconds, predictions: predictions)
        }
        return response
    }

    // MARK: response helpers

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var buffer = ByteBufferAllocator().buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        return json(status, buffer)
    }

    static func json(_ status: HTTPResponse.Status, _ buffer: ByteBuffer, extra: HTTPFields = [:]) -> Response {
        guard !extra.isEmpty else { return Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: buffer)) }
        var headers = jsonHeaders
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Built once: every JSON response shares its storage (copy-on-write).
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    /// `{"error": message}` with `status`.
    static func error(_ status: HTTPResponse.Status, _ message: String, extra: HTTPFields = [:]) -> Response {
        var w = JSONWriter(capacity: message.utf8.count + 16)
        w.raw(#"{"error":"#)
        w.string(message)
        w.raw("}")
        return json(status, w.buffer, extra: extra)
    }

    /// 422 `{"error":"validation","detail":[{"loc":[...],"msg":"...","type":"..."}, ...]}`.
    static func validation(_ issues: [ValidationIssue]) -> Response {
        var w = JSONWriter(capacity: 64 + issues.count * 96)
        w.raw(#"{"error":"validation","detail":["#)
        for (i, issue) in issues.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"loc":"#)
            w.loc(issue.loc)
            w.raw(#","msg":"#)
            w.string(issue.msg)
            w.raw(#","type":"#)
            w.string(issue.type)
            w.raw("}")
        }
        w.raw("]}")
        return json(.unprocessableContent, w.buffer)
    }

    /// Reads a JSON request body: 415 unless the content type is JSON, 413 over the size limit.
    func readJSONBody(_ request: Request) async -> Result<ByteBuffer, ResponseFailure> {
        let type = Self.value(of: .contentType, in: request.headers) ?? ""
        guard type == "application/json" || Self.isJSONMediaType(type) else {
            return .failure(.init(Self.error(.unsupportedMediaType,
                "Content-Type must be application/json, got '\(request.headers[.contentType] ?? "none")'")))
        }
        return await readBody(request)
    }

    /// Reads a request body whose type was checked: 413 over the size limit.
    func readBody(_ request: Request) async -> Result<ByteBuffer, ResponseFailure> {
        let limit = configuration.maxBodyBytes
        // Built only when needed: an error response costs as much as a small prediction.
        func tooLarge() -> ResponseFailure { ResponseFailure(Self.error(.contentTooLarge, "request body exceeds \(limit) bytes")) }
        if let length = Self.value(of: .contentLength, in: request.headers).flatMap({ Int($0) }), length > limit {
            return .failure(tooLarge())
        }
        do {
            return .success(try await request.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            return .failure(tooLarge())
        } catch {
            return .failure(.init(Self.error(.badRequest, "could not read the request body: \(error)")))
        }
    }

    /// A header's value, as `HTTPFields`' subscript gives it (several values joined by ", ").
    /// The subscript builds a new joined string even for a single value (3–4 % of a single-row
    /// request); a lone value is returned as it is here.
    static func value(of name: HTTPField.Name, in fields: HTTPFields) -> String? {
        var found: String?
        for field in fields where field.name == name {
            if found != nil { return fields[name] }
            found = field.value
        }
        return found
    }

    /// True for `application/json` or `application/*+json`, any case, with optional parameters.
    static func isJSONMediaType(_ header: String) -> Bool {
        let type = header.lowercased()
        let media = type.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    struct ResponseFailure: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }

    // MARK: /predict

    func predict(_ request: Request) async -> (Response, Int) {
        if Self.wantsExplanation(request) { return await predictExplained(request) }  // PlumbServer+Explain.swift
        let body: ByteBuffer
        switch await readJSONBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        switch answerPredict(body, routingKey: routingKeyHeader(request)) {
        case .failed(let response):
            return (response, 0)
        case .answered(let json, let batch, let variant):
            await log.enqueue(batch)
            return (Self.json(.ok, json, extra: variantFields(variant)), batch.count)
        }
    }

    /// A /predict body's answer: the JSON response, the rows to log and the index of the variant
    /// that answered (nil without variants), or an error response.
    enum PredictAnswer {
        case answered(json: ByteBuffer, log: PredictionLogBatch, variant: Int?)
        case failed(Response)
    }

    /// The variant that answers a request, and the key that chose it (nil: the request id).
    struct RoutedVariant {
        let index: Int
        let name: String
        let key: String?
    }

    /// Decodes, scores and writes the response to a /predict body; synchronous, so the event loop
    /// can answer small requests itself (`PredictFastPath`). Logging the batch is the caller's.
    /// - Parameter routingKey: the request's `X-Plumb-Key` header (read only when the server has variants).
    func answerPredict(_ body: ByteBuffer, routingKey: String? = nil) -> PredictAnswer {
        if let variants { return answerRouted(body, variants, header: routingKey) }
        guard let loaded = primary.current else {
            return .failed(Self.error(.serviceUnavailable, "no model is loaded yet"))
        }
        let decoder = PredictRequestDecoder(layout: loaded.layout, maxRows: configuration.maxBatchRows)
        let outcome = body.withUnsafeReadableBytes { decoder.decode($0) }
        let rows: FeatureRows
        let batch: Bool
        switch outcome {
        case .invalid(let issues): return .failed(Self.validation(issues))
        case .rows(let r, let b): rows = r; batch = b
        }
        let predictions: [Double]
        switch score(loaded, rows) {
        case .success(let p): predictions = p
        case .failure(let f): return .failed(f.response)
        }
        return answerScored(loaded, rows: rows, predictions: predictions, batch: batch, first: nil, variant: nil)
    }

    /// `answerPredict` for a server with variants: the rows are decoded with the served model's
    /// layout (every variant shares it), the routing key picks the variant, which scores them.
    func answerRouted(_ body: ByteBuffer, _ router: VariantRouter, header: String?) -> PredictAnswer {
        guard let reference = primary.current else {
            return .failed(Self.error(.serviceUnavailable, "no model is loaded yet"))
        }
        let decoder = PredictRequestDecoder(layout: reference.layout, maxRows: configuration.maxBatchRows)
        let rows: FeatureRows
        let batch: Bool
        switch body.withUnsafeReadableBytes({ decoder.decode($0) }) {
        case .invalid(let issues): return .failed(Self.validation(issues))
        case .rows(let r, let b): rows = r; batch = b
        }
        let (routed, first) = route(router, header: header, rows: rows, layout: reference.layout)
        // A failure after routing names the variant too (and is counted under it).
        func failed(_ response: Response) -> PredictAnswer {
            var r = response
            r.headers.append(contentsOf: variantFields(routed.index))
            return .failed(r)
        }
        guard let loaded = router.variants[routed.index].box.current else {
            return failed(Self.error(.serviceUnavailable, "variant '\(routed.name)' has no model loaded yet"))
        }
        let predictions: [Double]
        switch score(loaded, rows) {
        case .success(let p): predictions = p
        case .failure(let f): return failed(f.response)
        }
        return answerScored(loaded, rows: rows, predictions: predictions, batch: batch, first: first, variant: routed)
    }

    /// Picks the variant for a request's rows; reserves their request ids (the last routing key).
    func route(_ router: VariantRouter, header: String?, rows: FeatureRows, layout: FeatureLayout) -> (RoutedVariant, first: UInt64) {
        let key = router.routingKey(header: header, rows: rows, layout: layout)
        let first = ids.reserve(rows.count)
        let index = router.pick(key: key ?? ids.prefix + String(first, radix: 16))
        return (RoutedVariant(index: index, name: router.variants[index].name, key: key), first)
    }

    /// The answer to scored rows: ids from `first` (reserved now when nil), `"variant"` after
    /// `"model"` when a variant answered.
    func answerScored(_ loaded: LoadedModel, rows: FeatureRows, predictions: [Double], batch: Bool, first reserved: UInt64?,
                      variant: RoutedVariant?) -> PredictAnswer {
        if let classifier = loaded.classifier {
            return answerClassifier(loaded, classifier, rows: rows, probabilities: predictions, batch: batch, first: reserved, variant: variant)
        }
        let first = reserved ?? ids.reserve(rows.count)
        let prefix = ids.prefix
        let entry = logBatch(loaded, rows: rows, predictions: predictions, firstID: first, variant: variant)
        var w = JSONWriter(capacity: batch ? 64 + rows.count * 48 : 128)
        if batch {
            w.raw(#"{"predictions":["#)
            w.numbers(predictions)
            w.raw(#"],"model":"#)
            writeModelRef(&w, loaded.model)
            writeVariant(&w, variant)
            w.raw(#","request_ids":["#)
            w.requestIDs(prefix: prefix, first: first, count: rows.count)
            w.raw("]}")
        } else {
            w.raw(#"{"prediction":"#)
            w.number(predictions[0])
            w.raw(#","model":"#)
            writeModelRef(&w, loaded.model)
            writeVariant(&w, variant)
            w.raw(#","request_id":"#)
            w.requestIDs(prefix: prefix, first: first, count: 1)
            w.raw("}")
        }
        return .answered(json: w.buffer, log: entry, variant: variant?.index)
    }

    /// A classifier's /predict answer: one row `{"label":…,"probabilities":{…},"model":…,"request_id":…}`,
    /// a batch `{"predictions":[{"label":…,"probabilities":{…}},…],"model":…,"request_ids":[…]}`.
    func answerClassifier(_ loaded: LoadedModel, _ classifier: ClassifierResponse, rows: FeatureRows,
                          probabilities: [Double], batch: Bool, first reserved: UInt64? = nil, variant: RoutedVariant? = nil) -> PredictAnswer {
        let indices = classifier.spec.classIndices(probabilities)
        let first = reserved ?? ids.reserve(rows.count)
        let prefix = ids.prefix
        let entry = logBatch(loaded, rows: rows, predictions: indices.map(Double.init), probabilities: probabilities, firstID: first,
                             variant: variant)
        var w = JSONWriter(capacity: batch ? 64 + rows.count * (classifier.rowBound + 24) : 128 + classifier.rowBound)
        if batch {
            w.raw(#"{"predictions":["#)
            w.classPredictions(indices: indices, probabilities: probabilities, classifier)
            w.raw(#"],"model":"#)
            writeModelRef(&w, loaded.model)
            writeVariant(&w, variant)
            w.raw(#","request_ids":["#)
            w.requestIDs(prefix: prefix, first: first, count: rows.count)
            w.raw("]}")
        } else {
            w.raw("{")
            w.classPrediction(row: 0, indices: indices, probabilities: probabilities, classifier)
            w.raw(#","model":"#)
            writeModelRef(&w, loaded.model)
            writeVariant(&w, variant)
            w.raw(#","request_id":"#)
            w.requestIDs(prefix: prefix, first: first, count: 1)
            w.raw("}")
        }
        return .answered(json: w.buffer, log: entry, variant: variant?.index)
    }

    /// `,"variant":"name"` when a variant answered.
    func writeVariant(_ w: inout JSONWriter, _ variant: RoutedVariant?) {
        guard let variant else { return }
        w.raw(#","variant":"#)
        w.string(variant.name)
    }

    /// The request's `X-Plumb-Key` header; nil without variants (not even looked for).
    func routingKeyHeader(_ request: Request) -> String? {
        guard variants != nil, let name = HTTPField.Name.plumbKey else { return nil }
        return Self.value(of: name, in: request.headers)
    }

    /// `X-Plumb-Variant: name` for a response a variant answered; empty otherwise.
    func variantFields(_ index: Int?) -> HTTPFields {
        guard let index, let variants, let name = HTTPField.Name.plumbVariant else { return [:] }
        return [name: variants.variants[index].name]
    }

    /// Scores decoded rows with the loaded model: a 422 when the model refuses them, a 500 when it
    /// answers the wrong number of values (one per row, or one per row and class).
    func score(_ loaded: LoadedModel, _ rows: FeatureRows) -> Result<[Double], ResponseFailure> {
        let predictions: [Double]
        do {
            predictions = try loaded.model.predict(rows)
        } catch {
            return .failure(.init(Self.validation([.init(loc: [.key("body")], msg: "the model could not score the input: \(error)", type: "prediction_error")])))
        }
        guard predictions.count == rows.count * loaded.outputCount else {
            return .failure(.init(Self.error(.internalServerError, loaded.classifier == nil
                ? "model returned \(predictions.count) predictions for \(rows.count) rows"
                : "model returned \(predictions.count) probabilities for \(rows.count) rows of \(loaded.outputCount) classes")))
        }
        return .success(predictions)
    }

    func writeModelRef(_ w: inout JSONWriter, _ m: any ServableModel) {
        w.raw(#"{"name":"#)
        w.string(m.name)
        w.raw(#","version":"#)
        w.string(m.version)
        w.raw("}")
    }

    /// A request's rows and predictions as one prediction-log batch, ids from `firstID` on. A
    /// classifier's predictions are its class indices, with its probabilities (rows × classes).
    func logBatch(_ loaded: LoadedModel, rows: FeatureRows, predictions: [Double], probabilities: [Double]? = nil,
                  firstID: UInt64, variant: RoutedVariant? = nil) -> PredictionLogBatch {
        PredictionLogBatch(idPrefix: ids.prefix, firstCounter: firstID, time: Date(), modelName: loaded.model.name,
                           modelVersion: loaded.model.version, featureNames: loaded.layout.names, rows: rows,
                           predictions: predictions, classes: loaded.classifier?.spec.classes, probabilities: probabilities,
                           variant: variant?.name, routingKey: variant?.key)
    }

    /// Queues the request's rows and predictions as one log batch (no I/O on the request path;
    /// waits only while the log queue is full).
    func logPredictions(_ loaded: LoadedModel, rows: FeatureRows, predictions: [Double], probabilities: [Double]? = nil,
                        firstID: UInt64, variant: RoutedVariant? = nil) async {
        await log.enqueue(logBatch(loaded, rows: rows, predictions: predictions, probabilities: probabilities, firstID: firstID,
                                   variant: variant))
    }

    // MARK: /feedback

    /// POST /feedback `{"request_id": …, "actual": …}`: a regression's observed number, or a
    /// classifier's observed class (a label, or a number naming the label written that way).
    /// Which one applies is decided by the model that answered the request, not the one served
    /// now. Answers 422 for a malformed body or an unknown label, 404 for an unknown id.
    func feedback(_ request: Request) async -> (Response, Int) {
        let body: ByteBuffer
        switch await readJSONBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        let root: JSONValue
        do {
            root = try body.withUnsafeReadableBytes { try JSONValue.parse($0) }
        } catch let e as JSONParseError {
            return (Self.validation([.init(loc: [.key("body"), .index(e.offset)], msg: "JSON decode error: \(e)", type: "json_invalid")]), 0)
        } catch {
            return (Self.validation([.init(loc: [.key("body")], msg: "\(error)", type: "json_invalid")]), 0)
        }
        let decoded = Self.decodeFeedback(root, classifierServed: primary.current?.classifier != nil)
        // A label while a regression is served is refused as before, unless the request turns
        // out to have been answered by a classifier (before a swap): that lone issue waits for
        // the lookup.
        let onlyLabelRefused = decoded.issues == [Self.numberExpected]
        guard decoded.issues.isEmpty || onlyLabelRefused, let requestID = decoded.requestID, let actual = decoded.actual else {
            return (Self.validation(decoded.issues), 0)
        }
        do {
            // The prediction may still be queued: flush first so the sink knows every earlier id.
            try await log.flush()
            let output = try await log.sink.loggedOutput(requestID: requestID)
            if onlyLabelRefused, output == nil || output == .regression { return (Self.validation(decoded.issues), 0) }
            return (try await recordFeedback(requestID: requestID, actual: actual, answeredBy: output), 0)
        } catch {
            return (Self.error(.serviceUnavailable, "could not record feedback: \(error)"), 0)
        }
    }

    static let numberExpected = ValidationIssue(loc: [.key("body"), .key("actual")], msg: "Input should be a valid number", type: "float_type")

    /// A /feedback body's fields and every problem with them, in the order of its members
    /// (missing fields last). `actual` may be a number or a string: a string gets
    /// `numberExpected` when no classifier is served (see `feedback`).
    static func decodeFeedback(_ root: JSONValue, classifierServed: Bool)
        -> (requestID: String?, actual: FeatureValue?, issues: [ValidationIssue]) {
        guard let members = root.objectValue else {
            return (nil, nil, [.init(loc: [.key("body")], msg: "Input should be a valid object", type: "model_attributes_type")])
        }
        var issues = [ValidationIssue]()
        var requestID: String?
        var actual: FeatureValue?
        for m in members {
            switch (m.key, m.value) {
            case ("request_id", .string(let s)):
                requestID = s
            case ("request_id", _):
                issues.append(.init(loc: [.key("body"), .key("request_id")], msg: "Input should be a valid string", type: "string_type"))
            case ("actual", .number(let x)):
                actual = .number(x)
            case ("actual", .string(let s)):
                actual = .string(s)
                if !classifierServed { issues.append(numberExpected) }
            case ("actual", _):
                issues.append(classifierServed
                    ? .init(loc: [.key("body"), .key("actual")], msg: "Input should be a valid string (a class label) or number", type: "string_type")
                    : numberExpected)
            default:
                issues.append(.init(loc: [.key("body"), .key(m.key)], msg: "Extra inputs are not permitted", type: "extra_forbidden"))
            }
        }
        if root["request_id"] == nil {
            issues.append(.init(loc: [.key("body"), .key("request_id")], msg: "Field required", type: "missing"))
        }
        if root["actual"] == nil {
            issues.append(.init(loc: [.key("body"), .key("actual")], msg: "Field required", type: "missing"))
        }
        return (requestID, actual, issues)
    }

    /// Records `actual` for a logged request as the model that answered it (`answeredBy`, nil:
    /// never logged) takes it; the response to send.
    func recordFeedback(requestID: String, actual: FeatureValue, answeredBy output: LoggedOutput?) async throws -> Response {
        let unknownID = Self.error(.notFound, "unknown request_id '\(requestID)'")
        switch (output, actual) {
        case (nil, _):
            return unknownID
        case (.regression?, .string):
            return Self.validation([Self.numberExpected])
        case (.regression?, .number(let x)):
            guard try await log.sink.recordFeedback(requestID: requestID, actual: x) else { return unknownID }
            return Self.feedbackRecorded(requestID: requestID, label: nil)
        case (.classifier(let classes)?, _):
            let label = ClassifierSpec.labelText(actual)
            guard let index = classes.firstIndex(of: label) else {
                let known = classes.map { "'\($0)'" }.joined(separator: ", ")
                return Self.validation([.init(loc: [.key("body"), .key("actual")],
                                              msg: "Unknown label '\(label)': the model that answered request '\(requestID)' knows \(known)",
                                              type: "enum")])
            }
            guard try await log.sink.recordFeedback(requestID: requestID, label: label, classIndex: index) else { return unknownID }
            return Self.feedbackRecorded(requestID: requestID, label: label)
        }
    }

    /// `{"request_id":…,"recorded":true}`, with the label recorded for a classifier's request.
    static func feedbackRecorded(requestID: String, label: String?) -> Response {
        var w = JSONWriter()
        w.raw(#"{"request_id":"#)
        w.string(requestID)
        w.raw(#","recorded":true"#)
        if let label {
            w.raw(#","label":"#)
            w.string(label)
        }
        w.raw("}")
        return json(.ok, w.buffer)
    }

    // MARK: /ready, /model, /openapi.json, /metrics

    /// The document for the served model, built from its features and outputs when it was
    /// loaded; before any model is loaded, the generic one.
    func openAPIResponse() -> Response {
        let admin = configuration.adminToken != nil
        if let loaded = primary.current { return Self.json(.ok, admin ? loaded.openAPI : loaded.openAPIWithoutAdmin) }
        return Self.json(.ok, admin ? Self.genericOpenAPI : Self.genericOpenAPIWithoutAdmin)
    }

    static let genericOpenAPI = OpenAPIDocument.document(for: nil)
    static let genericOpenAPIWithoutAdmin = OpenAPIDocument.document(for: nil, adminEnabled: false)

    func readiness() -> Response {
        guard let loaded = primary.current else { return Self.json(.serviceUnavailable, #"{"ready":false}"#) }
        var w = JSONWriter()
        w.raw(#"{"ready":true,"model":"#)
        writeModelRef(&w, loaded.model)
        w.raw("}")
        return Self.json(.ok, w.buffer)
    }

    func modelInfo() -> Response {
        guard let loaded = primary.current else { return Self.error(.serviceUnavailable, "no model is loaded yet") }
        var w = JSONWriter(capacity: 1024)
        writeModelDescription(&w, loaded, source: provider.description)
        if let s = shadow?.current, let shadowProvider {
            w.buffer.moveWriterIndex(to: w.buffer.writerIndex - 1)  // reopen the object to add "shadow"
            w.raw(#","shadow":"#)
            writeModelDescription(&w, s, source: shadowProvider.description)
            w.raw("}")
        }
        return Self.json(.ok, w.buffer)
    }

    func writeModelDescription(_ w: inout JSONWriter, _ loaded: LoadedModel, source: String) {
        let m = loaded.model
        w.raw(#"{"name":"#); w.string(m.name)
        w.raw(#","version":"#); w.string(m.version)
        w.raw(#","kind":"#); w.string(m.kind)
        if let c = loaded.classifier?.spec {
            // A regression's description has none of these keys (unchanged since before classifiers).
            w.raw(#","task":"#); w.string(c.task.rawValue)
            w.raw(#","classes":"#); w.stringArray(c.classes)
            if c.task == .binary {
                w.raw(#","threshold":"#); w.number(c.threshold ?? 0.5)
            }
        }
        w.raw(#","source":"#); w.string(source)
        w.raw(#","loaded_at":"#); w.string(ISO8601DateFormatter().string(from: loaded.loadedAt))
        w.raw(#","features":["#)
        for (i, f) in m.features.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(f.name)
            w.raw(#","type":"#); w.string(f.kind.rawValue)
            if let levels = f.levels {
                w.raw(#","levels":["#)
                for (j, l) in levels.enumerated() {
                    if j > 0 { w.raw(",") }
                    w.string(l)
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw(#"],"metrics":{"#)
        for (i, key) in m.metrics.keys.sorted().enumerated() {
            if i > 0 { w.raw(",") }
            w.string(key); w.raw(":"); w.number(m.metrics[key] ?? .nan)
        }
        w.raw("}}")
    }

    func metricsResponse() -> Response {
        let weights = variants?.currentWeights ?? []
        let text = metrics.render(model: primary.current, shadow: shadow?.current, logQueueDepth: log.depth,
                                  variants: variants.map { zip($0.variants, weights).map { ($0.box.current, $1) } } ?? [])
        var buffer = ByteBufferAllocator().buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: buffer))
    }

    // MARK: /admin/reload

    /// nil when the request carries the admin bearer token; else the refusal: 404 when admin
    /// routes are disabled (no token configured), 401 for a missing or wrong token.
    func adminRefusal(_ request: Request) -> Response? {
        guard let token = configuration.adminToken else { return Self.error(.notFound, "not found") }
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), constantTimeEquals(String(header.dropFirst(7)), token) else {
            return Self.error(.unauthorized, "missing or wrong bearer token", extra: [.wwwAuthenticate: "Bearer"])
        }
        return nil
    }

    func adminReload(_ request: Request) async -> (Response, Int) {
        if let refusal = adminRefusal(request) { return (refusal, 0) }
        do {
            let swapped = try await reload()
            guard let loaded = primary.current else { return (Self.error(.serviceUnavailable, "no model is loaded"), 0) }
            var w = JSONWriter()
            w.raw(swapped ? #"{"reloaded":true,"model":"# : #"{"reloaded":false,"model":"#)
            writeModelRef(&w, loaded.model)
            w.raw("}")
            return (Self.json(.ok, w.buffer), 0)
        } catch {
            return (Self.error(.internalServerError, "reload failed: \(error)"), 0)
        }
    }
}

/// Compares secrets without an early exit on the first differing byte.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
