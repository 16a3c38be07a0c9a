import Drift
import Foundation
import Serving
import Tabular
import Tracking

extension PipelineRunner {
    /// The spec's canary rollout: a server holding the champion and the challenger, the holdout
    /// replayed through it one row a request (the challenger answering `rollout.percent` % of
    /// them, chosen by a stable hash of each row's key), the labels fed back, and the two
    /// variants compared on them as `plumb monitor --compare-variants` compares them. The
    /// comparison is kept on the pipeline run (tag `canary`).
    /// - Returns: whether the comparison recommends promoting the challenger.
    func canaryRecommendsPromotion(_ challenger: Int, over champion: Int, holdout: Table, _ run: RunContext) async throws -> Bool {
        try Task.checkCancellation()
        let name = spec.registry.modelName
        let percent = spec.rollout.percent
        let variants = try VariantConfiguration(variants: [
            ServedVariant(name: "champion", weight: 100 - percent,
                          provider: LocatorModelProvider(reference: "models:/\(name)/\(champion)", storePath: storePath)),
            ServedVariant(name: "canary", weight: percent,
                          provider: LocatorModelProvider(reference: "models:/\(name)/\(challenger)", storePath: storePath)),
        ])
        let served = try await startServer(run) { config, sink, logger in
            PlumbServer(configuration: config, variants: variants, sink: sink, logger: logger)
        }
        defer { served.task.cancel() }
        run.log("canary", "serving v\(champion) as champion and v\(challenger) as canary (\(fmtPercent(percent)) %) at \(served.base)")
        let start = Date()
        guard let features = served.server.model?.features else { throw PipelineError(step: "canary", message: "the canary server has no model loaded") }
        let sent = try await HTTPReplay.replay(holdout, target: spec.data.target, base: served.base, features: features, batch: 1,
                                               routingKey: { "holdout-\($0)" })
        try await served.server.flushPredictionLog()
        run.log("canary", "\(sent.requests) /predict calls and \(sent.feedback) /feedback calls in \(sent.seconds.fixed3) s")

        let records = try run.store.predictions(model: name, since: start.addingTimeInterval(-1), limit: 1_000_000)
        let classifier = records.contains { $0.classes != nil }
        let review = try VariantReview.review(records.compactMap(Monitor.loggedOutcome), metric: classifier ? .errorRate : .absoluteError,
                                              request: VariantReviewRequest(champion: "champion", options: ComparisonOptions(alpha: spec.rollout.alpha)),
                                              source: "canary replay")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try run.store.setTag(run: run.parent, key: "canary", value: String(decoding: try encoder.encode(review), as: UTF8.self))
        guard let verdict = review.comparisons.first else {
            throw PipelineError(step: "canary", message: "the canary answered no labelled request (\(holdout.rowCount) holdout rows at \(percent) %)")
        }
        let metric = review.metric == .absoluteError ? "MAE" : "error rate"
        run.log("canary", "\(metric) champion \(verdict.championValue.fixed4) (\(verdict.championRows) rows), canary \(verdict.candidateValue.fixed4) (\(verdict.candidateRows) rows): \(verdict.reason)")
        run.log("canary", "recommendation: \(verdict.recommendation.rawValue.replacingOccurrences(of: "_", with: " "))"
            + (verdict.rowsNeeded.map { " (about \($0) more labelled rows per variant)" } ?? ""))
        return verdict.recommendation == .promoteCandidate
    }
}

/// 20 → "20", 12.5 → "12.5".
private func fmtPercent(_ p: Double) -> String { p == p.rounded() ? String(Int(p)) : String(p) }
