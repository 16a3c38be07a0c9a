import Drift
import Foundation
import Pipeline
import Testing

/// `plumb monitor --compare-variants`: logged requests grouped by variant, each other variant
/// compared with the champion exactly as `VariantComparison` compares the two samples.
@Suite struct VariantReviewTests {
    static func outcomes(_ variant: String, _ losses: [Double?], keyPrefix: String? = nil) -> [LoggedOutcome] {
        losses.enumerated().map { i, loss in LoggedOutcome(variant: variant, key: keyPrefix.map { "\($0)\(i)" }, loss: loss) }
    }

    @Test func comparesEveryVariantWithTheChampion() throws {
        let champion = (0..<400).map { Double($0 % 9) * 0.1 + 0.5 } as [Double?]
        let canary = (0..<120).map { Double($0 % 9) * 0.1 + 0.3 } as [Double?]
        let log = Self.outcomes("champion", champion + [nil, nil], keyPrefix: "a") + Self.outcomes("canary", canary, keyPrefix: "b")
            + Self.outcomes("other", [nil, nil])
        let review = try VariantReview.review(log, metric: .absoluteError, request: VariantReviewRequest(), source: "log")
        #expect(review.champion == "champion" && review.championChosenBy == "named champion")
        #expect(review.variants.map(\.name) == ["champion", "canary", "other"])
        #expect(review.variants.map(\.requests) == [402, 120, 2] && review.variants.map(\.labelled) == [400, 120, 0])
        // "other" has no ground truth: listed, not compared.
        #expect(review.comparisons.count == 1)
        let direct = VariantComparison.compare(champion: VariantOutcomes(name: "champion", losses: champion.compactMap { $0 }),
                                               candidate: VariantOutcomes(name: "canary", losses: canary.compactMap { $0 }),
                                               metric: .absoluteError)
        #expect(review.comparisons.first == direct)
        #expect(direct.recommendation == .promoteCandidate && direct.test == "welch_t")
        #expect(review.renderTable().contains("canary vs champion (welch_t): promote candidate"))
    }

    @Test func championByNameOrByTrafficAndErrors() throws {
        let a = Self.outcomes("blue", [1, 0, 1, 0]), b = Self.outcomes("green", [0, 0])
        let byTraffic = try VariantReview.review(a + b, metric: .errorRate, request: VariantReviewRequest(), source: "log")
        #expect(byTraffic.champion == "blue" && byTraffic.championChosenBy == "most requests")
        let named = try VariantReview.review(a + b, metric: .errorRate, request: VariantReviewRequest(champion: "green"), source: "log")
        #expect(named.champion == "green" && named.comparisons.first?.candidate == "blue")
        #expect(throws: DriftError.self) { try VariantReview.review(a, metric: .errorRate, request: VariantReviewRequest(), source: "log") }
        #expect(throws: DriftError.self) {
            try VariantReview.review(a + b, metric: .errorRate, request: VariantReviewRequest(champion: "red"), source: "log")
        }
        #expect(throws: DriftError.self) {
            try VariantReview.review(Self.outcomes("champion", [nil]) + b, metric: .errorRate, request: VariantReviewRequest(), source: "log")
        }
    }
}
