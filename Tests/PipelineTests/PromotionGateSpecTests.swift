import Foundation
import Pipeline
import Testing
import Tracking

/// `promotion:` in a pipeline spec takes segment, fairness and approval gates, in both its forms.
@Suite struct PromotionGateSpecTests {
    @Test func gatesAreReadIntoThePolicy() throws {
        let s = try PipelineSpec.parse(yaml: minimalYAML + """
        promotion:
          staging_r2: 0.6
          production_r2: 0.7
          segments: {column: ocean_proximity, max_relative_degradation: 0.25, min_rows: 30}
          fairness:
            - {sensitive: sex, max_equalized_odds_difference: 0.1}
          require_approval: true

        """, source: "x")
        let p = s.promotion.policy
        #expect(p.productionThreshold == 0.7 && p.metric == "r2")
        #expect(p.segments == [.init(column: "ocean_proximity", maxRelativeDegradation: 0.25, minRows: 30)])
        #expect(p.fairness == [.init(sensitive: "sex", maxEqualizedOddsDifference: 0.1)])
        #expect(p.requireApproval)
        let withMetric = try PipelineSpec.parse(yaml: minimalYAML + "promotion: {metric: rmse, staging: \"< 0.8\", production: \"< 0.6\", require_approval: true}\n", source: "x")
        #expect(withMetric.promotion.policy.requireApproval && withMetric.promotion.policy.metric == "rmse")
        // A spec without gates keeps its hash input: no new keys.
        let plain = String(decoding: try PipelineSpec.parse(yaml: minimalYAML, source: "x").canonicalJSON(), as: UTF8.self)
        #expect(!plain.contains("segments") && !plain.contains("require_approval"))
    }

    @Test func badGatesNameTheirKey() throws {
        let negative = try #require(specError(minimalYAML + "promotion: {segments: {column: c, max_relative_degradation: -0.1}}\n"))
        #expect(negative.keyPath == "promotion.segments.max_relative_degradation")
        let empty = try #require(specError(minimalYAML + "promotion: {fairness: {sensitive: sex}}\n"))
        #expect(empty.detail.contains("max_equalized_odds_difference"))
        let typo = try #require(specError(minimalYAML + "promotion: {segments: {column: c, max_degradation: 0.2}}\n"))
        #expect(typo.keyPath.hasPrefix("promotion.segments"))
    }
}
