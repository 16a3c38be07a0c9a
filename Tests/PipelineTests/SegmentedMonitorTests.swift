import Drift
import Foundation
import MLCore
import Pipeline
import Tabular
import Testing
import Tracking

/// `plumb monitor --segment-by / --sensitive` and `plumb evaluate` on a trained classifier: the
/// segment metrics and fairness figures equal those computed here from the rows directly.
@Suite struct SegmentedMonitorTests {
    @Test func classifierSegmentsAndFairnessMatchDirectComputation() throws {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let request = SegmentRequest(columns: ["kind", "a"], sensitive: "kind", options: .init(bins: 4, tolerance: 0.25, replicates: 100))
        let outcome = try Monitor.run(model: f.modelPath, storePath: f.dir + "/unused.db", current: .file(f.currentPath, CSVOptions()),
                                      options: DriftOptions(), policy: RetrainPolicy(), reportPath: f.dir + "/report.html", segments: request)
        // The report carries the segments and the fairness groups before its end.
        let html = try String(contentsOfFile: f.dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<h2>Performance by segment</h2>") && html.contains("<h3>Fairness over kind"))
        #expect(html.hasSuffix("</body></html>\n"))
        let s = try #require(outcome.segments)
        let (p, y) = try ClassifierMonitorTests.scored(f)
        let table = try TableFile.read(f.currentPath)
        guard case .categorical(let kind, let levels)? = table.column(named: "kind")?.data else { throw CancellationError() }
        #expect(s.metric == "log_loss" && !s.higherIsBetter)
        #expect(s.overall.rows == 500)
        #expect(s.segments.filter { $0.column == "kind" }.map(\.segment) == levels)
        #expect(s.segments.filter { $0.column == "a" }.count == 4)
        #expect(s.segments.filter { $0.column == "a" }.map(\.rows) == [125, 125, 125, 125])
        let threshold = f.outcome.model.header.threshold ?? 0.5
        for (k, level) in levels.enumerated() {
            let rows = kind.indices.filter { kind[$0] == Int32(k) }
            let ref = try ClassificationMetrics(classes: rows.map { y[$0] }, probabilities: rows.flatMap { [p[2 * $0], p[2 * $0 + 1]] },
                                                classCount: 2, threshold: threshold)
            let seg = try #require(s.segments.first { $0.column == "kind" && $0.segment == level })
            #expect(seg.rows == rows.count)
            #expect(seg.metrics["log_loss"] == ref.logLoss && seg.metrics["accuracy"] == ref.accuracy)
            let ci = try #require(seg.ci["accuracy"])
            #expect(ci.lower <= ref.accuracy && ref.accuracy <= ci.upper)
            let all = s.overall.metrics["log_loss"] ?? .nan
            #expect(seg.flagged == ((ref.logLoss - all) / all > 0.25))
            // Fairness: selection and true positive rate of the group, counted here.
            let g = try #require(s.fairness?.metrics.groups.first { $0.group == level })
            let predicted = rows.map { p[2 * $0 + 1] >= threshold ? 1 : 0 }
            #expect(g.count == rows.count)
            #expect(abs(g.selectionRate - Double(predicted.reduce(0, +)) / Double(rows.count)) < 1e-12)
            let pos = rows.indices.filter { y[rows[$0]] == 1 }
            #expect(abs(g.truePositiveRate - Double(pos.filter { predicted[$0] == 1 }.count) / Double(pos.count)) < 1e-12)
        }
        let rates = s.fairness?.metrics.groups.map(\.selectionRate) ?? []
        #expect(s.fairness?.metrics.demographicParityDifference == (rates.max() ?? 0) - (rates.min() ?? 0))
        #expect(s.fairness?.positiveClass == "yes")
        // JSON: one object per segment with the documented keys.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any]
        let first = try #require((json?["segments"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["column", "segment", "rows", "metrics", "ci", "flagged", "relative_degradation"])
        #expect(json?["fairness"] != nil)
    }

    /// A column the data lacks, and fairness asked of a regression, are errors naming them.
    @Test func errorsNameTheColumnAndTheTask() throws {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let table = try TableFile.read(f.currentPath)
        let model = f.outcome.model
        let predictions = try model.predict(table).predictions
        let (rows, scored) = try ModelEvaluation.scored(model: model, table: table, predictions: predictions, source: "cur.csv")
        do {
            _ = try ModelEvaluation.evaluate(model: model, table: table, rows: rows, scored: scored,
                                             request: SegmentRequest(columns: ["ocean"]), source: "cur.csv")
            Issue.record("a missing column was accepted")
        } catch let e as SegmentEvaluationError {
            #expect(e.code == .missingColumn && e.message.hasPrefix("--segment-by ocean: cur.csv has no column \"ocean\" (columns: a, b, kind, label)"))
        }
        let regression = ScoredRows.regression(predictions: [1, 2], actuals: [1, 3])
        do {
            _ = try ModelEvaluation.evaluate(model: model, table: table.selecting(rows: [0, 1]), rows: [0, 1], scored: regression,
                                             request: SegmentRequest(columns: [], sensitive: "kind"), source: "cur.csv")
            Issue.record("fairness of a regression was accepted")
        } catch let e as SegmentEvaluationError {
            #expect(e.code == .notApplicable)
        }
    }
}
