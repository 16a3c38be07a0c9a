import Foundation
import GRDB
import MLCore
import Testing
@testable import Tracking

/// Segment, fairness and approval gates on Production; evaluations and approvals stored with a
/// version; the schema upgrade that adds them.
@Suite struct PromotionGateTests {
    func policy(_ json: String) throws -> PromotionPolicy {
        try JSONDecoder().decode(PromotionPolicy.self, from: Data(json.utf8))
    }

    /// A stored evaluation by `column` whose segments are `degradations` worse than all rows (RMSE 0.5).
    static func segments(_ column: String, _ degradations: [String: Double], rows: Int = 100) -> SegmentEvaluation {
        let overall = SegmentResult(column: column, segment: "all", rows: rows * degradations.count, metrics: ["rmse": 0.5],
                                    ci: ["rmse": .init(lower: 0.45, upper: 0.55)])
        let segs = degradations.keys.sorted().map { k in
            SegmentResult(column: column, segment: k, rows: rows, metrics: ["rmse": 0.5 * (1 + (degradations[k] ?? 0))], ci: [:],
                          flagged: (degradations[k] ?? 0) > 0.25, relativeDegradation: degradations[k])
        }
        return SegmentEvaluation(column: column, metric: "rmse", higherIsBetter: false, tolerance: 0.25, overall: overall, segments: segs)
    }

    static func fairness(_ sensitive: String, tprF: Double, tprM: Double) -> FairnessEvaluation {
        // Group F: 10 positives, 10 negatives; M likewise; FPR 0.1 in both.
        var truth: [Int] = [], predicted: [Int] = [], groups: [Int] = []
        for (g, tpr) in [(0, tprF), (1, tprM)] {
            for i in 0..<10 { truth.append(1); predicted.append(Double(i) < tpr * 10 ? 1 : 0); groups.append(g) }
            for i in 0..<10 { truth.append(0); predicted.append(i == 0 ? 1 : 0); groups.append(g) }
        }
        return FairnessEvaluation(sensitive: sensitive, positiveClass: "yes", rows: 40,
                                  metrics: FairnessMetrics(truth: truth, predicted: predicted, groups: groups, groupNames: ["F", "M"]))
    }

