import Foundation
import Testing
@testable import Tracking

@Suite struct RegistryTests {
    @Test func versionsAreNumberedPerModel() throws {
        let store = try makeStore()
        let v = try (0..<3).map { _ in try registerVersion(store, model: "a", metrics: ["r2": 0.5]) }
        let b = try registerVersion(store, model: "b", metrics: [:])
        #expect(v.map(\.version) == [1, 2, 3] && b.version == 1)
        #expect(v[0].stage == .none && v[0].metrics == ["r2": 0.5] && v[0].runID != nil)
        #expect(try store.model("a").latestVersion == 3)
        #expect(try store.models().map(\.name) == ["a", "b"])
        // Unknown artifact or run: nothing is written.
        let e = #expect(throws: TrackingError.self) {
            try store.registerVersion(model: "a", runID: nil, artifactSHA256: String(repeating: "0", count: 64))
        }
        #expect(e?.code == .notFound)
        #expect(throws: TrackingError.self) { try store.registerVersion(model: "a", runID: "nope", artifactSHA256: v[0].artifactSHA256) }
        #expect(try store.versions(model: "a").count == 3)
        #expect(throws: TrackingError.self) { try store.registerVersion(model: "bad/name", runID: nil, artifactSHA256: v[0].artifactSHA256) }
    }

    @Test func metricsSnapshotAndExplicitMetrics() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.logMetrics(run: run, [MetricPoint(key: "r2", value: 0.1, step: 0), MetricPoint(key: "r2", value: 0.9, step: 1),
                                        MetricPoint(key: "rmse", value: 0.3)])
        let sha = try store.putArtifact(Data("m".utf8))
        let v = try store.registerVersion(model: "m", runID: run, artifactSHA256: sha, description: "first", tags: ["k": "v"])
        #expect(v.metrics == ["r2": 0.9, "rmse": 0.3] && v.description == "first" && v.tags == ["k": "v"])
        #expect(v.artifactPath == store.artifactPath(sha))
        // Later metrics do not change the snapshot.
        try store.logMetric(run: run, key: "r2", value: 0.2, step: 9)
        #expect(try store.version(model: "m", version: 1).metrics["r2"] == 0.9)
        let w = try store.registerVersion(model: "m", runID: nil, artifactSHA256: sha, metrics: ["r2": 0.5])
        #expect(w.metrics == ["r2": 0.5] && w.runID == nil)
    }

    @Test func aliasesStagesAndAudit() throws {
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: [:])
        try registerVersion(store, model: "m", metrics: [:])
        try store.setAlias(model: "m", alias: "challenger", version: 1, reason: "try")
        try store.setAlias(model: "m", alias: "challenger", version: 2, reason: "newer")
        try store.transitionStage(model: "m", version: 1, to: .production, reason: "go")
        try store.transitionStage(model: "m", version: 2, to: .production, archiveExisting: true, reason: "replace")
        try store.deleteAlias(model: "m", alias: "challenger", reason: "done")
        #expect(throws: TrackingError.self) { try store.setAlias(model: "m", alias: "bad alias", version: 1) }
        #expect(throws: TrackingError.self) { try store.setAlias(model: "m", alias: "x", version: 9) }
        #expect(throws: TrackingError.self) { try store.deleteAlias(model: "m", alias: "challenger") }
        let h = try store.history(model: "m")
        let summary = h.map { "\($0.action) v\($0.version.map(String.init) ?? "-") \($0.alias ?? "") \($0.from ?? "-")→\($0.to ?? "-") \($0.reason)" }
        #expect(summary == [
            "create_model v-  -→- ",
            "register v1  -→None ",
            "register v2  -→None ",
            "set_alias v1 challenger -→1 try",
            "set_alias v2 challenger 1→2 newer",
            "stage v1  None→Production go",
            "stage v1  Production→Archived replace",
            "stage v2  None→Production replace",
            "delete_alias v2 challenger 2→- done",
        ])
        #expect(h.allSatisfy { $0.user == TrackingStore.currentUser && $0.model == "m" })
        #expect(try store.version(model: "m", version: 1).stage == .archived)
        #expect(throws: TrackingError.self) { try store.history(model: "nope") }
    }

    @Test func uris() throws {
        #expect(try ModelURI.parse("models:/housing/3") == ModelURI(name: "housing", reference: .version(3)))
        #expect(try ModelURI.parse("models:/housing@champion") == ModelURI(name: "housing", reference: .alias("champion")))
        #expect(try ModelURI.parse("models:/housing/latest").reference == .latest)
        #expect(try ModelURI.parse("models:/housing/Production").reference == .stage(.production))
        #expect(try ModelURI.parse("models:/housing@shadow_2-b").description == "models:/housing@shadow_2-b")
        for bad in ["housing/3", "models:/housing", "models:/housing/0", "models:/housing/x", "models://3", "models:/h@", "models:/h@a b", "models:/a/b/c"] {
            #expect(throws: TrackingError.self, "\(bad)") { try ModelURI.parse(bad) }
        }
        let store = try makeStore()
        try registerVersion(store, model: "housing", metrics: [:])
        let v2 = try registerVersion(store, model: "housing", metrics: [:])
        try store.setAlias(model: "housing", alias: "champion", version: 1)
        try store.transitionStage(model: "housing", version: 2, to: .staging)
        #expect(try store.resolve("models:/housing@champion").version == 1)
        #expect(try store.resolve("models:/housing/2") == v2.withStage(.staging))
        #expect(try store.resolve("models:/housing/latest").version == 2)
        #expect(try store.resolve("models:/housing/Staging").version == 2)
        #expect(try store.resolve("models:/housing/1").artifactPath == store.artifactPath(try store.version(model: "housing", version: 1).artifactSHA256))
        for (uri, fragment) in [("models:/nope/1", "model \"nope\""), ("models:/housing/7", "no version 7"),
                                ("models:/housing@challenger", "no alias \"challenger\""), ("models:/housing/Production", "stage Production")] {
            let e = #expect(throws: TrackingError.self) { try store.resolve(uri) }
            #expect(e?.code == .notFound && e?.message.contains(fragment) == true, "\(e?.message ?? "")")
        }
    }
}

