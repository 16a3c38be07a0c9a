import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct GradientBoostedTreesTests {
    static func piecewise(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        let x = TestData.uniform(rows: rows, columns: 2, seed: seed)
        let y = (0..<rows).map { i -> Double in
            let v = x[i, 0]
            return v < 0.3 ? 1 : (v < 0.6 ? 5 : (v < 0.8 ? -2 : 3))
        }
        return (x, y)
    }

    @Test func learnsPiecewiseFunction() throws {
        let (x, y) = Self.piecewise(rows: 800, seed: 1)
        let (xt, yt) = Self.piecewise(rows: 400, seed: 2)
        var p = GBMParameters()
        p.rounds = 60
        let res = try GradientBoostedTrees.fit(x, y, parameters: p)
        #expect(TestData.r2(yt, res.model.predict(xt)) > 0.95)
        #expect(res.trainMetric.count == 60)
        #expect(res.trainMetric.last! < res.trainMetric.first!)
        // Feature 0 carries all the signal.
        #expect(res.model.importanceGain[0] > 100 * res.model.importanceGain[1])
        #expect(res.model.importanceSplits[0] > 0)
    }

    @Test func friedman1() throws {
        let (x, y) = TestData.friedman1(rows: 2000, seed: 3)
        let (xt, yt) = TestData.friedman1(rows: 500, seed: 4)
        var p = GBMParameters()
        p.rounds = 150; p.learningRate = 0.1; p.maxLeaves = 15; p.maxBins = 64
        let res = try GradientBoostedTrees.fit(x, y, parameters: p)
        #expect(TestData.r2(yt, res.model.predict(xt)) > 0.8)
    }

    @Test(arguments: [GBMLoss.absolute, .huber(delta: 1), .quantile(alpha: 0.5)])
    func robustLossesLearn(loss: GBMLoss) throws {
        // Small noise: with exactly tied targets the pinball gradient at a zero residual (−α)
        // makes quantile splits degenerate (as in LightGBM).
        var rng = SeededGenerator(seed: 55)
        let (x, y0) = Self.piecewise(rows: 600, seed: 5)
        let y = y0.map { $0 + 0.1 * rng.unit() }
        let (xt, yt) = Self.piecewise(rows: 300, seed: 6)
        var p = GBMParameters()
        p.rounds = 80; p.loss = loss
        let res = try GradientBoostedTrees.fit(x, y, parameters: p)
        #expect(TestData.r2(yt, res.model.predict(xt)) > 0.9)
    }

    @Test func quantileLossCoversTheRightShare() throws {
        let x = TestData.uniform(rows: 2000, columns: 1, seed: 8)
        var rng = SeededGenerator(seed: 9)
        let y = (0..<2000).map { i in x[i, 0] * 3 + TestData.gaussian(&rng) }
        var p = GBMParameters()
        p.rounds = 50; p.loss = .quantile(alpha: 0.9); p.maxLeaves = 4
        let pred = try GradientBoostedTrees.fit(x, y, parameters: p).model.predict(x)
        let below = zip(y, pred).filter { $0 <= $1 }.count
        #expect(abs(Double(below) / 2000 - 0.9) < 0.04)
    }

    @Test func deterministicAcrossThreadCounts() throws {
        let (x, y) = TestData.friedman1(rows: 3000, seed: 10)
        var p = GBMParameters()
        p.rounds = 20; p.subsample = 0.8; p.featureFraction = 0.7; p.seed = 42
        var bytes: [[UInt8]] = []
        for threads in [1, 2, 2] {
            p.threads = threads
            var w = BinaryWriter()
            let m = try GradientBoostedTrees.fit(x, y, parameters: p).model
            GradientBoostedTrees(parameters: { var q = m.parameters; q.threads = 1; return q }(), featureCount: m.featureCount,
                                 initScore: m.initScore, bestIteration: m.bestIteration, predictor: m.predictor,
                                 importanceGain: m.importanceGain, importanceSplits: m.importanceSplits).encode(to: &w)
            bytes.append(w.bytes)
        }
        #expect(bytes[0] == bytes[1])
        #expect(bytes[1] == bytes[2])
        p.seed = 43
        let other = try GradientBoostedTrees.fit(x, y, parameters: p).model
        var w = BinaryWriter()
        other.encode(to: &w)
        #expect(w.bytes != bytes[0])
    }

    @Test func saveLoadPredictsIdentically() throws {
        let x = TestData.uniform(rows: 500, columns: 4, nanShare: 0.1, seed: 11)
        let y = (0..<500).map { i in x[i, 1].isNaN ? 2.0 : x[i, 1] * x[i, 3].nanTo(0.5) }
        var p = GBMParameters()
        p.rounds = 30; p.earlyStoppingRounds = 5; p.validationFraction = 0.2
        let model = try GradientBoostedTrees.fit(x, y, parameters: p).model
        var w = BinaryWriter()
        model.encode(to: &w)
        var r = BinaryReader(w.bytes)
        let loaded = try GradientBoostedTrees.decode(from: &r)
        #expect(r.remaining == 0)
        #expect(loaded.predictor == model.predictor)
        #expect(loaded.parameters == model.parameters)
        #expect(loaded.bestIteration == model.bestIteration && loaded.importanceGain == model.importanceGain)
        let xt = TestData.uniform(rows: 300, columns: 4, nanShare: 0.2, seed: 12)
        #expect(loaded.predict(xt) == model.predict(xt))
        // Truncated payloads fail cleanly.
        var short = BinaryReader(Array(w.bytes.dropLast(9)))
        #expect(throws: ModelFileError.self) { try GradientBoostedTrees.decode(from: &short) }
    }

    @Test func earlyStoppingOnNoiseStopsEarly() throws {
        let x = TestData.uniform(rows: 1000, columns: 3, seed: 13)
        var rng = SeededGenerator(seed: 14)
        let y = (0..<1000).map { _ in TestData.gaussian(&rng) }
        var p = GBMParameters()
        p.rounds = 300; p.earlyStoppingRounds = 10
        let res = try GradientBoostedTrees.fit(x, y, parameters: p)
        #expect(res.trainMetric.count < 300)
        #expect(res.bestIteration < res.trainMetric.count)
        #expect(res.model.treeCount == res.bestIteration)
        let vm = try #require(res.validMetric)
        #expect(vm[res.bestIteration - 1] == vm.min())
    }

    @Test func explicitValidationSetAndProgress() throws {
        let (x, y) = Self.piecewise(rows: 400, seed: 15)
        let (xv, yv) = Self.piecewise(rows: 100, seed: 16)
        var p = GBMParameters()
        p.rounds = 10
        let calls = Locked<[(Int, Int, Double, Double?)]>([])
        let res = try GradientBoostedTrees.fit(x, y, parameters: p, validation: (xv, yv)) { round, total, train, valid in
            calls.withLock { $0.append((round, total, train, valid)) }
        }
        let values = calls.current
        #expect(values.map(\.0) == Array(1...10))
        #expect(values.allSatisfy { $0.1 == 10 && $0.3 != nil })
        #expect(res.validMetric?.count == 10 && res.model.treeCount == 10)
        #expect(values.last!.2 == res.trainMetric.last!)
    }

    @Test func categoricalFeatureIsLearned() throws {
        var rng = SeededGenerator(seed: 17)
        let effect: [Double] = [3, -1, 4, 0, 2, -3, 1]
        var codes: [Double] = [], noise: [Double] = [], y: [Double] = []
        for _ in 0..<700 {
            let c = rng.below(7)
            codes.append(Double(c)); noise.append(rng.unit()); y.append(effect[c] + 0.1 * rng.unit())
        }
        var p = GBMParameters()
        p.rounds = 40; p.categoricalFeatures = [0]; p.maxLeaves = 4
        let model = try GradientBoostedTrees.fit(FeatureMatrix(columns: [codes, noise]), y, parameters: p).model
        let pred = model.predict(FeatureMatrix(columns: [(0..<7).map(Double.init), [Double](repeating: 0.5, count: 7)]))
        for c in 0..<7 { #expect(abs(pred[c] - effect[c]) < 0.2) }
        #expect(model.predict(FeatureMatrix(columns: [codes, noise])) == model.predictReference(FeatureMatrix(columns: [codes, noise])))
    }

    @Test func allMissingFeatureIsDroppedWithWarning() throws {
        let (x0, y) = Self.piecewise(rows: 300, seed: 18)
        let x = FeatureMatrix(columns: [Array(x0.column(0)), [Double](repeating: .nan, count: 300)])
        var p = GBMParameters()
        p.rounds = 5
        let res = try GradientBoostedTrees.fit(x, y, parameters: p)
        #expect(res.warnings.count == 1 && res.warnings[0].contains("feature 1"))
        #expect(res.model.importanceSplits[1] == 0)
    }

    @Test func errorCases() throws {
        let (x, y) = Self.piecewise(rows: 50, seed: 19)
        var bad = y
        for i in [3, 5, 7, 9, 11, 13, 15] { bad[i] = .nan }
        bad[20] = .infinity
        let e1 = #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fit(x, bad) }
        #expect(e1?.message.contains("rows 3, 5, 7, 9, 11 and 3 more") == true)
        let e2 = #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fit(x, [Double](repeating: 2.5, count: 50)) }
        #expect(e2?.message == "gbm: target is constant (value 2.5): nothing to learn")
        var p = GBMParameters()
        p.minDataInLeaf = 60
        #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fit(x, y, parameters: p) }
        #expect(throws: TreeModelsError.self) { try GradientBoostedTrees.fit(x, Array(y.dropLast())) }
        for mutate: (inout GBMParameters) -> Void in [{ $0.learningRate = 0 }, { $0.maxLeaves = 1 }, { $0.maxBins = 256 },
                                                       { $0.subsample = 1.5 }, { $0.loss = .quantile(alpha: 1) }, { $0.rounds = 0 }] {
            var q = GBMParameters()
            mutate(&q)
            #expect(throws: TreeModelsError.self) { try q.validate() }
        }
        var q = GBMParameters()
        q.learningRate = -1
        let e3 = #expect(throws: TreeModelsError.self) { try q.validate() }
        #expect(e3?.message.contains("learning_rate") == true && e3?.message.contains("(0, 1]") == true)
    }
}

extension Double {
    func nanTo(_ v: Double) -> Double { isNaN ? v : self }

    /// Validation rows are scored through the trees on their bins: the last round's validation
    /// metric equals the fitted model's on the raw rows, with a categorical code the training
    /// rows never had, missing values and values beyond the training range among them.
    @Test func validationScoresOnBinsMatchTheModel() throws {
        var rng = SeededGenerator(seed: 31)
        func data(_ n: Int, codes: Int) -> (FeatureMatrix, [Double]) {
            var a: [Double] = [], c: [Double] = [], y: [Double] = []
            for i in 0..<n {
                let v = rng.unit() * 4 - 1, k = Double(rng.below(codes))
                a.append(i % 9 == 0 ? .nan : v); c.append(i % 13 == 0 ? .nan : k)
                y.append((v.isNaN ? 0 : v) + (k == 1 ? 2 : k == 4 ? -3 : 0) + 0.1 * rng.unit())
            }
            return (FeatureMatrix(columns: [a, c]), y)
        }
        let (x, y) = data(1500, codes: 4)        // codes 0...3
        let (xv, yv) = data(400, codes: 6)       // codes 4 and 5 unseen
        var p = GBMParameters()
        p.rounds = 30; p.categoricalFeatures = [1]; p.maxLeaves = 8
        let res = try GradientBoostedTrees.fit(x, y, parameters: p, validation: (xv, yv))
        let pred = res.model.predict(xv)
        let rmse = (zip(pred, yv).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 400).squareRoot()
        #expect(abs(res.validMetric!.last! - rmse) <= 1e-9 * rmse)
    }
}
