import Foundation
import Tabular

/// A self-contained HTML drift report (no network, scripts or fonts; inline SVG), built from
/// aggregates only, so its size does not grow with the number of rows.
public enum HTMLReport {
    static let refColor = "#3b6fb6"
    static let curColor = "#e8833a"

    /// Renders the report.
    /// - Parameters:
    ///   - result: the drift verdict.
    ///   - reference: the reference profile (histograms, level frequencies).
    ///   - current: the current summary from `DriftAnalyzer.analyze`.
    ///   - performance: predicted-vs-actual sample and error histogram, when actuals are known.
    ///   - title: page title.
    public static func render(result: DriftResult, reference: ReferenceProfile, current: CurrentSummary,
                              performance: PerformanceDetails? = nil, title: String = "Plumb drift report") -> String {
        var h = ""
        h += """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
        h1{font-size:22px;margin:0 0 12px} h2{font-size:18px;margin:28px 0 10px} h3{font-size:15px;margin:0 0 6px}
        .summary{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 18px;margin-bottom:16px}
        .bad{color:#b3261e;font-weight:600} .ok{color:#1e7d32;font-weight:600}
        table{border-collapse:collapse;background:#fff;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
        th{background:#f0f0f0} td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}
        tr.drift td{background:#fdecea}
        .grid{display:flex;flex-wrap:wrap;gap:14px}
        .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;width:440px}
        .card.drift{border-color:#b3261e;box-shadow:0 0 0 1px #b3261e inset}
        .meta{font-size:12px;color:#555;margin:4px 0 0}
        .legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
        svg text{font-size:10px;fill:#555}
        </style></head><body>
        <h1>\(esc(title))</h1>

        """
        // Summary at the top.
        let drifted = result.columns.filter(\.drifted)
        h += "<div class=\"summary\">"
        h += "<p>Dataset drift: " + (result.datasetDrift ? "<span class=\"bad\">YES</span>" : "<span class=\"ok\">no</span>")
        h += " — \(drifted.count) of \(result.columns.count) columns drifted (share \(fmt(result.driftShare * 100, 1))%).</p>"
        if !drifted.isEmpty {
            h += "<p>Drifted columns: <b>" + drifted.map { esc($0.name) }.joined(separator: ", ") + "</b></p>"
        }
        h += "<p>Reference rows: \(reference.rowCount) · current rows: \(current.rowCount)</p>"
        h += "<p>Retrain recommended: " + (result.retrain ? "<span class=\"bad\">YES</span>" : "<span class=\"ok\">no</span>") + "</p>"
        if !result.reasons.isEmpty {
            h += "<ul>" + result.reasons.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
        }
        h += "</div>\n"

        // Column table.
        h += "<table><tr><th>column</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drift</th></tr>"
        for c in result.columns {
            h += "<tr\(c.drifted ? " class=\"drift\"" : "")><td>\(esc(c.name))</td><td>\(esc(c.test))</td>"
            h += "<td>\(c.statistic.isFinite ? fmtG(c.statistic) : "inf")</td><td>\(c.pValue.map(fmtG) ?? "–")</td>"
            h += "<td>\(fmtG(c.threshold))</td><td>\(c.drifted ? "YES" : "no")</td></tr>"
        }
        h += "</table>\n"
        h += "<p class=\"legend\"><span style=\"background:\(refColor)\"></span>reference<span style=\"background:\(curColor)\"></span>current (proportions; same bins)</p>\n"

