import Foundation
import Synchronization
import MLCore
import Serving
import Tabular
import Tracking

/// A `LoadedModel` as the server sees it: named, typed features in, predictions (a classifier's:
/// one probability per class) out.
public struct ServableLoadedModel: ServableModel {
    public let located: LocatedModel
    public let features: [Serving.FeatureSpec]
    public let classifier: ClassifierSpec?
    /// The features' kinds, the layout every request's rows must have.
    private let kinds: [FeatureKind]

    public init(_ located: LocatedModel) {
        self.located = located
        features = located.model.header.preprocessor.inputFeatures.map {
            Serving.FeatureSpec(name: $0.name, kind: $0.kind == .numeric ? .numeric : .categorical, levels: $0.levels)
        }
        kinds = features.map(\.kind)
        classifier = Self.classifier(located.model)
    }

    /// The classifier a model file describes; nil for a regression. A header whose classes do
    /// not match the model's outputs is served as what its outputs are, never mislabelled:
    /// `ModelFile` refuses such files, so this does not happen with a file it read.
    static func classifier(_ model: LoadedModel) -> ClassifierSpec? {
        let h = model.header
        guard h.resolvedTask.isClassification, let classes = h.classes, classes.count == model.outputCount,
              classes.count >= 2, Set(classes).count == classes.count else { return nil }
        if h.resolvedTask == .binary, classes.count == 2 { return ClassifierSpec(task: .binary, classes: classes, threshold: h.threshold) }
        return ClassifierSpec(task: .multiclass, classes: classes)
    }

    public var name: String { located.name }
    public var version: String { located.version }
    public var metrics: [String: Double] { located.model.header.metrics }
    public var kind: String { located.model.header.kind }

    /// Builds a table in the model's input schema (missing = NaN / no level), then applies the
    /// stored preprocessing and the regressor, exactly as `plumb predict` does, on the calling
    /// thread: the server scores requests side by side, so splitting one over threads only adds
    /// hand-offs.
    public func predict(_ rows: FeatureRows) throws -> [Double] {
        guard rows.kinds == kinds else {
            throw ServingError(code: "row_width", message: "rows have \(rows.featureCount) features, model \(name) expects \(features.count)")
        }
        if let fast = rows.values.withUnsafeBufferPointer({ located.model.predict(rowMajor: $0, rows: rows.count, threads: 1) }) {
            return fast  // all-numeric model: the rows are already laid out as its input
        }
        return try located.model.predict(table(rows), threads: 1).predictions
    }

    /// The rows as a table in the model's input schema (missing = NaN / no level; a level the
    /// model never saw is kept, and the preprocessing reports it).
    func table(_ rows: FeatureRows) -> Table {
        var columns: [Column] = []
        columns.reserveCapacity(features.count)
        for (j, f) in features.enumerated() {
            switch f.kind {
            case .numeric:
                columns.append(Column(name: f.name, data: .numeric(rows.numbers(feature: j))))
            case .categorical:
                var levels = f.levels ?? []
                var index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
                let codes: [Int32] = rows.strings(feature: j).map { s in
                    guard let s else { return -1 }
                    if let c = index[s] { return c }
                    let c = Int32(levels.count)
                    levels.append(s)
                    index[s] = c
                    return c
                }
                columns.append(Column(name: f.name, data: .categorical(codes: codes, levels: levels)))
            }
        }
        return Table(columns: columns, rowCount: rows.count)
    }
}

/// Serves a model file or a registry URI; for `models:/NAME@ALIAS` it follows the alias, so a
/// promotion is picked up by the server's poller.
public final class LocatorModelProvider: ModelProvider, Sendable {
    public let reference: String
    public let storePath: String
    /// SHA-256 of the model last loaded.
    private let current = Mutex<String?>(nil)

    public init(reference: String, storePath: String) {
        self.reference = reference
        self.storePath = storePath
    }

    public var description: String { reference }

    public func load() async throws -> any ServableModel {
        let located = try ModelLocator.load(reference, storePath: storePath)
        current.withLock { $0 = located.sha256 }
        return ServableLoadedModel(located)
    }

    /// A new model when the reference now resolves to different bytes, else nil.
    public func poll() async throws -> (any ServableModel)? {
        let sha: String
        if ModelLocator.isURI(reference) {
            sha = try TrackingStore(path: storePath).resolve(reference).artifactSHA256
        } else {
            sha = try SHA256.hex(fileAt: reference)
        }
        guard sha != current.withLock({ $0 }) else { return nil }
        return try await load()
    }
}

