// POST /predict?explain=true: the usual /predict answer plus each row's exact SHAP contributions.
import Foundation
import Hummingbird
import NIOCore

/// A served model that can explain its predictions.
public protocol ExplainableServableModel: ServableModel {
    /// Exact SHAP contributions of each input feature (`features`, in order) to each row's raw
    /// score. - Throws: a descriptive error when the model cannot be explained (e.g. a model file
    /// written before explanations were possible) or a row cannot be scored.
    func explain(_ rows: FeatureRows) throws -> ServedContributions
}

/// Contributions of one request's rows, as `ExplainableServableModel.explain` returns them.
public struct ServedContributions: Sendable {
    /// The raw scores explained: one unnamed score (regression, binary), or one per class.
    public var outputs: [String]
    /// rows × outputs × features, row-major.
    public var values: [Double]
    /// One per output: the score with no feature known.
    public var expectedValue: [Double]
    /// What a score is ("value", "log-odds of class 1", …).
    public var score: String

    public init(outputs: [String], values: [Double], expectedValue: [Double], score: String) {
        self.outputs = outputs
        self.values = values
        self.expectedValue = expectedValue
        self.score = score
    }
}

extension PlumbServer {
    /// Whether a /predict request asks for contributions (`?explain=true` or `?explain=1`).
    static func wantsExplanation(_ request: Request) -> Bool {
        guard let value = request.uri.queryParameters.get("explain") else { return false }
        return value == "true" || value == "1"
    }

    /// The /predict answer with `"contributions"` (per row: `{feature: value}`, or for several
    /// scores `{class: {feature: value}}`), `"expected_value"` (a number, or `{class: number}`)
    /// and `"explained_score"` added.
    func predictExplained(_ request: Request) async -> (Response, Int) {
        let body: ByteBuffer
        switch await readJSONBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        if variants != nil { return await predictExplainedByVariant(request, body: body) }
        guard let loaded = primary.current else { return (Self.error(.serviceUnavailable, "no model is loaded yet"), 0) }
        guard let model = loaded.model as? any ExplainableServableModel else {
            return (Self.error(.badRequest, "model \(loaded.model.name) (\(loaded.model.kind)) cannot explain its predictions"), 0)
        }
        let decoder = PredictRequestDecoder(layout: loaded.layout, maxRows: configuration.maxBatchRows)
        let rows: FeatureRows
        switch body.withUnsafeReadableBytes({ decoder.decode($0) }) {
        case .invalid(let issues): return (Self.validation(issues), 0)
        case .rows(let r, _): rows = r
        }
        let explained: ServedContributions
        do {
            explained = try model.explain(rows)
        } catch {
            return (Self.validation([.init(loc: [.key("body")], msg: "the model could not explain the input: \(error)", type: "explanation_error")]), 0)
        }
        switch answerPredict(body) {
        case .failed(let response):
            return (response, 0)
        case .answered(let json, let batch, _):
            // The same model must have answered both (a reload in between would mix versions).
            guard primary.current?.model.version == loaded.model.version else {
                return (Self.error(.serviceUnavailable, "the model changed while the request was answered; retry"), 0)
            }
            await log.enqueue(batch)
            return (Self.json(.ok, Self.appendingContributions(json, explained, model: model, rows: rows.count)), batch.count)
        }
    }

    /// `predictExplained` on a server with variants: the request is answered first (routing
    /// picks the variant), then explained by the model that answered it.
    func predictExplainedByVariant(_ request: Request, body: ByteBuffer) async -> (Response, Int) {
        switch answerPredict(body, routingKey: routingKeyHeader(request)) {
        case .failed(let response):
            return (response, 0)
        case .answered(let json, let batch, let variant):
            let box = variant.flatMap { variants?.variants[$0].box } ?? primary
            guard let loaded = box.current, loaded.model.name == batch.modelName, loaded.model.version == batch.modelVersion else {
                return (Self.error(.serviceUnavailable, "the model changed while the request was answered; retry"), 0)
            }
            guard let model = loaded.model as? any ExplainableServableModel else {
                return (Self.error(.badRequest, "model \(loaded.model.name) (\(loaded.model.kind)) cannot explain its predictions"), 0)
            }
            let explained: ServedContributions
            do {
                explained = try model.explain(batch.rows)
            } catch {
                return (Self.validation([.init(loc: [.key("body")], msg: "the model could not explain the input: \(error)", type: "explanation_error")]), 0)
            }
            await log.enqueue(batch)
            return (Self.json(.ok, Self.appendingContributions(json, explained, model: model, rows: batch.count), extra: variantFields(variant)),
                    batch.count)
        }
    }

    /// An answer's JSON object with the contributions added before its closing brace.
    static func appendingContributions(_ answer: ByteBuffer, _ explained: ServedContributions, model: any ExplainableServableModel,
                                       rows: Int) -> ByteBuffer {
        var json = answer
        json.moveWriterIndex(to: json.writerIndex - 1)
        var w = JSONWriter(capacity: 64 + rows * model.features.count * 32 * explained.outputs.count)
        writeContributions(&w, explained, features: model.features.map(\.name), rows: rows)
        var tail = w.buffer
        json.writeBuffer(&tail)
        return json
    }

    static func writeContributions(_ w: inout JSONWriter, _ c: ServedContributions, features: [String], rows: Int) {
        let nf = features.count, m = c.outputs.count
        func block(_ base: Int) {
            w.raw("{")
            for (j, name) in features.enumerated() {
                if j > 0 { w.raw(",") }
                w.string(name); w.raw(":"); w.number(c.values[base + j])
            }
            w.raw("}")
        }
        w.raw(#","contributions":["#)
        for i in 0..<rows {
            if i > 0 { w.raw(",") }
            if m == 1 {
                block(i * nf)
            } else {
                w.raw("{")
                for k in 0..<m {
                    if k > 0 { w.raw(",") }
                    w.string(c.outputs[k]); w.raw(":"); block((i * m + k) * nf)
                }
                w.raw("}")
            }
        }
        w.raw(#"],"expected_value":"#)
        if m == 1 {
            w.number(c.expectedValue[0])
        } else {
            w.raw("{")
            for k in 0..<m {
                if k > 0 { w.raw(",") }
                w.string(c.outputs[k]); w.raw(":"); w.number(c.expectedValue[k])
            }
            w.raw("}")
        }
        w.raw(#","explained_score":"#)
        w.string(c.score)
        w.raw("}")
    }
}
