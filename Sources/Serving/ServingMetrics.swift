// Request counters and latency histograms rendered in the Prometheus text format (version 0.0.4).
// One uncontended lock per request; rendering copies the numbers out under the same lock.
import Foundation
import Synchronization

/// The routes the server knows, used as the `route` label (a closed set: no cardinality blow-up).
enum RouteLabel: Int, CaseIterable, Sendable {
    case predict, feedback, health, ready, model, openapi, metrics, adminReload, adminSwitch, adminVariants
    case v2, v2Live, v2Ready, v2Model, v2ModelReady, v2Infer

    var path: String {
        switch self {
        case .predict: return "/predict"
        case .feedback: return "/feedback"
        case .health: return "/health"
        case .ready: return "/ready"
        case .model: return "/model"
        case .openapi: return "/openapi.json"
        case .metrics: return "/metrics"
        case .adminReload: return "/admin/reload"
        case .adminSwitch: return "/admin/switch"
        case .adminVariants: return "/admin/variants"
        case .v2: return "/v2"
        case .v2Live: return "/v2/health/live"
        case .v2Ready: return "/v2/health/ready"
        case .v2Model: return "/v2/models/{name}"
        case .v2ModelReady: return "/v2/models/{name}/ready"
        case .v2Infer: return "/v2/models/{name}/infer"
        }
    }
}

