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
    /// With `--segment-by` / `--sensitive`: metrics per segment and fairness on the labelled rows.
    public var segments: SegmentedEvaluation?
    /// With `--compare-variants`: each serving variant against the champion on the fed-back labels.
    public var variants: VariantReview?
}

/// `plumb monitor`: compares production data with the model's reference profile, scores
/// performance where ground truth is known, and recommends retraining by policy.
public enum Monitor {
    public enum Current: Sendable {
        case file(String, CSVOptions)
        case log(since: Date?)
    }

    public static func run(model reference: String, storePath: String, current: Current, options: DriftOptions,
                           policy: RetrainPolicy, reportPath: String?, segments request: SegmentRequest? = nil,
                           compareVariants: VariantReviewRequest? = nil) throws -> MonitorOutcome {
        var table: Table
        var predictions: [Double]
        var actuals: [Double?]
        let source: String
        let located: LocatedModel, profile: ReferenceProfile
        var variants: VariantReview?
        if compareVariants != nil, case .file = current {
            throw DriftError(code: .missingColumn, message: "comparing variants needs the prediction log (--from-log): a file does not say which variant answered")
        }
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
            if let classes = located.model.header.classes {
                predictions = try logProbabilities(records, classes: classes, model: located.name)
                // Fed-back labels as the target column, so the file and log paths score alike.
                table.replace(labelColumn(records.map(\.actualLabel), name: located.model.header.target))
            } else {
                predictions = records.map(\.prediction)
            }
            actuals = records.map(\.actual)
            source = "prediction log (\(records.count) requests)"
            if let compareVariants {
                variants = try VariantReview.review(records.compactMap(loggedOutcome), metric: located.model.header.classes == nil ? .absoluteError : .errorRate,
                                                    request: compareVariants, source: source)
            }
        }
        let header = located.model.header
        let target = header.target
        try checkTriggers(policy.triggers, classifier: header.classes != nil, multiclass: (header.classes?.count ?? 0) > 2)
        // Only the model's input features are compared; the target is summarised separately.
        let featureNames = Set(profile.features.map(\.name))
        var compared = Table(columns: table.columns.filter { featureNames.contains($0.name) }, rowCount: table.rowCount)
        if let t = table.column(named: target), profile.targetName == target { compared.append(t) }
        var performance: PerformanceDetails?
        let labelledCount: Int
        let analysis: DriftAnalysis
        if let classes = header.classes {
            let scored = try classifierScoring(located.model, classes: classes, probabilities: predictions,
                                               target: table.column(named: target), source: source)
            labelledCount = scored.labelled
            analysis = try DriftAnalyzer.analyze(reference: profile, current: compared, options: options, policy: policy,
                                                 classifierOutputs: scored.outputs, classification: scored.report)
        } else {
            let labelled = actuals.indices.filter { actuals[$0] != nil }
            labelledCount = labelled.count
            if !labelled.isEmpty {
                performance = PerformanceDetails.compute(predictions: labelled.map { predictions[$0] }, actuals: labelled.compactMap { actuals[$0] })
            }
            analysis = try DriftAnalyzer.analyze(reference: profile, current: compared, options: options,
                                                 performance: performance?.report, policy: policy, currentPredictions: predictions)
        }
        var segmented: SegmentedEvaluation?
        if let request, !request.isEmpty {
            // The same labelled rows the metrics above were scored on (file target or fed-back log).
            let (rows, scored) = try ModelEvaluation.scored(model: located.model, table: table, predictions: predictions,
                                                            actuals: header.classes == nil ? actuals : nil, source: source)
            segmented = try ModelEvaluation.evaluate(model: located.model, table: table, rows: rows, scored: scored, request: request, source: source)
        }
        if let reportPath {
            var html = HTMLReport.render(result: analysis.result, reference: profile, current: analysis.current, performance: performance,
                                         title: "Plumb monitor — \(located.reference) vs \(source)")
            var sections = ""
            if let attribution = attribution(of: located, on: table, storePath: storePath) {
                sections += HTMLReport.attributionSection(attribution)
            }
            if let segmented { sections += segmented.htmlSection() }
            if let end = html.range(of: "</body>", options: .backwards) { html.insert(contentsOf: sections, at: end.lowerBound) }
            try AtomicFile.write(Array(html.utf8), to: reportPath)
        }
        return MonitorOutcome(result: analysis.result, reportPath: reportPath, currentRows: table.rowCount,
                              labelledRows: labelledCount, source: source, segments: segmented, variants: variants)
    }

    /// A logged request as the variant comparison sees it: its variant and routing key, and its
    /// loss once ground truth came back (absolute error; 1 or 0 for a wrong or right class). Nil
    /// for a request no variant answered.
    static func loggedOutcome(_ r: PredictionRecord) -> LoggedOutcome? {
        guard let variant = r.variant else { return nil }
        let loss: Double?
        if r.classes != nil {
            loss = r.actualLabel.map { $0 == r.label ? 0 : 1 }
        } else {
            loss = r.actual.map { abs(r.prediction - $0) }
        }
        return LoggedOutcome(variant: variant, key: r.routingKey, loss: loss)
    }

    /// Mean |SHAP| on the monitored rows beside the training run's (its `shap_importance` tag);
    /// nil for a model without an explainer.
    static func attribution(of located: LocatedModel, on table: Table, storePath: String) -> AttributionComparison? {
        guard let current = ShapImportance.compute(located.model, on: table, rowsDescription: "monitored rows") else { return nil }
        let tags = located.registryVersion?.runID.flatMap { id in try? TrackingStore(path: storePath).run(id).run.tags }
        let reference = tags?["shap_importance"].flatMap { text in
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Double]
        }
        return AttributionComparison(current: current.importance, reference: reference, note: current.note)
    }

    /// Metrics a trigger may name, by task: what `plumb monitor --json` reports.
    public static func triggerMetrics(classifier: Bool, multiclass: Bool) -> [String] {
        guard classifier else { return ["rmse", "mae", "r2", "mean_error"] }
        let common = ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "average_precision", "log_loss", "brier", "ece"]
        return multiclass ? common + ["precision_weighted", "recall_weighted", "f1_weighted"] : common
    }

    /// Rejects a trigger on a metric the model's task does not report (a typo would otherwise
    /// never fire).
    static func checkTriggers(_ triggers: [MetricTrigger], classifier: Bool, multiclass: Bool) throws {
        let known = triggerMetrics(classifier: classifier, multiclass: multiclass)
        for t in triggers where !known.contains(t.metric) {
            throw DriftError(code: .unknownMetric, message: "trigger \"\(t)\": a \(classifier ? (multiclass ? "multiclass" : "binary") + " classifier" : "regression model") reports no metric \"\(t.metric)\" (metrics: \(known.joined(separator: ", ")))")
        }
    }

    /// A classifier's current outputs, and with ground truth its metrics and curves.
    struct ClassifierScoring {
        var outputs: ClassifierOutputs
        var report: ClassificationReport?
        var labelled: Int
    }

    /// Predicted classes and scores of every row; metrics (MLCore's, pinned to scikit-learn)
    /// and curves over the rows whose label is known.
    /// - Throws: a label the model does not know (rows named), invalid probabilities.
    static func classifierScoring(_ model: LoadedModel, classes: [String], probabilities: [Double], target: Column?,
                                  source: String) throws -> ClassifierScoring {
        let k = classes.count
        let predicted = model.classIndices(probabilities)
        guard let target else { return ClassifierScoring(outputs: ClassifierOutputs(predicted: predicted, probabilities: probabilities, truth: nil), report: nil, labelled: 0) }
        let known: [Int]
        switch target.data {
        case .categorical(let codes, _): known = codes.indices.filter { codes[$0] >= 0 }
        case .numeric(let v): known = v.indices.filter { v[$0].isFinite }
        }
        guard !known.isEmpty else { return ClassifierScoring(outputs: ClassifierOutputs(predicted: predicted, probabilities: probabilities, truth: nil), report: nil, labelled: 0) }
        let truthKnown = try ClassLabels(labels: classes).indices(of: target.selecting(rows: known), target: model.header.target, source: source).map(Int.init)
        var truth = [Int](repeating: -1, count: predicted.count)
        for (j, i) in known.enumerated() { truth[i] = truthKnown[j] }
        let p = known.flatMap { probabilities[($0 * k)..<(($0 + 1) * k)] }
        let m = try ClassificationMetrics(classes: truthKnown, probabilities: p, classCount: k, threshold: model.header.threshold ?? 0.5)
        let report = ClassificationReport(classes: classes, metrics: m.dictionary, confusionMatrix: m.confusionMatrix, count: m.count,
                                          curves: ClassifierCurves.compute(classes: classes, truth: truthKnown, probabilities: p))
        return ClassifierScoring(outputs: ClassifierOutputs(predicted: predicted, probabilities: probabilities, truth: truth),
                                 report: report, labelled: known.count)
    }

    /// A classifier's logged probabilities, rows × classes.
    /// - Throws: when a row holds none or another class count (logged by an older Plumb, or by
    ///   another model under the same name).
    static func logProbabilities(_ records: [PredictionRecord], classes: [String], model: String) throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(records.count * classes.count)
        for r in records {
            guard let p = r.probabilities, p.count == classes.count else {
                throw DriftError(code: .missingColumn, message: "prediction log of \"\(model)\": request \(r.requestID) holds \(r.probabilities.map { "\($0.count) probabilities" } ?? "no probabilities") for the model's \(classes.count) classes (logged by an older Plumb or another model?); monitor with --current FILE")
            }
            out += p
        }
        return out
    }

    /// Fed-back labels as a categorical column (nil = no feedback yet).
    static func labelColumn(_ labels: [String?], name: String) -> Column {
        let levels = Array(Set(labels.compactMap { $0 })).sorted()
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
        return Column(name: name, data: .categorical(codes: labels.map { $0.flatMap { index[$0] } ?? -1 }, levels: levels))
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
