import Foundation
import MLCore
import Tabular
import Tracking

/// What to segment by: `--segment-by`, `--sensitive` and their options.
public struct SegmentRequest: Sendable {
    public var columns: [String]
    public var sensitive: String?
    public var options: SegmentEvaluation.Options

    public init(columns: [String], sensitive: String? = nil, options: SegmentEvaluation.Options = .init()) {
        self.columns = columns
        self.sensitive = sensitive
        self.options = options
    }

    public var isEmpty: Bool { columns.isEmpty && sensitive == nil }
}

/// A model's quality on data with known truth, overall and per segment, and a binary
/// classifier's fairness over a sensitive column: `plumb evaluate`, `plumb monitor --segment-by`.
/// JSON: `{"metric", "tolerance", "overall": {...}, "segments": [...], "fairness": {...}}`.
public struct SegmentedEvaluation: Codable, Sendable, Equatable {
    /// The metric segments are flagged on, its direction and the tolerance.
    public var metric: String
    public var higherIsBetter: Bool
    public var tolerance: Double
    /// All labelled rows: metrics and bootstrap intervals.
    public var overall: SegmentResult
    /// Every segment of every column asked for, column after column.
    public var segments: [SegmentResult]
    public var fairness: FairnessEvaluation?
    /// Per column, as stored with a registered version.
    public var byColumn: [SegmentEvaluation]

    enum CodingKeys: String, CodingKey {
        case metric, higherIsBetter = "higher_is_better", tolerance, overall, segments, fairness
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encode(higherIsBetter, forKey: .higherIsBetter)
        try c.encode(tolerance, forKey: .tolerance)
        try c.encode(overall, forKey: .overall)
        try c.encode(segments, forKey: .segments)
        try c.encodeIfPresent(fairness, forKey: .fairness)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decode(String.self, forKey: .metric)
        higherIsBetter = try c.decode(Bool.self, forKey: .higherIsBetter)
        tolerance = try c.decode(Double.self, forKey: .tolerance)
        overall = try c.decode(SegmentResult.self, forKey: .overall)
        segments = try c.decode([SegmentResult].self, forKey: .segments)
        fairness = try c.decodeIfPresent(FairnessEvaluation.self, forKey: .fairness)
        var grouped: [SegmentEvaluation] = []
        for s in segments {
            if grouped.last?.column != s.column {
                grouped.append(SegmentEvaluation(column: s.column, metric: metric, higherIsBetter: higherIsBetter, tolerance: tolerance,
                                                 overall: overall, segments: []))
            }
            grouped[grouped.count - 1].segments.append(s)
        }
        byColumn = grouped
    }

    init(overall: SegmentEvaluation, byColumn: [SegmentEvaluation], fairness: FairnessEvaluation?) {
        metric = overall.metric
        higherIsBetter = overall.higherIsBetter
        tolerance = overall.tolerance
        self.overall = overall.overall
        self.byColumn = byColumn
        segments = byColumn.flatMap(\.segments)
        self.fairness = fairness
    }

    /// Segments flagged as worse than the whole.
    public var flagged: [SegmentResult] { segments.filter(\.flagged) }

