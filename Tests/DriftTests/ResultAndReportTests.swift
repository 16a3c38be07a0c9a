import Foundation
import Testing
import Tabular
@testable import Drift

@Suite struct ResultAndReportTests {
    @Test func performanceReportMatchesClosedForm() {
        let y: [Double] = [1, 2, 3, 4]
        let p: [Double] = [1.5, 2, 2, 4.5]
        let r = PerformanceReport.compute(predictions: p, actuals: y)
        // errors 0.5, 0, −1, 0.5: SSE 1.5, SST 5.
        #expect(r.count == 4)
        #expect(abs(r.rmse - (1.5 / 4).squareRoot()) < 1e-15)
        #expect(abs(r.mae - 0.5) < 1e-15)
        #expect(abs(r.r2 - (1 - 1.5 / 5)) < 1e-15)
        #expect(abs(r.meanError - 0) < 1e-15)
        let withNaN = PerformanceReport.compute(predictions: p + [.nan], actuals: y + [7])
        #expect(withNaN == r)
    }

    @Test func retrainReasonsNameTheFigures() {
        let perf = PerformanceReport(rmse: 0.62, mae: 0.4, r2: 0.55, meanError: 0.01, count: 100)
        let cols = [ColumnDrift(name: "a", test: "ks", statistic: 0.3, pValue: 0.001, threshold: 0.05, drifted: true),
                    ColumnDrift(name: "b", test: "ks", statistic: 0.01, pValue: 0.9, threshold: 0.05, drifted: false)]
        let r = DriftResult.decide(columns: cols, performance: perf, driftShareThreshold: 0.2, policy: RetrainPolicy())
        #expect(r.datasetDrift && r.retrain)
        #expect(r.driftShare == 0.5)
        #expect(r.reasons.contains("RMSE 0.6200 > 0.5000"))
        #expect(r.reasons.contains("R² 0.5500 < 0.6000"))
        let fine = DriftResult.decide(columns: [cols[1]], performance: PerformanceReport(rmse: 0.4, mae: 0.3, r2: 0.8, meanError: 0, count: 10),
                                      driftShareThreshold: 0.2, policy: RetrainPolicy())
        #expect(!fine.retrain && fine.reasons.isEmpty)
    }

    @Test func jsonHasExactSnakeCaseKeysAndNulls() throws {
        let r = DriftResult(datasetDrift: false, driftShare: 0,
                            columns: [ColumnDrift(name: "x", test: "wasserstein", statistic: 0.01, pValue: nil, threshold: 0.1, drifted: false),
                                      ColumnDrift(name: "c", test: "chisquare", statistic: .infinity, pValue: 0, threshold: 0.05, drifted: true)],
                            performance: nil, retrain: false, reasons: [])
        let data = try JSONEncoder().encode(r)
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(obj.keys) == ["dataset_drift", "drift_share", "columns", "performance", "retrain", "reasons"])
        #expect(obj["performance"] is NSNull)
        let cols = try #require(obj["columns"] as? [[String: Any]])
        #expect(Set(cols[0].keys) == ["name", "test", "statistic", "p_value", "threshold", "drifted"])
        #expect(cols[0]["p_value"] is NSNull)
        #expect(cols[1]["statistic"] is NSNull)  // +∞ is not JSON
        #expect(try JSONDecoder().decode(DriftResult.self, from: data) == r)
        let perf = PerformanceReport(rmse: 1, mae: 1, r2: 0.5, meanError: 0.1, count: 3)
        let pobj = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(perf)) as? [String: Any])
        #expect(Set(pobj.keys) == ["rmse", "mae", "r2", "mean_error", "count"])
    }

    @Test func renderTableListsEveryColumn() throws {
        let t = californiaLike(rows: 3000, seed: 3)
        let (a, b) = split(t, fraction: 0.5, seed: 4)
        let r = try DriftAnalyzer.compare(reference: a, current: simulateDrift(b, seed: 5), target: "MedHouseVal")
        let text = r.renderTable()
        for c in r.columns { #expect(text.contains(c.name)) }
        #expect(text.contains("Drifted columns: 3 of 8"))
        #expect(text.contains("Retrain: YES"))
    }

    /// Renders the report for the scenario with `currentRows` current rows.
    func report(currentRows: Int) throws -> String {
        let ref = californiaLike(rows: 2000, seed: 30)
        let cur = simulateDrift(californiaLike(rows: currentRows, seed: 31), seed: 32)
        var rng = SeededGenerator(seed: 33)
        let refPred = ref.column(named: "MedHouseVal")?.numericValues?.map { $0 + 0.3 * normals(1, rng: &rng)[0] } ?? []
        let profile = try ReferenceProfile.build(table: ref, target: "MedHouseVal", predictions: refPred, seed: 1)
        let actual = cur.column(named: "MedHouseVal")?.numericValues ?? []
        let pred = actual.map { $0 + 0.5 * normals(1, rng: &rng)[0] }
        let details = PerformanceDetails.compute(predictions: pred, actuals: actual)
        let analysis = try DriftAnalyzer.analyze(reference: profile, current: cur, performance: details.report,
                                                 currentPredictions: pred)
        #expect(analysis.current.target != nil && analysis.current.prediction != nil)
        #expect(details.sampledActuals.count == min(1000, currentRows))
        return HTMLReport.render(result: analysis.result, reference: profile, current: analysis.current, performance: details)
    }

    @Test func htmlReportIsSelfContainedAndSizeIndependentOfRows() throws {
        let small = try report(currentRows: 1000)
        let large = try report(currentRows: 100_000)
        for html in [small, large] {
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(!html.contains("http") && !html.contains("<script") && !html.contains("src=") && !html.contains("@import"))
            #expect(html.contains("<svg"))
            for name in ["MedInc", "HouseAge", "AveRooms", "Predicted vs actual", "Error distribution", "Dataset drift"] {
                #expect(html.contains(name))
            }
        }
        let ratio = Double(large.utf8.count) / Double(small.utf8.count)
        #expect(ratio < 2 && ratio > 0.5, "sizes \(small.utf8.count) vs \(large.utf8.count)")
        #expect(large.utf8.count < 400_000)
        #expect(HTMLReport.esc("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    }

    @Test func reportHistogramsShareBinsAndCoverTheCurrentRange() {
        let ref = Histogram.equalWidth(sorted: (0..<100).map(Double.init), bins: 10)
        let cur = (50..<150).map(Double.init)
        let (r, c) = DriftAnalyzer.reportHistograms(reference: ref, currentSorted: cur)
        #expect(r.edges == c.edges)
        #expect(r.counts.reduce(0, +) == 100 && c.counts.reduce(0, +) == 100)
        #expect(c.edges.last ?? 0 >= 148)
    }
}
