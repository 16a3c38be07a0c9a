import Drift
import Foundation
import MLCore
@testable import Pipeline
import Tabular
import Testing

/// The monitor report's "Explanations" section: mean |SHAP| on the monitored rows, computed from
/// the model's per-row contributions.
@Suite struct MonitorAttributionTests {
    @Test func currentImportanceIsTheMeanAbsoluteContributionOfTheMonitoredRows() throws {
        let f = try ClassifierMonitorTests.fixture(classes: ["no", "yes"])
        defer { try? FileManager.default.removeItem(atPath: f.dir) }
        let table = try TableFile.read(f.currentPath)
        let shap = try #require(ShapImportance.compute(f.outcome.model, on: table, rowsDescription: "monitored rows"))
        // Every one of the 500 rows (fewer than the 1000-row cap), summed by hand.
        let c = try f.outcome.model.explain(table, threads: 1).contributions
        #expect(c.rows == 500 && c.outputs == 1)
        for (j, name) in f.outcome.model.header.inputFeatures.enumerated() {
            var sum = 0.0
            for i in 0..<c.rows { sum += abs(c[i, 0, j]) }
            let expected = sum / Double(c.rows)
            let got = try #require(shap.importance[name])
            #expect(abs(got - expected) <= 1e-12 * max(1, expected), "\(name)")
        }
        #expect(shap.note.contains("over 500 monitored rows"))
        // The report carries the section, before the end of the page.
        _ = try ClassifierMonitorTests.monitor(f, report: true)
        let html = try String(contentsOfFile: f.dir + "/report.html", encoding: .utf8)
        let section = try #require(html.range(of: "<h2>Explanations</h2>"))
        #expect(html[section.upperBound...].contains("monitored rows"))
        #expect(html.hasSuffix("</body></html>\n"))
    }

    @Test func sectionOrdersFeaturesByCurrentImportanceAndDrawsBothBars() {
        let a = AttributionComparison(current: ["a": 0.5, "b": 2, "c <x>": 1], reference: ["a": 1, "b": 1.5], note: "test rows")
        let html = HTMLReport.attributionSection(a)
        let positions = ["b", "c &lt;x&gt;", "a"].map { name in html.range(of: ">\(name)</text>")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions[0]! < positions[1]! && positions[1]! < positions[2]!)
        // Five bars: reference and current for a and b, current only for c (the run did not report it).
        #expect(html.components(separatedBy: "<rect").count - 1 == 5)
        #expect(html.contains("training hold-out"))
        // The widest bar is the largest value (2, current b) at the full 380-pixel width.
        #expect(html.contains("width=\"380.0\""))
        #expect(HTMLReport.attributionSection(AttributionComparison(current: [:], reference: nil, note: "")) == "")
    }
}
