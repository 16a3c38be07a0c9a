import Foundation
import GRDB
import Testing
@testable import Tracking

/// A classifier's logged predictions: class indices with their classes and probabilities, the
/// class label fed back, and stores written before classifiers existed.
@Suite struct ClassifierPredictionLogTests {
    static let classes = ["cat", "dog", "owl"]

    /// Three rows of a three-class model, with shadow predictions (so the payload holds inputs,
    /// predictions, shadow predictions, then probabilities).
    static func batch(prefix: String = "srv-", first: Int64 = 1, timeMs: Int64 = 1_000) -> PredictionBatchRecord {
        var b = PredictionBatchRecord(idPrefix: prefix, firstCounter: first, timeMs: timeMs, modelName: "pets", modelVersion: 2,
                                      featureNames: ["x", "kind"], predictions: [0, 2, 1], shadowVersion: 3,
                                      shadowPredictions: [0, 1, 1], classes: classes,
                                      probabilities: [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.25, 0.5, 0.25])
        for (x, kind) in [(1.5, "a"), (2.5, "b"), (-1.0, "a")] {
            b.appendNumber(x)
            b.appendText(kind)
        }
        return b
    }

    @Test func batchReadsBackWithProbabilitiesLabelsAndFeedback() throws {
        let store = try makeStore()
        let written = Self.batch()
        try store.appendPredictionBatches([written])
        try store.recordFeedback(requestID: written.requestID(1), label: "owl", timeMs: 2_000)
        try store.recordFeedback(requestID: written.requestID(2), label: "cat", timeMs: 2_001)

        let logged = try store.predictionBatches(model: "pets")
        #expect(logged.count == 1)
        let b = try #require(logged.first)
        #expect(b.record.classes == Self.classes)
        #expect(b.record.probabilities == written.probabilities)
        #expect(b.record.shadowPredictions == [0, 1, 1])
        #expect(b.record.labels == ["cat", "owl", "dog"])
        #expect(b.record.probabilities(row: 1).map(Array.init) == [0.1, 0.3, 0.6])
        #expect(try b.record.inputsJSON() == [#"{"x":1.5,"kind":"a"}"#, #"{"x":2.5,"kind":"b"}"#, #"{"x":-1.0,"kind":"a"}"#])
        #expect(b.actualLabels == [nil, "owl", "cat"])
        #expect(b.actuals == [nil, 2, 0])

        let rows = try store.predictions(model: "pets")
        #expect(rows.map(\.label) == ["cat", "owl", "dog"])
        #expect(rows.map { $0.probabilities ?? [] } == [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]])
        #expect(rows.map(\.actualLabel) == [nil, "owl", "cat"])
        #expect(rows.map(\.classes) == Array(repeating: Self.classes, count: 3))
    }

    @Test func singleRecordsKeepProbabilitiesAndLabel() throws {
        let store = try makeStore()
        try store.appendPredictions([PredictionRecord(requestID: "one", timeMs: 5, modelName: "pets", modelVersion: 1, inputsJSON: "{}",
                                                      prediction: 1, classes: ["no", "yes"], probabilities: [0.4, 0.6])])
        #expect(try store.loggedClasses(requestID: "one") == ["no", "yes"])
        try store.recordFeedback(requestID: "one", label: "no", timeMs: 9)
        let r = try #require(try store.predictions(model: "pets").first)
        #expect(r.label == "yes" && r.probabilities == [0.4, 0.6])
        #expect(r.actualLabel == "no" && r.actual == 0 && r.feedbackTimeMs == 9)
        // A number fed back later replaces the label.
        try store.recordFeedback(requestID: "one", actual: 1)
        #expect(try store.predictions(model: "pets").first?.actualLabel == nil)
    }

