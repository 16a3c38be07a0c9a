import Foundation
import Tabular

/// Rows scored by a model whose truth is known: what a segment's metrics are computed from.
public enum ScoredRows: Sendable {
    /// Regression: one prediction and one actual value per row.
    case regression(predictions: [Double], actuals: [Double])
    /// Classification: true class index per row, probabilities rows × classCount (row-major).
    case classification(classes: [Int], probabilities: [Double], classCount: Int, threshold: Double?)

    public var count: Int {
        switch self {
        case .regression(let p, _): p.count
        case .classification(let c, _, _, _): c.count
        }
    }

    /// The rows at `rows`, in that order.
    public func selecting(_ rows: [Int]) -> ScoredRows {
        switch self {
        case .regression(let p, let a): return .regression(predictions: rows.map { p[$0] }, actuals: rows.map { a[$0] })
        case .classification(let c, let p, let k, let t):
            return .classification(classes: rows.map { c[$0] }, probabilities: rows.flatMap { p[($0 * k)..<(($0 + 1) * k)] }, classCount: k, threshold: t)
        }
    }

    /// Every task metric (`RegressionMetrics.dictionary` / `ClassificationMetrics.dictionary`);
    /// empty for no rows.
    public func metrics() throws -> [String: Double] {
        guard count > 0 else { return [:] }
        switch self {
        case .regression(let p, let a): return RegressionMetrics(predicted: p, actual: a).dictionary
        case .classification(let c, let p, let k, let t):
            return try ClassificationMetrics(classes: c, probabilities: p, classCount: k, threshold: t ?? 0.5).dictionary
        }
    }

    public var weightedMetrics: WeightedMetrics {
        switch self {
        case .regression(let p, let a): WeightedMetrics(predictions: p, actuals: a)
        case .classification(let c, let p, let k, let t): WeightedMetrics(classes: c, probabilities: p, classCount: k, threshold: t)
        }
    }

    /// The main metric a segment is judged on: RMSE for regression, log loss for classification
    /// (a proper scoring rule, defined even in a segment holding one class).
    public var mainMetric: String {
        if case .regression = self { return "rmse" }
        return "log_loss"
    }
}

/// One segment's quality: `plumb evaluate --segment-by` / `plumb monitor --segment-by`.
/// JSON: `{"column", "segment", "rows", "metrics": {...}, "ci": {"rmse": [lo, hi], ...},
/// "flagged", "relative_degradation"}`; undefined values are null.
public struct SegmentResult: Codable, Sendable, Equatable {
    public var column: String
    public var segment: String
    /// Rows of the segment with known truth.
    public var rows: Int
    public var metrics: [String: Double]
    /// Bootstrap percentile intervals of the metrics that have a weighted form (`WeightedMetrics`).
    public var ci: [String: Bootstrap.Interval]
    /// True when the main metric is worse than on all rows by more than the tolerance.
    public var flagged: Bool
    /// How much worse than on all rows, relative: (segment − all) / all for a loss, (all −
    /// segment) / all for a score; nil when undefined (no rows, or the overall value is 0).
    public var relativeDegradation: Double?

    public init(column: String, segment: String, rows: Int, metrics: [String: Double], ci: [String: Bootstrap.Interval],
                flagged: Bool = false, relativeDegradation: Double? = nil) {
        self.column = column; self.segment = segment; self.rows = rows; self.metrics = metrics; self.ci = ci
        self.flagged = flagged; self.relativeDegradation = relativeDegradation
    }

    enum CodingKeys: String, CodingKey { case column, segment, rows, metrics, ci, flagged, relativeDegradation = "relative_degradation" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(column, forKey: .column)
        try c.encode(segment, forKey: .segment)
        try c.encode(rows, forKey: .rows)
        try c.encode(metrics.mapValues { $0.isFinite ? $0 : nil }, forKey: .metrics)
        try c.encode(ci.mapValues { [$0.lower, $0.upper].map { $0.isFinite ? $0 : nil } }, forKey: .ci)
        try c.encode(flagged, forKey: .flagged)
        try c.encode(relativeDegradation.flatMap { $0.isFinite ? $0 : nil }, forKey: .relativeDegradation)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        column = try c.decode(String.self, forKey: .column)
        segment = try c.decode(String.self, forKey: .segment)
        rows = try c.decode(Int.self, forKey: .rows)
        metrics = try c.decode([String: Double?].self, forKey: .metrics).mapValues { $0 ?? .nan }
        ci = try c.decode([String: [Double?]].self, forKey: .ci).mapValues {
            Bootstrap.Interval(lower: $0.first.flatMap { $0 } ?? .nan, upper: $0.last.flatMap { $0 } ?? .nan)
        }
        flagged = try c.decode(Bool.self, forKey: .flagged)
        relativeDegradation = try c.decodeIfPresent(Double.self, forKey: .relativeDegradation)
    }