/// The server's prediction log, kept in the tracking store for `plumb monitor --from-log`.
///
/// SQLite writes block, and encoding thousands of rows takes a while: both run on dedicated
/// threads (`BackgroundWorker`), never on the Swift-concurrency threads that answer requests, so
/// a flush cannot stall them. Normally the writer runs at nice 10, so request threads win the
/// CPU and the slowest single-row requests stay fast; when the log falls behind (more than
/// `urgentBacklog` rows waiting: a sustained load of large batches), writes go to a twin thread
/// at normal priority, so the log takes its fair share instead of waiting for idle moments while
/// requests queue behind a full log. Appends never overlap (the server's queue serialises them)
/// and feedback runs after the appends before it, so one store sees one order.
public final class StorePredictionLog: PredictionLogSink, Sendable {
    public let store: TrackingStore
    /// Rows waiting beyond which appends run at normal priority.
    public static let urgentBacklog = 100_000
    private let worker = BackgroundWorker(name: "plumb-log", niceness: 10)
    private let urgentWorker = BackgroundWorker(name: "plumb-log-urgent")

    public init(store: TrackingStore) { self.store = store }

    public func append(_ batches: [PredictionLogBatch]) async throws {
        try await append(batches, backlog: 0)
    }

    public func append(_ batches: [PredictionLogBatch], backlog: Int) async throws {
        let store = self.store
        try await (backlog > Self.urgentBacklog ? urgentWorker : worker).run {
            let (records, single) = Self.records(batches)
            try store.appendPredictionBatches(records)
            try store.appendPredictions(single)
        }
    }

    /// One store record per request, requests whose ids continue one another (consecutive
    /// counters under one prefix) with the same millisecond, model, features and shadow merged
    /// into one record: single-row requests arriving thousands a second become a few rows of
    /// SQLite, not thousands. Batches are taken in counter order (requests served side by side
    /// may queue out of order). A batch whose ids the store cannot parse back (a prefix not
    /// ending in "-", counter 0) is kept prediction by prediction.
    static func records(_ batches: [PredictionLogBatch]) -> ([PredictionBatchRecord], [PredictionRecord]) {
        var records: [PredictionBatchRecord] = [], single: [PredictionRecord] = []
        var keys = InputKeys()
        var previous: PredictionLogBatch? = nil
        let ordered = batches.enumerated().sorted { a, b in
            (a.element.idPrefix, a.element.firstCounter, a.offset) < (b.element.idPrefix, b.element.firstCounter, b.offset)
        }
        for (_, b) in ordered {
            let timeMs = Int64((b.time.timeIntervalSince1970 * 1000).rounded(.down))
            let version = Int(b.modelVersion) ?? -1
            let shadowVersion = b.shadowPredictions == nil ? nil : b.shadowVersion.map { Int($0) ?? -1 }
            guard b.idPrefix.hasSuffix("-"), b.firstCounter >= 1, b.firstCounter + UInt64(b.count) < UInt64(Int64.max),
                  PredictionBatchRecord.parse(requestID: b.requestID(0))?.prefix == b.idPrefix else {
                for e in b.entries {
                    single.append(PredictionRecord(requestID: e.requestID, timeMs: timeMs, modelName: e.modelName, modelVersion: version,
                                                   inputsJSON: inputsJSON(e, keys: &keys), prediction: e.prediction,
                                                   shadowVersion: shadowVersion, shadowPrediction: e.shadowPrediction,
                                                   classes: e.classes, probabilities: e.probabilities,
                                                   variant: e.variant, routingKey: e.routingKey))
                }
                previous = nil
                continue
            }
            let continues: Bool
            if let p = previous, let last = records.last {
                continues = p.idPrefix == b.idPrefix && p.firstCounter + UInt64(p.count) == b.firstCounter
                    && last.timeMs == timeMs && p.modelName == b.modelName && p.modelVersion == b.modelVersion
                    && p.featureNames == b.featureNames && p.rows.kinds == b.rows.kinds
                    && last.shadowVersion == shadowVersion && (p.shadowPredictions == nil) == (b.shadowPredictions == nil)
                    && p.classes == b.classes && p.variant == b.variant && p.routingKey == b.routingKey
            } else {
                continues = false
            }
            if !continues {
                records.append(PredictionBatchRecord(idPrefix: b.idPrefix, firstCounter: Int64(b.firstCounter), timeMs: timeMs,
                                                     modelName: b.modelName, modelVersion: version, featureNames: b.featureNames,
                                                     shadowVersion: shadowVersion, shadowPredictions: b.shadowPredictions == nil ? nil : [],
                                                     classes: b.classes, probabilities: b.classes == nil ? nil : [],
                                                     variant: b.variant, routingKey: b.routingKey))
            }
            let r = records.count - 1
            appendInputs(b.rows, to: &records[r].inputs)
            records[r].predictions.append(contentsOf: b.predictions)
            if let s = b.shadowPredictions { records[r].shadowPredictions?.append(contentsOf: s) }
            if let p = b.probabilities { records[r].probabilities?.append(contentsOf: p) }
            previous = b
        }
        return (records, single)
    }

