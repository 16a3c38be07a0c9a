import Foundation
import GRDB

/// One served prediction (and, later, its ground truth), as logged by the server and read by the monitor.
public struct PredictionRecord: Codable, Sendable, Equatable {
    /// Unique id chosen by the server (primary key).
    public var requestID: String
    /// ms since 1970.
    public var timeMs: Int64
    public var modelName: String
    public var modelVersion: Int
    /// Input features as a JSON object text.
    public var inputsJSON: String
    public var prediction: Double
    public var shadowVersion: Int?
    public var shadowPrediction: Double?
    /// Ground truth, once fed back.
    public var actual: Double?
    public var feedbackTimeMs: Int64?

    public init(requestID: String, timeMs: Int64, modelName: String, modelVersion: Int, inputsJSON: String, prediction: Double,
                shadowVersion: Int? = nil, shadowPrediction: Double? = nil, actual: Double? = nil, feedbackTimeMs: Int64? = nil) {
        self.requestID = requestID; self.timeMs = timeMs; self.modelName = modelName; self.modelVersion = modelVersion
        self.inputsJSON = inputsJSON; self.prediction = prediction; self.shadowVersion = shadowVersion
        self.shadowPrediction = shadowPrediction; self.actual = actual; self.feedbackTimeMs = feedbackTimeMs
    }
}

extension TrackingStore {
    /// Appends a batch of predictions in ONE transaction with a cached prepared statement.
    /// - Throws: `.alreadyExists` if a request id is already logged (the whole batch is rolled back).
    public func appendPredictions(_ batch: [PredictionRecord]) throws {
        guard !batch.isEmpty else { return }
        try write("logging \(batch.count) predictions") { db in
            let st = try db.cachedStatement(sql: """
                INSERT INTO predictions(request_id, time_ms, model_name, model_version, inputs, prediction,
                                        shadow_version, shadow_prediction, actual, feedback_time_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in batch {
                do {
                    try st.execute(arguments: [p.requestID, p.timeMs, p.modelName, p.modelVersion, p.inputsJSON,
                                               p.prediction.isNaN ? nil : p.prediction, p.shadowVersion,
                                               p.shadowPrediction.flatMap { $0.isNaN ? nil : $0 }, p.actual, p.feedbackTimeMs])
                } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    throw TrackingError(code: .alreadyExists, message: "prediction request id \"\(p.requestID)\" is already logged", underlying: e)
                }
            }
        }
    }

    /// Records the ground truth for a logged prediction.
    /// - Throws: `.notFound` naming the request id if it was never logged.
    public func recordFeedback(requestID: String, actual: Double, timeMs: Int64? = nil) throws {
        try write("recording feedback for request \(requestID)") { db in
            try db.execute(sql: "UPDATE predictions SET actual = ?, feedback_time_ms = ? WHERE request_id = ?",
                           arguments: [actual, timeMs ?? Self.nowMs(), requestID])
            if db.changesCount == 0 { throw TrackingError.notFound("prediction request id \"\(requestID)\" is not logged") }
        }
    }

    /// The most recent `limit` predictions of `model` at or after `since`, returned oldest first.
    public func predictions(model: String, since: Date? = nil, limit: Int = 10_000) throws -> [PredictionRecord] {
        let sinceMs = since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? Int64.min
        return try read("reading predictions of model \"\(model)\"") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT request_id, time_ms, model_name, model_version, inputs, prediction, shadow_version, shadow_prediction, actual, feedback_time_ms
                FROM predictions WHERE model_name = ? AND time_ms >= ? ORDER BY time_ms DESC, rowid DESC LIMIT ?
                """, arguments: [model, sinceMs, max(0, limit)])
            return rows.reversed().map { r in
                PredictionRecord(requestID: r[0], timeMs: r[1], modelName: r[2], modelVersion: r[3], inputsJSON: r[4],
                                 prediction: (r[5] as Double?) ?? .nan, shadowVersion: r[6], shadowPrediction: r[7],
                                 actual: r[8], feedbackTimeMs: r[9])
            }
        }
    }
}
