import Foundation
import LinearModels
import MLCore
import Pipeline
import Tabular
import Testing
import Tracking
import TreeModels

/// `LoadedModel.explain`: contributions per raw input column, one-hot columns summed back into
/// their feature, still adding up to the raw score.
@Suite struct ExplanationTests {
    static func table(rows: Int) -> Table {
        var rng = SeededGenerator(seed: 8)
        let a = (0..<rows).map { _ in rng.unit() * 4 - 2 }
        let codes = (0..<rows).map { _ in Int32(rng.below(3)) }
        let b = (0..<rows).map { i in i % 7 == 0 ? Double.nan : rng.unit() }
        let y = (0..<rows).map { i in 2 * a[i] + [0.0, 1.5, -1][Int(codes[i])] + (b[i].isNaN ? 0 : b[i]) + 0.1 * rng.unit() }
        return Table(columns: [Column(name: "a", data: .numeric(a)),
                               Column(name: "city", data: .categorical(codes: codes, levels: ["north", "south", "west"])),
                               Column(name: "b", data: .numeric(b)),
                               Column(name: "y", data: .numeric(y))], rowCount: rows)
    }

    static func header(_ kind: String, _ pre: Preprocessor) -> ModelHeader {
        ModelHeader(kind: kind, target: "y", preprocessor: pre, hyperparameters: [:], trainingData: nil, metrics: [:],
                    featureImportance: nil, plumbVersion: "test")
    }

    @Test(arguments: ["ridge", "gbm"])
    func contributionsPerInputColumn(kind: String) throws {
        let t = Self.table(rows: 300)
        let pre = try Preprocessor.fit(t, features: ["a", "city", "b"], options: PreprocessingOptions(scale: kind == "ridge"))
        #expect(pre.outputNames == ["a", "city=north", "city=south", "city=west", "b"])
        #expect(pre.outputSources == [0, 1, 1, 1, 2])
        let f = try pre.transform(t)
        let x = FeatureMatrix(rows: f.rows, columns: f.columns, values: f.values)
        guard let y = t.column(named: "y")?.numericValues else { Issue.record("no y"); return }
        let regressor: any Explainable
        if kind == "ridge" {
            regressor = try RidgeRegression.fit(x, y, alpha: 0.5)
        } else {
            var p = GBMParameters()
            p.rounds = 15; p.maxLeaves = 8; p.minDataInLeaf = 5
            regressor = try GradientBoostedTrees.fit(x, y, parameters: p).model
        }
        let model = LoadedModel(header: Self.header(kind, pre), regressor: regressor)
        let (c, _) = try model.explain(t, threads: 2)
        let raw = try regressor.contributions(x, threads: 1)
        #expect(c.features == 3 && c.outputs == 1 && c.rows == 300)
        for i in 0..<c.rows {
            #expect(c[i, 0, 0] == raw[i, 0, 0])
            #expect(abs(c[i, 0, 1] - (raw[i, 0, 1] + raw[i, 0, 2] + raw[i, 0, 3])) <= 1e-12)
            #expect(c[i, 0, 2] == raw[i, 0, 4])
        }
        let scores = try #require(try model.explainedScores(t, threads: 1))
        #expect(zip(c.totals(), scores).allSatisfy { abs($0 - $1) <= 1e-9 })
        #expect(zip(scores, try model.predict(t).predictions).allSatisfy { abs($0 - $1) <= 1e-9 })
    }

    /// A recorded training run carries mean |SHAP| on its held-out rows, and the model card shows it.
    @Test func modelCardListsMeanAbsoluteSHAP() throws {
        var p = GBMParameters()
        p.rounds = 10
        var request = TrainingRequest(train: Self.table(rows: 400), target: "y", model: .gbm(p))
        request.testFraction = 0.25
        let outcome = try Trainer.train(request)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-shap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try TrackingStore(path: dir.appendingPathComponent("plumb.db").path)
        let bytes = try ModelFile.encode(header: outcome.model.header, regressor: outcome.model.regressor)
        _ = try TrainingRecorder(store: store, experiment: "t").record(outcome, modelBytes: bytes, runName: "gbm", register: "toy")
        let card = try store.modelCard(try ModelURI.parse("models:/toy/1"))
        #expect(card.contains("## SHAP importance"))
        #expect(card.contains("Exact SHAP, mean |SHAP| of the value over 100 held-out rows."))
        // The figures: mean |φ| per input feature over the held-out rows, computed here directly.
        let c = try outcome.model.explain(outcome.testTable, threads: 1).contributions
        let mean = c.meanAbsolute()
        for (j, name) in ["a", "city", "b"].enumerated() {
            #expect(card.contains("| \(name) | \(String(format: "%.6g", mean[j])) |"), "\(name)")
        }
    }
}
