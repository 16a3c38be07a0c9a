import Drift
import Foundation
import MLCore
import Tabular
import Tracking

/// Everything one monitoring pass produced.
public struct MonitorOutcome: Sendable {
    public var result: DriftResult
    public var reportPath: String?
    public var currentRows: Int
    public var labelledRows: Int
    public var source: String
}

/// `plumb monitor`: compares production data with the model's reference profile, scores
/// performance where ground truth is known, and recommends retraining by policy.
public enum Monitor {
    public enum Current: Sendable {
        case file(String, CSVOptions)
        case log(since: Date?)
    }

    public static func run(model reference: String, storePath: String, current: Current, options: DriftOptions,
                           policy: RetrainPolicy, reportPath: String?) throws -> MonitorOutcome {
        var table: Table
        var predictions: [Double]
        var actuals: [Double?]
        let source: String
        let located: LocatedModel, profile: ReferenceProfile
        switch current {
        case .file(let path, let csv):
            // Independent work overlaps: the model with the CSV, then scoring with the profile.
            (table, located) = try concurrently({ try TableFile.read(path, csv: csv) },
                                                { try ModelLocator.load(reference, storePath: storePath) })
            (predictions, profile) = try concurrently(
                { do { return try located.model.predict(table).predictions } catch let e as TabularError { throw e.naming(path) } },
                { try ModelLocator.profile(for: located, storePath: storePath) })
            if let y = table.column(named: located.model.header.target)?.numericValues {
                actuals = y.map { $0.isFinite ? $0 : nil }
            } else {
                actuals = Array(repeating: nil, count: table.rowCount)
            }
            source = path
        case .log(let since):
            located = try ModelLocator.load(reference, storePath: storePath)
            profile = try ModelLocator.profile(for: located, storePath: storePath)
            let store = try TrackingStore(path: storePath)
            let records = try store.predictions(model: located.name, since: since, limit: 1_000_000)
            guard !records.isEmpty else {
                throw DriftError(code: .missingColumn, message: "no logged predictions for model \"\(located.name)\"\(since.map { " since \($0)" } ?? "") in \(storePath); serve it with `plumb serve` first")
            }
            table = try logTable(records, features: located.model.header.preprocessor.inputFeatures)
            predictions = records.map(\.prediction)
            actuals = records.map(\.actual)
            source = "prediction log (\(records.count) requests)"
        }
        let target = located.model.header.target
        let labelled = actuals.indices.filter { actuals[$0] != nil }
        var performance: PerformanceDetails?
        if !labelled.isEmpty {
            performance = PerformanceDetails.compute(predictions: labelled.map { predictions[$0] }, actuals: labelled.compactMap { actuals[$0] })
        }
        // Only the model's input features are compared; the target is summarised separately.
        let featureNames = Set(profile.features.map(\.name))
        var compared = Table(columns: table.columns.filter { featureNames.contains($0.name) }, rowCount: table.rowCount)
        if let t = table.column(named: target), profile.targetName == target { compared.append(t) }
        let analysis = try DriftAnalyzer.analyze(reference: profile, current: compared, options: options,
                                                 performance: performance?.report, policy: policy, currentPredictions: predictions)
        if let reportPath {
            let html = HTMLReport.render(result: analysis.result, reference: profile, current: analysis.current, performance: performance,
                                         title: "Plumb monitor — \(located.reference) vs \(source)")
            try AtomicFile.write(Array(html.utf8), to: reportPath)
        }
        return MonitorOutcome(result: analysis.result, reportPath: reportPath, currentRows: table.rowCount,
                              labelledRows: labelled.count, source: source)
    }

    /// The logged request inputs as a table in the model's input schema.
    static func logTable(_ records: [PredictionRecord], features: [FeatureSpec]) throws -> Table {
        var numeric = [[Double]](repeating: [], count: features.count)
        var strings = [[String?]](repeating: [], count: features.count)
        for (i, r) in records.enumerated() {
            guard let obj = try JSONSerialization.jsonObject(with: Data(r.inputsJSON.utf8)) as? [String: Any] else {
                throw DriftError(code: .missingColumn, message: "prediction log row \(i + 1) (request \(r.requestID)): inputs are not a JSON object")
            }
            for (j, f) in features.enumerated() {
                switch f.kind {
                case .numeric: numeric[j].append((obj[f.name] as? NSNumber)?.doubleValue ?? .nan)
                case .categorical: strings[j].append(obj[f.name] as? String)
                }
            }
        }
        let cols: [Column] = features.enumerated().map { j, f in
            switch f.kind {
            case .numeric: return Column(name: f.name, data: .numeric(numeric[j]))
            case .categorical:
                let levels = Array(Set(strings[j].compactMap { $0 })).sorted()
                let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
                return Column(name: f.name, data: .categorical(codes: strings[j].map { $0.flatMap { index[$0] } ?? -1 }, levels: levels))
            }
        }
        return Table(columns: cols, rowCount: records.count)
    }
}
