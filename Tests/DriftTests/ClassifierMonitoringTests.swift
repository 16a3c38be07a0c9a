import Foundation
import Tabular
import Testing
@testable import Drift

/// Binary outputs: class 1 for ~40 % of rows, p₁ noisy around 0.7 (positives) / 0.3 (negatives),
/// rounded to `grid` steps so some scores tie. Probabilities rows × 2.
func binaryOutputs(rows n: Int, seed: UInt64, positiveShare: Double = 0.4, grid: Double = 1000) -> (truth: [Int], probabilities: [Double]) {
    var rng = SeededGenerator(seed: seed)
    var truth: [Int] = [], p: [Double] = []
    for _ in 0..<n {
        let y = rng.unit() < positiveShare ? 1 : 0
        let p1 = ((Double(y) * 0.4 + 0.3 + 0.6 * (rng.unit() - 0.5)) * grid).rounded() / grid
        truth.append(y)
        p += [1 - p1, p1]
    }
    return (truth, p)
}

/// Mann–Whitney: the share of (positive, negative) pairs ranked right, ties counting one half.
func pairwiseAUC(scores: [Double], positive: [Bool]) -> Double {
    var wins = 0.0, pairs = 0.0
    for i in scores.indices where positive[i] {
        for j in scores.indices where !positive[j] {
            wins += scores[i] > scores[j] ? 1 : (scores[i] == scores[j] ? 0.5 : 0)
            pairs += 1
        }
    }
    return wins / pairs
}

/// Trapezoid area under a polyline.
func trapezoid(_ c: Curve) -> Double {
    var area = 0.0
    for i in 1..<c.x.count {
        let width: Double = c.x[i] - c.x[i - 1]
        let height: Double = (c.y[i] + c.y[i - 1]) / 2
        area += width * height
    }
    return area
}

@Suite struct ClassifierMonitoringTests {
    @Test func rocCurveAreaIsThePairwiseAUC() throws {
        let (y, p) = binaryOutputs(rows: 150, seed: 1, grid: 20)
        let curves = ClassifierCurves.compute(classes: ["no", "yes"], truth: y, probabilities: p)
        let roc = try #require(curves.roc.first)
        #expect(curves.roc.count == 1 && roc.label == "yes")
        #expect(roc.x.first == 0 && roc.y.first == 0 && roc.x.last == 1 && roc.y.last == 1)
        let scores = stride(from: 1, to: p.count, by: 2).map { p[$0] }
        #expect(abs(trapezoid(roc) - pairwiseAUC(scores: scores, positive: y.map { $0 == 1 })) < 1e-12)
        // Precision–recall: starts at (0, 1), ends at recall 1 with precision = share of positives.
        let pr = try #require(curves.precisionRecall.first)
        #expect(pr.x.first == 0 && pr.y.first == 1 && pr.x.last == 1)
        #expect(abs((pr.y.last ?? 0) - Double(y.filter { $0 == 1 }.count) / 150) < 1e-12)
    }

    @Test func curvesAreBoundedAndCalibrationCountsEveryRow() {
        let (y, p) = binaryOutputs(rows: 20_000, seed: 2, grid: 1e9)
        let curves = ClassifierCurves.compute(classes: ["0", "1"], truth: y, probabilities: p)
        let roc = curves.roc[0]
        #expect(roc.x.count == ClassifierCurves.maxPoints && curves.precisionRecall[0].x.count == ClassifierCurves.maxPoints)
        #expect(roc.x.last == 1 && roc.y.last == 1)
        let scores = stride(from: 1, to: p.count, by: 2).map { p[$0] }
        let exact = curves.roc[0]  // downsampled: its area stays close to the exact AUC
        let sub = stride(from: 0, to: 20_000, by: 10).map { $0 }
        let approx = pairwiseAUC(scores: sub.map { scores[$0] }, positive: sub.map { y[$0] == 1 })
        #expect(abs(trapezoid(exact) - approx) < 0.02)
        #expect(curves.calibration.reduce(0) { $0 + $1.count } == 20_000)
        // One bin recomputed by hand.
        let bin = curves.calibration.first { $0.lower == 0.6 }!
        let rows = scores.indices.filter { scores[$0] >= 0.6 && scores[$0] < 0.7 }
        #expect(bin.count == rows.count)
        #expect(abs(bin.observed - Double(rows.filter { y[$0] == 1 }.count) / Double(rows.count)) < 1e-12)
    }

