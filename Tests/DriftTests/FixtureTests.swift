import Foundation
import Testing
@testable import Drift

/// Reads a committed fixture produced by Fixtures/make_fixtures.py (numpy 2.4 / scipy 1.17).
func loadFixture(_ name: String) throws -> [String: Any] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
    let data = try Data(contentsOf: url)
    let obj = try JSONSerialization.jsonObject(with: data)
    return try #require(obj as? [String: Any])
}

/// |a − b| ≤ rel·|b| + abs.
func close(_ a: Double, _ b: Double, rel: Double, abs absTol: Double = 0) -> Bool {
    if a == b { return true }
    return abs(a - b) <= rel * abs(b) + absTol
}

func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [] }
func num(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

@Suite struct ScipyFixtureTests {
    @Test func twoSampleCasesMatchScipy() throws {
        let fx = try loadFixture("two_sample.json")
        let cases = try #require(fx["cases"] as? [[String: Any]])
        #expect(cases.count >= 10)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let ref = SortedSample.sortedNonMissing(doubles(c["reference"]))
            let cur = SortedSample.sortedNonMissing(doubles(c["current"]))
            let (d, w) = TwoSampleStatistics.ksAndWasserstein(ref, cur)
            #expect(close(d, num(c["ks_statistic"]), rel: 1e-12, abs: 1e-15), "\(name): D \(d)")
            #expect(close(w, num(c["wasserstein"]), rel: 1e-9), "\(name): W \(w)")
            let ks = TwoSampleStatistics.ksPValue(statistic: d, n1: ref.count, n2: cur.count)
            #expect(close(ks.statistic, num(c["ks_statistic"]), rel: 1e-12, abs: 1e-15), "\(name)")
            let p = try #require(ks.pValue)
            #expect(close(p, num(c["ks_pvalue"]), rel: 1e-6, abs: 1e-14), "\(name): p \(p) vs \(num(c["ks_pvalue"]))")
            let sd = TwoSampleStatistics.populationStd(ref)
            #expect(close(sd, num(c["reference_std"]), rel: 1e-10), "\(name)")
            #expect(close(TwoSampleStatistics.normalizedWasserstein(w, referenceStd: sd), num(c["wasserstein_norm"]), rel: 1e-9))
            let edges = PSIBins.edges(sortedReference: ref, bins: 10)
            let wantEdges = doubles(c["psi_edges"])
            #expect(edges.count == wantEdges.count)
            for (a, b) in zip(edges, wantEdges) { #expect(close(a, b, rel: 1e-14, abs: 1e-15), "\(name): edge \(a) vs \(b)") }
            let rp = PSIBins.proportions(sorted: ref, edges: edges)
            let cp = PSIBins.proportions(sorted: cur, edges: edges)
            // numpy's integer / scalar division may round the last bit differently.
            for (a, b) in zip(rp, doubles(c["psi_reference"])) { #expect(close(a, b, rel: 1e-15), "\(name)") }
            for (a, b) in zip(cp, doubles(c["psi_current"])) { #expect(close(a, b, rel: 1e-15), "\(name)") }
            #expect(rp.count == 10 && cp.count == 10)
            #expect(close(TwoSampleStatistics.psi(reference: rp, current: cp), num(c["psi"]), rel: 1e-10, abs: 1e-15), "\(name)")
            #expect(close(TwoSampleStatistics.jensenShannon(rp, cp), num(c["js_psi_bins"]), rel: 1e-9, abs: 1e-15), "\(name)")
        }
    }

    @Test func kolmogorovDistributionMatchesScipy() throws {
        let fx = try loadFixture("special.json")
        let rows = try #require(fx["kstwo_sf"] as? [[String: Any]])
        for r in rows {
            let n = Int(num(r["n"])), x = num(r["x"]), want = num(r["sf"])
            let got = Kolmogorov.kolmogorovSurvival(n: n, x: x)
            #expect(close(got, want, rel: 1e-6, abs: 1e-14), "kstwo.sf(\(x), \(n)) = \(want), got \(got)")
        }
        let sm = try #require(fx["smirnov_sf"] as? [[String: Any]])
        for r in sm {
            let n = Int(num(r["n"])), x = num(r["x"]), want = num(r["sf"])
            let got = Kolmogorov.smirnovSurvival(n: n, x: x)
            #expect(close(got, want, rel: 1e-9, abs: 1e-15), "smirnov(\(n), \(x)) = \(want), got \(got)")
        }
    }

    @Test func gammaFunctionsMatchScipy() throws {
        let fx = try loadFixture("special.json")
        for r in try #require(fx["gammaln"] as? [[String: Any]]) {
            let x = num(r["x"]), want = num(r["value"])
            #expect(close(SpecialFunctions.logGamma(x), want, rel: 1e-13, abs: 1e-14), "gammaln(\(x))")
        }
        for r in try #require(fx["gammaincc"] as? [[String: Any]]) {
            let a = num(r["a"]), x = num(r["x"]), want = num(r["q"])
            #expect(close(SpecialFunctions.regularizedGammaQ(a, x), want, rel: 1e-10, abs: 1e-300), "Q(\(a), \(x))")
            #expect(close(SpecialFunctions.regularizedGammaP(a, x), 1 - want, rel: 1e-10, abs: 1e-15), "P(\(a), \(x))")
        }
        for r in try #require(fx["chi2_sf"] as? [[String: Any]]) {
            let x = num(r["x"]), df = num(r["df"]), want = num(r["sf"])
            #expect(close(SpecialFunctions.chiSquareSurvival(x, degreesOfFreedom: df), want, rel: 1e-10, abs: 1e-300), "chi2.sf(\(x), \(df))")
        }
    }

    @Test func categoricalTestsMatchScipy() throws {
        let fx = try loadFixture("special.json")
        for r in try #require(fx["chisquare"] as? [[String: Any]]) {
            let o = TwoSampleStatistics.chiSquare(referenceCounts: doubles(r["reference"]), currentCounts: doubles(r["current"]))
            #expect(close(o.statistic, num(r["statistic"]), rel: 1e-10))
            #expect(close(try #require(o.pValue), num(r["pvalue"]), rel: 1e-9, abs: 1e-300))
        }
        for r in try #require(fx["jensenshannon"] as? [[String: Any]]) {
            #expect(close(TwoSampleStatistics.jensenShannon(doubles(r["p"]), doubles(r["q"])), num(r["distance"]), rel: 1e-10))
        }
    }
}
