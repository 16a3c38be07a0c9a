import Foundation
import Testing
@testable import Drift

/// Champion against candidate: statistics, p-values and intervals equal scipy's
/// (Fixtures/make_variant_fixture.py), and the decision follows them.
@Suite struct VariantComparisonTests {
    static func fixture() throws -> [String: Any] { try loadFixture("variant_comparison.json") }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-10) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test func specialFunctionsMatchScipy() throws {
        let f = try Self.fixture()
        for case let e as [String: Double] in try #require(f["beta"] as? [Any]) {
            let v = SpecialFunctions.regularizedBeta(e["a"]!, e["b"]!, e["x"]!)
            #expect(Self.close(v, e["value"]!, 1e-12), "I_\(e["x"]!)(\(e["a"]!), \(e["b"]!)) = \(v), scipy \(e["value"]!)")
        }
        for case let e as [String: Double] in try #require(f["t"] as? [Any]) {
            let p = SpecialFunctions.studentTTwoSidedP(e["t"]!, degreesOfFreedom: e["df"]!)
            #expect(abs(p - e["p"]!) <= 1e-9 * e["p"]!, "t \(e["t"]!) df \(e["df"]!): \(p) vs \(e["p"]!)")
        }
        for case let e as [String: Double] in try #require(f["normal"] as? [Any]) {
            #expect(Self.close(SpecialFunctions.normalTwoSidedP(e["z"]!), e["p"]!, 1e-12))
        }
        for case let e as [String: Any] in try #require(f["critical"] as? [Any]) {
            let p = try #require(e["p"] as? Double), q = try #require(e["q"] as? Double)
            #expect(Self.close(SpecialFunctions.twoSidedCriticalValue(p, degreesOfFreedom: e["df"] as? Double), q, 1e-10))
        }
    }

    static func outcomes(_ case_: [String: Any], _ side: String, keys: Bool = false) -> VariantOutcomes {
        VariantOutcomes(name: side, losses: case_[side] as? [Double] ?? [], keys: keys ? case_["keys"] as? [String] : nil)
    }

    @Test(arguments: [("welch", ComparedLoss.absoluteError, "welch_t"), ("paired", .absoluteError, "paired_t"),
                      ("proportions", .errorRate, "two_proportion_z")])
    func testsMatchScipy(name: String, metric: ComparedLoss, test: String) throws {
        let c = try #require(try Self.fixture()[name] as? [String: Any])
        let r = VariantComparison.compare(champion: Self.outcomes(c, "champion", keys: name == "paired"),
                                          candidate: Self.outcomes(c, "candidate", keys: name == "paired"), metric: metric)
        #expect(r.test == test)
        #expect(Self.close(r.difference, c["difference"] as? Double ?? .nan, 1e-12))
        #expect(Self.close(r.pValue, c["p"] as? Double ?? .nan, 1e-9), "p \(r.pValue) vs scipy \(c["p"] ?? "")")
        #expect(Self.close(r.lower, c["lower"] as? Double ?? .nan, 1e-9) && Self.close(r.upper, c["upper"] as? Double ?? .nan, 1e-9))
        // The power calculation behind rows_needed, from the same variances.
        let expected = c["rows_for_effect"] as? Int ?? -1
        let rows = r.rowsNeeded.map { $0 + min(r.championRows, r.candidateRows) }
        if r.recommendation == .notEnoughData, name != "paired" { #expect(rows == expected) }
        #expect(r.pairedKeys == (name == "paired" ? 300 : 0))
    }

    @Test func decisions() {
        // Clearly better: promote.
        let champion = VariantOutcomes(name: "champion", losses: (0..<500).map { 1 + Double($0 % 7) * 0.1 })
        let better = VariantOutcomes(name: "canary", losses: (0..<500).map { 0.8 + Double($0 % 7) * 0.1 })
        let worse = VariantOutcomes(name: "canary", losses: (0..<500).map { 1.2 + Double($0 % 7) * 0.1 })
        #expect(VariantComparison.compare(champion: champion, candidate: better, metric: .absoluteError).recommendation == .promoteCandidate)
        #expect(VariantComparison.compare(champion: champion, candidate: worse, metric: .absoluteError).recommendation == .keepChampion)
        // The same losses: the interval rules out the minimum effect, so the champion stays.
        let same = VariantComparison.compare(champion: champion, candidate: VariantOutcomes(name: "canary", losses: champion.losses),
                                             metric: .absoluteError)
        #expect(same.recommendation == .keepChampion && same.pValue == 1)
        // A few noisy rows: not enough, and how many more.
        let noisy0 = VariantOutcomes(name: "champion", losses: (0..<40).map { Double(($0 * 37) % 11) })
        let noisy1 = VariantOutcomes(name: "canary", losses: (0..<40).map { Double(($0 * 53) % 11) * 0.95 })
        let few = VariantComparison.compare(champion: noisy0, candidate: noisy1, metric: .absoluteError)
        #expect(few.recommendation == .notEnoughData)
        #expect((few.rowsNeeded ?? 0) > 0 && few.reason.contains("rows per variant"))
        // Below the minimum rows nothing is decided: at least the 28 missing rows, here the power
        // calculation's (7.85² · 0.5 / 0.075² = 698 rows) less the 2 there are.
        let tiny = VariantComparison.compare(champion: VariantOutcomes(name: "a", losses: [1, 2]),
                                             candidate: VariantOutcomes(name: "b", losses: [0, 0]), metric: .absoluteError)
        #expect(tiny.recommendation == .notEnoughData && tiny.rowsNeeded == 696)
    }
}