        // Per-feature cards.
        h += "<h2>Features</h2><div class=\"grid\">"
        let summaries = Dictionary(current.columns.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for c in result.columns {
            guard let s = summaries[c.name] else { continue }
            h += "<div class=\"card\(c.drifted ? " drift" : "")\"><h3>\(esc(c.name))"
            h += c.drifted ? " <span class=\"bad\">drift</span>" : " <span class=\"ok\">no drift</span>"
            h += "</h3>"
            h += chart(for: s)
            h += "<p class=\"meta\">test \(esc(c.test)) · statistic \(c.statistic.isFinite ? fmtG(c.statistic) : "inf")"
            if let p = c.pValue { h += " · p-value \(fmtG(p))" }
            h += " · threshold \(fmtG(c.threshold))</p>"
            h += "<p class=\"meta\">\(describe(s, reference: reference.feature(named: c.name)))</p></div>"
        }
        h += "</div>\n"

        // Target and prediction distributions.
        let extras = [current.target, current.prediction].compactMap { $0 }
        if !extras.isEmpty {
            h += "<h2>Target and prediction</h2><div class=\"grid\">"
            for s in extras {
                h += "<div class=\"card\"><h3>\(esc(s.name))</h3>\(chart(for: s))<p class=\"meta\">\(describe(s, reference: nil))</p></div>"
            }
            h += "</div>\n"
        }

        // Classifiers: prediction and label drift, then classification quality.
        h += predictionDriftSection(result.predictionDrift, summaries: current.classifierOutputs)
        if let c = result.classification { h += classificationSection(c) }

        // Performance.
        if let p = performance {
            let r = p.report
            h += "<h2>Model performance</h2>"
            h += "<p>RMSE \(fmt(r.rmse, 4)) · MAE \(fmt(r.mae, 4)) · R² \(fmt(r.r2, 4)) · mean error \(fmt(r.meanError, 4)) · n = \(r.count)</p>"
            h += "<div class=\"grid\"><div class=\"card\"><h3>Predicted vs actual (\(p.sampledActuals.count) sampled points)</h3>"
            h += scatter(x: p.sampledActuals, y: p.sampledPredictions)
            h += "</div><div class=\"card\"><h3>Error distribution (prediction − actual)</h3>"
            h += bars(edges: p.errorHistogram.edges, series: [(p.errorHistogram.counts.map(Double.init), curColor)])
            h += "</div></div>\n"
        }
        h += "<p class=\"meta\">Generated by Plumb. KS and Wasserstein run against the reference profile's sample (exact when the reference column had ≤ 10,000 values).</p>"
        h += "</body></html>\n"
        return h
    }

    static func describe(_ s: ColumnSummary, reference: FeatureProfile?) -> String {
        var parts = ["current n = \(s.count)", "missing \(s.missing)"]
        if let m = s.mean { parts.append("mean \(fmtG(m))") }
        if let sd = s.std { parts.append("std \(fmtG(sd))") }
        if let rn = reference?.numeric { parts.append("reference mean \(fmtG(rn.mean)), std \(fmtG(rn.std))") }
        return parts.joined(separator: " · ")
    }

    static func chart(for s: ColumnSummary) -> String {
        if let rh = s.referenceHistogram, let ch = s.currentHistogram {
            let rt = max(Double(rh.counts.reduce(0, +)), 1), ct = max(Double(ch.counts.reduce(0, +)), 1)
            return bars(edges: rh.edges, series: [(rh.counts.map { Double($0) / rt }, refColor),
                                                  (ch.counts.map { Double($0) / ct }, curColor)])
        }
        if let levels = s.levels, let rf = s.referenceFrequencies, let cf = s.currentFrequencies {
            return levelBars(levels: levels, reference: rf, current: cf)
        }
        return ""
    }

    static let width = 420.0, height = 170.0, left = 38.0, bottom = 22.0, top = 8.0

    /// Overlaid bar series on shared bins.
    static func bars(edges: [Double], series: [([Double], String)]) -> String {
        guard edges.count >= 2 else { return "" }
        let n = edges.count - 1
        let maxV = max(series.flatMap(\.0).max() ?? 1, 1e-300)
        let plotW = width - left - 6, plotH = height - top - bottom
        let bw = plotW / Double(n)
        var s = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
        for (values, color) in series {
            for k in 0..<min(n, values.count) where values[k] > 0 {
                let hgt = values[k] / maxV * plotH
                s += "<rect x=\"\(f1(left + Double(k) * bw))\" y=\"\(f1(top + plotH - hgt))\" width=\"\(f1(max(bw - 0.5, 0.5)))\" height=\"\(f1(hgt))\" fill=\"\(color)\" fill-opacity=\"0.55\"/>"
            }
        }
        s += "<text x=\"\(left)\" y=\"\(height - 6)\">\(esc(fmtG(edges[0])))</text>"
        s += "<text x=\"\(left + plotW)\" y=\"\(height - 6)\" text-anchor=\"end\">\(esc(fmtG(edges[n])))</text>"
        s += "<text x=\"\(left - 3)\" y=\"\(top + 8)\" text-anchor=\"end\">\(esc(fmtG(maxV)))</text>"
        s += "<text x=\"\(left - 3)\" y=\"\(top + plotH)\" text-anchor=\"end\">0</text>"
        return s + "</svg>"
    }

