import Drift
import Foundation
import MLCore
import Tabular
import Testing
import Tracking
import TreeModels
@testable import Pipeline

/// Imports the LightGBM fixtures of Tests/TreeModelsTests/Fixtures (make_lightgbm_fixtures.py)
/// through the pipeline: model file, registry version, predict, profile, monitor.
@Suite struct ModelImporterTests {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TreeModelsTests/Fixtures/\(name)").path
    }

    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-import-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// LightGBM's outputs for the fixture rows, by column name.
    static func lightgbm() throws -> Table { try TableFile.read(fixture("lgb_predictions.csv")) }

    static func request(_ model: String) throws -> ImportRequest {
        let path = fixture("lgb_\(model).txt")
        return ImportRequest(ensemble: try LightGBMModelReader.read(path: path), source: path, sourceSHA256: try TableFile.sha256(of: path))
    }

    /// Import → registered version → load by URI → predict on a table read from CSV equals
    /// LightGBM's probabilities bit for bit; the reference profile and monitor work on it.
    @Test func multiclassImportRegistersPredictsAndMonitors() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var r = try Self.request("multiclass")
        r.classes = ["low", "mid", "high"]
        r.target = "band"
        let model = try ModelImporter.model(r)
        #expect(model.header.inputFeatures == ["f0", "f1", "f2", "f3", "f4"])
        #expect(model.header.task == .multiclass && model.header.classes == ["low", "mid", "high"])
        #expect(model.header.hyperparameters["source_format"] == "lightgbm")
        #expect(model.header.hyperparameters["source_sha256"] == (try SHA256.hex(fileAt: Self.fixture("lgb_multiclass.txt"))))

        // Reference rows: the fixture inputs, labelled with LightGBM's most probable class.
        var reference = try TableFile.read(Self.fixture("lgb_inputs.csv"))
        let want = try Self.lightgbm()
        let p = try (0..<3).map { k in try #require(want.column(named: "multiclass_out\(k)")?.numericValues) }
        let labels = (0..<reference.rowCount).map { i in r.classes![(0..<3).max { p[$0][i] < p[$1][i] }!] }
        reference.append(Column(name: "band", data: .categorical(codes: labels.map { Int32(["high", "low", "mid"].firstIndex(of: $0)!) }, levels: ["high", "low", "mid"])))
        let referencePath = dir + "/reference.csv"
        try TableFile.write(reference, to: referencePath)

        let profile = try ModelImporter.profile(model, reference: reference, source: referencePath)
        let evaluation = try #require(try ModelImporter.evaluate(model, reference: reference, source: referencePath))
        #expect(evaluation.classification?.accuracy == 1)
        let bytes = try ModelFile.encode(header: model.header, regressor: model.regressor)
        let store = try TrackingStore(path: dir + "/plumb.db")
        let recorded = try ModelImporter.record(model, modelBytes: bytes, request: r, name: "lgbm-multi",
                                                reference: (reference, referencePath, try TableFile.sha256(of: referencePath), profile),
                                                evaluation: evaluation, store: store, experiment: "imports")
        #expect(recorded.version.version == 1)

        let located = try ModelLocator.load("models:/lgbm-multi/1", storePath: dir + "/plumb.db")
        let scored = try located.model.predict(try TableFile.read(Self.fixture("lgb_inputs.csv"))).predictions
        for k in 0..<3 {
            #expect(stride(from: k, to: scored.count, by: 3).map { scored[$0] } == p[k], "class \(k)")
        }
        let stored = try ModelLocator.profile(for: located, storePath: dir + "/plumb.db")
        #expect(stored.rowCount == reference.rowCount && stored.features.map(\.name) == ["f0", "f1", "f2", "f3", "f4"])
        #expect(stored.classifier?.classes == ["low", "mid", "high"] && stored.classifier?.trueCounts == profile.classifier?.trueCounts)

        let run = try store.run(recorded.runID)
        #expect(run.run.params["source_format"] == "lightgbm" && run.run.params["objective"] == "multiclass num_class:3")
        #expect(run.datasets.map(\.name) == ["reference"])
        let card = try store.modelCard(try ModelURI.parse("models:/lgbm-multi/1"))
        #expect(card.contains("Imported from the lightgbm model file lgb_multiclass.txt"))
        #expect(card.contains("`low`, `mid`, `high`"))

        let outcome = try Monitor.run(model: "models:/lgbm-multi/1", storePath: dir + "/plumb.db", current: .file(referencePath, CSVOptions()),
                                      options: DriftOptions(), policy: RetrainPolicy(triggers: []), reportPath: nil)
        #expect(outcome.labelledRows == reference.rowCount)
        #expect(outcome.result.columns.contains { $0.name == "f0" })
        #expect(outcome.result.predictionDrift.contains { $0.name == "true_class" })
    }

    /// --features renames the inputs; predictions through `predict(rowMajor:)` (the serving fast
    /// path) equal LightGBM's too.
    @Test func regressionWithRenamedFeaturesScoresRowMajor() throws {
        var r = try Self.request("regression")
        r.features = ["a", "b", "c", "d", "e"]
        let model = try ModelImporter.model(r)
        #expect(model.header.inputFeatures == ["a", "b", "c", "d", "e"])
        #expect(model.header.task == nil && model.header.classes == nil)
        let x = try TableFile.read(Self.fixture("lgb_inputs.csv"))
        let cols = try ["f0", "f1", "f2", "f3", "f4"].map { try #require(x.column(named: $0)?.numericValues) }
        var rowMajor: [Double] = []
        for i in 0..<x.rowCount { for c in cols { rowMajor.append(c[i]) } }
        let out = try #require(rowMajor.withUnsafeBufferPointer { model.predict(rowMajor: $0, rows: x.rowCount) })
        #expect(out == (try #require(try Self.lightgbm().column(named: "regression_raw")?.numericValues)))
    }

    /// LightGBM trains on class indices: a reference target of 0/1 reads as the --classes labels.
    @Test func referenceClassIndicesReadAsTheNamedClasses() throws {
        var r = try Self.request("binary")
        r.classes = ["no", "yes"]
        let model = try ModelImporter.model(r)
        var reference = try TableFile.read(Self.fixture("lgb_inputs.csv"))
        let p1 = try #require(try Self.lightgbm().column(named: "binary_out")?.numericValues)
        reference.append(Column(name: "target", data: .numeric(p1.map { $0 >= 0.5 ? 1 : 0 })))
        let labelled = ModelImporter.labellingClassIndices(reference, model: model)
        guard case .categorical(let codes, let levels)? = labelled.column(named: "target")?.data else {
            Issue.record("target not turned into labels"); return
        }
        #expect(levels == ["no", "yes"] && codes == p1.map { $0 >= 0.5 ? 1 : 0 })
        let evaluation = try #require(try ModelImporter.evaluate(model, reference: labelled, source: "reference"))
        #expect(evaluation.classification?.accuracy == 1)
    }

    @Test func mismatchedFeaturesOrClassesAreRejected() throws {
        var r = try Self.request("regression")
        r.features = ["a", "b"]
        #expect(throws: TrainingError.self) { try ModelImporter.model(r) }
        r.features = ["a", "b", "c", "d", "a"]
        #expect(throws: TrainingError.self) { try ModelImporter.model(r) }
        r.features = nil
        r.classes = ["x", "y"]
        let error = #expect(throws: TrainingError.self) { try ModelImporter.model(r) }
        #expect(error?.message.contains("regression") == true)
        var b = try Self.request("binary")
        b.classes = ["x", "y", "z"]
        #expect(throws: TrainingError.self) { try ModelImporter.model(b) }
    }
}
