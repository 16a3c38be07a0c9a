import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

/// Forest classifiers of three or more classes: Gini trees, leaf class frequencies.
@Suite struct RandomForestMulticlassTests {
    /// Fixtures/forest_multiclass_fixture.json, made by Fixtures/make_forest_fixture.py.
    struct Fixture: Decodable {
        struct Reference: Decodable { let accuracy: Double; let log_loss: Double }
        let train_x: [[Double]], test_x: [[Double]]
        let train_y: [Int32], test_y: [Int32]
        let n_estimators: Int
        let sklearn: [String: Reference]

        static func load() throws -> Fixture {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures").appendingPathComponent("forest_multiclass_fixture.json")
            return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        }
    }

    /// Four noisy classes from the features' bands, a share of NaNs.
    static func data(rows: Int, seed: UInt64, classes k: Int = 4) -> (FeatureMatrix, [Int32]) {
        let x = TestData.uniform(rows: rows, columns: 5, nanShare: 0.05, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 9)
        let y = (0..<rows).map { i -> Int32 in
            let s = (x[i, 0].isNaN ? 0.5 : x[i, 0]) + 0.6 * (x[i, 1].isNaN ? 0.5 : x[i, 1]) + 0.3 * rng.unit()
            return Int32(min(k - 1, Int(s / 1.9 * Double(k))))
        }
        return (x, y)
    }

    static func accuracy(_ p: [Double], _ y: [Int32], classes k: Int) -> Double {
        var right = 0
        for i in y.indices {
            let row = p[(i * k)..<((i + 1) * k)]
            right += (row.indices.max { row[$0] < row[$1] } ?? 0) - i * k == Int(y[i]) ? 1 : 0
        }
        return Double(right) / Double(y.count)
    }

    /// Accuracy within 0.02 of scikit-learn's RandomForestClassifier (mean over five seeds) with
    /// the same trees and feature sampling; probabilities in [0, 1] summing to 1 per row.
    @Test(arguments: [("all", FeatureSampling.all), ("sqrt", FeatureSampling.sqrt)])
    func matchesScikitLearnAccuracy(setting: String, sampling: FeatureSampling) throws {
        let f = try Fixture.load()
        let reference = try #require(f.sklearn[setting])
        var p = ForestParameters()
        p.trees = f.n_estimators; p.featureSampling = sampling; p.seed = 3
        let fit = try RandomForest.fitClassifier(FeatureColumns(FeatureMatrix(columns: f.train_x)), classes: f.train_y, classCount: 4,
                                                 parameters: p)
        let probabilities = fit.model.predict(FeatureMatrix(columns: f.test_x))
        #expect(probabilities.count == 4 * f.test_y.count)
        let accuracy = Self.accuracy(probabilities, f.test_y, classes: 4)
        #expect(accuracy >= reference.accuracy - 0.02, "ours \(accuracy), scikit-learn \(reference.accuracy)")
        for i in f.test_y.indices {
            let row = probabilities[(4 * i)..<(4 * i + 4)]
            #expect(abs(row.reduce(0, +) - 1) < 1e-12 && row.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        let oob = try #require(fit.oobAccuracy)
        #expect(abs(oob - accuracy) < 0.06 && fit.oobR2 == nil)
        #expect(fit.model.outputCount == 4 && fit.model.treeCount == f.n_estimators && fit.model.predictors.count == 4)
    }

    /// The compiled scorers (deep trees: the level-by-level layout; shallow ones: the rank-mask
    /// tables; a few rows: the block walk) give exactly the plain walk's probabilities.
    @Test(arguments: [nil, 4] as [Int?])
    func fastScorersEqualTheReferenceWalk(maxDepth: Int?) throws {
        let (x, y) = Self.data(rows: 800, seed: 21)
        var p = ForestParameters()
        p.trees = 12; p.maxDepth = maxDepth; p.featureSampling = .sqrt; p.seed = 5
        let m = try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 4, parameters: p).model
        #expect((m.predictor.rankScorer != nil) == (maxDepth != nil))
        let (xt, _) = Self.data(rows: 300, seed: 22)
        #expect(m.predict(xt) == m.predictReference(xt))
        let few = FeatureMatrix(rows: 5, columns: 5, values: Array(xt.values.prefix(5 * 5)))
        #expect(m.predict(few, threads: 1) == m.predictReference(few))
    }