    @Test func triggersParseAndFireWithTheirDirection() throws {
        let t = try MetricTrigger(parsing: "roc_auc<0.8")
        #expect(t == MetricTrigger("roc_auc", .less, 0.8))
        #expect(try MetricTrigger(parsing: " log_loss >= 0.4 ") == MetricTrigger("log_loss", .greaterOrEqual, 0.4))
        #expect(throws: DriftError.self) { try MetricTrigger(parsing: "roc_auc ~ 0.8") }
        #expect(throws: DriftError.self) { try MetricTrigger(parsing: "< 0.8") }
        #expect(t.fires(0.79) && !t.fires(0.8) && !t.fires(.nan))
        let policy = RetrainPolicy(triggers: [t, try MetricTrigger(parsing: "log_loss > 0.4")])
        func report(_ auc: Double, _ loss: Double) -> ClassificationReport {
            ClassificationReport(classes: ["a", "b"], metrics: ["roc_auc": auc, "log_loss": loss, "accuracy": 0.9],
                                 confusionMatrix: [[5, 1], [1, 5]], count: 12, curves: ClassifierCurves(roc: [], precisionRecall: [], calibration: []))
        }
        let bad = DriftResult.decide(columns: [], performance: nil, driftShareThreshold: 0.2, policy: policy, classification: report(0.75, 0.3))
        #expect(bad.retrain && bad.reasons == ["roc_auc 0.7500 < 0.8000"])
        let fine = DriftResult.decide(columns: [], performance: nil, driftShareThreshold: 0.2, policy: policy, classification: report(0.85, 0.3))
        #expect(!fine.retrain)
        // Regression: a trigger on mae beside the RMSE / R² bounds.
        let mae = RetrainPolicy(triggers: [try MetricTrigger(parsing: "mae > 0.3")])
        let r = DriftResult.decide(columns: [], performance: PerformanceReport(rmse: 0.4, mae: 0.35, r2: 0.8, meanError: 0, count: 9),
                                   driftShareThreshold: 0.2, policy: mae)
        #expect(r.reasons == ["mae 0.3500 > 0.3000"])
        // The text names the classification figures; JSON carries them, NaN as null.
        var withNaN = report(.nan, 0.3)
        withNaN.metrics["f1"] = 0.5
        let text = DriftResult.decide(columns: [], performance: nil, driftShareThreshold: 0.2, policy: policy, classification: withNaN)
        #expect(text.renderTable().contains("Performance: accuracy 0.9000, F1 0.5000, ROC AUC nan, log loss 0.3000, n = 12"))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(text)) as? [String: Any])
        let metrics = try #require((json["classification"] as? [String: Any])?["metrics"] as? [String: Any])
        #expect(metrics["roc_auc"] is NSNull && metrics["log_loss"] as? Double == 0.3)
        #expect(try JSONDecoder().decode(DriftResult.self, from: JSONEncoder().encode(text)) == text)
    }

    /// A reference of 600 rows (40 % positive), profiled as training would.
    static func reference() throws -> ReferenceProfile {
        let (y, p) = binaryOutputs(rows: 600, seed: 3)
        var rng = SeededGenerator(seed: 4)
        let x = (0..<600).map { _ in rng.unit() }
        var profile = try ReferenceProfile.build(table: Table(columns: [Column(name: "x", data: .numeric(x))]))
        let predicted = stride(from: 1, to: p.count, by: 2).map { p[$0] >= 0.5 ? 1 : 0 }
        profile.classifier = ClassifierProfile.build(classes: ["no", "yes"], truth: y, predicted: predicted, probabilities: p)
        return profile
    }

    @Test func predictionAndLabelDriftAgainstTheTrainingShares() throws {
        let profile = try Self.reference()
        func analyze(positiveShare: Double, seed: UInt64, options: DriftOptions = DriftOptions()) throws -> DriftAnalysis {
            let (y, p) = binaryOutputs(rows: 500, seed: seed, positiveShare: positiveShare)
            var rng = SeededGenerator(seed: seed + 1)
            let current = Table(columns: [Column(name: "x", data: .numeric((0..<500).map { _ in rng.unit() }))])
            let outputs = ClassifierOutputs(predicted: stride(from: 1, to: p.count, by: 2).map { p[$0] >= 0.5 ? 1 : 0 }, probabilities: p, truth: y)
            return try DriftAnalyzer.analyze(reference: profile, current: current, options: options, classifierOutputs: outputs)
        }
        let same = try analyze(positiveShare: 0.4, seed: 10)
        #expect(same.result.predictionDrift.map(\.name) == ["predicted_class", "prob_yes", "true_class"])
        #expect(same.result.predictionDrift.map(\.test) == ["jensenshannon", "psi", "jensenshannon"])
        #expect(same.result.predictionDrift.allSatisfy { !$0.drifted })
        let chi2Tests = DriftOptions(columnTests: ["predicted_class": .chisquare, "true_class": .chisquare, "prob_yes": .ks])
        let shifted = try analyze(positiveShare: 0.8, seed: 11, options: chi2Tests)
        #expect(shifted.result.predictionDrift.map(\.test) == ["chisquare", "ks", "chisquare"])
        #expect(try analyze(positiveShare: 0.8, seed: 11).result.predictionDrift.allSatisfy { $0.drifted })  // distances too
        #expect(shifted.result.predictionDrift.allSatisfy { $0.drifted })
        #expect(!shifted.result.retrain)  // reported; retraining on it is opt-in
        #expect(shifted.result.columns.count == 1 && shifted.result.driftShare == 0)  // features only
        // The chi-square statistic on predicted shares, recomputed from the counts.
        let ref = try #require(profile.classifier)
        let summary = try #require(shifted.current.classifierOutputs?.first)
        let cur = try #require(summary.currentFrequencies).map(Double.init), n = cur.reduce(0, +)
        let refTotal = Double(ref.predictedCounts.reduce(0, +))
        let chi2 = zip(cur, ref.predictedCounts).reduce(0.0) { s, pair in
            let e = Double(pair.1) / refTotal * n
            return s + (pair.0 - e) * (pair.0 - e) / e
        }
        #expect(abs(shifted.result.predictionDrift[0].statistic - chi2) < 1e-9)
        var optIn = RetrainPolicy()
        optIn.retrainOnPredictionDrift = true
        let decided = DriftResult.decide(columns: [], performance: nil, driftShareThreshold: 0.2, policy: optIn,
                                         predictionDrift: shifted.result.predictionDrift)
        #expect(decided.reasons == ["Prediction drift: predicted_class, prob_yes, true_class"])
    }

