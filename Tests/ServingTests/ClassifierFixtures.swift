import Foundation
import Logging
import MLCore
import Pipeline
import Tabular
import TreeModels
@testable import Serving

/// Classifiers trained once per test process with `Pipeline.Trainer` (gradient boosting), saved
/// as model files and loaded back as the server loads them (`ServableLoadedModel`).
enum Classifiers {
    /// Binary, numeric features only (MedInc, HouseAge): scored through the row-major path.
    /// Classes "ham", "spam"; threshold 0.65.
    static let spam = train(name: "spam", classes: ["ham", "spam"], ocean: false, task: .binary, threshold: 0.65, seed: 1)
    /// Three classes written as numbers ("0", "1", "2"), with the categorical feature Ocean: the
    /// toy regression's features, so the same requests fit both.
    static let three = train(name: "housing", classes: ["0", "1", "2"], ocean: true, task: .multiclass, threshold: nil, seed: 2)

    /// Rows where the class is the band a noisy score 2·MedInc + HouseAge/10 (+ Ocean's effect) falls in.
    static func table(rows: Int, classes: [String], ocean: Bool, seed: UInt64) -> Table {
        var rng = SeededGenerator(seed: seed)
        var medInc: [Double] = [], age: [Double] = [], oceanCodes: [Int32] = [], label: [Int32] = []
        for _ in 0..<rows {
            let m = 8 * rng.unit(), a = 50 * rng.unit(), o = Int32(rng.below(2))
            var s = 2 * m + a / 10 + rng.unit() - 0.5
            if ocean { s += o == 0 ? 2 : -2 }
            let band = Int(s / 24 * Double(classes.count))
            medInc.append(m); age.append(a); oceanCodes.append(o)
            label.append(Int32(max(0, min(classes.count - 1, band))))
        }
        var columns = [Column(name: "MedInc", data: .numeric(medInc)), Column(name: "HouseAge", data: .numeric(age))]
        if ocean { columns.append(Column(name: "Ocean", data: .categorical(codes: oceanCodes, levels: ["NEAR BAY", "INLAND"]))) }
        let numeric = classes.allSatisfy { Double($0) != nil }
        columns.append(Column(name: "label", data: numeric ? .numeric(label.map { Double(classes[Int($0)])! })
                                                          : .categorical(codes: label, levels: classes)))
        return Table(columns: columns)
    }

    static func train(name: String, classes: [String], ocean: Bool, task: ModelTask, threshold: Double?, seed: UInt64) -> ServableLoadedModel {
        var p = GBMParameters()
        p.rounds = 25
        var request = TrainingRequest(train: table(rows: 800, classes: classes, ocean: ocean, seed: seed), target: "label", model: .gbm(p))
        request.task = task
        request.threshold = threshold
        let outcome = try! Trainer.train(request)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-cls-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("\(name).plumb").path
        let bytes = try! ModelFile.encode(header: outcome.model.header, regressor: outcome.model.regressor)
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
        return ServableLoadedModel(try! ModelLocator.load(path, storePath: dir.appendingPathComponent("unused.db").path))
    }
}

/// A served model under another name and version (the registry's, in the server).
struct Versioned: ServableModel {
    let base: any ServableModel
    let name: String
    let version: String
    var features: [Serving.FeatureSpec] { base.features }
    var metrics: [String: Double] { base.metrics }
    var kind: String { base.kind }
    var classifier: ClassifierSpec? { base.classifier }
    func predict(_ rows: FeatureRows) throws -> [Double] { try base.predict(rows) }
}

extension Harness {
    /// A server answering with `model` (and `shadow`), logging to memory.
    init(model: any ServableModel, shadow: (any ServableModel)? = nil) async throws {
        provider = InMemoryModelProvider(model, description: "test provider")
        shadowProvider = shadow.map { InMemoryModelProvider($0, description: "shadow provider") }
        log = InMemoryPredictionLog()
        var logger = Logger(label: "serving-tests")
        logger.logLevel = .warning
        let config = ServerConfiguration(host: "127.0.0.1", port: 0, maxBatchRows: 1000, adminToken: nil,
                                         pollInterval: .seconds(3600), logFlushInterval: .milliseconds(20))
        server = PlumbServer(configuration: config, provider: provider, shadow: shadowProvider, sink: log, logger: logger)
        try await server.loadModels()
    }
}

/// A /predict row as JSON, with Ocean when given.
func rowJSON(_ medInc: Double, _ age: Double, _ ocean: String? = nil) -> String {
    "{\"MedInc\":\(medInc),\"HouseAge\":\(age)" + (ocean.map { ",\"Ocean\":\"\($0)\"" } ?? "") + "}"
}

/// The model's probabilities for rows given value by value, straight from the model (no server).
func directProbabilities(_ model: any ServableModel, _ rows: [[FeatureValue?]]) throws -> [Double] {
    try model.predict(rows: rows)
}
