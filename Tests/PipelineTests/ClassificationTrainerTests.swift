import Foundation
import MLCore
import Pipeline
import Tabular
import Testing
import TreeModels

@Suite struct ClassificationTrainerTests {
    /// Two numeric features and a categorical one; the label is where a noisy score falls
    /// among `classes` bands, written as the given texts (or numbers).
    static func table(rows: Int, classes: [String], seed: UInt64, numericLabels: Bool = false) -> Table {
        var rng = SeededGenerator(seed: seed)
        var a: [Double] = [], b: [Double] = [], kind: [Int32] = [], label: [Int32] = [], number: [Double] = []
        for _ in 0..<rows {
            let x = rng.unit(), y = rng.unit(), k = Int32(rng.below(3))
            let s = 2 * x + y + (k == 1 ? 0.4 : 0) + 0.1 * (rng.unit() - 0.5)
            let c = Int32(min(classes.count - 1, Int(s / 3.4 * Double(classes.count))))
            a.append(x); b.append(y); kind.append(k); label.append(c); number.append(Double(classes[Int(c)]) ?? .nan)
        }
        return Table(columns: [
            Column(name: "a", data: .numeric(a)), Column(name: "b", data: .numeric(b)),
            Column(name: "kind", data: .categorical(codes: kind, levels: ["p", "q", "r"])),
            Column(name: "label", data: numericLabels ? .numeric(number) : .categorical(codes: label, levels: classes)),
        ])
    }

    static func request(_ model: ModelSpec, classes: [String], seed: UInt64 = 1, numeric: Bool = false) -> TrainingRequest {
        var r = TrainingRequest(train: table(rows: 1200, classes: classes, seed: seed, numericLabels: numeric), target: "label", model: model)
        r.test = table(rows: 400, classes: classes, seed: seed + 100, numericLabels: numeric)
        return r
    }

    static var gbm: ModelSpec {
        var p = GBMParameters()
        p.rounds = 40
        return .gbm(p)
    }

    @Test func textTargetIsClassifiedWithItsLabels() throws {
        let o = try Trainer.train(Self.request(Self.gbm, classes: ["yes", "no"]))
        let h = o.model.header
        #expect(h.task == .binary && h.classes == ["no", "yes"] && h.threshold == 0.5)
        let m = try #require(o.evaluation.classification)
        #expect(m.accuracy > 0.8 && m.confusionMatrix.count == 2 && m.count == 400)
        #expect(h.metrics["roc_auc"] == m.rocAUC && h.metrics["r2"] == nil)
        // The model file keeps task, classes and threshold, and scores the same.
        let bytes = try ModelFile.encode(header: h, regressor: o.model.regressor)
        let back = try ModelFile.decode(bytes, source: "test", kinds: ModelSpec.kinds)
        #expect(back.header == h)
        #expect(try back.predict(o.testTable).predictions == o.testPredictions)
    }

    @Test(arguments: ["gbm", "logistic"])
    func multiclassGivesOneProbabilityPerClass(kind: String) throws {
        let spec: ModelSpec = kind == "gbm" ? Self.gbm : .logistic(alpha: nil)
        let o = try Trainer.train(Self.request(spec, classes: ["c", "a", "b", "d"]))
        #expect(o.model.header.task == .multiclass && o.model.header.classes == ["a", "b", "c", "d"] && o.model.header.threshold == nil)
        #expect(o.testPredictions.count == 400 * 4)
        let m = try #require(o.evaluation.classification)
        #expect(m.accuracy > 0.6 && m.f1Weighted != nil)
        #expect(o.model.classIndices(o.testPredictions).count == 400)
    }

