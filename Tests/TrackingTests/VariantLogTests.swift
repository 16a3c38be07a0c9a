import Foundation
import GRDB
import Testing
@testable import Tracking

/// The prediction log's variant and routing key (canary, A/B, blue-green serving), and the
/// registry's promotion from a canary alias.
@Suite struct VariantLogTests {
    @Test func variantAndRoutingKeyReadBack() throws {
        let store = try makeStore()
        var canary = PredictionBatchRecord(idPrefix: "srv-", firstCounter: 1, timeMs: 1_000, modelName: "housing", modelVersion: 4,
                                           featureNames: ["x"], predictions: [1.5, 2.5], variant: "canary", routingKey: "user-7")
        canary.appendNumber(1)
        canary.appendNumber(2)
        var champion = PredictionBatchRecord(idPrefix: "srv-", firstCounter: 3, timeMs: 1_001, modelName: "housing", modelVersion: 3,
                                             featureNames: ["x"], predictions: [0.5], variant: "champion", routingKey: nil)
        champion.appendNumber(3)
        var plain = PredictionBatchRecord(idPrefix: "srv-", firstCounter: 4, timeMs: 1_002, modelName: "housing", modelVersion: 3,
                                          featureNames: ["x"], predictions: [0.25])
        plain.appendNumber(4)
        try store.appendPredictionBatches([canary, champion, plain])
        try store.appendPredictions([PredictionRecord(requestID: "single-1", timeMs: 999, modelName: "housing", modelVersion: 4,
                                                      inputsJSON: #"{"x":0}"#, prediction: 9, variant: "canary", routingKey: "k")])

        let batches = try store.predictionBatches(model: "housing")
        #expect(batches.map(\.record.variant) == ["canary", "champion", nil])
        #expect(batches.map(\.record.routingKey) == ["user-7", nil, nil])
        #expect(batches.first?.record == canary)

        let rows = try store.predictions(model: "housing")
        #expect(rows.map(\.requestID) == ["single-1", "srv-1", "srv-2", "srv-3", "srv-4"])
        #expect(rows.map(\.variant) == ["canary", "canary", "canary", "champion", nil])
        #expect(rows.map(\.routingKey) == ["k", "user-7", "user-7", nil, nil])
    }

    @Test func storeWrittenBeforeVariantsReadsAsBefore() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-v5-\(UUID().uuidString).db").path
        do {
            let queue = try DatabaseQueue(path: path)
            try TrackingStore.migrator.migrate(queue, upTo: "v5-version-evaluations")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO predictions(request_id, time_ms, model_name, model_version, inputs, prediction)
                    VALUES ('old-1', 5, 'housing', 2, '{"x":1}', 3.5)
                    """)
            }
        }
        let store = try TrackingStore(path: path)
        #expect(try store.appliedMigrations().last == "v6-prediction-variants")
        let rows = try store.predictions(model: "housing")
        #expect(rows.map(\.requestID) == ["old-1"] && rows.map(\.prediction) == [3.5])
        #expect(rows.first?.variant == nil && rows.first?.routingKey == nil)
    }

    @Test func promoteFromCanaryAliasThenRollback() throws {
        let store = try makeStore()
        for r2 in [0.80, 0.70, 0.75] { try registerVersion(store, model: "m", metrics: ["r2": r2]) }
        try store.promote(model: "m")
        #expect(try store.model("m").aliases["champion"] == 1)
        let missing = #expect(throws: TrackingError.self) { try store.promote(model: "m", fromAlias: "challenger") }
        #expect(missing?.message.contains("no alias \"challenger\"") == true)

        try store.setAlias(model: "m", alias: "challenger", version: 3)
        let outcome = try store.promote(model: "m", fromAlias: "challenger", reason: "canary better over 3 days")
        #expect(outcome.champion == 3 && outcome.previousChampion == 1 && outcome.changed && outcome.archived == [1])
        #expect(try store.resolve("models:/m@champion").version == 3)
        #expect(try store.versions(model: "m").map(\.stage) == [.archived, .none, .production])
        let last = try #require(try store.history(model: "m").last)
        #expect([last.action, last.alias, last.from, last.to, last.reason] == ["promote_canary", "champion", "1", "3", "canary better over 3 days"])
        // Again: nothing to do.
        #expect(try store.promote(model: "m", fromAlias: "challenger").changed == false)
        // Rollback undoes it (the promotion is a champion move like any other).
        let back = try store.rollback(model: "m", reason: "canary worse at full traffic")
        #expect(back.champion == 1 && back.previousChampion == 3)
        #expect(try store.resolve("models:/m@champion").version == 1)
        #expect(throws: TrackingError.self) { try store.promote(model: "m", fromAlias: "champion") }
    }

    @Test func promoteFromCanaryHonoursTheApprovalGate() throws {
        let store = try makeStore()
        for r2 in [0.80, 0.75] { try registerVersion(store, model: "m", metrics: ["r2": r2]) }
        try store.setAlias(model: "m", alias: "champion", version: 1)
        try store.setAlias(model: "m", alias: "challenger", version: 2)
        var policy = PromotionPolicy.default
        policy.requireApproval = true
        let refused = #expect(throws: TrackingError.self) { try store.promote(model: "m", fromAlias: "challenger", policy: policy) }
        #expect(refused?.message.contains("no recorded approval") == true)
        #expect(try store.resolve("models:/m@champion").version == 1)
        try store.approve(model: "m", version: 2, reason: "canary reviewed")
        #expect(try store.promote(model: "m", fromAlias: "challenger", policy: policy).champion == 2)
    }
}
