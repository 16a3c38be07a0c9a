import Foundation
import GRDB
import Testing
@testable import Tracking

@Suite struct PredictionPayloadTests {
    static func batch(_ first: Int64, rows: Int, shadow: Bool = false) -> PredictionBatchRecord {
        var b = PredictionBatchRecord(idPrefix: "0cafe-", firstCounter: first, timeMs: 1_000 + first, modelName: "m", modelVersion: 1,
                                      featureNames: ["x", "s"], predictions: (0..<rows).map { Double(first) + Double($0) / 4 },
                                      shadowVersion: shadow ? 2 : nil, shadowPredictions: shadow ? (0..<rows).map { -Double($0) } : nil)
        for r in 0..<rows {
            b.appendNumber(Double(r) + 0.5)
            b.appendText("t\(r)")
        }
        return b
    }

    static func payloadFiles(_ store: TrackingStore) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: store.payloads.directory, includingPropertiesForKeys: nil)
    }

    /// A batch's bulk lives in the payload file, not in its row; it reads back whole, shadow
    /// predictions included, and another store object on the same path reads it too.
    @Test func batchesLiveInPayloadFiles() throws {
        let store = try makeStore()
        try store.appendPredictionBatches([Self.batch(1, rows: 500), Self.batch(501, rows: 3, shadow: true)])
        let inline = try DatabaseQueue(path: store.path).read { db in
            try Int.fetchOne(db, sql: "SELECT sum(length(inputs) + length(predictions)) FROM prediction_batches")
        }
        #expect(inline == 0)
        let files = try Self.payloadFiles(store)
        #expect(files.count == 1)
        let size = try FileManager.default.attributesOfItem(atPath: files[0].path)[.size] as? Int
        let b0 = Self.batch(1, rows: 500), b1 = Self.batch(501, rows: 3, shadow: true)
        #expect(size == b0.inputs.count + 8 * 500 + b1.inputs.count + 16 * 3)
        for s in [store, try TrackingStore(path: store.path)] {
            let all = try s.predictions(model: "m", limit: 1_000)
            #expect(all.count == 503)
            #expect(all[1].inputsJSON == #"{"x":1.5,"s":"t1"}"# && all[1].prediction == 1.25 && all[1].shadowPrediction == nil)
            #expect(all[502].inputsJSON == #"{"x":2.5,"s":"t2"}"# && all[502].prediction == 501.5 && all[502].shadowPrediction == -2)
            #expect(all[502].shadowVersion == 2)
        }
    }

    /// Rows written before payload files (inline blobs, no payload columns) still read back.
    @Test func inlineRowsStillRead() throws {
        let store = try makeStore()
        let b = Self.batch(1, rows: 2, shadow: true)
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: """
                INSERT INTO prediction_batches(id_prefix, first_counter, row_count, time_ms, model_name, model_version,
                                               feature_names, inputs, predictions, shadow_version, shadow_predictions)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [b.idPrefix, b.firstCounter, 2, b.timeMs, b.modelName, b.modelVersion, #"["x","s"]"#,
                                 Data(b.inputs), PredictionBatchRecord.blob(b.predictions), 2, PredictionBatchRecord.blob(b.shadowPredictions!)])
        }
        try store.appendPredictionBatches([Self.batch(3, rows: 1)])
        let all = try store.predictions(model: "m")
        #expect(all.map(\.requestID) == ["0cafe-1", "0cafe-2", "0cafe-3"])
        #expect(all[1].inputsJSON == #"{"x":1.5,"s":"t1"}"# && all[1].prediction == 1.25 && all[1].shadowPrediction == -1)
        #expect(all[2].inputsJSON == #"{"x":0.5,"s":"t0"}"# && all[2].prediction == 3)
    }

    /// A payload cut short or changed on disk is an error naming the batch and the file, never
    /// wrong inputs; a missing file too.
    @Test func damagedPayloadsAreErrors() throws {
        for damage in ["flip", "truncate", "remove"] {
            let store = try makeStore()
            try store.appendPredictionBatches([Self.batch(1, rows: 50)])
            let file = try Self.payloadFiles(store)[0]
            var bytes = try Data(contentsOf: file)
            switch damage {
            case "flip": bytes[bytes.count / 2] ^= 0x10; try bytes.write(to: file)
            case "truncate": try bytes.prefix(bytes.count - 1).write(to: file)
            default: try FileManager.default.removeItem(at: file)
            }
            let e = #expect(throws: TrackingError.self) { try TrackingStore(path: store.path).predictions(model: "m") }
            #expect(try store.integrityProblems().count == (damage == "flip" ? 0 : 1), "\(damage)")
            #expect(e?.code == .database, "\(damage)")
            #expect(e?.message.contains("prediction batch 0cafe-1") == true && e?.message.contains(file.lastPathComponent) == true, "\(e?.message ?? "")")
        }
    }

    /// Past the rotation size each append begins a new file; all of them read back, also after
    /// `sync()` (the background mode's) has let synced pages go from the cache.
    @Test func filesRotateAndSync() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-rot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = PredictionPayloadFiles(databasePath: dir.appendingPathComponent("p.db").path, rotateBytes: 300,
                                           syncEachAppend: false)
        try files.sync()  // nothing written yet: nothing to do
        var places: [PredictionPayloadFiles.Place] = []
        for k in 0..<6 {
            places += try files.append([Self.batch(Int64(1 + 10 * k), rows: 10)])
            if k % 2 == 0 { try files.sync() }
        }
        #expect(Set(places.map(\.file)).count == 3 && places.enumerated().allSatisfy { $1.offset == ($0 % 2 == 0 ? 0 : places[$0 - 1].length) })
        let reader = PredictionPayloadFiles.Reader(directory: files.directory)
        for (k, p) in places.enumerated() {
            let b = Self.batch(Int64(1 + 10 * k), rows: 10)
            #expect(p.length == Int64(b.inputs.count + 80))
            #expect(try reader.read(p, batch: "b") == b.inputs + b.predictions.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
        }
    }

    /// The checksum of pieces equals the checksum of their concatenation, whatever the cuts,
    /// and a change of any single byte, or of the length, changes it.
    @Test func checksumOfPiecesAndChanges() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 7, 8, 31, 32, 33, 100, 257] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let whole = bytes.withUnsafeBytes { PredictionPayloadFiles.checksum($0) }
            for _ in 0..<5 {
                var cuts = (0..<3).map { _ in Int.random(in: 0...n, using: &rng) }.sorted()
                cuts = [0] + cuts + [n]
                var h = PredictionPayloadFiles.Hasher64()
                for i in 0..<(cuts.count - 1) { bytes[cuts[i]..<cuts[i + 1]].withUnsafeBytes { h.add($0) } }
                #expect(h.finish() == whole, "n \(n) cuts \(cuts)")
            }
            for i in 0..<n {
                var changed = bytes
                changed[i] ^= 1 << UInt8(i % 8)
                #expect(changed.withUnsafeBytes { PredictionPayloadFiles.checksum($0) } != whole)
            }
            #expect((bytes + [0]).withUnsafeBytes { PredictionPayloadFiles.checksum($0) } != whole)
        }
    }
}