    /// Appends the rows' values in `PredictionBatchRecord.inputs` layout (tag byte, then 8 bytes
    /// of a number or 4 bytes of length and the text), in one pass into uninitialised space:
    /// 9 bytes a value for all-numeric rows (the usual request; a missing value takes 1), the
    /// measured size when there is text.
    static func appendInputs(_ rows: FeatureRows, to out: inout [UInt8]) {
        let width = rows.featureCount
        var room = 9 * rows.count * width
        if !rows.kinds.allSatisfy({ $0 == .numeric }) {
            room = 0
            for r in 0..<rows.count {
                for f in 0..<width {
                    let v = rows.values[r * width + f]
                    if v.isNaN { room += 1 } else if rows.kinds[f] == .numeric { room += 9 } else { room += 5 + rows.texts[Int(v)].utf8.count }
                }
            }
        }
        let block = [UInt8](unsafeUninitializedCapacity: room) { buffer, written in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var at = 0
            rows.values.withUnsafeBufferPointer { values in
                for r in 0..<rows.count {
                    for f in 0..<width {
                        let v = values[r * width + f]
                        if v.isNaN {
                            raw[at] = 0; at += 1
                        } else if rows.kinds[f] == .numeric {
                            raw[at] = 1
                            raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: at + 1, as: UInt64.self)
                            at += 9
                        } else {
                            var text = rows.texts[Int(v)]
                            raw[at] = 2
                            text.withUTF8 { u in
                                raw.storeBytes(of: UInt32(u.count).littleEndian, toByteOffset: at + 1, as: UInt32.self)
                                UnsafeMutableRawBufferPointer(rebasing: raw[(at + 5)...]).copyMemory(from: UnsafeRawBufferPointer(u))
                                at += 5 + u.count
                            }
                        }
                    }
                }
            }
            written = at
        }
        if out.isEmpty { out = block } else { out.append(contentsOf: block) }
    }

    public func recordFeedback(requestID: String, actual: Double) async throws -> Bool {
        let store = self.store
        return try await worker.run {
            do {
                try store.recordFeedback(requestID: requestID, actual: actual)
                return true
            } catch let e as TrackingError where e.code == .notFound {
                return false
            }
        }
    }

    public func loggedOutput(requestID: String) async throws -> LoggedOutput? {
        let store = self.store
        return try await worker.run {
            do {
                return try store.loggedClasses(requestID: requestID).map { .classifier(classes: $0) } ?? .regression
            } catch let e as TrackingError where e.code == .notFound {
                return nil
            }
        }
    }

    /// The store finds the class index itself, from the classes the prediction was logged with.
    public func recordFeedback(requestID: String, label: String, classIndex: Int) async throws -> Bool {
        let store = self.store
        return try await worker.run {
            do {
                try store.recordFeedback(requestID: requestID, label: label)
                return true
            } catch let e as TrackingError where e.code == .notFound {
                return false
            }
        }
    }

    /// The JSON keys (`"name":`) of the last feature list seen; entries of one model share it.
    struct InputKeys {
        var names: [String] = []
        var keys: [[UInt8]] = []

        mutating func keys(for names: [String]) -> [[UInt8]] {
            if names != self.names {
                self.names = names
                keys = names.map { Array((jsonStringLiteral($0) + ":").utf8) }
            }
            return keys
        }
    }

    static func inputsJSON(_ e: PredictionLogEntry) -> String {
        var keys = InputKeys()
        return inputsJSON(e, keys: &keys)
    }

    /// `{"name":value,…}` in feature order; non-finite numbers and missing values are `null`.
    static func inputsJSON(_ e: PredictionLogEntry, keys cache: inout InputKeys) -> String {
        let keys = cache.keys(for: e.featureNames)
        var out: [UInt8] = []
        out.reserveCapacity(2 + keys.count * 24)
        out.append(UInt8(ascii: "{"))
        for (i, value) in e.row.enumerated() where i < keys.count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: keys[i])
            switch value {
            case .number(let x)? where x.isFinite:
                var d = x.description
                d.withUTF8 { out.append(contentsOf: $0) }
            case .string(let s)?:
                var q = jsonStringLiteral(s)
                q.withUTF8 { out.append(contentsOf: $0) }
            case .number?, nil:
                out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
