import Foundation
import MLCore
import Tabular
import Testing
@testable import ONNXInterchange
@testable import TreeModels

/// Exports Plumb models to ONNX and LightGBM text and reads them back with Plumb's own readers:
/// the re-imported models predict what the originals do (raw columns in, imputation folded into
/// the splits), within 1e-7 relative. (ONNX Runtime and LightGBM themselves load the exports in
/// Tests/Interop.)
@Suite struct ModelExportTests {
    static let names = ["a", "b", "c", "d"]

    /// Rows with a nonlinear target; feature b has 20% missing values, c takes integer values
    /// (so rows land on thresholds).
    static func data(rows n: Int, seed: UInt64) -> (table: Table, y: [Double]) {
        var g = SeededGenerator(seed: seed)
        var cols = [[Double]](repeating: [], count: 4)
        var y: [Double] = []
        for _ in 0..<n {
            let a = Double.random(in: -2...2, using: &g), c = Double(Int.random(in: 0...9, using: &g)), d = Double.random(in: 0...1, using: &g)
            let b = Double.random(in: 0...1, using: &g) < 0.2 ? Double.nan : Double.random(in: -1...1, using: &g)
            cols[0].append(a); cols[1].append(b); cols[2].append(c); cols[3].append(d)
            y.append(sin(2 * a) + (b.isNaN ? 0.7 : b * b) + 0.3 * c + d + Double.random(in: -0.1...0.1, using: &g))
        }
        let columns = zip(names, cols).map { Column(name: $0, data: .numeric($1)) }
        return (Table(columns: columns, rowCount: n), y)
    }

    enum Kind: String, CaseIterable, Sendable { case gbmRegression, gbmBinary, gbmMulticlass, forestRegression, forestBinary, forestMulticlass }

    /// A trained model with median imputation (folded into the export) and its predictions on
    /// fresh rows.
    static func trained(_ kind: Kind, impute: ImputeStrategy = .median, scale: Bool = false) throws -> (LoadedModel, Table) {
        let (train, y) = data(rows: 600, seed: 7)
        let pre = try Preprocessor.fit(train, features: names, options: PreprocessingOptions(impute: impute, scale: scale, oneHot: false))
        let t = try pre.transform(train)
        let x = FeatureMatrix(rows: t.rows, columns: t.columns, values: t.values)
        let sorted = y.sorted()
        let binary = y.map { Int32($0 > sorted[300] ? 1 : 0) }
        let three = y.map { Int32($0 < sorted[200] ? 0 : $0 < sorted[400] ? 1 : 2) }
        var g = GBMParameters()
        g.rounds = 25; g.maxLeaves = 8; g.minDataInLeaf = 5; g.threads = 1
        var f = ForestParameters()
        f.trees = 8; f.maxDepth = 6; f.threads = 1; f.seed = 3
        let regressor: any Regressor
        var classes: [String]?
        switch kind {
        case .gbmRegression: regressor = try GradientBoostedTrees.fit(x, y, parameters: g).model
        case .gbmBinary:
            g.loss = .logistic
            regressor = try GradientBoostedTrees.fitClassifier(x, classes: binary, classCount: 2, parameters: g).model
            classes = ["no", "yes"]
        case .gbmMulticlass:
            g.loss = .softmax
            regressor = try GradientBoostedTrees.fitClassifier(x, classes: three, classCount: 3, parameters: g).model
            classes = ["low", "mid", "high"]
        case .forestRegression: regressor = try RandomForest.fit(x, y, parameters: f).model
        case .forestBinary:
            regressor = try RandomForest.fitClassifier(FeatureColumns(x), classes: binary, classCount: 2, parameters: f).model
            classes = ["no", "yes"]
        case .forestMulticlass:
            regressor = try RandomForest.fitClassifier(FeatureColumns(x), classes: three, classCount: 3, parameters: f).model
            classes = ["low", "mid", "high"]
        }
        let task: ModelTask? = classes == nil ? nil : classes?.count == 2 ? .binary : .multiclass
        let header = ModelHeader(kind: regressor.kindName, target: "y", preprocessor: pre, hyperparameters: [:], trainingData: nil,
                                 metrics: [:], featureImportance: nil, plumbVersion: "test", task: task, classes: classes,
                                 threshold: task == .binary ? 0.5 : nil)
        return (LoadedModel(header: header, regressor: regressor), data(rows: 400, seed: 99).table)
    }

