import Foundation
import MLCore
import Serving
import Tabular
import Tracking

/// A `LoadedModel` as the server sees it: named, typed features in, predictions out.
public struct ServableLoadedModel: ServableModel {
    public let located: LocatedModel
    public let features: [Serving.FeatureSpec]

    public init(_ located: LocatedModel) {
        self.located = located
        features = located.model.header.preprocessor.inputFeatures.map {
            Serving.FeatureSpec(name: $0.name, kind: $0.kind == .numeric ? .numeric : .categorical, levels: $0.levels)
        }
    }

    public var name: String { located.name }
    public var version: String { located.version }
    public var metrics: [String: Double] { located.model.header.metrics }
    public var kind: String { located.model.header.kind }

    /// Builds a table in the model's input schema (missing = NaN / no level), then applies the
    /// stored preprocessing and the regressor, exactly as `plumb predict` does.
    public func predict(rows: [[FeatureValue?]]) throws -> [Double] {
        var columns: [Column] = []
        columns.reserveCapacity(features.count)
        for (j, f) in features.enumerated() {
            switch f.kind {
            case .numeric:
                columns.append(Column(name: f.name, data: .numeric(rows.map { row in
                    if case .number(let x)? = row[j] { return x }
                    return .nan
                })))
            case .categorical:
                var levels = f.levels ?? []
                var index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
                let codes: [Int32] = rows.map { row in
                    guard case .string(let s)? = row[j] else { return -1 }
                    if let c = index[s] { return c }
                    let c = Int32(levels.count)
                    levels.append(s)
                    index[s] = c
                    return c
                }
                columns.append(Column(name: f.name, data: .categorical(codes: codes, levels: levels)))
            }
        }
        return try located.model.predict(Table(columns: columns, rowCount: rows.count)).predictions
    }
}

/// Serves a model file or a registry URI; for `models:/NAME@ALIAS` it follows the alias, so a
/// promotion is picked up by the server's poller.
public final class LocatorModelProvider: ModelProvider, @unchecked Sendable {
    public let reference: String
    public let storePath: String
    private let lock = NSLock()
    private var current: String?

    public init(reference: String, storePath: String) {
        self.reference = reference
        self.storePath = storePath
    }

    public var description: String { reference }

    public func load() async throws -> any ServableModel {
        let located = try ModelLocator.load(reference, storePath: storePath)
        lock.withLock { current = located.sha256 }
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
        guard sha != lock.withLock({ current }) else { return nil }
        return try await load()
    }
}

/// The server's prediction log, kept in the tracking store for `plumb monitor --from-log`.
///
/// SQLite writes block, and formatting thousands of rows takes a while: both run on one
/// dedicated thread (`BackgroundWorker`, normal priority so that the log keeps up as well as it
/// can), never on the Swift-concurrency threads that answer requests, so a flush cannot stall
/// them. Appends and feedback run in submission order.
public final class StorePredictionLog: PredictionLogSink, @unchecked Sendable {
    public let store: TrackingStore
    private let worker = BackgroundWorker(name: "plumb-log", niceness: 10)

    public init(store: TrackingStore) { self.store = store }

    public func append(_ entries: [PredictionLogEntry]) async throws {
        let store = self.store
        try await worker.run {
            let (batches, single) = Self.batches(entries)
            try store.appendPredictionBatches(batches)
            try store.appendPredictions(single)
        }
    }

    /// Groups entries into one record per served request: runs of consecutive server request ids
    /// ("<prefix>-<hex counter>", counters one apart) with the same time, model and shadow. An
    /// entry whose id has another form is kept as a single-prediction record.
    static func batches(_ entries: [PredictionLogEntry]) -> ([PredictionBatchRecord], [PredictionRecord]) {
        var keys = InputKeys()
        var batches: [PredictionBatchRecord] = [], single: [PredictionRecord] = []
        var previous: (entry: PredictionLogEntry, counter: Int64)? = nil
        for e in entries {
            let timeMs = Int64(e.time.timeIntervalSince1970 * 1000)
            let version = Int(e.modelVersion) ?? -1, shadowVersion = e.shadowVersion.flatMap { Int($0) }
            guard let (prefix, counter) = PredictionBatchRecord.parse(requestID: e.requestID) else {
                single.append(PredictionRecord(requestID: e.requestID, timeMs: timeMs, modelName: e.modelName, modelVersion: version,
                                               inputsJSON: inputsJSON(e, keys: &keys), prediction: e.prediction,
                                               shadowVersion: shadowVersion, shadowPrediction: e.shadowPrediction))
                previous = nil
                continue
            }
            let continues: Bool
            if let p = previous, let last = batches.last {
                continues = last.idPrefix == prefix && counter == p.counter + 1 && p.entry.time == e.time
                    && p.entry.modelName == e.modelName && p.entry.modelVersion == e.modelVersion
                    && p.entry.featureNames == e.featureNames && p.entry.shadowVersion == e.shadowVersion
                    && (p.entry.shadowPrediction == nil) == (e.shadowPrediction == nil)
            } else {
                continues = false
            }
            if !continues {
                batches.append(PredictionBatchRecord(idPrefix: prefix, firstCounter: counter, timeMs: timeMs, modelName: e.modelName,
                                                     modelVersion: version, featureNames: e.featureNames, shadowVersion: shadowVersion,
                                                     shadowPredictions: e.shadowPrediction == nil ? nil : []))
            }
            let b = batches.count - 1
            for (i, _) in e.featureNames.enumerated() {
                switch i < e.row.count ? e.row[i] : nil {
                case .number(let x)?: batches[b].appendNumber(x)
                case .string(let t)?: batches[b].appendText(t)
                case nil: batches[b].appendMissing()
                }
            }
            batches[b].predictions.append(e.prediction)
            if let s = e.shadowPrediction { batches[b].shadowPredictions?.append(s) }
            previous = (e, counter)
        }
        return (batches, single)
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
