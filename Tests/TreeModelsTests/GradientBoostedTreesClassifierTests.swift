import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct GradientBoostedTreesClassifierTests {
    /// Three features; the class is where a noisy linear score falls among `k` bands, so every
    /// class is learnable but not perfectly separable. Feature 2 has missing values.
    static func bands(rows: Int, classes k: Int, seed: UInt64) -> (FeatureMatrix, [Int32]) {
        let x0 = TestData.uniform(rows: rows, columns: 3, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 7)
        var cols = (0..<3).map { f in (0..<rows).map { x0[$0, f] } }
        for i in 0..<rows where i % 11 == 0 { cols[2][i] = .nan }
        let labels = (0..<rows).map { i -> Int32 in
            let s = 2 * cols[0][i] + cols[1][i] + 0.1 * TestData.gaussian(&rng)
            return Int32(min(k - 1, max(0, Int(s / 3 * Double(k)))))
        }
        return (FeatureMatrix(columns: cols), labels)
    }

    static func accuracy(_ probabilities: [Double], _ labels: [Int32], classes k: Int) -> Double {
        var right = 0
        for (i, y) in labels.enumerated() {
            let row = probabilities[(i * k)..<((i + 1) * k)]
            if row.firstIndex(of: row.max()!)! - i * k == Int(y) { right += 1 }
        }
        return Double(right) / Double(labels.count)
    }

    @Test(arguments: [2, 5])
    func learnsBandsWithValidProbabilities(classes k: Int) throws {
        let (x, y) = Self.bands(rows: 3000, classes: k, seed: 1)
        let (xt, yt) = Self.bands(rows: 1000, classes: k, seed: 2)
        var p = GBMParameters()
        p.rounds = 60; p.loss = k == 2 ? .logistic : .softmax
        let res = try GradientBoostedTrees.fitClassifier(x, classes: y, classCount: k, parameters: p)
        let model = res.model
        #expect(model.outputCount == k && model.predictors.count == (k == 2 ? 1 : k))
        let probs = model.predict(xt)
        #expect(probs.count == 1000 * k)
        for i in 0..<1000 {
            let row = probs[(i * k)..<((i + 1) * k)]
            #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(abs(row.reduce(0, +) - 1) < 1e-12)
        }
        // Within a few points of the best possible: the band of the noise-free score.
        let oracle = Double((0..<1000).filter { i in
            Int32(min(k - 1, max(0, Int((2 * xt[i, 0] + xt[i, 1]) / 3 * Double(k))))) == yt[i]
        }.count) / 1000
        #expect(Self.accuracy(probs, yt, classes: k) > oracle - 0.04)
        #expect(res.trainMetric.last! < res.trainMetric.first!)
        // The compiled scorers give the reference walk's probabilities bit for bit.
        #expect(probs == model.predictReference(xt))
    }

    @Test(arguments: [2, 4])
    func saveLoadPredictsIdentically(classes k: Int) throws {
        let (x, y) = Self.bands(rows: 1500, classes: k, seed: 3)
        var p = GBMParameters()
        p.rounds = 25; p.loss = k == 2 ? .logistic : .softmax; p.earlyStoppingRounds = 5
        p.classWeights = (0..<k).map { 1 + Double($0) / 4 }
        let model = try GradientBoostedTrees.fitClassifier(x, classes: y, classCount: k, parameters: p).model
        var w = BinaryWriter()
        model.encode(to: &w)
        var r = BinaryReader(w.bytes)
        let loaded = try GradientBoostedTrees.decode(from: &r)
        #expect(r.remaining == 0)
        #expect(loaded.predictors == model.predictors && loaded.parameters == model.parameters && loaded.classCount == k)
        let xt = Self.bands(rows: 300, classes: k, seed: 4).0
        #expect(loaded.predict(xt) == model.predict(xt))
        var short = BinaryReader(Array(w.bytes.dropLast(9)))
        #expect(throws: ModelFileError.self) { try GradientBoostedTrees.decode(from: &short) }
    }

    /// Binary log loss: the first tree's leaves are Newton steps −Σg/Σh of the log loss at the
    /// initial log-odds, which is the log-odds of the class-1 share.
    @Test func firstRoundIsANewtonStepFromTheLogOdds() throws {
        let (x, y) = Self.bands(rows: 2000, classes: 2, seed: 5)
        var p = GBMParameters()
        p.rounds = 1; p.loss = .logistic; p.learningRate = 1; p.maxLeaves = 2
        let model = try GradientBoostedTrees.fitClassifier(x, classes: y, classCount: 2, parameters: p).model
        let share = Double(y.filter { $0 == 1 }.count) / 2000
        #expect(abs(model.initScore - log(share / (1 - share))) < 1e-12)
        let tree = model.predictor.extractTree(0)
        #expect(tree.nodeCount == 1)
        let p0 = 1 / (1 + exp(-model.initScore))
        var g = [0.0, 0.0], h = [0.0, 0.0]
        for i in 0..<2000 {
            let leaf = tree.leaf { x[i, $0] }
            g[leaf] += Double(Float(p0 - Double(y[i]))); h[leaf] += Double(Float(p0 * (1 - p0)))
        }
        for l in 0..<2 { #expect(abs(tree.leafValue[l] - (-g[l] / h[l])) < 1e-9 * abs(tree.leafValue[l])) }
    }

    /// Weighting the rare class up raises its recall.
    @Test func classWeightsRaiseMinorityRecall() throws {
        let (x, y0) = Self.bands(rows: 3000, classes: 2, seed: 6)
        // Make class 1 rare: keep one in five of its rows as 1.
        let y = y0.enumerated().map { i, v in v == 1 && i % 5 != 0 ? Int32(0) : v }
        func recall(_ weights: [Double]) throws -> Double {
            var p = GBMParameters()
            p.rounds = 40; p.loss = .logistic; p.classWeights = weights
            let probs = try GradientBoostedTrees.fitClassifier(x, classes: y, classCount: 2, parameters: p).model.predict(x)
            let positives = y.indices.filter { y[$0] == 1 }
            return Double(positives.filter { probs[2 * $0 + 1] >= 0.5 }.count) / Double(positives.count)
        }
        let ones = Double(y.filter { $0 == 1 }.count)
        #expect(try recall([3000 / (2 * (3000 - ones)), 3000 / (2 * ones)]) > recall([]) + 0.1)
    }

    @Test func badLabelsAreNamed() throws {
        let (x, y) = Self.bands(rows: 200, classes: 3, seed: 7)
        var p = GBMParameters()
        p.loss = .softmax
        var bad = y
        bad[17] = 3; bad[40] = -1
        #expect { try GradientBoostedTrees.fitClassifier(x, classes: bad, classCount: 3, parameters: p) } throws: { e in
            "\(e)".contains("rows 17, 40")
        }
        p.loss = .logistic
        #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fitClassifier(x, classes: y, classCount: 3, parameters: p) }
        #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fit(x, y.map(Double.init), parameters: p) }
    }
}
