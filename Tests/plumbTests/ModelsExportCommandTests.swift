import Foundation
import MLCore
import ONNXInterchange
import Pipeline
import Tabular
import Testing
import TreeModels
@testable import plumb

/// `plumb models import --format onnx` and `plumb models export` end to end on a committed ONNX
/// fixture (Tests/ONNXInterchangeTests/Fixtures, make_onnx_fixtures.py).
@Suite struct ModelsExportCommandTests {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ONNXInterchangeTests/Fixtures/\(name)").path
    }

    /// The fixture's rows ("nan" = missing) as a table of f0 … f3, and ONNX Runtime's outputs.
    static func rows() throws -> (table: Table, expected: [[Double]]) {
        func read(_ name: String) throws -> [[Double]] {
            let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: fixture(name))), as: UTF8.self).split(separator: "\n")
            return try lines.dropFirst().map { line in try line.split(separator: ",").map { try #require(Double($0)) } }
        }
        let x = try read("onnx_inputs.csv")
        let columns = (0..<4).map { j in Column(name: "f\(j)", data: .numeric(x.map { $0[j] })) }
        return (Table(columns: columns, rowCount: x.count), try read("onnx_sk_rfc_multi_expected.csv"))
    }

    @Test func onnxForestImportsPredictsAsONNXRuntimeAndExportsBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-onnx-cli-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/plumb.db"
        try await ModelsImportCommand.parse([
            Self.fixture("onnx_sk_rfc_multi.onnx"), "--format", "onnx", "--name", "rf", "--features", "f0,f1,f2,f3",
            "--classes", "low,mid,high", "--out", dir + "/rf.plumb", "--store", store, "--json",
        ]).run()
        let located = try ModelLocator.load("models:/rf/1", storePath: store)
        #expect(located.model.header.kind == "forest")
        #expect(located.model.header.hyperparameters["source_format"] == "onnx")
        let (table, expected) = try Self.rows()
        let p = try located.model.predict(table).predictions
        let ort = expected.flatMap { $0 }
        #expect(p.count == ort.count)
        #expect(zip(p, ort).allSatisfy { abs($0 - $1) <= 1e-6 })

        // Export the registered version (the models:/ may be left out) and read it back.
        try await ModelsExportCommand.parse(["rf/1", "--format", "onnx", "--out", dir + "/rf.onnx", "--store", store, "--json"]).run()
        let back = try ONNXModelReader.read(path: dir + "/rf.onnx")
        #expect(back.featureNames == ["f0", "f1", "f2", "f3"])
        let again = back.regressor.predict(FeatureMatrix(columns: (0..<4).map { table.column(named: "f\($0)")?.numericValues ?? [] }), threads: 1)
        #expect(zip(again, p).allSatisfy { abs($0 - $1) <= 1e-7 * abs($1) })

        // A forest classifier has no LightGBM objective: refused, naming the way out.
        await #expect(throws: (any Error).self) {
            try await ModelsExportCommand.parse(["models:/rf/1", "--format", "lightgbm", "--out", dir + "/rf.txt", "--store", store]).run()
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/rf.txt"))
    }

    /// A two-class forest registers with two classes (its summed form has none of its own).
    @Test func twoClassONNXForestRegistersBothClasses() throws {
        let path = Self.fixture("onnx_sk_rfc_binary.onnx")
        let ensemble = try ONNXModelReader.read(path: path)
        #expect(ensemble.classCount == 2)
        var request = ImportRequest(ensemble: ensemble, source: path, sourceSHA256: "test")
        request.features = ["f0", "f1", "f2", "f3"]
        let model = try ModelImporter.model(request)
        #expect(model.header.classes == ["0", "1"])
        #expect(model.header.kind == "forest")
        #expect(model.outputCount == 2)
    }
}
