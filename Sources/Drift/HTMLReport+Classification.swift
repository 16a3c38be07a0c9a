import Foundation

/// The classifier sections of the report: prediction and label drift cards, then the confusion
/// matrix, ROC and precision–recall curves and the reliability diagram, all drawn from the
/// bounded aggregates of `ClassificationReport` (no rows are embedded).
extension HTMLReport {
    static let curvePalette = ["#3b6fb6", "#e8833a", "#2e8b57", "#b3261e", "#7b4fa0", "#8c6d31", "#d6619e", "#5f6b73", "#17a2b8", "#9aa02c"]

    /// Cards for `predicted_class`, the score and `true_class`, like the feature cards.
    static func predictionDriftSection(_ drift: [ColumnDrift], summaries: [ColumnSummary]?) -> String {
        guard !drift.isEmpty else { return "" }
        var h = "<h2>Prediction and label drift</h2><table><tr><th>output</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drift</th></tr>"
        for c in drift {
            h += "<tr\(c.drifted ? " class=\"drift\"" : "")><td>\(esc(c.name))</td><td>\(esc(c.test))</td>"
            h += "<td>\(c.statistic.isFinite ? fmtG(c.statistic) : "inf")</td><td>\(c.pValue.map(fmtG) ?? "–")</td>"
            h += "<td>\(fmtG(c.threshold))</td><td>\(c.drifted ? "YES" : "no")</td></tr>"
        }
        h += "</table><div class=\"grid\">"
        for (c, s) in zip(drift, summaries ?? []) {
            h += "<div class=\"card\(c.drifted ? " drift" : "")\"><h3>\(esc(c.name))"
            h += c.drifted ? " <span class=\"bad\">drift</span>" : " <span class=\"ok\">no drift</span>"
            h += "</h3>\(chart(for: s))<p class=\"meta\">\(describe(s, reference: nil))</p></div>"
        }
        return h + "</div>\n"
    }

    /// Metrics line, confusion matrix, ROC, precision–recall and reliability plots.
    static func classificationSection(_ c: ClassificationReport) -> String {
        let m = c.metrics
        func v(_ k: String) -> String { fmt(m[k] ?? .nan, 4) }
        var h = "<h2>Model performance</h2>"
        h += "<p>accuracy \(v("accuracy")) · F1\(c.classes.count > 2 ? " (macro)" : "") \(v("f1")) · ROC AUC \(v("roc_auc"))"
        h += " · log loss \(v("log_loss")) · Brier \(v("brier")) · ECE \(v("ece")) · n = \(c.count)</p>"
        h += "<div class=\"grid\">"
        h += "<div class=\"card\"><h3>Confusion matrix (rows: true, columns: predicted)</h3>\(confusionMatrix(c.confusionMatrix, classes: c.classes))</div>"
        h += "<div class=\"card\"><h3>ROC curve</h3>\(curves(c.curves.roc, xLabel: "false positive rate", yLabel: "true positive rate", diagonal: true))</div>"
        h += "<div class=\"card\"><h3>Precision–recall curve</h3>\(curves(c.curves.precisionRecall, xLabel: "recall", yLabel: "precision", diagonal: false))</div>"
        h += "<div class=\"card\"><h3>Calibration (reliability)</h3>\(reliability(c.curves.calibration, multiclass: c.classes.count > 2))</div>"
        return h + "</div>\n"
    }

    /// A heat-map table as SVG: cell shade by its share of the true class's row.
    static func confusionMatrix(_ cm: [[Int]], classes: [String]) -> String {
        let k = cm.count
        guard k > 0 else { return "" }
        let pad = 60.0, cell = min(36.0, (width - pad - 6) / Double(k))
        let size = pad + cell * Double(k) + 6
        var s = "<svg class=\"confusion-matrix\" width=\"\(Int(width))\" height=\"\(Int(size))\" viewBox=\"0 0 \(Int(width)) \(Int(size))\">"
        for (t, row) in cm.enumerated() {
            let total = max(row.reduce(0, +), 1)
            for (p, n) in row.enumerated() {
                let share = Double(n) / Double(total)
                let x = pad + Double(p) * cell, y = pad + Double(t) * cell
                s += "<rect x=\"\(f1(x))\" y=\"\(f1(y))\" width=\"\(f1(cell - 1))\" height=\"\(f1(cell - 1))\" fill=\"\(refColor)\" fill-opacity=\"\(f1(0.08 + 0.85 * share))\"><title>true \(esc(classes[t])), predicted \(esc(classes[p])): \(n)</title></rect>"
                s += "<text x=\"\(f1(x + cell / 2))\" y=\"\(f1(y + cell / 2 + 3))\" text-anchor=\"middle\">\(n)</text>"
            }
            s += "<text x=\"\(f1(pad - 4))\" y=\"\(f1(pad + Double(t) * cell + cell / 2 + 3))\" text-anchor=\"end\">\(esc(short(classes[t])))</text>"
            s += "<text x=\"\(f1(pad + Double(t) * cell + cell / 2))\" y=\"\(f1(pad - 6))\" text-anchor=\"middle\">\(esc(short(classes[t])))</text>"
        }
        return s + "</svg>"
    }

    /// Curves on the unit square, one polyline each, with a legend for several.
    static func curves(_ list: [Curve], xLabel: String, yLabel: String, diagonal: Bool) -> String {
        guard !list.isEmpty else { return "<p class=\"meta\">undefined: the labels hold a single class</p>" }
        let size = 300.0, pad = 34.0, plot = size - pad - 8
        func px(_ v: Double) -> Double { pad + v * plot }
        func py(_ v: Double) -> Double { 8 + plot - v * plot }
        var s = "<svg class=\"curve\" width=\"\(Int(width))\" height=\"\(Int(size))\" viewBox=\"0 0 \(Int(width)) \(Int(size))\">"
        s += "<rect x=\"\(pad)\" y=\"8\" width=\"\(plot)\" height=\"\(plot)\" fill=\"none\" stroke=\"#999\"/>"
        if diagonal { s += "<line x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(1))\" y2=\"\(py(1))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>" }
        for (i, c) in list.enumerated() {
            let color = curvePalette[i % curvePalette.count]
            let points = zip(c.x, c.y).map { "\(f1(px($0)))," + f1(py($1)) }.joined(separator: " ")
            s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
            if list.count > 1 {
                s += "<text x=\"\(f1(size + 4))\" y=\"\(f1(16 + Double(i) * 13))\" fill=\"\(color)\" style=\"fill:\(color)\">\(esc(short(c.label)))</text>"
            }
        }
        s += axisLabels(size: size, pad: pad, plot: plot, xLabel: xLabel, yLabel: yLabel)
        return s + "</svg>"
    }

    /// Mean predicted score against the observed rate per bin, dots sized by row count.
    static func reliability(_ bins: [CalibrationBin], multiclass: Bool) -> String {
        guard !bins.isEmpty else { return "" }
        let size = 300.0, pad = 34.0, plot = size - pad - 8
        func px(_ v: Double) -> Double { pad + v * plot }
        func py(_ v: Double) -> Double { 8 + plot - v * plot }
        let most = Double(bins.map(\.count).max() ?? 1)
        var s = "<svg class=\"calibration\" width=\"\(Int(width))\" height=\"\(Int(size))\" viewBox=\"0 0 \(Int(width)) \(Int(size))\">"
        s += "<rect x=\"\(pad)\" y=\"8\" width=\"\(plot)\" height=\"\(plot)\" fill=\"none\" stroke=\"#999\"/>"
        s += "<line x1=\"\(px(0))\" y1=\"\(py(0))\" x2=\"\(px(1))\" y2=\"\(py(1))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
        s += "<polyline points=\"\(bins.map { "\(f1(px($0.meanScore))),\(f1(py($0.observed)))" }.joined(separator: " "))\" fill=\"none\" stroke=\"\(curColor)\" stroke-width=\"1.4\"/>"
        for b in bins {
            let r = 2 + 4 * (Double(b.count) / most).squareRoot()
            s += "<circle cx=\"\(f1(px(b.meanScore)))\" cy=\"\(f1(py(b.observed)))\" r=\"\(f1(r))\" fill=\"\(curColor)\"><title>[\(fmtG(b.lower)), \(fmtG(b.upper))): \(b.count) rows, mean score \(fmt(b.meanScore, 3)), observed \(fmt(b.observed, 3))</title></circle>"
        }
        s += axisLabels(size: size, pad: pad, plot: plot, xLabel: multiclass ? "top-class probability" : "predicted probability",
                        yLabel: multiclass ? "share correct" : "share positive")
        return s + "</svg>"
    }

    static func axisLabels(size: Double, pad: Double, plot: Double, xLabel: String, yLabel: String) -> String {
        var s = "<text x=\"\(pad)\" y=\"\(size - 12)\">0</text>"
        s += "<text x=\"\(pad + plot)\" y=\"\(size - 12)\" text-anchor=\"end\">1</text>"
        s += "<text x=\"\(pad + plot / 2)\" y=\"\(size - 2)\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        s += "<text x=\"10\" y=\"\(8 + plot / 2)\" transform=\"rotate(-90 10 \(8 + plot / 2))\" text-anchor=\"middle\">\(esc(yLabel))</text>"
        return s
    }

    static func short(_ label: String) -> String { label.count > 10 ? String(label.prefix(9)) + "…" : label }
}