    /// A readable table: one line per segment with rows, the main metric and its interval, the
    /// relative degradation and a flag; then the fairness groups.
    public func renderTable() -> String {
        func num(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "—" }
            return String(format: "%.4f", x)
        }
        let ciName = overall.ci[metric] != nil
        var rows: [[String]] = [["column", "segment", "rows", metric, ciName ? "95% CI" : "", "vs all", ""]]
        func line(_ r: SegmentResult, _ column: String) -> [String] {
            let ci = r.ci[metric].map { "[\(num($0.lower)), \(num($0.upper))]" } ?? ""
            let vs = r.relativeDegradation.map { String(format: "%+.1f%%", (higherIsBetter ? -$0 : $0) * 100) } ?? ""
            return [column, r.segment, "\(r.rows)", num(r.metrics[metric]), ci, vs, r.flagged ? "FLAGGED" : ""]
        }
        rows.append(line(overall, "(all)"))
        for s in segments { rows.append(line(s, s.column)) }
        var out = Self.align(rows)
        let flaggedCount = flagged.count
        out.append(flaggedCount == 0
                   ? "no segment is more than \(Int((tolerance * 100).rounded())) % worse than all rows on \(metric)"
                   : "\(flaggedCount) segment(s) more than \(Int((tolerance * 100).rounded())) % worse than all rows on \(metric): "
                     + flagged.map { "\($0.column)=\($0.segment)" }.joined(separator: ", "))
        if let f = fairness {
            out.append("")
            out.append("fairness over \(f.sensitive) (positive class \"\(f.positiveClass)\", \(f.rows) rows):")
            var g: [[String]] = [["group", "rows", "positives", "selection rate", "TPR", "FPR"]]
            for x in f.metrics.groups {
                g.append([x.group, "\(x.count)", "\(x.positives)", num(x.selectionRate), num(x.truePositiveRate), num(x.falsePositiveRate)])
            }
            out += Self.align(g)
            out.append("demographic parity difference \(num(f.metrics.demographicParityDifference)), equalized odds difference \(num(f.metrics.equalizedOddsDifference)) (TPR difference \(num(f.metrics.truePositiveRateDifference)), FPR difference \(num(f.metrics.falsePositiveRateDifference)))")
        }
        return out.joined(separator: "\n")
    }

    /// The segments and fairness as an HTML section of the monitoring report: per column a table
    /// with the main metric as a bar (its 95 % interval as a whisker, all rows as a dashed line).
    public func htmlSection() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func num(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.6g", $0) : "–" } ?? "–" }
        var h = "<h2>Performance by segment</h2>\n<p>\(esc(metric)) per segment, 95 % bootstrap intervals; flagged when more than \(Int((tolerance * 100).rounded())) % worse than all rows (\(num(overall.metrics[metric]))).</p>\n"
        for column in byColumn {
            let rows = column.segments
            let top = ([overall] + rows).compactMap { r in [r.metrics[metric], r.ci[metric]?.upper].compactMap { $0 }.filter(\.isFinite).max() }.max() ?? 1
            let scale = top > 0 ? 200 / top : 0
            h += "<h3>\(esc(column.column))</h3><table><tr><th>segment</th><th>rows</th><th>\(esc(metric))</th><th>95 % CI</th><th></th><th>flag</th></tr>"
            for r in rows {
                let v = r.metrics[metric] ?? .nan
                var svg = "<svg width=\"210\" height=\"14\">"
                if v.isFinite { svg += "<rect x=\"0\" y=\"3\" width=\"\(String(format: "%.1f", v * scale))\" height=\"8\" fill=\"\(r.flagged ? "#d9534f" : "#5b8def")\"/>" }
                if let ci = r.ci[metric], ci.lower.isFinite, ci.upper.isFinite {
                    svg += "<line x1=\"\(String(format: "%.1f", ci.lower * scale))\" x2=\"\(String(format: "%.1f", ci.upper * scale))\" y1=\"7\" y2=\"7\" stroke=\"#333\"/>"
                }
                if let all = overall.metrics[metric], all.isFinite {
                    let x = String(format: "%.1f", all * scale)
                    svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"0\" y2=\"14\" stroke=\"#333\" stroke-dasharray=\"2,2\"/>"
                }
                svg += "</svg>"
                let ci = r.ci[metric].map { "[\(num($0.lower)), \(num($0.upper))]" } ?? ""
                h += "<tr><td>\(esc(r.segment))</td><td>\(r.rows)</td><td>\(num(v))</td><td>\(ci)</td><td>\(svg)</td><td>\(r.flagged ? "<span class=\"bad\">flagged</span>" : "")</td></tr>"
            }
            h += "</table>\n"
        }
        if let f = fairness {
            let m = f.metrics
            h += "<h3>Fairness over \(esc(f.sensitive)) (positive class \(esc(f.positiveClass)))</h3>"
            h += "<p>demographic parity difference \(num(m.demographicParityDifference)) · equalized odds difference \(num(m.equalizedOddsDifference))</p>"
            h += "<table><tr><th>group</th><th>rows</th><th>selection rate</th><th>TPR</th><th>FPR</th></tr>"
            for g in m.groups {
                h += "<tr><td>\(esc(g.group))</td><td>\(g.count)</td><td>\(num(g.selectionRate))</td><td>\(num(g.truePositiveRate))</td><td>\(num(g.falsePositiveRate))</td></tr>"
            }
            h += "</table>\n"
        }
        return h
    }

    /// Left-aligned text columns, numbers right-aligned.
    static func align(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return c >= 2 && c <= 3 ? pad + s : s + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}