    @Test func policyReadsGatesAsObjectOrList() throws {
        let p = try policy(#"{"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25}, "fairness": [{"sensitive": "sex", "max_equalized_odds_difference": 0.1}], "require_approval": true}"#)
        #expect(p.segments == [.init(column: "ocean_proximity", maxRelativeDegradation: 0.25)])
        #expect(p.fairness == [.init(sensitive: "sex", maxEqualizedOddsDifference: 0.1)])
        #expect(p.requireApproval && p.hasProductionGates)
        #expect(p.metric == "r2" && p.productionThreshold == 0.75)
        // Round trip; a policy without gates encodes as before.
        #expect(try JSONDecoder().decode(PromotionPolicy.self, from: JSONEncoder().encode(p)) == p)
        let plain = String(decoding: try JSONEncoder().encode(PromotionPolicy.default), as: UTF8.self)
        #expect(!plain.contains("segments") && !plain.contains("require_approval"))
        #expect(throws: DecodingError.self) { try policy(#"{"segments": {"column": "c", "max_relative_degradation": -1}}"#) }
        #expect(throws: DecodingError.self) { try policy(#"{"fairness": {"sensitive": "sex"}}"#) }
    }

    /// v2 has the better R² but its INLAND segment is 40 % worse than all rows: v1 becomes
    /// champion and the outcome names the segment that failed.
    @Test func segmentGatePassesOverAVersionWithABadSegment() throws {
        let store = try makeStore()
        try registerVersion(store, model: "house", metrics: ["r2": 0.80, "rmse": 0.5])
        try registerVersion(store, model: "house", metrics: ["r2": 0.85, "rmse": 0.45])
        try store.recordEvaluations(model: "house", version: 1, VersionEvaluations(segments: [Self.segments("ocean_proximity", ["INLAND": 0.2, "NEAR BAY": -0.1])]), source: "test.csv")
        try store.recordEvaluations(model: "house", version: 2, VersionEvaluations(segments: [Self.segments("ocean_proximity", ["INLAND": 0.4, "NEAR BAY": -0.2])]), source: "test.csv")
        let p = try policy(#"{"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25}}"#)
        let o = try store.promote(model: "house", policy: p)
        #expect(o.champion == 1)
        #expect(o.refusals == ["v2: segment ocean_proximity=INLAND (100 rows) has rmse 0.7, 40.0 % worse than all rows (0.5); the limit is 25.0 %"])
        #expect(o.message.hasPrefix("v1 promoted to Production as champion") && o.message.contains("segment ocean_proximity=INLAND"))
        #expect(o.staged == [2])
        // A segment smaller than min_rows does not count.
        let lenient = try policy(#"{"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25, "min_rows": 101}}"#)
        #expect(try store.promote(model: "house", policy: lenient).champion == 2)
    }

    /// No stored evaluation: no version qualifies, and the message says how to record one.
    @Test func missingEvaluationRefusesWithTheCommandToRun() throws {
        let store = try makeStore()
        try registerVersion(store, model: "house", metrics: ["r2": 0.80])
        let o = try store.promote(model: "house", policy: try policy(#"{"segments": {"column": "ocean_proximity", "max_relative_degradation": 0.25}}"#))
        #expect(o.champion == nil && !o.changed)
        #expect(o.message == "no version qualifies for Production: v1 has no stored segment evaluation by ocean_proximity (record one: plumb evaluate --model models:/house/1 FILE --segment-by ocean_proximity --record); there is no champion")
    }

    /// Equalized odds difference 0.3 > 0.1: refused, naming the groups' true positive rates.
    @Test func fairnessGateNamesTheGroups() throws {
        let store = try makeStore()
        try registerVersion(store, model: "credit", metrics: ["roc_auc": 0.95])
        try registerVersion(store, model: "credit", metrics: ["roc_auc": 0.93])
        try store.recordEvaluations(model: "credit", version: 1, VersionEvaluations(fairness: [Self.fairness("sex", tprF: 0.6, tprM: 0.9)]), source: "holdout")
        try store.recordEvaluations(model: "credit", version: 2, VersionEvaluations(fairness: [Self.fairness("sex", tprF: 0.8, tprM: 0.85)]), source: "holdout")
        let p = try policy(#"{"metric": "roc_auc", "staging": "> 0.8", "production": "> 0.9", "fairness": {"sensitive": "sex", "max_equalized_odds_difference": 0.1}}"#)
        let o = try store.promote(model: "credit", policy: p)
        #expect(o.champion == 2)
        #expect(o.refusals == ["v1: equalized odds difference over sex is 0.3 > 0.1 (true positive rate 0.6 for F vs 0.9 for M)"])
        let stored = try store.evaluations(model: "credit", version: 2)
        #expect(stored.fairness.first?.metrics.equalizedOddsDifference ?? 1 < 0.1 + 1e-12)
    }

    /// require_approval: the best version stops at Staging until approved; the approval is an
    /// audit entry with the approver and reason, and the model card lists it.
    @Test func approvalIsRequiredForProduction() throws {
        let store = try makeStore()
        try registerVersion(store, model: "house", metrics: ["r2": 0.80])
        let p = try policy(#"{"require_approval": true}"#)
        let first = try store.promote(model: "house", policy: p)
        #expect(first.champion == nil && first.staged == [1])
        #expect(first.message == "v1 qualifies for Production but awaits approval (the policy requires it): staged; approve it with `plumb models approve house/1 --reason \"…\"`, then promote again; there is no champion")
        #expect(try store.version(model: "house", version: 1).stage == .staging)
        #expect(throws: TrackingError.self) { try store.approve(model: "house", version: 1, reason: "  ") }
        #expect(throws: TrackingError.self) { try store.approve(model: "house", version: 9, reason: "ok") }
        let entry = try store.approve(model: "house", version: 1, reason: "segments reviewed", by: "A. Chen")
        #expect(entry.action == "approve" && entry.user == "A. Chen" && entry.version == 1 && entry.from == "Staging")
        let second = try store.promote(model: "house", policy: p)
        #expect(second.champion == 1 && second.changed)
        #expect(try store.approvals(model: "house", version: 1).map(\.reason) == ["segments reviewed"])
        // Without the option nothing waits.
        try registerVersion(store, model: "free", metrics: ["r2": 0.80])
        #expect(try store.promote(model: "free").champion == 1)
        let card = try store.modelCard(ModelURI(name: "house", reference: .version(1)))
        #expect(card.contains("## Approvals") && card.contains("| A. Chen | segments reviewed |"))
    }

    /// The card lists the segment results stored with the version.
    @Test func modelCardListsSegmentResults() throws {
        let store = try makeStore()
        try registerVersion(store, model: "house", metrics: ["r2": 0.80])
        try store.recordEvaluations(model: "house", version: 1, VersionEvaluations(segments: [Self.segments("ocean_proximity", ["INLAND": 0.4])],
                                                                                     fairness: [Self.fairness("sex", tprF: 0.6, tprM: 0.9)]), source: "test.csv")
        let card = try store.modelCard(ModelURI(name: "house", reference: .version(1)))
        #expect(card.contains("## Performance by segment"))
        #expect(card.contains("| all rows | 100 | 0.5 | [0.45, 0.55] |  |  |"))
        #expect(card.contains("| INLAND | 100 | 0.7 |  | +40.0 % | yes |"))
        #expect(card.contains("equalized odds difference 0.3"))
        // Re-recording a column replaces it; the audit trail keeps both records.
        try store.recordEvaluations(model: "house", version: 1, VersionEvaluations(segments: [Self.segments("ocean_proximity", ["INLAND": 0.1])]), source: "new.csv")
        #expect(try store.evaluations(model: "house", version: 1).segments.first?.segments.first?.relativeDegradation == 0.1)
        #expect(try store.history(model: "house").filter { $0.action == "record_evaluation" }.map(\.reason) == ["test.csv", "new.csv"])
    }

    /// A registry written before evaluations existed (schema up to v4) upgrades without loss.
    @Test func storeWrittenBeforeEvaluationsUpgradesWithoutLoss() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-track-v4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("plumb.db").path
        do {
            let queue = try DatabaseQueue(path: path)
            try TrackingStore.migrator.migrate(queue, upTo: "v4-classifier-predictions")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO artifacts(sha256, size, created_ms) VALUES ('abc', 3, 1);
                    INSERT INTO registered_models(name, description, created_ms) VALUES ('house', 'old', 1);
                    INSERT INTO model_versions(model, version, run_id, artifact_sha256, description, stage, metrics_json, created_ms)
                        VALUES ('house', 1, NULL, 'abc', '', 'Production', '{"r2":0.8}', 2);
                    INSERT INTO registry_audit(time_ms, user, action, model, version, reason) VALUES (2, 'old-user', 'register', 'house', 1, 'before');
                    """)
            }
        }
        let store = try TrackingStore(path: path)
        #expect(try store.appliedMigrations().suffix(2) == ["v5-version-evaluations", "v6-prediction-variants"])
        let v = try store.version(model: "house", version: 1)
        #expect(v.stage == .production && v.metrics == ["r2": 0.8])
        #expect(try store.history(model: "house").map(\.user) == ["old-user"])
        #expect(try store.evaluations(model: "house", version: 1).isEmpty)
        try store.recordEvaluations(model: "house", version: 1, VersionEvaluations(segments: [Self.segments("c", ["a": 0.1])]), source: "s")
        #expect(try store.evaluations(model: "house", version: 1).segments.count == 1)
        try store.approve(model: "house", version: 1, reason: "legacy")
        #expect(try store.history(model: "house").map(\.action) == ["register", "record_evaluation", "approve"])
    }
}
