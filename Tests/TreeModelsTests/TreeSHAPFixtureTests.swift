import Foundation
import MLCore
import Testing
@testable import TreeModels

/// TreeSHAP against independent implementations, on trees built here from
/// `Fixtures/shap_fixtures.json` (made by `Fixtures/make_shap_fixtures.py`): LightGBM's
/// `pred_contrib` on LightGBM ensembles (regression, binary, multiclass; NaN and a categorical
/// feature) with LightGBM's row counts as covers, and shap's `TreeExplainer` on a scikit-learn
/// random forest with its `weighted_n_node_samples`.
@Suite struct TreeSHAPFixtureTests {
    struct FixtureTree: Decodable {
        let feature: [Int32]
        let threshold: [Double]
        let default_left: [Bool]
        let left_categories: [[Int32]]
        let left: [Int32]
        let right: [Int32]
        let node_cover: [Double]
        let leaf_value: [Double]
        let leaf_cover: [Double]

        var tree: Tree {
            var t = Tree()
            t.feature = feature; t.threshold = threshold; t.defaultLeft = default_left; t.leftCategories = left_categories
            t.left = left; t.right = right; t.gain = [Double](repeating: 0, count: feature.count)
            t.leafValue = leaf_value; t.nodeCover = node_cover; t.leafCover = leaf_cover
            return t
        }
    }

    struct Case: Decodable {
        let name: String
        let source: String
        let features: Int
        let scale: Double
        let base: [Double]
        /// One list of trees per score.
        let trees: [[FixtureTree]]
        let rows: [[Double?]]
        /// rows × scores × features.
        let contributions: [[[Double]]]
        let expected_value: [Double]
        /// rows × scores.
        let raw_score: [[Double]]
    }

    struct Fixture: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/shap_fixtures.json")
        guard let data = try? Data(contentsOf: url), let fixture = try? JSONDecoder().decode(Fixture.self, from: data) else { return [] }
        return fixture.cases
    }()

    @Test func fixtureIsPresent() {
        #expect(Set(Self.cases.map(\.name)) == ["lightgbm_regression", "lightgbm_binary", "lightgbm_multiclass", "forest_regression"])
    }

    @Test(arguments: ["lightgbm_regression", "lightgbm_binary", "lightgbm_multiclass", "forest_regression"])
    func agreesWithReference(name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let x = FeatureMatrix(columns: (0..<c.features).map { f in c.rows.map { $0[f] ?? .nan } })
        for (k, trees) in c.trees.enumerated() {
            let predictor = TreePredictor(trees: trees.map(\.tree), base: c.base[k], scale: c.scale, featureCount: c.features)
            // The trees were rebuilt faithfully: the same raw scores as the reference model.
            let raw = predictor.predictReference(x)
            for i in 0..<x.rows { #expect(abs(raw[i] - c.raw_score[i][k]) <= 1e-9, "\(name) score \(k) row \(i): \(raw[i]) vs \(c.raw_score[i][k])") }
            let explainer = try TreeExplainer(predictor)
            #expect(abs(explainer.expectedValue - c.expected_value[k]) <= 1e-6, "\(name) score \(k): expected value \(explainer.expectedValue) vs \(c.expected_value[k])")
            for algorithm in TreeExplainer.Algorithm.allCases {
                let phi = explainer.contributions(x, threads: 2, algorithm: algorithm)
                var worst = 0.0
                for i in 0..<x.rows {
                    for j in 0..<c.features { worst = max(worst, abs(phi[i * c.features + j] - c.contributions[i][k][j])) }
                }
                #expect(worst <= 1e-6, "\(name) score \(k) (\(c.source)), \(algorithm): largest difference \(worst)")
            }
        }
    }
}
