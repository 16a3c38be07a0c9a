import Foundation
import Testing
@testable import LinearModels
import MLCore

/// Linear SHAP: φⱼ = βⱼ(xⱼ − x̄ⱼ) with x̄ the training means (computed here again, plainly), the
/// expected value the score at the means, and additivity to the raw score on every row.
@Suite struct LinearSHAPTests {
    static func means(_ x: FeatureMatrix) -> [Double] {
        (0..<x.columns).map { j in (0..<x.rows).reduce(0.0) { $0 + x[$1, j] } / Double(x.rows) }
    }

    @Test(arguments: ["linear", "ridge"])
    func regressionContributions(kind: String) throws {
        let (x, y, _) = Reference.dataset(rows: 300, seed: 41)
        let model: any Explainable = kind == "linear" ? try LinearRegression.fit(x, y) : try RidgeRegression.fit(x, y, alpha: 3)
        let beta = (model as? LinearRegression)?.coefficients ?? (model as? RidgeRegression)?.coefficients ?? []
        let mu = Self.means(x)
        let c = try model.contributions(x, threads: 2)
        #expect(c.outputs == 1 && c.features == 8)
        for i in 0..<x.rows {
            for j in 0..<8 { #expect(abs(c[i, 0, j] - beta[j] * (x[i, j] - mu[j])) <= 1e-9 * max(1, abs(beta[j] * x[i, j]))) }
        }
        // Expected value = the model at the means.
        let atMean = model.predict(FeatureMatrix(columns: mu.map { [$0] }))
        #expect(abs(c.expectedValue[0] - atMean[0]) <= 1e-9 * max(1, abs(atMean[0])))
        let totals = c.totals(), p = model.predict(x)
        #expect(zip(totals, p).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) })
    }

    @Test(arguments: [2, 3])
    func logisticContributionsAddUpToTheLogOdds(classes: Int) throws {
        let (x, y, _) = Reference.dataset(rows: 400, seed: 42)
        let sorted = y.sorted()
        let cuts = (1..<classes).map { sorted[sorted.count * $0 / classes] }
        let labels = y.map { v in cuts.filter { v > $0 }.count }
        let model = try LogisticRegression.fit(x, classes: labels, classCount: classes, alpha: 0.01)
        let c = try model.contributions(x, threads: 1)
        #expect(c.outputs == (classes == 2 ? 1 : classes))
        let mu = Self.means(x)
        for k in 0..<c.outputs {
            let w = model.coefficients(ofOutput: k)
            for i in 0..<x.rows { for j in 0..<8 { #expect(abs(c[i, k, j] - w[w.startIndex + j] * (x[i, j] - mu[j])) <= 1e-9 * max(1, abs(w[w.startIndex + j] * x[i, j]))) } }
        }
        // The raw scores they add up to give the model's probabilities.
        let eta = c.totals(), p = model.predictProbabilities(x)
        for i in 0..<x.rows {
            if classes == 2 {
                #expect(abs(1 / (1 + exp(-eta[i])) - p[i * 2 + 1]) <= 1e-9)
            } else {
                let e = (0..<classes).map { exp(eta[i * classes + $0]) }, s = e.reduce(0, +)
                for k in 0..<classes { #expect(abs(e[k] / s - p[i * classes + k]) <= 1e-9) }
            }
        }
        #expect(zip(eta, model.explainedScores(x, threads: 1)).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) })
    }

    @Test func meansSurviveSaveAndLoad() throws {
        let (x, y, _) = Reference.dataset(rows: 100, seed: 43)
        let model = try RidgeRegression.fit(x, y, alpha: 1)
        var w = BinaryWriter()
        model.encode(to: &w)
        #expect(w.bytes[0] == 2)
        var r = BinaryReader(w.bytes)
        #expect(try RidgeRegression.decode(from: &r) == model)
    }

    /// A version-1 file (no means) loads and predicts; explaining it says to retrain.
    @Test func modelWithoutMeansRefusesToExplain() throws {
        let old = LinearRegression(coefficients: [2, -1], intercept: 3, featureStds: [1, 1], method: .qr, rank: 2)
        var w = BinaryWriter()
        old.encode(to: &w)
        #expect(w.bytes[0] == 1)
        var r = BinaryReader(w.bytes)
        let loaded = try LinearRegression.decode(from: &r)
        let x = FeatureMatrix(columns: [[1, 2], [3, 4]])
        #expect(loaded.predict(x) == [2.0, 3.0])
        #expect { _ = try loaded.contributions(x, threads: 1) } throws: { error in
            (error as? ExplanationError)?.code == .missingStatistics && "\(error)".contains("retrain")
        }
    }
}