    /// Side-by-side bars per level (the 20 most frequent levels), as proportions.
    static func levelBars(levels: [String], reference: [Int], current: [Int]) -> String {
        let rt = max(Double(reference.reduce(0, +)), 1), ct = max(Double(current.reduce(0, +)), 1)
        let order = levels.indices.sorted { reference[$0] + current[$0] > reference[$1] + current[$1] }.prefix(20)
        let maxV = max(order.map { max(Double(reference[$0]) / rt, Double(current[$0]) / ct) }.max() ?? 1, 1e-300)
        let plotW = width - left - 6, plotH = height - top - bottom - 10
        let gw = plotW / Double(max(order.count, 1))
        var s = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#999\"/>"
        for (slot, k) in order.enumerated() {
            let x = left + Double(slot) * gw
            let rv = Double(reference[k]) / rt / maxV * plotH, cv = Double(current[k]) / ct / maxV * plotH
            s += "<rect x=\"\(f1(x + 1))\" y=\"\(f1(top + plotH - rv))\" width=\"\(f1(max(gw / 2 - 1, 0.5)))\" height=\"\(f1(rv))\" fill=\"\(refColor)\"/>"
            s += "<rect x=\"\(f1(x + gw / 2))\" y=\"\(f1(top + plotH - cv))\" width=\"\(f1(max(gw / 2 - 1, 0.5)))\" height=\"\(f1(cv))\" fill=\"\(curColor)\"/>"
            let label = levels[k].count > 8 ? String(levels[k].prefix(7)) + "…" : levels[k]
            s += "<text x=\"\(f1(x + gw / 2))\" y=\"\(f1(top + plotH + 12))\" text-anchor=\"middle\">\(esc(label))</text>"
        }
        s += "<text x=\"\(left - 3)\" y=\"\(top + 8)\" text-anchor=\"end\">\(esc(fmtG(maxV)))</text>"
        return s + "</svg>"
    }

    /// Scatter of (x, y) with the y = x diagonal.
    static func scatter(x: [Double], y: [Double]) -> String {
        let pts = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard let lo0 = pts.map({ min($0.0, $0.1) }).min(), let hi0 = pts.map({ max($0.0, $0.1) }).max() else { return "" }
        let (lo, hi) = lo0 < hi0 ? (lo0, hi0) : (lo0 - 0.5, hi0 + 0.5)
        let size = 300.0, pad = 34.0, plot = size - pad - 8
        func px(_ v: Double) -> Double { pad + (v - lo) / (hi - lo) * plot }
        func py(_ v: Double) -> Double { 8 + plot - (v - lo) / (hi - lo) * plot }
        var s = "<svg width=\"\(Int(size))\" height=\"\(Int(size))\" viewBox=\"0 0 \(Int(size)) \(Int(size))\">"
        s += "<rect x=\"\(pad)\" y=\"8\" width=\"\(plot)\" height=\"\(plot)\" fill=\"none\" stroke=\"#999\"/>"
        s += "<line x1=\"\(px(lo))\" y1=\"\(py(lo))\" x2=\"\(px(hi))\" y2=\"\(py(hi))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
        for (a, p) in pts {
            s += "<circle cx=\"\(f1(px(a)))\" cy=\"\(f1(py(p)))\" r=\"1.6\" fill=\"\(refColor)\" fill-opacity=\"0.5\"/>"
        }
        s += "<text x=\"\(pad)\" y=\"\(size - 12)\">\(esc(fmtG(lo)))</text>"
        s += "<text x=\"\(pad + plot)\" y=\"\(size - 12)\" text-anchor=\"end\">\(esc(fmtG(hi)))</text>"
        s += "<text x=\"\(pad + plot / 2)\" y=\"\(size - 2)\" text-anchor=\"middle\">actual</text>"
        s += "<text x=\"10\" y=\"\(8 + plot / 2)\" transform=\"rotate(-90 10 \(8 + plot / 2))\" text-anchor=\"middle\">predicted</text>"
        return s + "</svg>"
    }

    /// `String(format: "%.1f", v)`, without Foundation's formatter (thousands of SVG
    /// coordinates per report) except near a rounding tie, where printf's exact-decimal rule
    /// decides.
    static func f1(_ v: Double) -> String {
        let t = v * 10
        let q = t.rounded(.toNearestOrEven)
        guard abs(q) < 1e9, abs(abs(t - q) - 0.5) > 1e-6 else { return String(format: "%.1f", v) }
        let i = Int(q)
        let m = i.magnitude
        let text = "\(m / 10).\(m % 10)"
        return i < 0 || (i == 0 && v.sign == .minus) ? "-" + text : text
    }

    /// Escapes text for HTML content and attribute values.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