    @Test func feedbackLabelErrorsNameTheClasses() throws {
        let store = try makeStore()
        let b = Self.batch()
        try store.appendPredictionBatches([b])
        try store.appendPredictions([PredictionRecord(requestID: "reg", timeMs: 5, modelName: "house", modelVersion: 1, inputsJSON: "{}", prediction: 3.5)])
        let unknown = #expect(throws: TrackingError.self) { try store.recordFeedback(requestID: b.requestID(0), label: "cow") }
        #expect(unknown?.code == .invalidArgument)
        #expect(unknown?.message.contains("\"cow\"") == true && unknown?.message.contains("cat, dog, owl") == true)
        let regression = #expect(throws: TrackingError.self) { try store.recordFeedback(requestID: "reg", label: "cat") }
        #expect(regression?.code == .invalidArgument)
        let missing = #expect(throws: TrackingError.self) { try store.recordFeedback(requestID: "srv-99", label: "cat") }
        #expect(missing?.code == .notFound)
        #expect(try store.loggedClasses(requestID: "reg") == nil)
        // A classifier's record must hold one probability per class.
        var bad = Self.batch(first: 10)
        bad.probabilities?.removeLast()
        #expect(throws: TrackingError.self) { try store.appendPredictionBatches([bad]) }
    }

    /// A store left by the schema before classifiers (v3), holding a regression's predictions
    /// logged one by one and as a batch (inline, as v2 wrote them) with feedback, reads the same
    /// after the upgrade, and then logs a classifier beside them.
    @Test func storeWrittenBeforeClassifiersUpgradesWithoutLoss() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-track-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("plumb.db").path
        var inputs = PredictionBatchRecord(idPrefix: "old-", firstCounter: 1, timeMs: 0, modelName: "house", modelVersion: 1, featureNames: ["x"])
        inputs.appendNumber(2)
        inputs.appendMissing()
        do {
            let queue = try DatabaseQueue(path: path)
            try TrackingStore.migrator.migrate(queue, upTo: "v3-prediction-payload-files")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO predictions(request_id, time_ms, model_name, model_version, inputs, prediction, actual, feedback_time_ms)
                    VALUES ('single', 100, 'house', 1, '{"x":1.0}', 4.5, 5.0, 150)
                    """)
                try db.execute(sql: """
                    INSERT INTO prediction_batches(id_prefix, first_counter, row_count, time_ms, model_name, model_version,
                                                   feature_names, inputs, predictions)
                    VALUES ('old-', 1, 2, 200, 'house', 1, '["x"]', ?, ?)
                    """, arguments: [Data(inputs.inputs), PredictionBatchRecord.blob([6.25, 7.5])])
                try db.execute(sql: "INSERT INTO prediction_feedback(request_id, actual, time_ms) VALUES ('old-2', 8, 300)")
            }
        }
        let store = try TrackingStore(path: path)
        #expect(try store.appliedMigrations().contains("v4-classifier-predictions"))
        let before = try store.predictions(model: "house")
        #expect(before.map(\.requestID) == ["single", "old-1", "old-2"])
        #expect(before.map(\.prediction) == [4.5, 6.25, 7.5])
        #expect(before.map(\.inputsJSON) == [#"{"x":1.0}"#, #"{"x":2.0}"#, #"{"x":null}"#])
        #expect(before.map(\.actual) == [5, nil, 8])
        #expect(before.allSatisfy { $0.classes == nil && $0.probabilities == nil && $0.label == nil && $0.actualLabel == nil })
        #expect(try store.loggedClasses(requestID: "old-1") == nil)
        // Regression feedback works as before on the old rows.
        try store.recordFeedback(requestID: "old-1", actual: 6)
        #expect(try store.predictions(model: "house").map(\.actual) == [5, 6, 8])
        // A classifier logs into the upgraded store.
        try store.appendPredictionBatches([Self.batch()])
        try store.recordFeedback(requestID: "srv-1", label: "dog")
        #expect(try store.predictionBatches(model: "pets").first?.actualLabels == ["dog", nil, nil])
        #expect(try store.integrityProblems().isEmpty)
    }
}