/// Process-wide serving counters.
final class ServingMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
    static let buckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct State {
        var byRouteStatus: [Int: Int] = [:]          // key: route * 1000 + status
        var bucketCounts: [Int]                       // route-major, buckets.count + 1 per route
        var latencySum: [Double]
        var latencyCount: [Int]
        var predictions = 0
        var eventLoopAnswers = 0
        var shadowPredictions = 0
        var modelSwaps = 0
        var logDropped = 0
        var logWaits = 0
        var logWritten = 0
        var logErrors = 0
        /// Per variant (when the server has variants): requests by status, latency, rows scored.
        var variantStatus: [Int: Int] = [:]             // key: variant * 1000 + status
        var variantBuckets: [Int]                       // variant-major, buckets.count + 1 per variant
        var variantLatencySum: [Double]
        var variantPredictions: [Int]
    }

    private let state: Mutex<State>
    /// Names of the server's variants, in order (empty: no variants).
    let variantNames: [String]

    init(variants: [String] = []) {
        let routes = RouteLabel.allCases.count
        variantNames = variants
        state = Mutex(State(bucketCounts: [Int](repeating: 0, count: routes * (Self.buckets.count + 1)),
                            latencySum: [Double](repeating: 0, count: routes),
                            latencyCount: [Int](repeating: 0, count: routes),
                            variantBuckets: [Int](repeating: 0, count: variants.count * (Self.buckets.count + 1)),
                            variantLatencySum: [Double](repeating: 0, count: variants.count),
                            variantPredictions: [Int](repeating: 0, count: variants.count)))
    }

    /// Records one finished request answered by variant `variant` (besides its route's `record`).
    func recordVariant(_ variant: Int, status: Int, seconds: Double, predictions: Int) {
        guard variantNames.indices.contains(variant) else { return }
        var b = 0
        let bounds = Self.buckets
        while b < bounds.count && seconds > bounds[b] { b += 1 }
        state.withLock { s in
            s.variantStatus[variant * 1000 + status, default: 0] += 1
            s.variantBuckets[variant * (bounds.count + 1) + b] += 1
            s.variantLatencySum[variant] += seconds
            s.variantPredictions[variant] += predictions
        }
    }

    /// Requests answered by variant `variant` with `status` (for tests).
    func variantCount(_ variant: Int, status: Int) -> Int {
        state.withLock { $0.variantStatus[variant * 1000 + status] ?? 0 }
    }

    /// Records one finished request.
    func record(route: RouteLabel, status: Int, seconds: Double, predictions: Int = 0, onEventLoop: Bool = false) {
        var b = 0
        let bounds = Self.buckets
        while b < bounds.count && seconds > bounds[b] { b += 1 }
        let r = route.rawValue
        state.withLock { s in
            s.byRouteStatus[r * 1000 + status, default: 0] += 1
            s.bucketCounts[r * (bounds.count + 1) + b] += 1
            s.latencySum[r] += seconds
            s.latencyCount[r] += 1
            s.predictions += predictions
            if onEventLoop { s.eventLoopAnswers += 1 }
        }
    }

    func addShadowPredictions(_ n: Int) { state.withLock { $0.shadowPredictions += n } }
    func addModelSwap() { state.withLock { $0.modelSwaps += 1 } }
    func addLogDropped(_ n: Int) { state.withLock { $0.logDropped += n } }
    func addLogWait() { state.withLock { $0.logWaits += 1 } }
    func addLogWritten(_ n: Int) { state.withLock { $0.logWritten += n } }
    func addLogError() { state.withLock { $0.logErrors += 1 } }

    /// Requests answered on the event loop by `PredictFastPath`.
    var eventLoopAnswers: Int { state.withLock { $0.eventLoopAnswers } }

    /// Number of requests recorded for `route` with `status` (for tests and /metrics).
    func count(route: RouteLabel, status: Int) -> Int {
        state.withLock { $0.byRouteStatus[route.rawValue * 1000 + status] ?? 0 }
    }

    var predictions: Int { state.withLock { $0.predictions } }

    /// Renders every metric in the Prometheus text exposition format.
    func render(model: LoadedModel?, shadow: LoadedModel?, logQueueDepth: Int,
                variants: [(model: LoadedModel?, weight: Double)] = []) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out.reserveCapacity(8192)
        out += "# HELP plumb_http_requests_total HTTP requests by route and status code.\n"
        out += "# TYPE plumb_http_requests_total counter\n"
        for key in s.byRouteStatus.keys.sorted() {
            guard let route = RouteLabel(rawValue: key / 1000) else { continue }
            out += "plumb_http_requests_total{route=\"\(route.path)\",status=\"\(key % 1000)\"} \(s.byRouteStatus[key] ?? 0)\n"
        }
        out += "# HELP plumb_http_request_duration_seconds Request latency by route.\n"
        out += "# TYPE plumb_http_request_duration_seconds histogram\n"
        let nb = Self.buckets.count + 1
        for route in RouteLabel.allCases where s.latencyCount[route.rawValue] > 0 {
            let r = route.rawValue
            Self.renderHistogram("plumb_http_request_duration_seconds", label: "route=\"\(route.path)\"",
                                 counts: s.bucketCounts[(r * nb)..<((r + 1) * nb)], sum: s.latencySum[r], into: &out)
        }
        out += "# HELP plumb_predictions_total Rows scored by the primary model.\n"
        out += "# TYPE plumb_predictions_total counter\n"
        out += "plumb_predictions_total \(s.predictions)\n"
        out += "# HELP plumb_http_requests_on_event_loop_total Small /predict requests answered on the event loop (also counted in plumb_http_requests_total).\n"
        out += "# TYPE plumb_http_requests_on_event_loop_total counter\n"
        out += "plumb_http_requests_on_event_loop_total \(s.eventLoopAnswers)\n"
        out += "# HELP plumb_shadow_predictions_total Rows scored by the shadow model.\n"
        out += "# TYPE plumb_shadow_predictions_total counter\n"
        out += "plumb_shadow_predictions_total \(s.shadowPredictions)\n"
        out += "# HELP plumb_model_swaps_total Hot swaps of the served model.\n"
        out += "# TYPE plumb_model_swaps_total counter\n"
        out += "plumb_model_swaps_total \(s.modelSwaps)\n"
        out += "# HELP plumb_model_info The loaded model (value 1), labelled by role, name and version.\n"
        out += "# TYPE plumb_model_info gauge\n"
        for (role, m) in [("primary", model), ("shadow", shadow)] {
            guard let m else { continue }
            out += "plumb_model_info{role=\"\(role)\",name=\"\(labelEscape(m.model.name))\",version=\"\(labelEscape(m.model.version))\",kind=\"\(labelEscape(m.model.kind))\"} 1\n"
        }
        if !variantNames.isEmpty { renderVariants(s, variants, into: &out) }
        out += "# HELP plumb_prediction_log_queue_depth Logged predictions waiting to be written.\n"
        out += "# TYPE plumb_prediction_log_queue_depth gauge\n"
        out += "plumb_prediction_log_queue_depth \(logQueueDepth)\n"
        out += "# HELP plumb_prediction_log_written_total Logged predictions written to the sink.\n"
        out += "# TYPE plumb_prediction_log_written_total counter\n"
        out += "plumb_prediction_log_written_total \(s.logWritten)\n"
        out += "# HELP plumb_prediction_log_waits_total Pauses of 2 ms a request took waiting for room in a full log queue.\n"
        out += "# TYPE plumb_prediction_log_waits_total counter\n"
        out += "plumb_prediction_log_waits_total \(s.logWaits)\n"
        out += "# HELP plumb_prediction_log_dropped_total Predictions not logged: the queue stayed full for the longest wait (a failing sink).\n"
        out += "# TYPE plumb_prediction_log_dropped_total counter\n"
        out += "plumb_prediction_log_dropped_total \(s.logDropped)\n"
        out += "# HELP plumb_prediction_log_errors_total Failed sink writes (their predictions are retried).\n"
        out += "# TYPE plumb_prediction_log_errors_total counter\n"
        out += "plumb_prediction_log_errors_total \(s.logErrors)\n"
        return out
    }
}

