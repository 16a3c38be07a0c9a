import Foundation
import Testing
import Tabular
@testable import Tracking

@Suite struct TrackingStoreTests {
    @Test func migrationsFromEmptyAndReopen() throws {
        let store = try makeStore()
        #expect(try store.appliedMigrations() == ["v1-tracking", "v1-registry", "v1-predictions", "v2-prediction-batches", "v3-prediction-payload-files", "v4-classifier-predictions", "v5-version-evaluations", "v6-prediction-variants"])
        let run = try store.startRun(experiment: "e")
        // Reopening an existing store applies nothing and keeps data.
        let again = try TrackingStore(path: store.path)
        #expect(try again.appliedMigrations().count == 8)
        #expect(try again.run(run).run.id == run)
        #expect(try again.integrityProblems().isEmpty)
    }

    /// A store with rows in a WITHOUT ROWID table whose key columns come after others
    /// (`datasets`) is consistent: SQLite 3.40's integrity_check reports
    /// NULLs there that are not in the table, and only a NULL a query finds is a problem.
    @Test func integrityCheckConfirmsNullReports() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.logDataset(run: run, DatasetInput(name: "d.csv", digest: String(repeating: "ab", count: 32), rows: 3,
                                                    schemaJSON: "{}", source: "d.csv", context: .training))
        #expect(try store.integrityProblems() == [])
        let reports = try store.pool.read { db in
            try TrackingStore.confirmedIntegrityReports(db, ["NULL value in datasets.digest", "NULL value in nosuch.x",
                                                             "row 3 missing from index i"])
        }
        #expect(reports == ["NULL value in nosuch.x", "row 3 missing from index i"])
    }

    @Test func defaultPathHonoursEnvironment() {
        #expect(TrackingStore.defaultPath(environment: [:]) == ".plumb/plumb.db")
        #expect(TrackingStore.defaultPath(environment: ["PLUMB_STORE": "/x/y.db"]) == "/x/y.db")
        #expect(TrackingStore.defaultPath(environment: ["PLUMB_STORE": ""]) == ".plumb/plumb.db")
    }

    @Test func runLifecycle() throws {
        let store = try makeStore()
        let parent = try store.startRun(experiment: "housing", name: "cv", sourceCommit: "abc123", user: "ana", startMs: 1_000)
        let child = try store.startRun(experiment: "housing", name: "fold-1", parentRunID: parent, startMs: 2_000)
        #expect(parent.count == 32 && parent.allSatisfy { $0.isHexDigit })
        try store.endRun(child, status: .failed, errorMessage: "diverged", endMs: 3_000)
        let d = try store.run(parent)
        #expect(d.run.name == "cv" && d.run.user == "ana" && d.run.sourceCommit == "abc123" && d.run.status == .running)
        #expect(d.children == [child])
        let c = try store.run(String(child.prefix(10)))   // unique prefix
        #expect(c.run.status == .failed && c.run.errorMessage == "diverged" && c.run.endMs == 3_000 && c.run.parentID == parent)
        #expect(throws: TrackingError.self) { try store.startRun(experiment: "housing", parentRunID: "nope") }
        let e = #expect(throws: TrackingError.self) { try store.endRun("0123456789abcdef0123456789abcdef") }
        #expect(e?.code == .notFound && e?.message.contains("0123456789abcdef0123456789abcdef") == true)
    }

    @Test func paramsAreImmutable() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.logParams(run: run, ["alpha": "0.1", "model": "ridge"])
        try store.logParam(run: run, key: "alpha", value: "0.1")   // same value: fine
        let e = #expect(throws: TrackingError.self) { try store.logParams(run: run, ["alpha": "0.2", "zeta": "1"]) }
        #expect(e?.code == .immutable)
        #expect(e?.message.contains("\"alpha\"") == true)
        // The failed batch is rolled back as a whole.
        #expect(try store.run(run).run.params == ["alpha": "0.1", "model": "ridge"])
    }

    @Test func metricHistoryOrderAndLatest() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.logMetrics(run: run, [
            MetricPoint(key: "loss", value: 0.5, step: 2, timestampMs: 10),
            MetricPoint(key: "loss", value: 0.9, step: 0, timestampMs: 30),
            MetricPoint(key: "loss", value: 0.7, step: 1, timestampMs: 20),
            MetricPoint(key: "r2", value: .nan, step: 0, timestampMs: 5),
        ])
        try store.logMetric(run: run, key: "loss", value: 0.6, step: 1, timestampMs: 25)
        let h = try store.metricHistory(run: run, key: "loss")
        #expect(h.map(\.step) == [0, 1, 1, 2])
        #expect(h.map(\.value) == [0.9, 0.7, 0.6, 0.5])
        let m = try store.run(run).run.metrics
        #expect(m["loss"] == 0.5)               // highest step wins, not the last logged
        #expect(m["r2"]?.isNaN == true)          // NaN round-trips
        try store.logMetric(run: run, key: "loss", value: 0.4, step: 2, timestampMs: 11)
        #expect(try store.run(run).run.metrics["loss"] == 0.4)   // same step, newer timestamp
    }

    @Test func tagsDatasetsArtifacts() throws {
        let store = try makeStore()
        let run = try store.startRun(experiment: "e")
        try store.setTag(run: run, key: "team", value: "a")
        try store.setTag(run: run, key: "team", value: "b")
        try store.setTag(run: run, key: "tmp", value: "x")
        try store.deleteTag(run: run, key: "tmp")
        #expect(throws: TrackingError.self) { try store.deleteTag(run: run, key: "tmp") }
        let ds = DatasetInput(name: "train.csv", digest: String(repeating: "a", count: 64), rows: 100,
                              schemaJSON: #"[{"name":"x","type":"numeric","min":0,"max":1}]"#, source: "data/train.csv", context: .training)
        try store.logDataset(run: run, ds)
        let art = try store.logArtifact(run: run, name: "model.plumb", bytes: Data([1, 2, 3]))
        let d = try store.run(run)
        #expect(d.run.tags == ["team": "b"])
        #expect(d.datasets == [ds])
        #expect(d.artifacts == [RunArtifact(name: "model.plumb", sha256: art.sha256, size: 3)])
        #expect(throws: TrackingError.self) { try store.logArtifact(run: run, name: "x", sha256: String(repeating: "0", count: 64)) }
    }

    @Test func artifactsAreContentAddressedAndVerified() throws {
        let store = try makeStore()
        let bytes = Data("hello plumb".utf8)
        let sha = try store.putArtifact(bytes)
        #expect(sha == Tabular.SHA256.hex(bytes))
        #expect(store.artifactPath(sha).hasSuffix("/artifacts/\(sha.prefix(2))/\(sha)"))
        #expect(try store.putArtifact(bytes) == sha)       // idempotent
        #expect(try store.readArtifact(sha) == bytes)
        // No temp files left behind by the atomic write.
        let dir = (store.artifactPath(sha) as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [sha])
        // Corrupt the file: reading must fail with a digest error.
        try Data("hello plumb!".utf8).write(to: URL(fileURLWithPath: store.artifactPath(sha)))
        let e = #expect(throws: TrackingError.self) { try store.readArtifact(sha) }
        #expect(e?.code == .corruptArtifact && e?.message.contains(sha) == true)
        let missing = #expect(throws: TrackingError.self) { try store.readArtifact(String(repeating: "f", count: 64)) }
        #expect(missing?.code == .notFound)
    }

    @Test func predictionLog() throws {
        let store = try makeStore()
        let batch = (0..<100).map {
            PredictionRecord(requestID: "r\($0)", timeMs: Int64(1_000 + $0), modelName: "m", modelVersion: 1,
                             inputsJSON: #"{"x":\#($0)}"#, prediction: Double($0), shadowVersion: 2, shadowPrediction: Double($0) + 0.5)
        }
        try store.appendPredictions(batch)
        try store.appendPredictions([PredictionRecord(requestID: "o", timeMs: 5, modelName: "other", modelVersion: 1, inputsJSON: "{}", prediction: 1)])
        try store.recordFeedback(requestID: "r7", actual: 7.5, timeMs: 9_999)
        let e = #expect(throws: TrackingError.self) { try store.recordFeedback(requestID: "nope", actual: 1) }
        #expect(e?.message.contains("nope") == true)
        let dup = #expect(throws: TrackingError.self) { try store.appendPredictions([batch[3]]) }
        #expect(dup?.code == .alreadyExists)
        let all = try store.predictions(model: "m", limit: 1_000)
        #expect(all.count == 100 && all.first?.requestID == "r0" && all.last?.requestID == "r99")
        #expect(all[7].actual == 7.5 && all[7].feedbackTimeMs == 9_999 && all[7].shadowPrediction == 7.5)
        let recent = try store.predictions(model: "m", since: Date(timeIntervalSince1970: 1.090), limit: 5)
        #expect(recent.map(\.requestID) == ["r95", "r96", "r97", "r98", "r99"])
        #expect(try store.predictions(model: "m", since: Date(timeIntervalSince1970: 1.097), limit: 50).count == 3)
    }

    /// One row per request: each row of a batch reads back as its own prediction with its request
    /// id, merged in time order with predictions logged one by one; feedback reaches a batch's rows
    /// by id, and ids that no batch covers (or written another way) are not found.
    @Test func predictionBatches() throws {
        let store = try makeStore()
        func batch(_ first: Int64, _ n: Int, at t: Int64, shadow: Bool = false) -> PredictionBatchRecord {
            var b = PredictionBatchRecord(idPrefix: "0badcafe-", firstCounter: first, timeMs: t, modelName: "m", modelVersion: 3,
                                          featureNames: ["x", "s \"q\"", "gone"],
                                          predictions: (0..<n).map { $0 == 1 ? .nan : Double(Int(first) + $0) },
                                          shadowVersion: shadow ? 4 : nil, shadowPredictions: shadow ? (0..<n).map { Double($0) / 2 } : nil)
            for r in 0..<n {
                b.appendNumber(r == 2 ? .infinity : Double(Int(first) + r) + 0.25)
                b.appendText("a\nb ü")
                b.appendMissing()
            }
            return b
        }
        try store.appendPredictionBatches([batch(1, 3, at: 2_000), batch(4, 1, at: 2_001), batch(5, 1_000, at: 2_003, shadow: true)])
        try store.appendPredictions([PredictionRecord(requestID: "legacy", timeMs: 2_002, modelName: "m", modelVersion: 2, inputsJSON: "{}", prediction: 9)])
        let all = try store.predictions(model: "m", limit: 10_000)
        #expect(all.count == 1_005)
        #expect(all.map(\.requestID).prefix(6) == ["0badcafe-1", "0badcafe-2", "0badcafe-3", "0badcafe-4", "legacy", "0badcafe-5"])
        #expect(all.last?.requestID == "0badcafe-3ec")   // counter 1004
        #expect(all[0].inputsJSON == #"{"x":1.25,"s \"q\"":"a\nb ü","gone":null}"# && all[0].prediction == 1 && all[1].prediction.isNaN)
        #expect(all[2].inputsJSON == #"{"x":null,"s \"q\"":"a\nb ü","gone":null}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(all[5].inputsJSON.utf8)) as? [String: Any]
        #expect(parsed?["x"] as? Double == 5.25 && parsed?["s \"q\""] as? String == "a\nb ü" && parsed?["gone"] is NSNull)
        #expect(all[0].modelVersion == 3 && all[0].timeMs == 2_000 && all[0].shadowVersion == nil && all[0].shadowPrediction == nil)
        #expect(all[6].shadowVersion == 4 && all[6].shadowPrediction == 0.5 && all[6].prediction.isNaN)
        // Most recent first for the limit, returned oldest first; `since` cuts by time.
        #expect(try store.predictions(model: "m", limit: 2).map(\.requestID) == ["0badcafe-3eb", "0badcafe-3ec"])
        #expect(try store.predictions(model: "m", since: Date(timeIntervalSince1970: 2.001), limit: 10_000).count == 1_002)
        #expect(try store.predictions(model: "other").isEmpty)

        try store.recordFeedback(requestID: "0badcafe-2", actual: 1.5, timeMs: 7)
        try store.recordFeedback(requestID: "0badcafe-3ec", actual: 2.5, timeMs: 8)
        try store.recordFeedback(requestID: "0badcafe-2", actual: 3.5, timeMs: 9)   // a correction replaces
        let withFeedback = try store.predictions(model: "m", limit: 10_000)
        #expect(withFeedback[1].actual == 3.5 && withFeedback[1].feedbackTimeMs == 9)
        #expect(withFeedback.last?.actual == 2.5 && withFeedback[0].actual == nil)
        for unknown in ["0badcafe-3ed", "0badcafe-0", "0badcafe-02", "0BADCAFE-2", "feedface-2", "0badcafe-", "x"] {
            let e = #expect(throws: TrackingError.self) { try store.recordFeedback(requestID: unknown, actual: 1) }
            #expect(e?.code == .notFound, "\(unknown)")
        }
        let dup = #expect(throws: TrackingError.self) { try store.appendPredictionBatches([batch(4, 2, at: 3_000)]) }
        #expect(dup?.code == .alreadyExists)
        var bad = batch(2_000, 3, at: 1, shadow: true)
        bad.predictions.removeLast()
        let mismatch = #expect(throws: TrackingError.self) { try store.appendPredictionBatches([bad]) }
        #expect(mismatch?.code == .invalidArgument)
        // Inputs that do not hold the rows are refused when read back.
        var short = batch(1, 2, at: 0)
        short.inputs.removeLast()
        let unreadable = #expect(throws: TrackingError.self) { try short.inputsJSON() }
        #expect(unreadable?.code == .database)
        #expect(try store.predictions(model: "m", limit: 10_000).count == 1_005)
    }
}
