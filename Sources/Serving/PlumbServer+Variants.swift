// The variant admin routes: POST /admin/switch (blue-green: all traffic to one variant, at once)
// and GET /admin/variants (each variant's model, weight and the one taking all traffic).
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

extension HTTPField.Name {
    /// Request header: the routing key that picks a variant (a user or session id, …).
    static let plumbKey = HTTPField.Name("X-Plumb-Key")
    /// Response header: the variant that answered.
    static let plumbVariant = HTTPField.Name("X-Plumb-Variant")
}

extension PlumbServer {
    /// POST /admin/switch `{"to": "<variant>"}`: from now on every request goes to that variant
    /// (its weight 100, the others 0). Requests already routed finish on the variant they
    /// started with; the answer is sent after the switch, so any request sent after it arrives
    /// goes to the new variant. Switching back is the same call: every variant stays loaded.
    /// 404 when admin routes are disabled, 401 without the token, 409 on a server without
    /// variants, 422 for a body that names no known variant, 503 when that variant has no model.
    func adminSwitch(_ request: Request) async -> (Response, Int) {
        if let refusal = adminRefusal(request) { return (refusal, 0) }
        guard let router = variants else {
            return (Self.error(.conflict, "this server has no variants to switch between (start it with --standby, --canary or --variant)"), 0)
        }
        let body: ByteBuffer
        switch await readJSONBody(request) {
        case .success(let b): body = b
        case .failure(let f): return (f.response, 0)
        }
        let known = router.names.map { "'\($0)'" }.joined(separator: ", ")
        let root: JSONValue
        do {
            root = try body.withUnsafeReadableBytes { try JSONValue.parse($0) }
        } catch {
            return (Self.validation([.init(loc: [.key("body")], msg: "JSON decode error: \(error)", type: "json_invalid")]), 0)
        }
        guard root.objectValue != nil else {
            return (Self.validation([.init(loc: [.key("body")], msg: "Input should be a valid object", type: "model_attributes_type")]), 0)
        }
        guard let to = root["to"]?.stringValue else {
            return (Self.validation([.init(loc: [.key("body"), .key("to")], msg: "Field required: the name of a variant (\(known))", type: "missing")]), 0)
        }
        guard let index = router.index(of: to) else {
            return (Self.validation([.init(loc: [.key("body"), .key("to")], msg: "Unknown variant '\(to)': the variants are \(known)", type: "enum")]), 0)
        }
        guard router.variants[index].box.current != nil else {
            return (Self.error(.serviceUnavailable, "variant '\(to)' has no model loaded yet"), 0)
        }
        let previous = router.switchAll(to: index)
        let from = router.active(previous).map { router.variants[$0].name }
        logger.info("switched all traffic to variant \(to)\(from.map { " (from \($0))" } ?? "")")
        var w = JSONWriter(capacity: 256)
        w.raw(#"{"active":"#); w.string(to)
        w.raw(#","previous":"#)
        if let from { w.string(from) } else { w.raw("null") }
        w.raw(#","variants":"#)
        writeVariants(&w, router, weights: router.currentWeights)
        w.raw("}")
        return (Self.json(.ok, w.buffer), 0)
    }

    /// GET /admin/variants: `{"active": name or null, "route_by": feature or null, "variants":
    /// [{"name", "source", "model": {name, version} or null, "weight", "percent", "configured_weight"}]}`.
    func adminVariants(_ request: Request) -> Response {
        if let refusal = adminRefusal(request) { return refusal }
        guard let router = variants else {
            return Self.error(.conflict, "this server has no variants (start it with --standby, --canary or --variant)")
        }
        let weights = router.currentWeights
        var w = JSONWriter(capacity: 512)
        w.raw(#"{"active":"#)
        if let a = router.active(weights) { w.string(router.variants[a].name) } else { w.raw("null") }
        w.raw(#","route_by":"#)
        if let r = router.routeBy { w.string(r) } else { w.raw("null") }
        w.raw(#","variants":"#)
        writeVariants(&w, router, weights: weights)
        w.raw("}")
        return Self.json(.ok, w.buffer)
    }

    func writeVariants(_ w: inout JSONWriter, _ router: VariantRouter, weights: [Double]) {
        let total = weights.reduce(0, +)
        w.raw("[")
        for (i, v) in router.variants.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(v.name)
            w.raw(#","source":"#); w.string(v.provider.description)
            w.raw(#","model":"#)
            if let m = v.box.current?.model { writeModelRef(&w, m) } else { w.raw("null") }
            w.raw(#","weight":"#); w.number(weights[i])
            w.raw(#","percent":"#); w.number(total > 0 ? 100 * weights[i] / total : 0)
            w.raw(#","configured_weight":"#); w.number(v.configuredWeight)
            w.raw("}")
        }
        w.raw("]")
    }
}