    /// Each leaf holds the class frequencies of the training rows it holds (a naive twin: the
    /// rows routed by the plain walk and counted), and a class's probability is the mean of its
    /// leaf values over the trees.
    @Test func leavesHoldClassFrequencies() throws {
        let (x, y) = Self.data(rows: 400, seed: 31, classes: 3)
        var p = ForestParameters()
        p.trees = 5; p.seed = 2; p.bootstrap = false; p.maxDepth = 3; p.featureSampling = .sqrt
        let m = try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 3, parameters: p).model
        for t in 0..<m.treeCount {
            var counts: [Int: [Double]] = [:]
            for i in 0..<400 { counts[compiledLeaf(m.predictor, tree: t, row: { x[i, $0] }), default: [0, 0, 0]][Int(y[i])] += 1 }
            for (leaf, n) in counts {
                for c in 0..<3 { #expect(m.predictors[c].leafValue[leaf] == n[c] / n.reduce(0, +)) }
            }
        }
        let predicted = m.predict(x)
        for i in stride(from: 0, to: 400, by: 37) {
            for c in 0..<3 {
                let sum = (0..<m.treeCount).reduce(0.0) { $0 + m.predictors[c].leafValue[compiledLeaf(m.predictor, tree: $1, row: { x[i, $0] })] }
                #expect(abs(sum / Double(m.treeCount) - predicted[3 * i + c]) < 1e-14)
            }
        }
    }

    /// The compiled leaf index tree `t` sends a row to, by a walk over the compiled arrays.
    private func compiledLeaf(_ p: TreePredictor, tree t: Int, row: (Int) -> Double) -> Int {
        var node = p.treeRoot[t]
        while node >= 0 {
            let k = Int(node), v = row(Int(p.feature[k]))
            let goLeft = v.isNaN ? p.flags[k] & TreePredictor.defaultLeftFlag != 0 : v <= p.threshold[k]
            node = goLeft ? p.left[k] : p.right[k]
        }
        return Int(~node)
    }

    /// save → load gives the same bytes and the same probabilities; a payload whose class count
    /// disagrees with its version is refused.
    @Test func saveLoadRoundTrip() throws {
        let (x, y) = Self.data(rows: 500, seed: 41, classes: 5)
        var p = ForestParameters()
        p.trees = 6; p.featureSampling = .fraction(0.6)
        let m = try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 5, parameters: p).model
        var w = BinaryWriter()
        m.encode(to: &w)
        #expect(w.bytes.first == RandomForest.multiclassSparseFormat && m.predictors.allSatisfy(\.hasCover))
        var r = BinaryReader(w.bytes)
        let loaded = try RandomForest.decode(from: &r)
        var again = BinaryWriter()
        loaded.encode(to: &again)
        #expect(again.bytes == w.bytes)
        #expect(loaded.classCount == 5 && loaded.predictors == m.predictors && loaded.importanceGain == m.importanceGain)
        #expect(loaded.predict(x) == m.predict(x))

        // The dense version 6 payload of the same forest (as earlier builds wrote it) reads to the
        // same model.
        var dense = BinaryWriter()
        dense.write(RandomForest.multiclassWithCoverFormat)
        m.parameters.encode(to: &dense)
        dense.write(Int64(m.classCount)); dense.write(Int64(m.featureCount)); dense.write(m.oobR2)
        dense.write(array: m.importanceGain); dense.write(array: m.importanceSplits.map { Int64($0) })
        m.predictors[0].encode(to: &dense, cover: true)
        for p in m.predictors.dropFirst() { dense.write(array: p.leafValue) }
        var denseReader = BinaryReader(dense.bytes)
        let fromDense = try RandomForest.decode(from: &denseReader)
        #expect(fromDense.predictors == m.predictors && fromDense.predict(x) == m.predict(x))
        #expect(w.bytes.count < dense.bytes.count)

