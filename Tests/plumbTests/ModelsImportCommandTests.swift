import ArgumentParser
import Foundation
import Pipeline
import Tabular
import Testing
@testable import plumb

/// `plumb models import`: the command end to end on a committed LightGBM fixture
/// (Tests/TreeModelsTests/Fixtures, make_lightgbm_fixtures.py).
@Suite struct ModelsImportCommandTests {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TreeModelsTests/Fixtures/\(name)").path
    }

    @Test func importRegistersAVersionThatPredictsAsLightGBM() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-import-cli-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let command = try ModelsImportCommand.parse([
            Self.fixture("lgb_binary.txt"), "--format", "lightgbm", "--name", "lgb", "--classes", "no,yes",
            "--reference", Self.fixture("lgb_inputs.csv"), "--out", dir + "/lgb.plumb", "--store", dir + "/plumb.db", "--json",
        ])
        try await command.run()
        let located = try ModelLocator.load("models:/lgb/1", storePath: dir + "/plumb.db")
        #expect(located.model.header.classes == ["no", "yes"] && located.model.header.hyperparameters["source_format"] == "lightgbm")
        let p = try located.model.predict(try TableFile.read(Self.fixture("lgb_inputs.csv"))).predictions
        let want = try #require(try TableFile.read(Self.fixture("lgb_predictions.csv")).column(named: "binary_out")?.numericValues)
        #expect(stride(from: 1, to: p.count, by: 2).map { p[$0] } == want)
        #expect(FileManager.default.fileExists(atPath: dir + "/lgb.plumb.profile.json"))
        _ = try ModelLocator.profile(for: located, storePath: dir + "/plumb.db")
    }

    @Test func xgboostModelImportsAndPredictsAsXGBoost() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-import-xgb-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let command = try ModelsImportCommand.parse([
            Self.fixture("xgboost_regression.ubj"), "--format", "xgboost", "--name", "xgb", "--features", "f0,f1,f2,f3",
            "--out", dir + "/xgb.plumb", "--store", dir + "/plumb.db", "--json",
        ])
        try await command.run()
        let located = try ModelLocator.load("models:/xgb/1", storePath: dir + "/plumb.db")
        #expect(located.model.header.hyperparameters["source_format"] == "xgboost")
        let p = try located.model.predict(try TableFile.read(Self.fixture("xgboost_inputs.csv"))).predictions
        let want = try #require(try TableFile.read(Self.fixture("xgboost_regression_predictions.csv")).column(named: "margin0")?.numericValues)
        #expect(p.count == want.count)
        // XGBoost sums leaves in float32, Plumb in Double (the same leaves; see XGBoostModelReader).
        let worst = zip(p, want).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? .infinity
        #expect(worst < 1e-6)
    }

    @Test func unknownFormatIsAUsageErrorListingTheKnownOnes() {
        do {
            _ = try ModelsImportCommand.parse(["m.txt", "--format", "pmml"])
            Issue.record("--format pmml was accepted")
        } catch {
            #expect(ModelsImportCommand.exitCode(for: error) == ExitCode(64))
            #expect(ModelsImportCommand.message(for: error).contains("lightgbm"))
        }
    }
}