extension ServingMetrics {
    /// One series of a latency histogram: cumulative `_bucket` lines for `buckets` and `+Inf`
    /// (`counts` holds one count per bucket and the overflow), then `_sum` and `_count`.
    static func renderHistogram(_ name: String, label: String, counts: ArraySlice<Int>, sum: Double, into out: inout String) {
        var cumulative = 0
        for (b, n) in counts.enumerated() {
            cumulative += n
            let le = b < buckets.count ? prometheusNumber(buckets[b]) : "+Inf"
            out += "\(name)_bucket{\(label),le=\"\(le)\"} \(cumulative)\n"
        }
        out += "\(name)_sum{\(label)} \(prometheusNumber(sum))\n"
        out += "\(name)_count{\(label)} \(cumulative)\n"
    }

    /// The per-variant families: requests by status, latency histogram, rows scored, the weight
    /// in force and the model each variant serves.
    private func renderVariants(_ s: State, _ variants: [(model: LoadedModel?, weight: Double)], into out: inout String) {
        let nb = Self.buckets.count + 1
        out += "# HELP plumb_variant_requests_total Requests answered by each variant (canary, A/B, blue-green), by status code.\n"
        out += "# TYPE plumb_variant_requests_total counter\n"
        for key in s.variantStatus.keys.sorted() where variantNames.indices.contains(key / 1000) {
            out += "plumb_variant_requests_total{variant=\"\(variantNames[key / 1000])\",status=\"\(key % 1000)\"} \(s.variantStatus[key] ?? 0)\n"
        }
        out += "# HELP plumb_variant_request_duration_seconds Latency of the requests each variant answered.\n"
        out += "# TYPE plumb_variant_request_duration_seconds histogram\n"
        for (v, name) in variantNames.enumerated() {
            Self.renderHistogram("plumb_variant_request_duration_seconds", label: "variant=\"\(name)\"",
                                 counts: s.variantBuckets[(v * nb)..<((v + 1) * nb)], sum: s.variantLatencySum[v], into: &out)
        }
        out += "# HELP plumb_variant_predictions_total Rows scored by each variant.\n"
        out += "# TYPE plumb_variant_predictions_total counter\n"
        for (v, name) in variantNames.enumerated() {
            out += "plumb_variant_predictions_total{variant=\"\(name)\"} \(s.variantPredictions[v])\n"
        }
        out += "# HELP plumb_variant_weight Share of traffic each variant receives now, in percent.\n"
        out += "# TYPE plumb_variant_weight gauge\n"
        let total = variants.reduce(0) { $0 + $1.weight }
        for (name, v) in zip(variantNames, variants) {
            out += "plumb_variant_weight{variant=\"\(name)\"} \(prometheusNumber(total > 0 ? 100 * v.weight / total : 0))\n"
        }
        out += "# HELP plumb_variant_info The model each variant serves (value 1).\n"
        out += "# TYPE plumb_variant_info gauge\n"
        for (name, v) in zip(variantNames, variants) {
            guard let m = v.model else { continue }
            out += "plumb_variant_info{variant=\"\(name)\",name=\"\(labelEscape(m.model.name))\",version=\"\(labelEscape(m.model.version))\"} 1\n"
        }
    }
}

/// Prometheus sample value: plain decimal where possible.
func prometheusNumber(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "+Inf" : "-Inf" }
    return "\(x)"
}

/// Escapes a Prometheus label value (backslash, quote, newline).
func labelEscape(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.append(c)
        }
    }
    return out
}
