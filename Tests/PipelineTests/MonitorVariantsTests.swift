import Drift
import Foundation
import MLCore
import Pipeline
import Tabular
import Testing
import Tracking

/// `plumb monitor --from-log --compare-variants` on a canary whose answers were logged by variant
/// and labelled through feedback: a better candidate is promoted, a worse one kept out.
@Suite struct MonitorVariantsTests {
    /// Logs the current rows, even ones answered by the champion model, odd ones by a "canary"
    /// whose class is the true one (`better`) or the other one; feeds every label back.
    static func logCanary(better: Bool) throws -> (f: ClassifierMonitorTests.Fixture, store: String, champion: [Double], canary: [Double]) {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        let storePath = f.dir + "/plumb.db"
        let store = try TrackingStore(path: storePath)
        let bytes = try ModelFile.encode(header: f.outcome.model.header, regressor: f.outcome.model.regressor)
        _ = try TrainingRecorder(store: store, experiment: "t").record(f.outcome, modelBytes: bytes, runName: "gbm", register: "churn")
        let table = try TableFile.read(f.currentPath)
        let p = try f.outcome.model.predict(table).predictions
        let predicted = f.outcome.model.classIndices(p)
        guard let a = table.column(named: "a")?.numericValues, let b = table.column(named: "b")?.numericValues,
              case .categorical(let kind, let kindLevels)? = table.column(named: "kind")?.data,
              case .categorical(let label, let labelLevels)? = table.column(named: "label")?.data else { throw CancellationError() }
        let classes = ["no", "yes"]
        let truth = (0..<table.rowCount).map { classes.firstIndex(of: labelLevels[Int(label[$0])]) ?? -1 }
        var batches: [PredictionBatchRecord] = []
        var losses: [String: [Double]] = ["champion": [], "canary": []]
        for (name, parity) in [("champion", 0), ("canary", 1)] {
            let rows = Array(stride(from: parity, to: table.rowCount, by: 2))
            var answer: [Int] = [], probabilities: [Double] = []
            for i in rows {
                if name == "champion" {
                    answer.append(predicted[i])
                    probabilities += [p[2 * i], p[2 * i + 1]]
                } else {
                    let c = better ? truth[i] : 1 - truth[i]
                    answer.append(c)
                    probabilities += c == 1 ? [0.2, 0.8] : [0.8, 0.2]
                }
            }
            var batch = PredictionBatchRecord(idPrefix: "\(name)-", firstCounter: 1, timeMs: 1_000, modelName: "churn", modelVersion: 1,
                                              featureNames: ["a", "b", "kind"], predictions: answer.map(Double.init),
                                              classes: classes, probabilities: probabilities, variant: name)
            for i in rows {
                batch.appendNumber(a[i]); batch.appendNumber(b[i]); batch.appendText(kindLevels[Int(kind[i])])
            }
            batches.append(batch)
            losses[name] = zip(rows, answer).map { i, c -> Double in c == truth[i] ? 0 : 1 }
        }
        try store.appendPredictionBatches(batches)
        for (batch, parity) in zip(batches, [0, 1]) {
            for (r, i) in stride(from: parity, to: table.rowCount, by: 2).enumerated() {
                try store.recordFeedback(requestID: batch.requestID(r), label: labelLevels[Int(label[i])])
            }
        }
        return (f, storePath, losses["champion"] ?? [], losses["canary"] ?? [])
    }

    @Test(arguments: [true, false])
    func canaryIsJudgedOnTheFedBackLabels(better: Bool) throws {
        let (f, storePath, champion, canary) = try Self.logCanary(better: better)
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let out = try Monitor.run(model: "models:/churn/1", storePath: storePath, current: .log(since: nil), options: DriftOptions(),
                                  policy: RetrainPolicy(triggers: []), reportPath: nil, compareVariants: VariantReviewRequest())
        let review = try #require(out.variants)
        #expect(review.metric == .errorRate && review.champion == "champion")
        #expect(review.variants.map(\.labelled) == [250, 250])
        let expected = VariantComparison.compare(champion: VariantOutcomes(name: "champion", losses: champion),
                                                 candidate: VariantOutcomes(name: "canary", losses: canary), metric: .errorRate)
        #expect(review.comparisons == [expected])
        #expect(expected.test == "two_proportion_z")
        #expect(expected.recommendation == (better ? .promoteCandidate : .keepChampion))
    }

    @Test func comparingVariantsNeedsTheLog() throws {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        #expect(throws: DriftError.self) {
            try Monitor.run(model: f.modelPath, storePath: f.dir + "/unused.db", current: .file(f.currentPath, CSVOptions()),
                            options: DriftOptions(), policy: RetrainPolicy(), reportPath: nil, compareVariants: VariantReviewRequest())
        }
    }
}