    /// A forest of four classes end to end: labels in order, one probability per class summing
    /// to 1, out-of-bag accuracy, and the model file scoring the same after a round trip.
    @Test func multiclassForestThroughTheModelFile() throws {
        var p = ForestParameters()
        p.trees = 30; p.featureSampling = .sqrt
        let o = try Trainer.train(Self.request(.forest(p), classes: ["c", "a", "b", "d"]))
        let h = o.model.header
        #expect(h.task == .multiclass && h.classes == ["a", "b", "c", "d"] && h.threshold == nil)
        #expect(o.testPredictions.count == 400 * 4)
        for i in 0..<400 { #expect(abs(o.testPredictions[(4 * i)..<(4 * i + 4)].reduce(0, +) - 1) < 1e-12) }
        let m = try #require(o.evaluation.classification)
        #expect(m.accuracy > 0.6 && m.confusionMatrix.count == 4)
        #expect(o.extraMetrics["oob_accuracy"].map { $0 > 0.5 } == true)
        let bytes = try ModelFile.encode(header: h, regressor: o.model.regressor)
        let back = try ModelFile.decode(bytes, source: "test", kinds: ModelSpec.kinds)
        #expect(back.header == h)
        #expect(try back.predict(o.testTable).predictions == o.testPredictions)
        #expect(try ModelFile.encode(header: back.header, regressor: back.regressor) == bytes)
    }

    @Test func binaryForestAndBestF1Threshold() throws {
        var r = Self.request(.forest(ForestParameters()), classes: ["neg", "pos"])
        r.threshold = nil
        let o = try Trainer.train(r)
        let t = try #require(o.model.header.threshold)
        #expect(t > 0 && t < 1)
        #expect(o.evaluation.classification?.threshold == t)
        #expect(o.extraMetrics["oob_accuracy"] != nil)
        let p = o.testPredictions
        #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func numericClassesNeedTaskAndWarnWithout() throws {
        var r = Self.request(Self.gbm, classes: ["0", "1", "2"], numeric: true)
        let regression = try Trainer.train(r)
        #expect(regression.model.header.task == nil)
        #expect(regression.warnings.contains { $0.contains("--task") })
        r.task = .multiclass
        let classified = try Trainer.train(r)
        #expect(classified.model.header.classes == ["0", "1", "2"])
    }

    /// Cross-validation reports the task's metrics: each is the mean of the folds' own metrics,
    /// every fold trained on the other folds (as fitted here by hand).
    @Test func crossValidationReportsTheTasksMetrics() throws {
        var request = Self.request(.logistic(alpha: nil), classes: ["no", "yes"])
        request.test = nil
        let cv = try Trainer.crossValidate(request, folds: 3)
        #expect(Set(cv.keys).isSuperset(of: ["accuracy", "roc_auc", "log_loss", "f1", "brier"]))
        #expect(cv["r2"] == nil)

        let parts = try TrainTestSplit.split(rowCount: request.train.rowCount, testFraction: request.testFraction, seed: request.seed)
        let rows = request.train.selecting(rows: parts.train)
        var accuracy: [Double] = []
        for fold in try KFold(rows: rows.rowCount, k: 3, seed: request.seed).folds {
            var r = request
            r.train = rows.selecting(rows: fold.train)
            r.test = rows.selecting(rows: fold.test)
            accuracy.append(try #require(try Trainer.train(r).evaluation.classification).accuracy)
        }
        #expect(cv["accuracy"]?.scores == accuracy)
        #expect(abs(cv["accuracy"]!.mean - accuracy.reduce(0, +) / 3) < 1e-15)
    }

    @Test func labelProblemsAreNamed() throws {
        // A class the training rows lack.
        var r = Self.request(Self.gbm, classes: ["x", "y"])
        r.test = Table(columns: [
            Column(name: "a", data: .numeric([0.1, 0.2])), Column(name: "b", data: .numeric([0.3, 0.4])),
            Column(name: "kind", data: .categorical(codes: [0, 1], levels: ["p", "q"])),
            Column(name: "label", data: .categorical(codes: [0, 1], levels: ["x", "zebra"])),
        ])
        #expect { try Trainer.train(r) } throws: { "\($0)".contains("\"zebra\"") && "\($0)".contains("data row 2") }
        // Missing labels, by row.
        var t = Self.table(rows: 50, classes: ["x", "y"], seed: 3)
        t.replace(Column(name: "label", data: .categorical(codes: (0..<50).map { $0 == 7 || $0 == 9 ? -1 : Int32($0 % 2) }, levels: ["x", "y"])))
        var missing = TrainingRequest(train: t, target: "label", model: Self.gbm)
        missing.testFraction = 0.2
        #expect { try Trainer.train(missing) } throws: { "\($0)".contains("data rows 8, 10") }
        // One class only.
        var one = Self.table(rows: 50, classes: ["x", "y"], seed: 4)
        one.replace(Column(name: "label", data: .categorical(codes: [Int32](repeating: 1, count: 50), levels: ["x", "y"])))
        #expect { try Trainer.train(TrainingRequest(train: one, target: "label", model: Self.gbm)) } throws: { "\($0)".contains("single class") }
        // Binary asked for three classes; a regression model for classes.
        var three = Self.request(Self.gbm, classes: ["a", "b", "c"])
        three.task = .binary
        #expect { try Trainer.train(three) } throws: { "\($0)".contains("3 classes") }
        #expect { try Trainer.train(Self.request(.linear, classes: ["a", "b"])) } throws: { "\($0)".contains("does not fit a binary target") }
    }
}
