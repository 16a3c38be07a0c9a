/// Global SHAP importance of the model's features on the monitored rows, beside the same measure
/// on the training run's held-out rows: a shift in what drives the predictions shows even when
/// no single input drifted past its test.
public struct AttributionComparison: Sendable, Equatable {
    /// Mean |SHAP| per feature on the current rows.
    public var current: [String: Double]
    /// Mean |SHAP| per feature on the training run's held-out rows, when the run logged it.
    public var reference: [String: Double]?
    /// What the current figures are (score explained, rows, classes).
    public var note: String

    public init(current: [String: Double], reference: [String: Double]?, note: String) {
        self.current = current
        self.reference = reference
        self.note = note
    }
}

extension HTMLReport {
    /// Features shown at most, the most important first.
    static let attributionFeatures = 20

    /// The "Explanations" section: one row per feature, a bar for the reference and one for the
    /// current mean |SHAP|, on one scale.
    public static func attributionSection(_ a: AttributionComparison) -> String {
        let names = a.current.keys.sorted { (a.current[$0] ?? 0, $1) > (a.current[$1] ?? 0, $0) }.prefix(attributionFeatures)
        guard !names.isEmpty else { return "" }
        var h = "<h2>Explanations</h2>"
        h += "<p class=\"meta\">Exact SHAP: \(esc(a.note))."
        h += a.reference == nil ? " The training run logged no SHAP importance to compare with.</p>"
            : "</p><p class=\"legend\"><span style=\"background:\(refColor)\"></span>training hold-out<span style=\"background:\(curColor)\"></span>current</p>"
        let values: [Double] = names.flatMap { name -> [Double] in [a.current[name] ?? 0, a.reference?[name] ?? 0] }
        let maxV = max(values.max() ?? 0, 1e-300)
        let label = 150.0, plotW = 380.0, row = a.reference == nil ? 14.0 : 22.0, barH = a.reference == nil ? 10.0 : 9.0
        let svgW = label + plotW + 70, svgH = row * Double(names.count) + 6
        h += "<svg width=\"\(Int(svgW))\" height=\"\(Int(svgH))\" viewBox=\"0 0 \(Int(svgW)) \(Int(svgH))\">"
        for (i, name) in names.enumerated() {
            let y = 3 + Double(i) * row
            let shown = name.count > 24 ? String(name.prefix(23)) + "…" : name
            h += "<text x=\"\(f1(label - 6))\" y=\"\(f1(y + row / 2 + 3))\" text-anchor=\"end\">\(esc(shown))</text>"
            var barY = y + (row - (a.reference == nil ? barH : 2 * barH)) / 2
            if let reference = a.reference {
                // A feature the training run did not report keeps an empty slot.
                if let r = reference[name] { h += bar(x: label, y: barY, width: r / maxV * plotW, height: barH, color: refColor, value: r) }
                barY += barH
            }
            let c = a.current[name] ?? 0
            h += bar(x: label, y: barY, width: c / maxV * plotW, height: barH, color: curColor, value: c)
        }
        return h + "</svg>\n"
    }

    private static func bar(x: Double, y: Double, width: Double, height: Double, color: String, value: Double) -> String {
        let s = "<rect x=\"\(f1(x))\" y=\"\(f1(y))\" width=\"\(f1(max(width, 0.5)))\" height=\"\(f1(height))\" fill=\"\(color)\"/>"
        return s + "<text x=\"\(f1(x + width + 4))\" y=\"\(f1(y + height - 1))\">\(esc(fmtG(value)))</text>"
    }
}
