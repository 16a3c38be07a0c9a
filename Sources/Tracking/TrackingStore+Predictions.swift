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
    /// A regression's prediction; a classifier's predicted class index (into `classes`).
    public var prediction: Double
    public var shadowVersion: Int?
    public var shadowPrediction: Double?
    /// Ground truth, once fed back (a classifier's: the class index of `actualLabel`).
    public var actual: Double?
    public var feedbackTimeMs: Int64?
    /// A classifier's classes, in the order of `probabilities`; nil for a regression.
    public var classes: [String]?
    /// A classifier's probability of each class; nil for a regression.
    public var probabilities: [Double]?
    /// The class label fed back for a classifier's prediction.
    public var actualLabel: String?
    /// The serving variant that answered (canary, A/B, blue-green); nil for a server without variants.
    public var variant: String?
    /// The routing key that chose the variant; nil when the request id chose it.
    public var routingKey: String?

    public init(requestID: String, timeMs: Int64, modelName: String, modelVersion: Int, inputsJSON: String, prediction: Double,
                shadowVersion: Int? = nil, shadowPrediction: Double? = nil, actual: Double? = nil, feedbackTimeMs: Int64? = nil,
                classes: [String]? = nil, probabilities: [Double]? = nil, actualLabel: String? = nil,
                variant: String? = nil, routingKey: String? = nil) {
        self.requestID = requestID; self.timeMs = timeMs; self.modelName = modelName; self.modelVersion = modelVersion
        self.inputsJSON = inputsJSON; self.prediction = prediction; self.shadowVersion = shadowVersion
        self.shadowPrediction = shadowPrediction; self.actual = actual; self.feedbackTimeMs = feedbackTimeMs
        self.classes = classes; self.probabilities = probabilities; self.actualLabel = actualLabel
        self.variant = variant; self.routingKey = routingKey
    }

    /// A classifier's predicted label; nil for a regression.
    public var label: String? { classes.flatMap { PredictionBatchRecord.label(prediction, $0) } }
}

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
public func jsonStringLiteral(_ s: String) -> String {
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// One served request's predictions, kept as one row of the store: row `r` has request id
/// `idPrefix` + `String(firstCounter + r, radix: 16)` (the server's "<8 hex>-<hex counter>" ids).
public struct PredictionBatchRecord: Sendable, Equatable {
    /// Everything before the counter, e.g. "3fa9c01b-".
    public var idPrefix: String
    /// Counter of the first row (≥ 1).
    public var firstCounter: Int64
    /// ms since 1970.
    public var timeMs: Int64
    public var modelName: String
    public var modelVersion: Int
    /// Names of the input features, in the order of each row's values.
    public var featureNames: [String]
    /// The rows' input values, row after row, each value a tag byte then its payload: 0 missing,
    /// 1 number (8 bytes, little-endian IEEE 754), 2 text (4-byte little-endian length, UTF-8).
    /// Binary, so that logging a row costs a copy rather than formatting numbers.
    public var inputs: [UInt8]
    /// One per row; NaN = no prediction. A classifier's: the predicted class index (into `classes`).
    public var predictions: [Double]
    public var shadowVersion: Int?
    /// One per row when a shadow model scored them.
    public var shadowPredictions: [Double]?
    /// A classifier's classes, in the order of each row's probabilities; nil for a regression.
    public var classes: [String]?
    /// A classifier's probabilities, rows × classes, row after row; nil for a regression.
    public var probabilities: [Double]?
    /// The serving variant that answered these rows; nil for a server without variants.
    public var variant: String?
    /// The routing key that chose the variant; nil when the request id chose it.
    public var routingKey: String?

    public init(idPrefix: String, firstCounter: Int64, timeMs: Int64, modelName: String, modelVersion: Int,
                featureNames: [String], inputs: [UInt8] = [], predictions: [Double] = [], shadowVersion: Int? = nil,
                shadowPredictions: [Double]? = nil, classes: [String]? = nil, probabilities: [Double]? = nil,
                variant: String? = nil, routingKey: String? = nil) {
        self.idPrefix = idPrefix; self.firstCounter = firstCounter; self.timeMs = timeMs
        self.modelName = modelName; self.modelVersion = modelVersion; self.featureNames = featureNames
        self.inputs = inputs; self.predictions = predictions; self.shadowVersion = shadowVersion
        self.shadowPredictions = shadowPredictions; self.classes = classes; self.probabilities = probabilities
        self.variant = variant; self.routingKey = routingKey
    }

    /// A classifier's predicted label of each row ("" for a prediction that names no class);
    /// nil for a regression.
    public var labels: [String]? {
        guard let classes else { return nil }
        return predictions.map { Self.label($0, classes) ?? "" }
    }

    /// A classifier's probabilities of row `r`, one per class; nil for a regression.
    public func probabilities(row r: Int) -> ArraySlice<Double>? {
        guard let classes, let probabilities else { return nil }
        return probabilities[(r * classes.count)..<((r + 1) * classes.count)]
    }

    /// `classes[index]` for a class index stored as a Double; nil when it names none.
    static func label(_ index: Double, _ classes: [String]) -> String? {
        guard index >= 0, index < Double(classes.count), index == index.rounded() else { return nil }
        return classes[Int(index)]
    }

    /// Class labels as stored in a `classes` column: a JSON array.
    static func classesJSON(_ classes: [String]) -> String {
        "[" + classes.map(jsonStringLiteral).joined(separator: ",") + "]"
    }

    /// A `classes` column's labels; nil for NULL (a regression's row).
    /// - Throws: `.database` naming `what` when the text is not a JSON array of at least two strings.
    static func classes(_ text: String?, _ what: @autoclosure () -> String) throws -> [String]? {
        guard let text else { return nil }
        guard let classes = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), classes.count >= 2 else {
            throw TrackingError(code: .database, message: "\(what()): unreadable classes \(text)")
        }
        return classes
    }

    /// Appends one input value to `inputs` (see its layout).
    public mutating func appendMissing() { inputs.append(0) }
    public mutating func appendNumber(_ x: Double) {
        inputs.append(1)
        withUnsafeBytes(of: x.bitPattern.littleEndian) { inputs.append(contentsOf: $0) }
    }
    public mutating func appendText(_ s: String) {
        inputs.append(2)
        var s = s
        s.withUTF8 { u in
            withUnsafeBytes(of: UInt32(u.count).littleEndian) { inputs.append(contentsOf: $0) }
            inputs.append(contentsOf: u)
        }
    }

    /// Each row's inputs as a JSON object text `{"name":value,…}` (non-finite numbers and missing
    /// values are null), as predictions logged one by one hold them.
    /// - Throws: `.database` when `inputs` does not hold `predictions.count` rows of `featureNames.count` values.
    public func inputsJSON() throws -> [String] {
        let keys = featureNames.map { Array((jsonStringLiteral($0) + ":").utf8) }
        var rows: [String] = []
        rows.reserveCapacity(predictions.count)
        var at = 0
        func fail() -> TrackingError {
            TrackingError(code: .database, message: "prediction batch \(requestID(0)): inputs do not hold \(predictions.count) rows of \(featureNames.count) values")
        }
        for _ in 0..<predictions.count {
            var out: [UInt8] = [UInt8(ascii: "{")]
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: key)
                guard at < inputs.count else { throw fail() }
                let tag = inputs[at]; at += 1
                switch tag {
                case 0:
                    out.append(contentsOf: "null".utf8)
                case 1:
                    guard at + 8 <= inputs.count else { throw fail() }
                    var bits: UInt64 = 0
                    for k in 0..<8 { bits |= UInt64(inputs[at + k]) << (8 * UInt64(k)) }
                    at += 8
                    let x = Double(bitPattern: bits)
                    out.append(contentsOf: (x.isFinite ? x.description : "null").utf8)
                case 2:
                    guard at + 4 <= inputs.count else { throw fail() }
                    var n = 0
                    for k in 0..<4 { n |= Int(inputs[at + k]) << (8 * k) }
                    at += 4
                    guard at + n <= inputs.count else { throw fail() }
                    out.append(contentsOf: jsonStringLiteral(String(decoding: inputs[at..<(at + n)], as: UTF8.self)).utf8)
                    at += n
                default:
                    throw fail()
                }
            }
            out.append(UInt8(ascii: "}"))
            rows.append(String(decoding: out, as: UTF8.self))
        }
        guard at == inputs.count else { throw fail() }
        return rows
    }

    /// Request id of row `r`.
    public func requestID(_ r: Int) -> String { idPrefix + String(firstCounter + Int64(r), radix: 16) }

    /// Splits a server request id into (prefix, counter); nil for any other form (the counter
    /// must be written exactly as the server writes it: lowercase hex, no leading zero).
    public static func parse(requestID id: String) -> (prefix: String, counter: Int64)? {
        guard let dash = id.lastIndex(of: "-") else { return nil }
        let prefix = String(id[...dash]), digits = id[id.index(after: dash)...]
        guard let c = Int64(digits, radix: 16), c >= 1, String(c, radix: 16) == digits else { return nil }
        return (prefix, c)
    }

    static func blob(_ values: [Double]) -> Data {
        // Little-endian IEEE 754 doubles: the array's own bytes on a little-endian machine (one
        // copy; appending eight bytes at a time cost more than the rest of the insert).
        if 1.littleEndian == 1 { return values.withUnsafeBytes { Data($0) } }
        var d = Data(capacity: 8 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    static func doubles(_ d: Data, count: Int, _ what: String) throws -> [Double] {
        guard d.count == 8 * count else {
            throw TrackingError(code: .database, message: "prediction batch: \(what) holds \(d.count) bytes, \(8 * count) expected")
        }
        return d.withUnsafeBytes { raw in
            (0..<count).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        }
    }
}

extension TrackingStore {
    /// Appends a batch of predictions in ONE transaction with a cached prepared statement.
    /// - Throws: `.alreadyExists` if a request id is already logged (the whole batch is rolled
    ///   back); `.invalidArgument` for a classifier's record without one probability per class.
    public func appendPredictions(_ batch: [PredictionRecord]) throws {
        guard !batch.isEmpty else { return }
        for p in batch where (p.classes == nil) != (p.probabilities == nil) || (p.classes.map { $0.count < 2 || $0.count != p.probabilities?.count } ?? false) {
            throw TrackingError(code: .invalidArgument, message: "prediction \(p.requestID): \(p.probabilities?.count ?? 0) probabilities for \(p.classes?.count ?? 0) classes")
        }
        try write("logging \(batch.count) predictions") { db in
            let st = try db.cachedStatement(sql: """
                INSERT INTO predictions(request_id, time_ms, model_name, model_version, inputs, prediction,
                                        shadow_version, shadow_prediction, actual, feedback_time_ms,
                                        classes, probabilities, actual_label, variant, routing_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in batch {
                do {
                    try st.execute(arguments: [p.requestID, p.timeMs, p.modelName, p.modelVersion, p.inputsJSON,
                                               p.prediction.isNaN ? nil : p.prediction, p.shadowVersion,
                                               p.shadowPrediction.flatMap { $0.isNaN ? nil : $0 }, p.actual, p.feedbackTimeMs,
                                               p.classes.map(PredictionBatchRecord.classesJSON),
                                               p.probabilities.map(PredictionBatchRecord.blob), p.actualLabel,
                                               p.variant, p.routingKey])
                } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    throw TrackingError(code: .alreadyExists, message: "prediction request id \"\(p.requestID)\" is already logged", underlying: e)
                }
            }
        }
    }

    /// Appends served requests' predictions, one row per request, in ONE transaction.
    /// - Throws: `.invalidArgument` for a batch whose arrays disagree; `.alreadyExists` when a
    ///   batch's first request id is already logged (the whole call is rolled back).
    public func appendPredictionBatches(_ batches: [PredictionBatchRecord]) throws {
        guard !batches.isEmpty else { return }
        for b in batches {
            guard !b.predictions.isEmpty, b.firstCounter >= 1, b.shadowPredictions.map({ $0.count == b.predictions.count }) ?? true else {
                throw TrackingError(code: .invalidArgument, message: "prediction batch \(b.requestID(0)): \(b.predictions.count) predictions, \(b.shadowPredictions?.count ?? 0) shadow predictions")
            }
            let k = b.classes?.count ?? 0
            guard (b.classes == nil) == (b.probabilities == nil), b.classes == nil || k >= 2,
                  (b.probabilities?.count ?? 0) == k * b.predictions.count else {
                throw TrackingError(code: .invalidArgument, message: "prediction batch \(b.requestID(0)): \(b.probabilities?.count ?? 0) probabilities for \(b.predictions.count) rows of \(k) classes")
            }
        }
        // The bulk goes to the payload files first (synced now, or before the next background
        // checkpoint makes these rows durable); the rows then point at it.
        let places = try payloads.append(batches)
        try write("logging \(batches.count) prediction batches") { db in
            let st = try db.cachedStatement(sql: """
                INSERT INTO prediction_batches(id_prefix, first_counter, row_count, time_ms, model_name, model_version,
                                               feature_names, inputs, predictions, shadow_version, shadow_predictions,
                                               payload_file, payload_offset, payload_length, payload_check, classes,
                                               variant, routing_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (b, place) in zip(batches, places) {
                do {
                    // Empty inline blobs; a shadow model's presence stays visible as a non-NULL one.
                    try st.execute(arguments: [b.idPrefix, b.firstCounter, b.predictions.count, b.timeMs, b.modelName, b.modelVersion,
                                               "[" + b.featureNames.map(jsonStringLiteral).joined(separator: ",") + "]",
                                               Data(), Data(), b.shadowVersion, b.shadowPredictions.map { _ in Data() },
                                               place.file, place.offset, place.length, place.check,
                                               b.classes.map(PredictionBatchRecord.classesJSON), b.variant, b.routingKey])
                } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
                    throw TrackingError(code: .alreadyExists, message: "prediction request id \"\(b.requestID(0))\" is already logged", underlying: e)
                }
            }
        }
    }

    /// Records the ground truth for a logged prediction (either form of the log).
    /// - Throws: `.notFound` naming the request id if it was never logged.
    public func recordFeedback(requestID: String, actual: Double, timeMs: Int64? = nil) throws {
        let time = timeMs ?? Self.nowMs()
        try write("recording feedback for request \(requestID)") { db in
            try db.execute(sql: "UPDATE predictions SET actual = ?, feedback_time_ms = ?, actual_label = NULL WHERE request_id = ?",
                           arguments: [actual, time, requestID])
            if db.changesCount > 0 { return }
            if try Self.loggedBatch(db, requestID: requestID) != nil {
                try db.execute(sql: "INSERT OR REPLACE INTO prediction_feedback(request_id, actual, time_ms) VALUES (?, ?, ?)",
                               arguments: [requestID, actual, time])
                return
            }
            throw TrackingError.notFound("prediction request id \"\(requestID)\" is not logged")
        }
    }

    /// Records the observed class of a classifier's logged prediction: `label`, kept with its
    /// index in the classes the prediction was logged with (as `actual`).
    /// - Throws: `.notFound` naming the request id if it was never logged; `.invalidArgument`
    ///   when a regression made that prediction, or when `label` is not one of its classes (the
    ///   message lists them).
    public func recordFeedback(requestID: String, label: String, timeMs: Int64? = nil) throws {
        let time = timeMs ?? Self.nowMs()
        try write("recording feedback for request \(requestID)") { db in
            let (classes, single) = try Self.loggedClasses(db, requestID: requestID)
            guard let classes else {
                throw TrackingError.invalid("prediction request id \"\(requestID)\" was answered by a regression: its feedback is a number, not the label \"\(label)\"")
            }
            guard let index = classes.firstIndex(of: label) else {
                throw TrackingError.invalid("label \"\(label)\" is not a class of the model that answered request id \"\(requestID)\" (classes: \(classes.joined(separator: ", ")))")
            }
            if single {
                try db.execute(sql: "UPDATE predictions SET actual = ?, feedback_time_ms = ?, actual_label = ? WHERE request_id = ?",
                               arguments: [Double(index), time, label, requestID])
            } else {
                try db.execute(sql: "INSERT OR REPLACE INTO prediction_feedback(request_id, actual, time_ms, actual_label) VALUES (?, ?, ?, ?)",
                               arguments: [requestID, Double(index), time, label])
            }
        }
    }

    /// The classes of the model that answered a logged prediction, in the order of its
    /// probabilities; nil when a regression answered it.
    /// - Throws: `.notFound` naming the request id if it was never logged.
    public func loggedClasses(requestID: String) throws -> [String]? {
        try read("looking up request \(requestID)") { db in try Self.loggedClasses(db, requestID: requestID).classes }
    }

    /// The classes logged with `requestID` (nil: a regression's) and whether it was logged alone
    /// (`predictions`) rather than in a batch.
    /// - Throws: `.notFound` when it was never logged.
    static func loggedClasses(_ db: Database, requestID: String) throws -> (classes: [String]?, single: Bool) {
        if let row = try Row.fetchOne(db, sql: "SELECT classes FROM predictions WHERE request_id = ?", arguments: [requestID]) {
            return (try PredictionBatchRecord.classes(row[0], "prediction \(requestID)"), true)
        }
        if let batch = try loggedBatch(db, requestID: requestID) {
            return (try PredictionBatchRecord.classes(batch.classes, "prediction batch of request \(requestID)"), false)
        }
        throw TrackingError.notFound("prediction request id \"\(requestID)\" is not logged")
    }

    /// The batch row whose ids cover `requestID`, nil when none does.
    static func loggedBatch(_ db: Database, requestID: String) throws -> (firstCounter: Int64, classes: String?)? {
        guard let (prefix, c) = PredictionBatchRecord.parse(requestID: requestID),
              let row = try Row.fetchOne(db, sql: """
                SELECT first_counter, row_count, classes FROM prediction_batches
                WHERE id_prefix = ? AND first_counter <= ? ORDER BY first_counter DESC LIMIT 1
                """, arguments: [prefix, c]),
              c < (row[0] as Int64) + (row[1] as Int64) else { return nil }
        return (row[0], row[2])
    }

    /// The most recent `limit` predictions of `model` at or after `since`, returned oldest first
    /// (by time; within one time, rows logged one by one first, then each request's rows in order).
    /// A classifier's carry their classes, probabilities and any label fed back.
    public func predictions(model: String, since: Date? = nil, limit: Int = 10_000) throws -> [PredictionRecord] {
        let sinceMs = since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? Int64.min
        let limit = max(0, limit)
        return try read("reading predictions of model \"\(model)\"") { db in
            // Newest first from both forms of the log, each at most `limit`, then merged.
            let single = try Row.fetchAll(db, sql: """
                SELECT request_id, time_ms, model_name, model_version, inputs, prediction, shadow_version, shadow_prediction, actual, feedback_time_ms,
                       classes, probabilities, actual_label, variant, routing_key
                FROM predictions WHERE model_name = ? AND time_ms >= ? ORDER BY time_ms DESC, rowid DESC LIMIT ?
                """, arguments: [model, sinceMs, limit]).map { r in
                let id: String = r[0]
                let classes = try PredictionBatchRecord.classes(r[10], "prediction \(id)")
                let probabilities = try (r[11] as Data?).map { try PredictionBatchRecord.doubles($0, count: classes?.count ?? 0, "prediction \(id) probabilities") }
                return PredictionRecord(requestID: id, timeMs: r[1], modelName: r[2], modelVersion: r[3], inputsJSON: r[4],
                                        prediction: (r[5] as Double?) ?? .nan, shadowVersion: r[6], shadowPrediction: r[7],
                                        actual: r[8], feedbackTimeMs: r[9], classes: classes, probabilities: probabilities, actualLabel: r[12],
                                        variant: r[13], routingKey: r[14])
            }
            var batched: [PredictionRecord] = []   // newest first
            var feedback = FeedbackCache()
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT \(Self.batchColumns) FROM prediction_batches WHERE model_name = ? AND time_ms >= ? ORDER BY time_ms DESC, id DESC
                """, arguments: [model, sinceMs])
            let payloadReader = PredictionPayloadFiles.Reader(directory: payloads.directory)
            defer { payloadReader.close() }
            while batched.count < limit, let r = try cursor.next() {
                let batch = try Self.batchRecord(r, reader: payloadReader)
                let inputs = try batch.inputsJSON()
                let answers = try feedback.answers(db, prefix: batch.idPrefix)
                for i in stride(from: batch.predictions.count - 1, through: 0, by: -1) where batched.count < limit {
                    let id = batch.requestID(i)
                    let answer = answers[id]
                    batched.append(PredictionRecord(requestID: id, timeMs: batch.timeMs, modelName: batch.modelName,
                                                    modelVersion: batch.modelVersion, inputsJSON: inputs[i], prediction: batch.predictions[i],
                                                    shadowVersion: batch.shadowVersion, shadowPrediction: batch.shadowPredictions?[i],
                                                    actual: answer?.actual, feedbackTimeMs: answer?.timeMs, classes: batch.classes,
                                                    probabilities: batch.probabilities(row: i).map(Array.init), actualLabel: answer?.label,
                                                    variant: batch.variant, routingKey: batch.routingKey))
                }
            }
            // Merge newest first; at equal times batched rows count as later than single ones.
            var out: [PredictionRecord] = []
            out.reserveCapacity(min(limit, single.count + batched.count))
            var i = 0, j = 0
            while out.count < limit && (i < single.count || j < batched.count) {
                if j < batched.count && (i == single.count || batched[j].timeMs >= single[i].timeMs) {
                    out.append(batched[j]); j += 1
                } else {
                    out.append(single[i]); i += 1
                }
            }
            return out.reversed()
        }
    }

    /// The most recent `limit` logged requests (batches) of `model` at or after `since`, returned
    /// oldest first, each whole: inputs, predictions, shadow predictions, a classifier's classes
    /// and probabilities, and the feedback each row received. Predictions logged one by one
    /// (`appendPredictions`) are not batches: read them with `predictions(model:since:limit:)`.
    public func predictionBatches(model: String, since: Date? = nil, limit: Int = 1_000) throws -> [LoggedPredictionBatch] {
        let sinceMs = since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? Int64.min
        return try read("reading prediction batches of model \"\(model)\"") { db in
            var out: [LoggedPredictionBatch] = []
            var feedback = FeedbackCache()
            let payloadReader = PredictionPayloadFiles.Reader(directory: payloads.directory)
            defer { payloadReader.close() }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT \(Self.batchColumns) FROM prediction_batches WHERE model_name = ? AND time_ms >= ? ORDER BY time_ms DESC, id DESC LIMIT ?
                """, arguments: [model, sinceMs, max(0, limit)])
            while let r = try cursor.next() {
                let batch = try Self.batchRecord(r, reader: payloadReader)
                let answers = try feedback.answers(db, prefix: batch.idPrefix)
                let rows = batch.predictions.indices.map { answers[batch.requestID($0)] }
                out.append(LoggedPredictionBatch(record: batch, actuals: rows.map { $0?.actual }, actualLabels: rows.map { $0?.label }))
            }
            return out.reversed()
        }
    }

    /// The columns `batchRecord` reads, in its order.
    static let batchColumns = """
        id_prefix, first_counter, row_count, time_ms, model_name, model_version, feature_names, inputs, predictions,
        shadow_version, shadow_predictions, payload_file, payload_offset, payload_length, payload_check, classes,
        variant, routing_key
        """

    /// One `prediction_batches` row (selected as `batchColumns`) with its payload.
    /// - Throws: `.database` naming the batch when the row or its payload does not hold what it says.
    static func batchRecord(_ r: Row, reader: PredictionPayloadFiles.Reader) throws -> PredictionBatchRecord {
        let prefix: String = r[0], first: Int64 = r[1], n: Int = r[2]
        let batchID = prefix + String(first, radix: 16)
        let names = try? JSONDecoder().decode([String].self, from: Data((r[6] as String).utf8))
        guard n > 0, let names else {
            throw TrackingError(code: .database, message: "prediction batch \(batchID): unreadable feature names or row count \(n)")
        }
        // A NULL `classes` (every row before classifiers) is a regression's row.
        let classes = try PredictionBatchRecord.classes(r[15], "prediction batch \(batchID)")
        let inputBytes: [UInt8], predBytes: Data, shadowBytes: Data?, probabilityBytes: Data?
        if let file = r[11] as String? {
            // Payload file: inputs, predictions (8n bytes), shadow predictions (8n) when the row
            // says so, then a classifier's probabilities (8nk).
            let place = PredictionPayloadFiles.Place(file: file, offset: r[12] ?? -1, length: r[13] ?? -1, check: r[14] ?? 0)
            let bytes = try reader.read(place, batch: batchID)
            let hasShadow = (r[10] as Data?) != nil
            let k = classes?.count ?? 0
            let tail = 8 * n * (hasShadow ? 2 : 1) + 8 * n * k
            guard bytes.count >= tail else {
                throw TrackingError(code: .database, message: "prediction batch \(batchID): its payload holds \(bytes.count) bytes, fewer than its \(n) predictions need")
            }
            let cut = bytes.count - tail
            inputBytes = Array(bytes[..<cut])
            predBytes = Data(bytes[cut..<(cut + 8 * n)])
            let shadowEnd = cut + 8 * n * (hasShadow ? 2 : 1)
            shadowBytes = hasShadow ? Data(bytes[(cut + 8 * n)..<shadowEnd]) : nil
            probabilityBytes = classes == nil ? nil : Data(bytes[shadowEnd...])
        } else {
            guard classes == nil else {
                throw TrackingError(code: .database, message: "prediction batch \(batchID): a classifier's batch without a payload file")
            }
            inputBytes = [UInt8](r[7] as Data)
            predBytes = r[8]
            shadowBytes = r[10]
            probabilityBytes = nil
        }
        let preds = try PredictionBatchRecord.doubles(predBytes, count: n, "predictions")
        let shadow = try shadowBytes.map { try PredictionBatchRecord.doubles($0, count: n, "shadow predictions") }
        let probabilities = try probabilityBytes.map { try PredictionBatchRecord.doubles($0, count: n * (classes?.count ?? 0), "probabilities") }
        return PredictionBatchRecord(idPrefix: prefix, firstCounter: first, timeMs: r[3], modelName: r[4], modelVersion: r[5],
                                     featureNames: names, inputs: inputBytes, predictions: preds, shadowVersion: r[9],
                                     shadowPredictions: shadow, classes: classes, probabilities: probabilities,
                                     variant: r[16], routingKey: r[17])
    }

    /// Feedback of batched rows, read once per server run (id prefix).
    struct FeedbackCache {
        struct Answer { var actual: Double; var timeMs: Int64; var label: String? }
        private var byPrefix: [String: [String: Answer]] = [:]

        mutating func answers(_ db: Database, prefix: String) throws -> [String: Answer] {
            if let known = byPrefix[prefix] { return known }
            // Every answer for this server run at once ("-" < hex digits < "~").
            var answers: [String: Answer] = [:]
            for f in try Row.fetchAll(db, sql: "SELECT request_id, actual, time_ms, actual_label FROM prediction_feedback WHERE request_id > ? AND request_id < ?",
                                      arguments: [prefix, prefix + "~"]) {
                answers[f[0]] = Answer(actual: f[1], timeMs: f[2], label: f[3])
            }
            byPrefix[prefix] = answers
            return answers
        }
    }
}

/// One logged request read back whole, with the feedback its rows received.
public struct LoggedPredictionBatch: Sendable, Equatable {
    /// Inputs, predictions (a classifier's: class indices), shadow predictions, and a
    /// classifier's classes and probabilities (`record.probabilities(row:)`, `record.labels`).
    public var record: PredictionBatchRecord
    /// Per row: the outcome fed back (a classifier's: the class index), nil when none.
    public var actuals: [Double?]
    /// Per row: the class label fed back, nil when none (always nil for a regression).
    public var actualLabels: [String?]

    public init(record: PredictionBatchRecord, actuals: [Double?], actualLabels: [String?]) {
        self.record = record
        self.actuals = actuals
        self.actualLabels = actualLabels
    }
}