        var wrongVersion = w.bytes
        wrongVersion[0] = RandomForest.classifierFormat
        var bad = BinaryReader(wrongVersion)
        #expect(throws: ModelFileError.self) { try RandomForest.decode(from: &bad) }
    }

    /// Without a choice, classifiers consider ⌊√p⌋ features per split and regressions all of them
    /// (scikit-learn's defaults), and the model records the resolved choice: the same trees as
    /// asking for it explicitly.
    @Test func defaultFeatureSamplingIsResolvedByTask() throws {
        let (x, y) = Self.data(rows: 400, seed: 43, classes: 3)
        var p = ForestParameters()
        p.trees = 4
        #expect(p.featureSampling == .automatic)
        for classCount in [2, 3] {
            let labels = y.map { $0 % Int32(classCount) }
            let auto = try RandomForest.fitClassifier(FeatureColumns(x), classes: labels, classCount: classCount, parameters: p).model
            var explicit = p
            explicit.featureSampling = .sqrt
            let sqrt = try RandomForest.fitClassifier(FeatureColumns(x), classes: labels, classCount: classCount, parameters: explicit).model
            #expect(auto.parameters.featureSampling == .sqrt)
            #expect(auto.predict(x) == sqrt.predict(x))
        }
        let regression = try RandomForest.fit(FeatureColumns(x), y.map { Double($0) }, parameters: p).model
        #expect(regression.parameters.featureSampling == .all)
    }

    /// One tree on every row (no bootstrap), all features: grown to purity, so it classifies
    /// its training rows exactly with one-hot probabilities.
    @Test func fullyGrownTreeIsPure() throws {
        let (x, y) = Self.data(rows: 300, seed: 51)
        var p = ForestParameters()
        p.trees = 1; p.bootstrap = false
        let fit = try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 4, parameters: p)
        let probabilities = fit.model.predict(x)
        #expect(Self.accuracy(probabilities, y, classes: 4) == 1)
        #expect(probabilities.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(fit.oobAccuracy == nil)
    }

    @Test func sameModelOnAnyNumberOfThreads() throws {
        let (x, y) = Self.data(rows: 600, seed: 61)
        var p = ForestParameters()
        p.trees = 9; p.featureSampling = .sqrt
        var fits: [ForestFitResult] = []
        for threads in [1, 2, 3] {
            p.threads = threads
            fits.append(try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 4, parameters: p))
        }
        for f in fits.dropFirst() {
            #expect(f.model.predictors == fits[0].model.predictors && f.model.importanceGain == fits[0].model.importanceGain)
            #expect(f.oobAccuracy == fits[0].oobAccuracy)
        }
    }

    /// Each feature's Gini split equals a brute-force search over its thresholds and missing
    /// sides, the class counts taken straight from the rows (bootstrap repeats included).
    @Test func giniSplitterMatchesBruteForce() throws {
        let (x, y) = Self.data(rows: 400, seed: 71)
        let binned = try BinnedMatrix(x, maxBins: 12)
        var rng = SeededGenerator(seed: 4)
        let rows = (0..<300).map { _ in Int32(rng.below(400)) }.sorted()
        let hist = ClassCountHistogram(binned: binned, classCount: 4)
        let features = Array(0..<5)
        rows.withUnsafeBufferPointer { r in y.withUnsafeBufferPointer { hist.accumulate(rows: r, classes: $0, features: features, binned: binned) } }
        var nodeCounts = [Double](repeating: 0, count: 4)
        for r in rows { nodeCounts[Int(y[Int(r)])] += 1 }
        let node = ClassCounts(nodeCounts)
        for minLeaf in [1.0, 20.0] {
            let splitter = GiniSplitter(classCount: 4, minSamplesLeaf: minLeaf)
            for f in features {
                let fast = splitter.bestSplit(feature: f, hist: hist, binned: binned, node: node)
                let slow = bruteForce(feature: f, rows: rows, y: y, binned: binned, minLeaf: minLeaf)
                #expect(fast?.info.gain == slow?.gain)
                #expect(fast?.info.thresholdBin == slow?.bin && fast?.info.defaultLeft == slow?.missingLeft)
                if let fast, let slow { #expect(fast.left.perClass == slow.left) }
            }
        }
        hist.clear(features: features)
        #expect((0..<(binned.totalBins * 4)).allSatisfy { hist.counts[$0] == 0 })
    }

    private func bruteForce(feature f: Int, rows: [Int32], y: [Int32], binned: BinnedMatrix,
                            minLeaf: Double) -> (gain: Double, bin: Int, missingLeft: Bool, left: [Double])? {
        let missingBin = binned.mappers[f].missingBin
        func squares(_ c: [Double]) -> Double { c.reduce(0) { $0 + $1 * $1 } }
        var all = [Double](repeating: 0, count: 4)
        for r in rows { all[Int(y[Int(r)])] += 1 }
        let parent = squares(all) / Double(rows.count)
        let occupied = Set(rows.map { Int(binned.bin(row: Int($0), feature: f)) })
        var best: (gain: Double, bin: Int, missingLeft: Bool, left: [Double])? = nil
        for t in 0..<missingBin where occupied.contains(t) {
            for missingLeft in [false, true] {
                var left = [Double](repeating: 0, count: 4), right = left, leftValues = 0, rightValues = 0
                for r in rows {
                    let b = Int(binned.bin(row: Int(r), feature: f)), c = Int(y[Int(r)])
                    let goesLeft = b == missingBin ? missingLeft : b <= t
                    if goesLeft { left[c] += 1 } else { right[c] += 1 }
                    if b != missingBin { if goesLeft { leftValues += 1 } else { rightValues += 1 } }
                }
                let nl = left.reduce(0, +), nr = right.reduce(0, +)
                guard nl >= minLeaf, nr >= minLeaf, missingLeft ? rightValues > 0 : true else { continue }
                if missingLeft && !occupied.contains(missingBin) { continue }
                let gain = squares(left) / nl + squares(right) / nr - parent
                if gain > (best?.gain ?? -.infinity) { best = (gain, t, missingLeft, left) }
            }
        }
        return best
    }

    @Test func badLabelsAndClassCountsAreNamed() {
        let (x, _) = Self.data(rows: 50, seed: 81)
        var labels = [Int32](repeating: 0, count: 50)
        labels[1] = 1; labels[7] = 3; labels[9] = -1
        do {
            _ = try RandomForest.fitClassifier(FeatureColumns(x), classes: labels, classCount: 3)
            Issue.record("labels outside 0...2 accepted")
        } catch let e as TreeModelsError {
            #expect(e.code == .invalidTarget && e.message.contains("rows 7, 9"), "\(e.message)")
        } catch { Issue.record("\(error)") }
        #expect(throws: TreeModelsError.self) { try RandomForest.fitClassifier(FeatureColumns(x), classes: labels, classCount: 1) }
    }
}

extension RandomForestMulticlassTests {
    /// TreeSHAP of each class's ensemble: per row and class, the contributions plus the expected
    /// value add up to the class's probability.
    @Test func contributionsAddUpToEachClassProbability() throws {
        let (x, y) = Self.data(rows: 300, seed: 91, classes: 3)
        var p = ForestParameters()
        p.trees = 4; p.maxDepth = 5
        let m = try RandomForest.fitClassifier(FeatureColumns(x), classes: y, classCount: 3, parameters: p).model
        let c = try m.contributions(x, threads: 1)
        let probabilities = m.predict(x)
        #expect(m.explainedOutputCount == 3 && c.outputs == 3)
        for i in stride(from: 0, to: 300, by: 29) {
            for k in 0..<3 {
                let sum = (0..<5).reduce(c.expectedValue[k]) { $0 + c.values[(i * 3 + k) * 5 + $1] }
                #expect(abs(sum - probabilities[3 * i + k]) < 1e-9)
            }
        }
    }
}
