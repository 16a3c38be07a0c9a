import Foundation
import Testing
import Tabular
@testable import Drift

/// The selector against a sort by `orderedKey` and binary searches.
@Suite struct RankSelectorTests {
    @Test func ranksAndCountsMatchSorting() {
        var rng = SeededGenerator(seed: 21)
        for n in [1, 5, 70, 3000, 50_000] {
            for (name, values) in awkwardColumns(count: n, rng: &rng) {
                let sorted = SortedSample.sortedNonMissingRadix(values)
                var selector = values.withUnsafeBufferPointer { RankSelector($0, sum: ExactSum()) }
                #expect(selector.count == sorted.count, "\(name)")
                guard !sorted.isEmpty else { continue }
                let ranks = n <= 3000 ? Array(sorted.indices) : (0..<500).map { _ in rng.below(sorted.count) } + [0, sorted.count - 1]
                var points = (0..<40).map { _ in sorted[rng.below(sorted.count)] }
                points += [0, -0.0, .infinity, -.infinity, .nan, 1e-300, -1, 2.5, sorted[0] - 1, sorted[sorted.count - 1] + 1]
                points += (0..<20).map { _ in (rng.unit() - 0.5) * 10 }
                values.withUnsafeBufferPointer { v in
                    selector.resolve(v, digits: selector.digits(holding: ranks))
                    let more = selector.digits(counting: points)
                    if !more.isEmpty { selector.resolve(v, digits: more) }
                }
                // Heavy ties take the constant-digit pass instead of gathering the whole column.
                if n == 50_000 && ["two levels", "constant", "ties", "only negative zeros"].contains(name) {
                    #expect(!selector.constants.isEmpty, "\(name)")
                }
                #expect(ranks.map { selector.value(atRank: $0).bitPattern } == ranks.map { sorted[$0].bitPattern }, "\(name) n \(n)")
                #expect(points.map(selector.countBelow) == points.map { SortedSample.countBelow(sorted, $0) }, "\(name) n \(n)")
                #expect(points.map(selector.countAtMost) == points.map { SortedSample.countAtMost(sorted, $0) }, "\(name) n \(n)")
            }
        }
    }

    /// Digits never decrease along the order of values, −0 and +0 share one, NaN gets its own
    /// slot, and every value lies in its digit's value range.
    @Test func digitMapIsMonotone() {
        var rng = SeededGenerator(seed: 4)
        for (name, values) in awkwardColumns(count: 20_000, rng: &rng) {
            let selector = values.withUnsafeBufferPointer { RankSelector($0, sum: ExactSum()) }
            let map = selector.map
            let sorted = SortedSample.sortedNonMissingRadix(values)
            let digits = sorted.map(map.digit)
            #expect(zip(digits, digits.dropFirst()).allSatisfy { $0 <= $1 }, "\(name)")
            #expect(map.digit(-0.0) == map.digit(0.0))
            #expect(map.digit(.nan) == map.digitCount)
            for (x, d) in zip(sorted, digits).prefix(3000) { #expect(map.valueRange(ofDigit: d).contains(x), "\(name): \(x)") }
        }
    }

    /// A digit of one bit pattern is recorded, not gathered; one with −0 and +0 is gathered.
    @Test func constantDigitsAreRecordedNotGathered() {
        let values: [Double] = Array(repeating: 3, count: 500) + Array(repeating: -0.0, count: 300)
            + Array(repeating: 0.0, count: 200) + [.nan, 7, 7.5]
        var selector = values.withUnsafeBufferPointer { RankSelector($0, sum: ExactSum()) }
        let sorted = SortedSample.sortedNonMissingRadix(values)
        values.withUnsafeBufferPointer { v in
            selector.resolve(v, digits: selector.digits(holding: Array(sorted.indices)))
        }
        #expect(selector.constants.values.contains(3))
        #expect(!selector.constants.values.contains(0))
        #expect(sorted.indices.map { selector.value(atRank: $0).bitPattern } == sorted.map(\.bitPattern))
        for x in [2.9, 3, 3.1, -0.0, 0.0, 7, 8] {
            #expect(selector.countBelow(x) == SortedSample.countBelow(sorted, x), "\(x)")
            #expect(selector.countAtMost(x) == SortedSample.countAtMost(sorted, x), "\(x)")
        }
    }

    @Test func signedZerosPutNegativeFirst() {
        #expect(RankSelector.signedZerosInOrder([-1, 0.0, -0.0, 0.0, -0.0, 2]).map(\.bitPattern)
                == [-1, -0.0, -0.0, 0.0, 0.0, 2].map(\.bitPattern))
        #expect(RankSelector.signedZerosInOrder([]) == [])
    }
}