    public static func == (a: SegmentResult, b: SegmentResult) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.column == b.column && a.segment == b.segment && a.rows == b.rows && a.flagged == b.flagged
            && a.relativeDegradation == b.relativeDegradation
            && Set(a.metrics.keys) == Set(b.metrics.keys) && a.metrics.allSatisfy { same($0.value, b.metrics[$0.key] ?? .nan) }
            && Set(a.ci.keys) == Set(b.ci.keys) && a.ci.allSatisfy { same($0.value.lower, b.ci[$0.key]?.lower ?? .nan) && same($0.value.upper, b.ci[$0.key]?.upper ?? .nan) }
    }
}

/// Every segment of one column, judged against all rows on one main metric.
public struct SegmentEvaluation: Codable, Sendable, Equatable {
    public var column: String
    /// The metric segments are flagged on, and its direction.
    public var metric: String
    public var higherIsBetter: Bool
    /// A segment is flagged when its relative degradation exceeds this (0.25 = 25 % worse).
    public var tolerance: Double
    /// All rows together (segment "all").
    public var overall: SegmentResult
    public var segments: [SegmentResult]

    enum CodingKeys: String, CodingKey { case column, metric, higherIsBetter = "higher_is_better", tolerance, overall, segments }

    public init(column: String, metric: String, higherIsBetter: Bool, tolerance: Double, overall: SegmentResult, segments: [SegmentResult]) {
        self.column = column; self.metric = metric; self.higherIsBetter = higherIsBetter; self.tolerance = tolerance
        self.overall = overall; self.segments = segments
    }

    /// Options of an evaluation.
    public struct Options: Sendable {
        public var bins: Int
        public var tolerance: Double
        /// nil: the task's main metric (`ScoredRows.mainMetric`).
        public var metric: String?
        public var replicates: Int
        public var confidence: Double
        public var seed: UInt64

        public init(bins: Int = 4, tolerance: Double = 0.25, metric: String? = nil, replicates: Int = Bootstrap.defaultReplicates,
                    confidence: Double = 0.95, seed: UInt64 = 42) {
            self.bins = bins; self.tolerance = tolerance; self.metric = metric; self.replicates = replicates
            self.confidence = confidence; self.seed = seed
        }
    }

    /// Scores, lower is better: errors and losses; everything else is a score.
    public static let lossMetrics: Set<String> = ["rmse", "mse", "mae", "mape", "max_error", "log_loss", "brier", "ece", "mean_error"]

    /// Evaluates `scored` (all rows with known truth) per segment of `column` (same rows).
    /// - Parameters:
    ///   - segments: the segment labels and each row's segment (`Segmenter`); a row in segment −1
    ///     counts only towards all rows.
    /// - Throws: `ClassificationMetricsError` for invalid probabilities; `SegmentEvaluationError`
    ///   `.unknownMetric` naming the metrics there are.
    public static func evaluate(_ scored: ScoredRows, column: String, segments: Segmenter.Segments,
                                options: Options = Options()) throws -> SegmentEvaluation {
        precondition(segments.rowSegment.count == scored.count, "segments: \(segments.rowSegment.count) rows for \(scored.count) scored")
        let metric = options.metric ?? scored.mainMetric
        let higher = !lossMetrics.contains(metric)
        func result(_ label: String, _ rows: ScoredRows, seed: UInt64) throws -> SegmentResult {
            let m = try rows.metrics()
            var ci: [String: Bootstrap.Interval] = [:]
            if rows.count > 0 {
                let w = rows.weightedMetrics
                let intervals = Bootstrap.percentileIntervals(rows: rows.count, replicates: options.replicates, confidence: options.confidence,
                                                              seed: seed) { w($0) }
                for (name, i) in zip(w.names, intervals) { ci[name] = i }
            }
            return SegmentResult(column: column, segment: label, rows: rows.count, metrics: m, ci: ci)
        }
        let overall = try result("all", scored, seed: options.seed)
        guard let all = overall.metrics[metric] else {
            throw SegmentEvaluationError(code: .unknownMetric, message: "segment metric \"\(metric)\" is not one of this model's metrics (\(overall.metrics.keys.sorted().joined(separator: ", ")))")
        }
        var members = [[Int]](repeating: [], count: segments.labels.count)
        for (i, s) in segments.rowSegment.enumerated() where s >= 0 { members[s].append(i) }
        var out: [SegmentResult] = []
        for (s, label) in segments.labels.enumerated() {
            var r = try result(label, scored.selecting(members[s]), seed: options.seed &+ UInt64(s + 1))
            if let v = r.metrics[metric], v.isFinite, all.isFinite {
                let worse = higher ? all - v : v - all
                if all != 0 {
                    r.relativeDegradation = worse / abs(all)
                    r.flagged = worse / abs(all) > options.tolerance
                } else {
                    r.flagged = worse > 0
                }
            }
            out.append(r)
        }
        return SegmentEvaluation(column: column, metric: metric, higherIsBetter: higher, tolerance: options.tolerance,
                                 overall: overall, segments: out)
    }

