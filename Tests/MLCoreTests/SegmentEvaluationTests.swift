import Foundation
import Testing
import Tabular
@testable import MLCore

@Suite struct SegmentEvaluationTests {
    /// Quartile bins of 1…100: numpy's quantiles 1, 25.75, 50.5, 75.25, 100; 25 rows each; the
    /// last bin is closed; NaN is its own segment.
    @Test func numericColumnsGetQuantileBins() {
        let v = (1...100).map(Double.init) + [.nan]
        let s = Segmenter.segments(of: Column(name: "x", data: .numeric(v)), bins: 4)
        #expect(s.labels == ["[1, 25.75)", "[25.75, 50.5)", "[50.5, 75.25)", "[75.25, 100]", "(missing)"])
        let counts = (0..<5).map { k in s.rowSegment.filter { $0 == k }.count }
        #expect(counts == [25, 25, 25, 25, 1])
        #expect(s.rowSegment[25] == 1 && s.rowSegment[99] == 3)
    }

    /// Categorical columns by value (levels that occur); numeric columns with at most `bins`
    /// distinct values by value too; duplicate quantile edges merge.
    @Test func valuesAndMergedEdges() {
        let c = Column(name: "c", data: .categorical(codes: [0, 2, 2, -1], levels: ["a", "b", "c"]))
        let s = Segmenter.segments(of: c, bins: 4)
        #expect(s.labels == ["a", "c", "(missing)"])
        #expect(s.rowSegment == [0, 1, 1, 2])
        let coded = Segmenter.segments(of: Column(name: "sex", data: .numeric([1, 0, 0, 1])), bins: 4)
        #expect(coded.labels == ["0", "1"])
        #expect(coded.rowSegment == [1, 0, 0, 1])
        // 8 zeros of 11: edges 0, 0, 0, 3 merge into the one bin [0, 3].
        let skewed = Segmenter.segments(of: Column(name: "z", data: .numeric(Array(repeating: 0, count: 8) + [1, 2, 3])), bins: 3)
        #expect(skewed.labels == ["[0, 3]"])
        #expect(skewed.rowSegment == Array(repeating: 0, count: 11))
        // 6 zeros of 12, bins 2: edges 0, 0.5 (the median), 5.
        let half = Segmenter.segments(of: Column(name: "h", data: .numeric(Array(repeating: 0, count: 6) + [1, 2, 3, 4, 5, 5])), bins: 2)
        #expect(half.labels == ["[0, 0.5)", "[0.5, 5]"])
        #expect(half.rowSegment == Array(repeating: 0, count: 6) + Array(repeating: 1, count: 6))
    }

    /// Two equal segments with errors 1 and 2: overall RMSE √2.5; the second is (2 − √2.5)/√2.5
    /// = 26.5 % worse and flagged at 25 %, not at 30 %. Metrics equal RegressionMetrics on the rows.
    @Test func flagsSegmentsWorseThanTheWhole() throws {
        let n = 50
        let y = (0..<(2 * n)).map { Double($0 % 7) }
        let p = y.indices.map { y[$0] + ($0 < n ? 1 : -2) }
        let segments = Segmenter.Segments(labels: ["good", "bad"], rowSegment: y.indices.map { $0 < n ? 0 : 1 })
        let scored = ScoredRows.regression(predictions: p, actuals: y)
        let e = try SegmentEvaluation.evaluate(scored, column: "g", segments: segments, options: .init(tolerance: 0.25, replicates: 200))
        #expect(e.metric == "rmse" && !e.higherIsBetter)
        #expect(abs((e.overall.metrics["rmse"] ?? 0) - 2.5.squareRoot()) < 1e-12)
        #expect(e.segments.map(\.flagged) == [false, true])
        #expect(abs((e.segments[1].relativeDegradation ?? 0) - (2 - 2.5.squareRoot()) / 2.5.squareRoot()) < 1e-12)
        #expect(e.segments[1].metrics == RegressionMetrics(predicted: Array(p[n...]), actual: Array(y[n...])).dictionary)
        #expect(e.segments.map(\.rows) == [n, n])
        // Constant errors: every resample has the same RMSE, so the interval is a point.
        #expect(abs((e.segments[1].ci["rmse"]?.lower ?? 0) - 2) < 1e-12 && abs((e.segments[1].ci["rmse"]?.upper ?? 0) - 2) < 1e-12)
        let lenient = try SegmentEvaluation.evaluate(scored, column: "g", segments: segments, options: .init(tolerance: 0.3, replicates: 50))
        #expect(lenient.flagged.isEmpty)
        // A score metric flags in its own direction: R² of the bad half is lower.
        let r2 = try SegmentEvaluation.evaluate(scored, column: "g", segments: segments, options: .init(tolerance: 0.0, metric: "r2", replicates: 50))
        #expect(r2.higherIsBetter && r2.segments.map(\.flagged) == [false, true])
        #expect(throws: SegmentEvaluationError.self) {
            try SegmentEvaluation.evaluate(scored, column: "g", segments: segments, options: .init(metric: "auc", replicates: 10))
        }
    }

    /// JSON round trip, NaN written as null.
    @Test func jsonRoundTrip() throws {
        let r = SegmentResult(column: "c", segment: "[0, 1)", rows: 3, metrics: ["rmse": 1.5, "r2": .nan],
                              ci: ["rmse": .init(lower: 1, upper: 2), "r2": .init(lower: .nan, upper: .nan)], flagged: true, relativeDegradation: 0.3)
        let data = try JSONEncoder().encode(r)
        #expect(String(decoding: data, as: UTF8.self).contains("\"r2\":null"))
        #expect(try JSONDecoder().decode(SegmentResult.self, from: data) == r)
    }
}