    /// Raw columns as the exported model reads them (no preprocessing).
    static func raw(_ t: Table) -> FeatureMatrix {
        FeatureMatrix(columns: names.map { n in t.column(named: n)?.numericValues ?? [] })
    }

    static func maxRelative(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { x, y in abs(x - y) / max(abs(y), 1e-300) }.max() ?? 0
    }

    @Test(arguments: Kind.allCases)
    func onnxExportReadsBackToTheSamePredictions(kind: Kind) throws {
        let (model, rows) = try Self.trained(kind)
        let original = try model.predict(rows).predictions
        let export = try ExportableEnsemble(header: model.header, regressor: model.regressor, format: "ONNX")
        let bytes = try ONNXModelWriter.bytes(export, producerVersion: "test")
        let back = try ONNXModelReader.read(bytes: bytes, source: "export.onnx")
        #expect(back.featureNames == Self.names)
        #expect(back.task == model.header.resolvedTask)
        #expect(back.parameters["threshold_precision"] == "double")
        #expect(back.classLabels == model.header.classes)
        let again = back.regressor.predict(Self.raw(rows), threads: 1)
        #expect(again.count == original.count)
        let worst = Self.maxRelative(again, original)
        #expect(worst <= 1e-7, "\(kind): max relative difference \(worst)")
    }

    @Test(arguments: [Kind.gbmRegression, .gbmBinary, .gbmMulticlass, .forestRegression])
    func lightGBMExportReadsBackToTheSamePredictions(kind: Kind) throws {
        let (model, rows) = try Self.trained(kind)
        let original = try model.predict(rows).predictions
        let export = try ExportableEnsemble(header: model.header, regressor: model.regressor, format: "LightGBM text")
        let text = try LightGBMModelWriter.text(export)
        let back = try LightGBMModelReader.parse(text, source: "export.txt")
        #expect(back.featureNames == Self.names)
        #expect(back.task == model.header.resolvedTask)
        let again = back.model.predict(Self.raw(rows), threads: 1)
        let worst = Self.maxRelative(again, original)
        #expect(worst <= 1e-7, "\(kind): max relative difference \(worst)")
    }

    /// Imputation is folded into the splits: rows with a missing b score as the imputed value.
    @Test func missingValuesFollowTheImputedValue() throws {
        let (model, rows) = try Self.trained(.gbmRegression)
        let fill = try #require(model.header.preprocessor.steps[1].imputer.number)
        let export = try ExportableEnsemble(header: model.header, regressor: model.regressor, format: "ONNX")
        let back = try ONNXModelReader.read(bytes: try ONNXModelWriter.bytes(export, producerVersion: "test"), source: "export.onnx")
        var x = Self.raw(rows)
        var filled = x
        for r in 0..<x.rows { x[r, 1] = .nan; filled[r, 1] = fill }
        #expect(back.regressor.predict(x, threads: 1) == back.regressor.predict(filled, threads: 1))
    }

    @Test func scalingIsRefusedNamingTheFeature() throws {
        let (model, _) = try Self.trained(.gbmRegression, scale: true)
        let error = try #require(throws: ModelExportError.self) {
            try ExportableEnsemble(header: model.header, regressor: model.regressor, format: "ONNX")
        }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("feature \"a\""))
        #expect(error.message.contains("standardised"))
    }

    @Test func forestClassifiersAreRefusedByLightGBMText() throws {
        let (model, _) = try Self.trained(.forestBinary)
        let export = try ExportableEnsemble(header: model.header, regressor: model.regressor, format: "LightGBM text")
        let error = try #require(throws: ModelExportError.self) { try LightGBMModelWriter.text(export) }
        #expect(error.message.contains("--format onnx"))
    }
}