    /// The flagged segments.
    public var flagged: [SegmentResult] { segments.filter(\.flagged) }
}

/// Fairness of a binary classifier over a sensitive column, as stored and printed.
public struct FairnessEvaluation: Codable, Sendable, Equatable {
    public var sensitive: String
    /// The class counted as positive (the model's second class).
    public var positiveClass: String
    public var rows: Int
    public var metrics: FairnessMetrics

    public init(sensitive: String, positiveClass: String, rows: Int, metrics: FairnessMetrics) {
        self.sensitive = sensitive; self.positiveClass = positiveClass; self.rows = rows; self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey { case sensitive, positiveClass = "positive_class", rows, metrics }
}

/// Splits a column's rows into segments.
public enum Segmenter {
    /// Segment labels and each row's segment index (−1: none).
    public struct Segments: Sendable, Equatable {
        public var labels: [String]
        public var rowSegment: [Int]

        public init(labels: [String], rowSegment: [Int]) {
            self.labels = labels
            self.rowSegment = rowSegment
        }
    }

    /// The label of missing values, a segment of its own when there are any.
    public static let missingLabel = "(missing)"

    /// Categorical columns by value (levels that occur, in level order); numeric columns with at
    /// most `bins` distinct values by value too (a coded column such as 0/1), others by `bins`
    /// quantile bins: edges at the j/bins quantiles (numpy "linear"), duplicate edges merged,
    /// each bin `[lo, hi)` and the last `[lo, hi]` (it holds the maximum). Missing values form
    /// the segment "(missing)".
    /// - Precondition: `bins >= 1`.
    public static func segments(of column: Column, bins: Int) -> Segments {
        precondition(bins >= 1, "segments: \(bins) bins")
        switch column.data {
        case .categorical(let codes, let levels):
            return byValue(codes.map { $0 >= 0 ? Int($0) : nil }, levels: levels)
        case .numeric(let v):
            let present = v.filter { !$0.isNaN }
            let distinct = Array(Set(present)).sorted()
            if distinct.count <= bins {
                let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
                return byValue(v.map { $0.isNaN ? nil : index[$0] }, levels: distinct.map(ClassDecision.labelText(of:)))
            }
            let sorted = present.sorted()
            var edges: [Double] = []
            for j in 0...bins {
                let e = Describe.quantile(sorted: sorted, Double(j) / Double(bins))
                if edges.last != e { edges.append(e) }
            }
            let last = edges.count - 2
            let labels = (0...last).map { "[\(text(edges[$0])), \(text(edges[$0 + 1]))\($0 == last ? "]" : ")")" }
            var rowSegment = v.map { x -> Int in
                if x.isNaN { return -2 }
                // Last edge ≤ x, clamped to the bins: [e_j, e_{j+1}).
                var lo = 0, hi = edges.count - 1
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2
                    if edges[mid] <= x { lo = mid } else { hi = mid }
                }
                return min(lo, last)
            }
            var out = labels
            if rowSegment.contains(-2) {
                out.append(missingLabel)
                rowSegment = rowSegment.map { $0 == -2 ? labels.count : $0 }
            }
            return Segments(labels: out, rowSegment: rowSegment)
        }
    }

    /// Groups by value: `values[i]` indexes `levels`; only levels that occur are kept.
    static func byValue(_ values: [Int?], levels: [String]) -> Segments {
        var used = [Bool](repeating: false, count: levels.count)
        var missing = false
        for v in values { if let v { used[v] = true } else { missing = true } }
        var remap = [Int](repeating: -1, count: levels.count)
        var labels: [String] = []
        for (i, l) in levels.enumerated() where used[i] { remap[i] = labels.count; labels.append(l) }
        let missingIndex = labels.count
        if missing { labels.append(missingLabel) }
        return Segments(labels: labels, rowSegment: values.map { $0.map { remap[$0] } ?? missingIndex })
    }

    /// A bin edge as text: 6 significant digits.
    static func text(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// A segment evaluation asked for something the rows cannot give.
public struct SegmentEvaluationError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The metric to flag segments on is not one of the task's metrics.
        case unknownMetric
        /// A column to segment by, or a sensitive column, is not in the data.
        case missingColumn
        /// Fairness asked of a model that is not a binary classifier, or a sensitive column
        /// with too many groups.
        case notApplicable
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