extension ModelVersion {
    func withStage(_ s: ModelStage) -> ModelVersion { var v = self; v.stage = s; return v }
}

@Suite struct PromotionTests {
    func stages(_ store: TrackingStore, _ model: String) throws -> [ModelStage] { try store.versions(model: model).map(\.stage) }

    @Test func noneQualifiesKeepsChampionWithReason() throws {
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: ["r2": 0.60, "rmse": 1.0])
        try registerVersion(store, model: "m", metrics: ["r2": 0.72, "rmse": 0.9])
        let o = try store.promote(model: "m", reason: "nightly")
        #expect(o.champion == nil && !o.changed && o.staged == [2] && o.archived.isEmpty)
        #expect(o.message == "no version qualifies for Production: best candidate v2 has r2 0.72, not above the production threshold 0.75; there is no champion")
        #expect(try stages(store, "m") == [.none, .staging])
        // With a champion, a stricter policy leaves it in place and says why.
        try registerVersion(store, model: "m", metrics: ["r2": 0.80, "rmse": 0.5])
        #expect(try store.promote(model: "m").champion == 3)
        let strict = PromotionPolicy(productionThreshold: 0.9)
        let s = try store.promote(model: "m", policy: strict)
        #expect(s.champion == 3 && !s.changed)
        #expect(s.message == "no version qualifies for Production: best candidate v3 has r2 0.8, not above the production threshold 0.9; champion v3 stays")
    }

    @Test func bestByR2ThenRmseAndStagingSet() throws {
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: ["r2": 0.80, "rmse": 0.50])
        try registerVersion(store, model: "m", metrics: ["r2": 0.80, "rmse": 0.40])
        try registerVersion(store, model: "m", metrics: ["r2": 0.79, "rmse": 0.30])
        try registerVersion(store, model: "m", metrics: ["r2": 0.70, "rmse": 0.20])   // not strictly above 0.70
        try registerVersion(store, model: "m", metrics: ["rmse": 0.1])                // no r2
        let o = try store.promote(model: "m")
        #expect(o.champion == 2 && o.changed && o.previousChampion == nil)
        #expect(o.staged == [1, 3] && o.archived.isEmpty)
        #expect(try stages(store, "m") == [.staging, .production, .staging, .none, .none])
        #expect(try store.model("m").aliases == ["champion": 2])
        // Running it again changes nothing.
        let again = try store.promote(model: "m")
        #expect(!again.changed && again.staged.isEmpty && again.message.contains("already the champion"))
        // A better version replaces the champion, which is archived.
        try registerVersion(store, model: "m", metrics: ["r2": 0.85, "rmse": 0.6])
        let n = try store.promote(model: "m", reason: "weekly")
        #expect(n.champion == 6 && n.previousChampion == 2 && n.archived == [2] && n.staged.isEmpty)
        #expect(try stages(store, "m") == [.staging, .archived, .staging, .none, .none, .production])
        // Every change is audited with the reason.
        let h = try store.history(model: "m").suffix(3)
        #expect(h.map(\.action) == ["stage", "stage", "set_alias"])
        #expect(h.allSatisfy { $0.reason == "weekly" })
        #expect(h.last?.from == "2" && h.last?.to == "6")
    }

    @Test func explicitVersionOnlyConsidersThatVersion() throws {
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: ["r2": 0.90, "rmse": 0.1])
        try registerVersion(store, model: "m", metrics: ["r2": 0.76, "rmse": 0.9])
        let o = try store.promote(model: "m", version: 2)
        #expect(o.champion == 2 && o.staged.isEmpty)
        #expect(try stages(store, "m") == [.none, .production])
        let e = #expect(throws: TrackingError.self) { try store.promote(model: "m", version: 9) }
        #expect(e?.message.contains("no version 9") == true)
        #expect(throws: TrackingError.self) { try store.promote(model: "nope") }
    }

    @Test func policyFromJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-policy-\(UUID().uuidString).json")
        try Data(#"{"staging_r2": 0.5, "production_r2": 0.6}"#.utf8).write(to: dir)
        let p = try PromotionPolicy.load(path: dir.path)
        #expect(p == PromotionPolicy(stagingThreshold: 0.5, productionThreshold: 0.6))
        let q = try JSONDecoder().decode(PromotionPolicy.self, from: Data(#"{"metric":"rmse","higher_is_better":false,"production_threshold":0.3,"tie_break":null}"#.utf8))
        #expect(q.metric == "rmse" && !q.higherIsBetter && q.productionThreshold == 0.3 && q.stagingThreshold == 0.7 && q.tieBreak == nil)
        #expect(try JSONDecoder().decode(PromotionPolicy.self, from: JSONEncoder().encode(p)) == p)
        #expect(throws: TrackingError.self) { try PromotionPolicy.load(path: "/nonexistent/policy.json") }
        // Lower-is-better policy picks the smallest rmse below the threshold.
        let store = try makeStore()
        try registerVersion(store, model: "m", metrics: ["rmse": 0.25])
        try registerVersion(store, model: "m", metrics: ["rmse": 0.20])
        #expect(try store.promote(model: "m", policy: q).champion == 2)
    }

    @Test func rollbackRestoresPreviousChampions() throws {
        let store = try makeStore()
        for r2 in [0.80, 0.85, 0.90] {
            try registerVersion(store, model: "m", metrics: ["r2": r2])
            try store.promote(model: "m")
        }
        #expect(try store.model("m").aliases["champion"] == 3)
        let r = try store.rollback(model: "m", reason: "bad in prod")
        #expect(r.champion == 2 && r.previousChampion == 3 && r.archived == [3])
        #expect(try stages(store, "m") == [.archived, .production, .archived])
        #expect(try store.history(model: "m").last.map { [$0.action, $0.from, $0.to, $0.reason] } == ["rollback", "3", "2", "bad in prod"])
        #expect(try store.rollback(model: "m").champion == 1)
        #expect(try store.resolve("models:/m@champion").version == 1)
        let e = #expect(throws: TrackingError.self) { try store.rollback(model: "m") }
        #expect(e?.message.contains("no previous champion") == true)
        // Archived versions are not re-promoted automatically.
        #expect(try store.promote(model: "m").champion == 1)
    }
}

@Suite struct ModelCardTests {
    @Test func cardContainsLineageParamsMetricsImportancesHistory() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "housing", name: "gbm-1", sourceCommit: "deadbeef")
        try store.logParams(run: run, ["learning_rate": "0.1", "max_depth": "6"])
        try store.logMetrics(run: run, [MetricPoint(key: "r2", value: 0.83), MetricPoint(key: "rmse", value: 0.47)])
        try store.setTag(run: run, key: "feature_importance", value: #"{"MedInc": 0.6, "AveRooms": 0.3, "HouseAge": 0.1}"#)
        try store.logDataset(run: run, DatasetInput(name: "housing.csv", digest: String(repeating: "ab", count: 32), rows: 16_512,
                                                    schemaJSON: #"[{"name":"MedInc","type":"numeric","min":0.5,"max":15},{"name":"HouseAge","type":"numeric"}]"#,
                                                    source: "data/housing.csv", context: .training))
        let sha = try store.putArtifact(Data("model".utf8))
        try store.createModel(name: "housing", description: "Median house value regressor.")
        try store.registerVersion(model: "housing", runID: run, artifactSHA256: sha, reason: "first")
        try store.promote(model: "housing")
        let card = try store.modelCard(try ModelURI.parse("models:/housing@champion"))
        for fragment in ["# Model card: housing v1", "Median house value regressor.", "`deadbeef`",
                         "| training | housing.csv | 16512 | `\(String(repeating: "ab", count: 32))` | data/housing.csv |",
                         "| MedInc | numeric | 0.5 | 15 |", "| learning_rate | 0.1 |", "| r2 | 0.83 |", "| rmse | 0.47 |",
                         "| MedInc | 0.6 |", "MedInc ∈ [0.5, 15]", "`MedInc`, `HouseAge`", "## Registry history",
                         "| register | 1 | — → None | first |", "@champion: — → 1"] {
            #expect(card.contains(fragment), "missing: \(fragment)")
        }
        // Importance order: descending.
        let a = card.range(of: "| MedInc | 0.6 |"), b = card.range(of: "| AveRooms | 0.3 |")
        #expect(a != nil && b != nil && a!.lowerBound < b!.lowerBound)
    }

    /// A classifier's card shows its task, classes, threshold and confusion matrix from the tags
    /// training records; a regression's card has no such section.
    @Test func classifierCardShowsClassesThresholdAndConfusionMatrix() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "spam", name: "gbm")
        try store.logMetrics(run: run, [MetricPoint(key: "roc_auc", value: 0.98)])
        try store.setTag(run: run, key: "task", value: "binary")
        try store.setTag(run: run, key: "classes", value: #"["nonspam","spam"]"#)
        try store.setTag(run: run, key: "threshold", value: "0.4")
        try store.setTag(run: run, key: "confusion_matrix", value: "[[671,22],[21,437]]")
        let sha = try store.putArtifact(Data("model".utf8))
        try store.registerVersion(model: "spam", runID: run, artifactSHA256: sha, reason: "first")
        let card = try store.modelCard(try ModelURI.parse("models:/spam/1"))
        for fragment in ["## Classes", "- Task: binary", "`nonspam`, `spam`", "`spam` when its probability is at least 0.4",
                         "| true \\ predicted | nonspam | spam |", "| nonspam | 671 | 22 |", "| spam | 21 | 437 |"] {
            #expect(card.contains(fragment), "missing: \(fragment)")
        }
        #expect(TrackingStore.classesSection(tags: ["model_kind": "gbm"]).isEmpty)
    }

    @Test func importancesFromArtifact() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.logArtifact(run: run, name: "feature_importance.json", bytes: Data(#"{"x": 2.5}"#.utf8))
        #expect(try store.featureImportances(store.run(run)) == ["x": 2.5])
    }
}
