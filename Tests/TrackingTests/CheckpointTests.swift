import Foundation
import GRDB
import Testing
@testable import Tracking

@Suite struct CheckpointTests {
    /// A writer that never pauses (one transaction after another, as the prediction log under
    /// load) still has its WAL rewound by the background checkpointer: the WAL file stays far
    /// smaller than the same writes leave it when nothing rewinds it (SQLite's own checkpoint
    /// being out of reach in both). Every row reads back, the file is consistent, and dropping the
    /// store stops the thread.
    @Test func backgroundCheckpointsRewindTheWALOfABusyWriter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let batches = 300, rows = 200
        // Writes the log through a store at `name` and returns the store and its WAL's size.
        func logBatches(_ name: String, _ checkpoints: CheckpointMode) throws -> (TrackingStore, Int) {
            let path = dir.appendingPathComponent(name).path
            let store = try TrackingStore(path: path, checkpoints: checkpoints)
            // Predictions logged one by one: their inputs stay in the rows (a batch's go to its
            // payload file), so every transaction adds pages to the WAL.
            for k in 0..<batches {
                try store.appendPredictions((0..<rows).map { r in
                    PredictionRecord(requestID: "r\(k * rows + r)", timeMs: Int64(1_000 + k), modelName: "m", modelVersion: 1,
                                     inputsJSON: "{" + (0..<4).map { c in "\"\(["a", "b", "c", "d"][c])\":\(Double(r * 4 + c) + 0.5)" }.joined(separator: ",") + "}",
                                     prediction: Double(k * rows + r))
                })
            }
            return (store, try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0)
        }
        // SQLite's own checkpoint comes at 64 MB: this WAL holds every frame written.
        let unrewound = try logBatches("control.db", .onCommit).1
        let settings = BackgroundCheckpoints(interval: .milliseconds(2), rewindBytes: 256 << 10, safetyNetBytes: 4 << 30)
        var (store, wal): (TrackingStore?, Int) = try logBatches("plumb.db", .background(settings))
        #expect(unrewound > 5_000_000)
        #expect(wal < unrewound / 3, "WAL \(wal) bytes, \(unrewound) without rewinding")
        let all = try store!.predictions(model: "m", limit: batches * rows)
        #expect(all.count == batches * rows)
        #expect(all.last?.requestID == "r\(batches * rows - 1)" && all.last?.prediction == Double(batches * rows - 1))
        #expect(all.last?.inputsJSON == #"{"a":796.5,"b":797.5,"c":798.5,"d":799.5}"#)
        #expect(try store!.integrityProblems().isEmpty)
        store = nil
        // Another process's view (a fresh connection) sees every row.
        #expect(try TrackingStore(path: dir.appendingPathComponent("plumb.db").path).predictions(model: "m", limit: batches * rows).count == batches * rows)
    }

    /// New stores are created with 16 KB pages; a store created with SQLite's 4 KB default keeps
    /// its pages, and logs and checkpoints through both modes as before.
    @Test func newStoresUseLargerPagesAndOldStoresKeepTheirs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-pages-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(30)  // a closing store's last connection may still hold a lock
        func pageSize(_ path: String) throws -> Int? {
            try DatabaseQueue(path: path, configuration: config).read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
        }
        let fresh = dir.appendingPathComponent("new.db").path
        _ = try TrackingStore(path: fresh)
        #expect(try pageSize(fresh) == 16_384)

        let old = dir.appendingPathComponent("old.db").path
        let q = try DatabaseQueue(path: old, configuration: config)
        try q.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE keep (x INTEGER)")
            try db.execute(sql: "INSERT INTO keep VALUES (7)")
        }
        try q.close()
        let settings = BackgroundCheckpoints(interval: .milliseconds(2), rewindBytes: 64 << 10, safetyNetBytes: 1 << 30)
        var store: TrackingStore? = try TrackingStore(path: old, checkpoints: .background(settings))
        for k in 0..<40 {
            var b = PredictionBatchRecord(idPrefix: "0beef-", firstCounter: Int64(k * 100 + 1), timeMs: Int64(k), modelName: "m",
                                          modelVersion: 1, featureNames: ["a"], predictions: (0..<100).map { Double(k * 100 + $0) })
            for r in 0..<100 { b.appendNumber(Double(r)) }
            try store!.appendPredictionBatches([b])
        }
        store = nil
        #expect(try pageSize(old) == 4096)
        let reopened = try TrackingStore(path: old)
        #expect(try reopened.predictions(model: "m", limit: 10_000).count == 4_000)
        #expect(try reopened.integrityProblems().isEmpty)
        #expect(try DatabaseQueue(path: old, configuration: config).read { try Int.fetchOne($0, sql: "SELECT x FROM keep") } == 7)
    }
}
