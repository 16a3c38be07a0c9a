import Foundation
import Testing
@testable import Tracking

@Suite struct CheckpointTests {
    /// A writer that never pauses (one transaction after another, as the prediction log under
    /// load) still has its WAL rewound by the background checkpointer: the WAL file stays far
    /// smaller than what was written, SQLite's own checkpoint being out of reach. Every row reads
    /// back, the file is consistent, and dropping the store stops the thread.
    @Test func backgroundCheckpointsRewindTheWALOfABusyWriter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("plumb.db").path
        let settings = BackgroundCheckpoints(interval: .milliseconds(2), rewindFrames: 64, safetyNetFrames: 1_000_000)
        var store: TrackingStore? = try TrackingStore(path: path, checkpoints: .background(settings))
        let batches = 300, rows = 200
        var written = 0
        for k in 0..<batches {
            var b = PredictionBatchRecord(idPrefix: "0feed-", firstCounter: Int64(k * rows + 1), timeMs: Int64(1_000 + k), modelName: "m",
                                          modelVersion: 1, featureNames: ["a", "b", "c", "d"],
                                          predictions: (0..<rows).map { Double(k * rows + $0) })
            for r in 0..<rows { for c in 0..<4 { b.appendNumber(Double(r * 4 + c) + 0.5) } }
            written += b.inputs.count + 8 * rows
            try store!.appendPredictionBatches([b])
        }
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(written > 2_500_000)
        #expect(wal < written / 2, "WAL \(wal) bytes after \(written) bytes of log")
        let all = try store!.predictions(model: "m", limit: 100_000)
        #expect(all.count == batches * rows)
        #expect(all.last?.requestID == "0feed-" + String(batches * rows, radix: 16) && all.last?.prediction == Double(batches * rows - 1))
        #expect(all.last?.inputsJSON == #"{"a":796.5,"b":797.5,"c":798.5,"d":799.5}"#)
        #expect(try store!.integrityProblems().isEmpty)
        store = nil
        // Another process's view (a fresh connection) sees every row.
        #expect(try TrackingStore(path: path).predictions(model: "m", limit: 100_000).count == batches * rows)
    }
}