/// Computes `SegmentedEvaluation`s from a model's predictions on a table.
public enum ModelEvaluation {
    /// The rows whose truth is known, and the model's outputs with that truth.
    /// - Parameters:
    ///   - predictions: `LoadedModel.predict`'s output for every row of `table`.
    ///   - actuals: regression truth per row when it does not come from the table (the log's
    ///     feedback); nil: the table's target column.
    /// - Throws: a missing target column, a class the model does not know (`TrainingError`).
    public static func scored(model: LoadedModel, table: Table, predictions: [Double], actuals: [Double?]? = nil,
                              source: String) throws -> (rows: [Int], scored: ScoredRows) {
        let header = model.header
        if let classes = header.classes, header.resolvedTask.isClassification {
            let k = classes.count
            guard let target = table.column(named: header.target) else { return ([], .classification(classes: [], probabilities: [], classCount: k, threshold: header.threshold)) }
            let known: [Int]
            switch target.data {
            case .categorical(let codes, _): known = codes.indices.filter { codes[$0] >= 0 }
            case .numeric(let v): known = v.indices.filter { v[$0].isFinite }
            }
            let truth = try ClassLabels(labels: classes).indices(of: target.selecting(rows: known), target: header.target, source: source).map(Int.init)
            return (known, .classification(classes: truth, probabilities: known.flatMap { predictions[($0 * k)..<(($0 + 1) * k)] },
                                           classCount: k, threshold: header.threshold))
        }
        let y: [Double?] = actuals ?? (table.column(named: header.target)?.numericValues?.map { $0.isFinite ? $0 : nil }
                                        ?? Array(repeating: nil, count: table.rowCount))
        let known = y.indices.filter { y[$0] != nil && predictions[$0].isFinite }
        return (known, .regression(predictions: known.map { predictions[$0] }, actuals: known.compactMap { y[$0] }))
    }

    /// Evaluates per segment of each requested column and, for `sensitive`, the fairness of a
    /// binary classifier's decisions.
    /// - Parameters:
    ///   - rows / scored: from `scored(...)`.
    /// - Throws: `SegmentEvaluationError` naming a column not in the data (with the columns there
    ///   are), fairness asked of a model that is not a binary classifier, no labelled row.
    public static func evaluate(model: LoadedModel, table: Table, rows: [Int], scored: ScoredRows,
                                request: SegmentRequest, source: String) throws -> SegmentedEvaluation {
        guard !rows.isEmpty else {
            throw SegmentEvaluationError(code: .notApplicable, message: "\(source): no row has a known \"\(model.header.target)\", so there is nothing to evaluate (the file needs the model's target column)")
        }
        func column(_ name: String, _ flag: String) throws -> Column {
            guard let c = table.column(named: name) else {
                throw SegmentEvaluationError(code: .missingColumn, message: "\(flag) \(name): \(source) has no column \"\(name)\" (columns: \(table.columnNames.joined(separator: ", ")))")
            }
            return c.selecting(rows: rows)
        }
        let columns = try request.columns.map { try column($0, "--segment-by") }
        var byColumn: [SegmentEvaluation] = []
        for c in columns {
            byColumn.append(try SegmentEvaluation.evaluate(scored, column: c.name, segments: Segmenter.segments(of: c, bins: request.options.bins),
                                                           options: request.options))
        }
        let overall = try byColumn.first ?? SegmentEvaluation.evaluate(
            scored, column: "", segments: Segmenter.Segments(labels: [], rowSegment: Array(repeating: -1, count: rows.count)), options: request.options)
        var fairness: FairnessEvaluation?
        if let s = request.sensitive {
            let c = try column(s, "--sensitive")
            guard case .classification(let truth, let p, let k, let t) = scored, k == 2, let classes = model.header.classes else {
                throw SegmentEvaluationError(code: .notApplicable, message: "--sensitive \(s): fairness metrics need a binary classifier; \(model.header.target) is predicted by a \(model.header.resolvedTask.rawValue) model")
            }
            let groups = Segmenter.segments(of: c, bins: Int.max)
            guard groups.labels.count <= 100 else {
                throw SegmentEvaluationError(code: .notApplicable, message: "--sensitive \(s): column \"\(s)\" has \(groups.labels.count) distinct values in \(source); a sensitive column holds groups (at most 100)")
            }
            let predicted = ClassDecision.classIndices(p, classes: k, threshold: t)
            fairness = FairnessEvaluation(sensitive: s, positiveClass: classes[1], rows: truth.count,
                                          metrics: FairnessMetrics(truth: truth, predicted: predicted, groups: groups.rowSegment, groupNames: groups.labels))
        }
        return SegmentedEvaluation(overall: overall, byColumn: byColumn, fairness: fairness)
    }

    /// Stores `evaluation` with a registry version, where promotion gates and the model card read it.
    public static func record(_ evaluation: SegmentedEvaluation, model: String, version: Int, source: String, storePath: String) throws {
        let store = try TrackingStore(path: storePath)
        try store.recordEvaluations(model: model, version: version, evaluation.stored, source: source)
    }
}

extension SegmentedEvaluation {
    /// The form stored with a registered version.
    public var stored: VersionEvaluations {
        VersionEvaluations(segments: byColumn, fairness: fairness.map { [$0] } ?? [])
    }
}
