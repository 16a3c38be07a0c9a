import Foundation
import Testing
@testable import MLCore

/// One case of Fixtures/fairness_metrics.json (scripts/fairness-fixtures.py, Fairlearn 0.15).
struct FairnessCase: Decodable {
    struct Group: Decodable {
        var group: String
        var count: Int
        var selection_rate: Double
        var true_positive_rate: Double
        var false_positive_rate: Double
    }
    var name: String
    var y_true: [Int]
    var y_pred: [Int]
    var groups: [String]
    var by_group: [Group]
    var demographic_parity_difference: Double
    var equalized_odds_difference: Double
    var true_positive_rate_difference: Double
    var false_positive_rate_difference: Double
}

struct FairnessFixture: Decodable {
    var fairlearn: String
    var cases: [FairnessCase]

    static func load() throws -> FairnessFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("fairness_metrics.json")
        return try JSONDecoder().decode(FairnessFixture.self, from: Data(contentsOf: url))
    }
}

@Suite struct FairnessMetricsTests {
    static func metrics(_ c: FairnessCase) -> FairnessMetrics {
        let names = Array(Set(c.groups)).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return FairnessMetrics(truth: c.y_true, predicted: c.y_pred, groups: c.groups.map { index[$0] ?? -1 }, groupNames: names)
    }

    /// Every group rate and both differences of every case agree with Fairlearn to 1e-9,
    /// including a group without positives (TPR 0) and one without negatives (FPR 0).
    @Test func agreesWithFairlearn() throws {
        let fixture = try FairnessFixture.load()
        #expect(fixture.cases.count == 5)
        for c in fixture.cases {
            let m = Self.metrics(c)
            #expect(m.groups.map(\.group) == c.by_group.map(\.group), "\(c.name)")
            for (g, ref) in zip(m.groups, c.by_group) {
                #expect(g.count == ref.count, "\(c.name) \(g.group)")
                #expect(abs(g.selectionRate - ref.selection_rate) <= 1e-9, "\(c.name) \(g.group)")
                #expect(abs(g.truePositiveRate - ref.true_positive_rate) <= 1e-9, "\(c.name) \(g.group)")
                #expect(abs(g.falsePositiveRate - ref.false_positive_rate) <= 1e-9, "\(c.name) \(g.group)")
            }
            #expect(abs(m.demographicParityDifference - c.demographic_parity_difference) <= 1e-9, "\(c.name)")
            #expect(abs(m.equalizedOddsDifference - c.equalized_odds_difference) <= 1e-9, "\(c.name)")
            #expect(abs(m.truePositiveRateDifference - c.true_positive_rate_difference) <= 1e-9, "\(c.name)")
            #expect(abs(m.falsePositiveRateDifference - c.false_positive_rate_difference) <= 1e-9, "\(c.name)")
        }
    }

    /// Rows with group −1 are left out; a group with no rows is not reported.
    @Test func leavesOutUngroupedRowsAndEmptyGroups() {
        let m = FairnessMetrics(truth: [1, 0, 1, 1], predicted: [1, 1, 0, 0], groups: [0, 0, -1, 2], groupNames: ["a", "b", "c"])
        #expect(m.groups.map(\.group) == ["a", "c"])
        #expect(m.groups.map(\.count) == [2, 1])
        #expect(m.demographicParityDifference == 1)
        #expect(m.equalizedOddsDifference == 1)
    }

    /// JSON keys are snake_case.
    @Test func encodesSnakeCase() throws {
        let m = FairnessMetrics(truth: [1, 0], predicted: [1, 0], groups: [0, 1], groupNames: ["a", "b"])
        let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        #expect(json.contains("\"equalized_odds_difference\":1"))
        #expect(json.contains("\"selection_rate\""))
        #expect(try JSONDecoder().decode(FairnessMetrics.self, from: Data(json.utf8)) == m)
    }
}
