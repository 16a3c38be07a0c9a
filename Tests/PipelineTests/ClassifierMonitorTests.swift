import Drift
import Foundation
import MLCore
import Pipeline
import Tabular
import Testing
import Tracking

/// `plumb monitor` on classifiers: a model file and its profile as `plumb train` writes them, and
/// a CSV of labelled current rows.
@Suite struct ClassifierMonitorTests {
    struct Fixture {
        var outcome: TrainingOutcome
        var modelPath: String
        var currentPath: String
        var dir: String
    }

    /// Trains a GBM on `classes`, writes the model, its profile and 500 labelled current rows.
    static func fixture(classes: [String]) throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-mon-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let o = try Trainer.train(ClassificationTrainerTests.request(ClassificationTrainerTests.gbm, classes: classes))
        let modelPath = dir + "/model.plumb"
        try AtomicFile.write(try ModelFile.encode(header: o.model.header, regressor: o.model.regressor), to: modelPath)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(Array(try enc.encode(try TrainingRecorder.profile(for: o))), to: ModelLocator.profilePath(forModelFile: modelPath))
        let currentPath = dir + "/current.csv"
        try TableFile.write(ClassificationTrainerTests.table(rows: 500, classes: classes, seed: 77), to: currentPath)
        return Fixture(outcome: o, modelPath: modelPath, currentPath: currentPath, dir: dir)
    }

    /// The current rows' probabilities (rows × K) and true class indices, from the file.
    static func scored(_ f: Fixture) throws -> (probabilities: [Double], truth: [Int]) {
        let table = try TableFile.read(f.currentPath)
        let classes = try #require(f.outcome.model.header.classes)
        let p = try f.outcome.model.predict(table).predictions
        guard case .categorical(let codes, let levels)? = table.column(named: "label")?.data else { throw CancellationError() }
        let truth = codes.map { classes.firstIndex(of: levels[Int($0)]) ?? -1 }
        return (p, truth)
    }

    static func monitor(_ f: Fixture, triggers: [String] = [], report: Bool = false) throws -> MonitorOutcome {
        try Monitor.run(model: f.modelPath, storePath: f.dir + "/unused.db", current: .file(f.currentPath, CSVOptions()),
                        options: DriftOptions(), policy: RetrainPolicy(triggers: try triggers.map { try MetricTrigger(parsing: $0) }),
                        reportPath: report ? f.dir + "/report.html" : nil)
    }

    @Test func binaryClassifierMetricsDriftAndRocAucTrigger() throws {
        let f = try Self.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let (p, y) = try Self.scored(f)
        let t = f.outcome.model.header.threshold ?? 0.5
        // Expected figures computed here, independently of MLCore.
        let p1 = stride(from: 1, to: p.count, by: 2).map { p[$0] }
        let accuracy = Double(zip(p1, y).filter { ($0 >= t ? 1 : 0) == $1 }.count) / 500
        var wins = 0.0, pairs = 0.0
        for i in y.indices where y[i] == 1 {
            for j in y.indices where y[j] == 0 {
                wins += p1[i] > p1[j] ? 1 : (p1[i] == p1[j] ? 0.5 : 0)
                pairs += 1
            }
        }
        let auc = wins / pairs
        let logLoss = zip(p1, y).reduce(0.0) { s, r in s - log(min(max(r.1 == 1 ? r.0 : 1 - r.0, .ulpOfOne), 1 - .ulpOfOne)) } / 500
        let tp = Double(zip(p1, y).filter { $0 >= t && $1 == 1 }.count)
        let fp = Double(zip(p1, y).filter { $0 >= t && $1 == 0 }.count), fn = Double(zip(p1, y).filter { $0 < t && $1 == 1 }.count)
        let f1 = 2 * tp / (2 * tp + fp + fn)

        let out = try Self.monitor(f, triggers: ["roc_auc < 0.9999", "log_loss > 5"], report: true)
        #expect(out.currentRows == 500 && out.labelledRows == 500)
        let c = try #require(out.result.classification)
        #expect(c.count == 500 && c.confusionMatrix.flatMap { $0 }.reduce(0, +) == 500)
        #expect(abs((c.metrics["accuracy"] ?? 0) - accuracy) < 1e-12)
        #expect(abs((c.metrics["roc_auc"] ?? 0) - auc) < 1e-12)
        #expect(abs((c.metrics["log_loss"] ?? 0) - logLoss) < 1e-10)
        #expect(abs((c.metrics["f1"] ?? 0) - f1) < 1e-12)
        #expect(auc > 0.9 && auc < 0.9999)
        // The roc_auc trigger fires with its figures; the log-loss one does not.
        #expect(out.result.retrain)
        #expect(out.result.reasons == [String(format: "roc_auc %.4f < 0.9999", auc)])
        #expect(out.result.predictionDrift.map(\.name) == ["predicted_class", "prob_yes", "true_class"])
        #expect(out.result.predictionDrift.allSatisfy { !$0.drifted })  // same generator as training
        #expect(out.result.performance == nil && out.result.columns.map(\.name) == ["a", "b", "kind"])
        let text = out.result.renderTable()
        #expect(text.contains(String(format: "Performance: accuracy %.4f, F1 %.4f, ROC AUC %.4f, log loss %.4f, n = 500", accuracy, f1, auc, logLoss)))
        let html = try String(contentsOfFile: f.dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg class=\"confusion-matrix\"") && html.contains("<svg class=\"curve\"") && html.contains("<svg class=\"calibration\""))
        // Without the trigger nothing asks for retraining.
        #expect(!(try Self.monitor(f)).result.retrain)
    }

    @Test func multiclassClassifierMatchesMLCoreAndMacroF1() throws {
        let classes = ["a", "b", "c"]
        let f = try Self.fixture(classes: classes)
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let (p, y) = try Self.scored(f)
        let expected = try ClassificationMetrics(classes: y, probabilities: p, classCount: 3)
        // Macro F1 from the confusion matrix, by hand.
        let cm = expected.confusionMatrix
        let macroF1 = (0..<3).map { k -> Double in
            let tp = Double(cm[k][k]), row = Double(cm[k].reduce(0, +)), col = Double((0..<3).reduce(0) { $0 + cm[$1][k] })
            return 2 * tp / (row + col)
        }.reduce(0, +) / 3

        let out = try Self.monitor(f, triggers: ["f1 < 0.99", "accuracy < 0.01"])
        let c = try #require(out.result.classification)
        #expect(c.classes == classes && c.confusionMatrix == cm)
        for (k, v) in expected.dictionary { #expect(c.metrics[k] == v, "\(k)") }
        #expect(abs((c.metrics["f1"] ?? 0) - macroF1) < 1e-12)
        #expect(out.result.reasons == [String(format: "f1 %.4f < 0.9900", macroF1)])
        #expect(out.result.predictionDrift.map(\.name) == ["predicted_class", "max_probability", "prob_a", "prob_b", "prob_c", "true_class"])
        #expect(out.result.predictionDrift.allSatisfy { !$0.drifted }, "\(out.result.predictionDrift.map { ($0.name, $0.statistic) })")  // same generator as training
        #expect(c.curves.roc.map(\.label) == classes && c.curves.precisionRecall.count == 3)
        #expect(out.result.renderTable().contains("F1 (macro)"))
    }

    /// The same rows served and fed back: monitoring the prediction log scores them as the file.
    @Test func predictionLogOfAClassifierScoresLikeTheFile() throws {
        let f = try Self.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let storePath = f.dir + "/plumb.db"
        let store = try TrackingStore(path: storePath)
        let bytes = try ModelFile.encode(header: f.outcome.model.header, regressor: f.outcome.model.regressor)
        _ = try TrainingRecorder(store: store, experiment: "t").record(f.outcome, modelBytes: bytes, runName: "gbm", register: "churn")
        let table = try TableFile.read(f.currentPath)
        let p = try f.outcome.model.predict(table).predictions
        let classes = ["no", "yes"]
        var batch = PredictionBatchRecord(idPrefix: "srv-", firstCounter: 1, timeMs: 1_000, modelName: "churn", modelVersion: 1,
                                          featureNames: ["a", "b", "kind"], predictions: f.outcome.model.classIndices(p).map(Double.init),
                                          classes: classes, probabilities: p)
        guard let a = table.column(named: "a")?.numericValues, let b = table.column(named: "b")?.numericValues,
              case .categorical(let kind, let kindLevels)? = table.column(named: "kind")?.data,
              case .categorical(let label, let labelLevels)? = table.column(named: "label")?.data else { throw CancellationError() }
        for i in 0..<table.rowCount {
            batch.appendNumber(a[i])
            batch.appendNumber(b[i])
            batch.appendText(kindLevels[Int(kind[i])])
        }
        try store.appendPredictionBatches([batch])
        // Feedback for the first 300 rows only.
        for i in 0..<300 { try store.recordFeedback(requestID: batch.requestID(i), label: labelLevels[Int(label[i])]) }

        let logged = try Monitor.run(model: "models:/churn/1", storePath: storePath, current: .log(since: nil), options: DriftOptions(),
                                     policy: RetrainPolicy(triggers: [try MetricTrigger(parsing: "roc_auc < 0.9999")]), reportPath: nil)
        #expect(logged.currentRows == 500 && logged.labelledRows == 300)
        let expected = try ClassificationMetrics(classes: (0..<300).map { classes.firstIndex(of: labelLevels[Int(label[$0])]) ?? -1 },
                                                 probabilities: Array(p[0..<600]), classCount: 2, threshold: f.outcome.model.header.threshold ?? 0.5)
        let c = try #require(logged.result.classification)
        for (k, v) in expected.dictionary { #expect(c.metrics[k] == v, "\(k)") }
        #expect(logged.result.retrain && logged.result.reasons.first?.hasPrefix("roc_auc") == true)
        #expect(logged.result.predictionDrift.map(\.name) == ["predicted_class", "prob_yes", "true_class"])
    }

    @Test func classifierProfileHoldsTrainingSharesAndTriggersAreChecked() throws {
        let f = try Self.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let located = try ModelLocator.load(f.modelPath, storePath: f.dir + "/unused.db")
        let profile = try ModelLocator.profile(for: located, storePath: f.dir + "/unused.db")
        let cp = try #require(profile.classifier)
        let train = f.outcome.trainTable
        #expect(cp.classes == ["no", "yes"] && cp.trueCounts.reduce(0, +) == train.rowCount)
        // Model outputs are profiled on the held-out rows (scores on the fitted rows are overconfident).
        let held = f.outcome.testRows
        let predictedYes = f.outcome.model.classIndices(f.outcome.testPredictions).filter { $0 == 1 }.count
        #expect(cp.predictedCounts == [held - predictedYes, predictedYes] && cp.score.count == held)
        #expect(profile.target == nil && profile.prediction == nil && profile.feature(named: "label") == nil)
        // A regression metric on a classifier is a typo that would never fire: an error.
        #expect(throws: DriftError.self) { try Self.monitor(f, triggers: ["rmse > 0.5"]) }
    }
}
