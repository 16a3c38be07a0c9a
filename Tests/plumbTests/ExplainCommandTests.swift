import ArgumentParser
import MLCore
import Tabular
import Testing
@testable import plumb

/// `plumb explain`: the output columns, per class for a multiclass model, and its usage checks.
@Suite struct ExplainCommandTests {
    static let head = ["--model", "m.plumb", "rows.csv"]

    @Test func columnsAreTheFeaturesThenTheExpectedValue() throws {
        let c = Contributions(rows: 2, outputs: 1, features: 2, values: [1, 2, 3, 4], expectedValue: [10])
        let t = try ExplainCommand.parse(Self.head).contributionTable(c, features: ["age", "city"], outputNames: [""])
        #expect(t.columnNames == ["age", "city", "expected_value"])
        #expect(t.column(named: "city")?.numericValues == [2, 4])
        #expect(t.column(named: "expected_value")?.numericValues == [10, 10])
    }

    @Test func multiclassGetsOneBlockPerClass() throws {
        // 1 row × 2 classes × 2 features: class "a" (1, 2), class "b" (3, 4).
        let c = Contributions(rows: 1, outputs: 2, features: 2, values: [1, 2, 3, 4], expectedValue: [10, 20])
        let t = try ExplainCommand.parse(Self.head).contributionTable(c, features: ["age", "city"], outputNames: ["a", "b"])
        #expect(t.columnNames == ["age__a", "city__a", "expected_value__a", "age__b", "city__b", "expected_value__b"])
        #expect(t.column(named: "age__b")?.numericValues == [3])
        #expect(t.column(named: "expected_value__b")?.numericValues == [20])
    }

    @Test func threadsMustBePositive() {
        #expect(throws: (any Error).self) { _ = try ExplainCommand.parse(Self.head + ["--threads", "0"]) }
    }
}