    @Test func classifierProfileRoundTripsThroughTheFastJSONReader() throws {
        let profile = try Self.reference()
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try enc.encode(profile)
        let fast = try #require(data.withUnsafeBytes { raw -> ReferenceProfile? in
            var parser = ProfileJSONParser(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return try? ProfileJSONMapping.profile(parser.document())
        })
        #expect(fast == profile && fast.classifier?.predictedCounts.reduce(0, +) == 600)
        #expect(fast.classifier?.classScores == nil)  // binary: the score is p₁
        // Multiclass: one probability profile per class, read back by the fast reader too.
        var multi = profile
        var rng = SeededGenerator(seed: 9)
        let probs = (0..<300).flatMap { _ -> [Double] in let a = rng.unit(), b = rng.unit() * (1 - a); return [a, b, 1 - a - b] }
        multi.classifier = ClassifierProfile.build(classes: ["x", "y", "z"], truth: (0..<300).map { $0 % 3 }, predicted: (0..<300).map { $0 % 2 },
                                                   probabilities: probs)
        #expect(multi.classifier?.classScores?.map(\.count) == [300, 300, 300])
        let multiData = try enc.encode(multi)
        let multiFast = multiData.withUnsafeBytes { raw -> ReferenceProfile? in
            var parser = ProfileJSONParser(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count)
            return try? ProfileJSONMapping.profile(parser.document())
        }
        #expect(multiFast == multi)
        // A regression profile's JSON has no classifier key (files written before stay identical).
        var plain = profile
        plain.classifier = nil
        #expect(!String(decoding: try enc.encode(plain), as: UTF8.self).contains("classifier"))
    }

    @Test func reportDrawsConfusionMatrixCurvesAndCalibrationFromAggregates() throws {
        let profile = try Self.reference()
        let (y, p) = binaryOutputs(rows: 5000, seed: 20, grid: 1e9)
        var rng = SeededGenerator(seed: 21)
        let current = Table(columns: [Column(name: "x", data: .numeric((0..<5000).map { _ in rng.unit() }))])
        let predicted = stride(from: 1, to: p.count, by: 2).map { p[$0] >= 0.5 ? 1 : 0 }
        var cm = [[0, 0], [0, 0]]
        for (t, q) in zip(y, predicted) { cm[t][q] += 1 }
        let report = ClassificationReport(classes: ["no", "yes"], metrics: ["accuracy": 0.8, "f1": 0.7, "roc_auc": 0.85, "log_loss": 0.45],
                                          confusionMatrix: cm, count: 5000,
                                          curves: ClassifierCurves.compute(classes: ["no", "yes"], truth: y, probabilities: p))
        let analysis = try DriftAnalyzer.analyze(reference: profile, current: current,
                                                 classifierOutputs: ClassifierOutputs(predicted: predicted, probabilities: p, truth: y),
                                                 classification: report)
        let html = HTMLReport.render(result: analysis.result, reference: profile, current: analysis.current)
        #expect(html.contains("<svg class=\"confusion-matrix\""))
        #expect(html.components(separatedBy: "<svg class=\"curve\"").count == 3)  // ROC and precision–recall
        #expect(html.contains("<svg class=\"calibration\""))
        #expect(html.contains("Prediction and label drift") && html.contains("predicted_class"))
        #expect(html.contains(">\(cm[1][1])</text>"))
        // Bounded: every polyline has at most 200 points, and the page stays small for 5,000 rows.
        for line in html.components(separatedBy: "<polyline points=\"").dropFirst() {
            let points = line.prefix { $0 != "\"" }.split(separator: " ").count
            #expect(points <= ClassifierCurves.maxPoints)
        }
        #expect(html.utf8.count < 200_000)
    }
}
