import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

/// TreeSHAP against its definition and its promises: a brute-force Shapley sum over every
/// coalition (the exponential Algorithm 1 of Lundberg et al. 2018: a feature outside the
/// coalition averages both branches by cover), additivity to the raw score on every row, the
/// same values on one or two threads, and covers surviving save → load.
@Suite struct TreeSHAPTests {
    /// Six features: five numbers (every 11th value of feature f missing at rows i ≡ f), and a
    /// categorical column of codes 0...4 (every 17th missing).
    static func data(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        let (x0, y0) = TestData.friedman1(rows: rows, seed: seed)
        var cols = (0..<5).map { f in (0..<rows).map { i in i % 11 == f ? Double.nan : x0[i, f] } }
        cols.append((0..<rows).map { i in i % 17 == 0 ? .nan : Double(Int(x0[i, 5] * 5)) })
        let y = (0..<rows).map { i in y0[i] + (cols[5][i].isNaN ? 0 : [0, 3, -2, 1, -1][Int(cols[5][i])]) }
        return (FeatureMatrix(columns: cols), y)
    }

    static func gbm(rows: Int = 800, rounds: Int = 8, _ configure: (inout GBMParameters) -> Void = { _ in }) throws -> GradientBoostedTrees {
        let (x, y) = data(rows: rows, seed: 5)
        var p = GBMParameters()
        p.rounds = rounds; p.maxLeaves = 12; p.minDataInLeaf = 8; p.categoricalFeatures = [5]; p.threads = 1
        configure(&p)
        return try GradientBoostedTrees.fit(x, y, parameters: p).model
    }

    static func classes(_ y: [Double], cuts: [Double]) -> [Int32] {
        y.map { v in Int32(cuts.filter { v > $0 }.count) }
    }

    static func gbmClassifier(classCount: Int) throws -> GradientBoostedTrees {
        let (x, y) = data(rows: 900, seed: 6)
        var p = GBMParameters()
        p.rounds = 6; p.maxLeaves = 10; p.minDataInLeaf = 8; p.categoricalFeatures = [5]; p.threads = 1
        p.loss = classCount == 2 ? .logistic : .softmax
        let sorted = y.sorted()
        let cuts = (1..<classCount).map { sorted[sorted.count * $0 / classCount] }
        return try GradientBoostedTrees.fitClassifier(x, classes: classes(y, cuts: cuts), classCount: classCount, parameters: p).model
    }

    static func forest(classifier: Bool = false) throws -> RandomForest {
        let (x, y) = data(rows: 600, seed: 7)
        var p = ForestParameters()
        p.trees = 6; p.maxDepth = 6; p.categoricalFeatures = [5]; p.seed = 2; p.threads = 1
        if classifier {
            let median = y.sorted()[y.count / 2]
            return try RandomForest.fitBinaryClassifier(FeatureColumns(x), classes: y.map { $0 > median ? 1 : 0 }, parameters: p).model
        }
        return try RandomForest.fit(x, y, parameters: p).model
    }

    // MARK: - The naive twin

    /// Does row `r` go left at node `k`? (The predictor's own rule, written out again.)
    static func goesLeft(_ p: TreePredictor, _ k: Int, _ v: Double) -> Bool {
        if v.isNaN { return p.flags[k] & TreePredictor.defaultLeftFlag != 0 }
        if p.flags[k] & TreePredictor.categoricalFlag != 0 { return p.inCategorySet(Int(p.threshold[k]), v) }
        return v <= p.threshold[k]
    }

    /// E[f(x) | x_S] the path-dependent way: features in `known` follow the row, others average
    /// both children by cover.
    static func conditional(_ p: TreePredictor, _ node: Int32, _ row: [Double], known: Int) -> Double {
        if node < 0 { return p.leafValue[Int(~node)] }
        let k = Int(node), f = Int(p.feature[k])
        if known & (1 << f) != 0 {
            return conditional(p, goesLeft(p, k, row[f]) ? p.left[k] : p.right[k], row, known: known)
        }
        func cover(_ c: Int32) -> Double { c >= 0 ? p.nodeCover[Int(c)] : p.leafCover[Int(~c)] }
        return (cover(p.left[k]) * conditional(p, p.left[k], row, known: known)
                + cover(p.right[k]) * conditional(p, p.right[k], row, known: known)) / p.nodeCover[k]
    }

    static func value(_ p: TreePredictor, _ row: [Double], known: Int) -> Double {
        p.base + p.scale * p.treeRoot.reduce(0.0) { $0 + conditional(p, $1, row, known: known) }
    }

    /// φ_j = Σ_{S ⊆ F∖{j}} |S|!(M−|S|−1)!/M! · (v(S ∪ {j}) − v(S)), over all 2^M coalitions.
    static func bruteForce(_ p: TreePredictor, _ row: [Double]) -> [Double] {
        let m = p.featureCount
        var factorial = [1.0]
        for i in 1...m { factorial.append(factorial[i - 1] * Double(i)) }
        let v = (0..<(1 << m)).map { value(p, row, known: $0) }
        return (0..<m).map { j in
            var phi = 0.0
            for s in 0..<(1 << m) where s & (1 << j) == 0 {
                let size = s.nonzeroBitCount
                phi += factorial[size] * factorial[m - size - 1] / factorial[m] * (v[s | (1 << j)] - v[s])
            }
            return phi
        }
    }

    static func row(_ x: FeatureMatrix, _ i: Int) -> [Double] { (0..<x.columns).map { x[i, $0] } }

    /// Max |a − b| relative to max(1, |b|).
    static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

    // MARK: - Tests

    @Test func matchesBruteForceShapleyOnGBMRegression() throws {
        let model = try Self.gbm()
        let (x, _) = Self.data(rows: 40, seed: 91)
        let c = try model.contributions(x, threads: 1)
        let unwind = try TreeExplainer(model.predictor).contributions(x, threads: 1, algorithm: .extendUnwind)
        for i in 0..<x.rows {
            let phi = Self.bruteForce(model.predictor, Self.row(x, i))
            for j in 0..<x.columns {
                #expect(Self.close(c[i, 0, j], phi[j], 1e-9), "row \(i) feature \(j): \(c[i, 0, j]) vs \(phi[j])")
                #expect(Self.close(unwind[i * x.columns + j], phi[j], 1e-9), "extend/unwind row \(i) feature \(j)")
            }
        }
        // The empty coalition.
        #expect(Self.close(c.expectedValue[0], Self.value(model.predictor, Self.row(x, 0), known: 0), 1e-12))
    }

    @Test func matchesBruteForceShapleyPerClass() throws {
        let model = try Self.gbmClassifier(classCount: 3)
        let (x, _) = Self.data(rows: 20, seed: 92)
        let c = try model.contributions(x, threads: 2)
        #expect(c.outputs == 3)
        for k in 0..<3 {
            for i in 0..<x.rows {
                let phi = Self.bruteForce(model.predictors[k], Self.row(x, i))
                for j in 0..<x.columns { #expect(Self.close(c[i, k, j], phi[j], 1e-9), "class \(k) row \(i) feature \(j)") }
            }
        }
    }

    @Test func matchesBruteForceShapleyOnForest() throws {
        let model = try Self.forest()
        let (x, _) = Self.data(rows: 20, seed: 93)
        let c = try model.contributions(x, threads: 2)
        for i in 0..<x.rows {
            let phi = Self.bruteForce(model.predictor, Self.row(x, i))
            for j in 0..<x.columns { #expect(Self.close(c[i, 0, j], phi[j], 1e-9), "row \(i) feature \(j)") }
        }
    }

    /// Contributions + expected value == the raw score on every row, 1e-9, for every kind.
    @Test(arguments: ["gbm", "gbm-deep", "gbm-binary", "gbm-multiclass", "forest", "forest-classifier"])
    func addsUpToTheRawScore(kind: String) throws {
        let model: any Explainable
        switch kind {
        case "gbm": model = try Self.gbm(rounds: 30)
        case "gbm-deep": model = try Self.gbm(rounds: 10) { $0.maxLeaves = 64; $0.minDataInLeaf = 2 }
        case "gbm-binary": model = try Self.gbmClassifier(classCount: 2)
        case "gbm-multiclass": model = try Self.gbmClassifier(classCount: 4)
        case "forest": model = try Self.forest()
        default: model = try Self.forest(classifier: true)
        }
        let (x, _) = Self.data(rows: 500, seed: 94)
        let c = try model.contributions(x, threads: 2)
        let raw = model.explainedScores(x, threads: 1), totals = c.totals()
        #expect(c.outputs == model.explainedOutputCount && raw.count == x.rows * c.outputs)
        var worst = 0.0
        for m in raw.indices { worst = max(worst, abs(totals[m] - raw[m])) }
        #expect(worst <= 1e-9, "\(kind): largest |Σφ + E − score| = \(worst)")
    }

    /// The two exact algorithms agree on deep trees (leaf-wise GBM, forests grown deep), where
    /// features repeat on the paths and the quadrature needs many points.
    /// A shallow ensemble (at most 8 points a tree) is walked with SIMD vectors, a deeper tree
    /// point by point; both agree with Algorithm 2.
    @Test(arguments: ["gbm-deep", "forest-deep", "gbm-shallow"])
    func quadratureMatchesExtendUnwind(kind: String) throws {
        let predictor: TreePredictor
        if kind == "gbm-deep" {
            predictor = try Self.gbm(rows: 2000, rounds: 10) { $0.maxLeaves = 200; $0.minDataInLeaf = 2 }.predictor
        } else if kind == "gbm-shallow" {
            predictor = try Self.gbm(rows: 2000, rounds: 30) { $0.maxLeaves = 31; $0.minDataInLeaf = 5 }.predictor
        } else {
            let (x, y) = Self.data(rows: 1500, seed: 8)
            var p = ForestParameters()
            p.trees = 4; p.categoricalFeatures = [5]; p.seed = 4; p.threads = 1
            predictor = try RandomForest.fit(x, y, parameters: p).model.predictor
        }
        let e = try TreeExplainer(predictor)
        let vectorWalked = e.quadrature.treeWidth.filter { $0 == QuadratureShap.vectorWidth }.count
        if kind == "gbm-shallow" {
            #expect(vectorWalked == e.quadrature.treeWidth.count)
        } else {
            #expect(e.maxDepth >= 12, "\(kind): depth \(e.maxDepth)")
        }
        if kind == "forest-deep" { #expect(vectorWalked < e.quadrature.treeWidth.count, "\(e.quadrature.treeWidth)") }
        let (x, _) = Self.data(rows: 200, seed: 98)
        let a = e.contributions(x, threads: 2, algorithm: .extendUnwind), b = e.contributions(x, threads: 2, algorithm: .quadrature)
        var worst = 0.0, scale = 0.0
        for m in a.indices { worst = max(worst, abs(a[m] - b[m])); scale = max(scale, abs(a[m])) }
        #expect(worst <= 1e-9 * max(1, scale), "\(kind): largest difference \(worst), largest value \(scale)")
    }

    @Test func gaussLegendreIntegratesPolynomialsExactly() {
        for n in 1...12 {
            let (t, w) = QuadratureShap.gaussLegendre(n)
            for degree in 0..<(2 * n) {
                let integral = zip(t, w).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(degree)) }
                #expect(abs(integral - 1 / Double(degree + 1)) <= 1e-14, "n \(n), degree \(degree)")
            }
        }
    }

    @Test func sameValuesOnOneAndTwoThreads() throws {
        let model = try Self.gbm(rounds: 20)
        let (x, _) = Self.data(rows: 301, seed: 95)
        let one = try model.contributions(x, threads: 1), two = try model.contributions(x, threads: 2)
        #expect(one.values.map(\.bitPattern) == two.values.map(\.bitPattern))
    }

    /// Covers: each leaf's training rows, each node the sum of its children, the root all rows.
    @Test func coversCountTrainingRows() throws {
        let model = try Self.gbm(rows: 800, rounds: 3)
        let p = model.predictor
        for t in 0..<p.treeCount {
            let tree = p.extractTree(t)
            #expect(tree.hasCover)
            #expect(tree.nodeCount == 0 || tree.nodeCover[0] == 800)
            #expect(tree.leafCover.reduce(0, +) == 800)
        }
        // Forest: bootstrap samples count with their repeats (scikit-learn's weighted_n_node_samples).
        let forest = try Self.forest()
        for t in 0..<forest.predictor.treeCount { #expect(forest.predictor.extractTree(t).leafCover.reduce(0, +) == 600) }
    }

    @Test func coversSurviveSaveAndLoad() throws {
        let model = try Self.gbmClassifier(classCount: 3)
        var w = BinaryWriter()
        model.encode(to: &w)
        #expect(w.bytes[0] == GradientBoostedTrees.classifierWithCoverFormat)
        var r = BinaryReader(w.bytes)
        let loaded = try GradientBoostedTrees.decode(from: &r)
        #expect(r.remaining == 0)
        #expect(loaded.predictors == model.predictors)
        let (x, _) = Self.data(rows: 30, seed: 96)
        #expect(try loaded.contributions(x, threads: 1) == model.contributions(x, threads: 1))

        let forest = try Self.forest(classifier: true)
        var fw = BinaryWriter()
        forest.encode(to: &fw)
        #expect(fw.bytes[0] == RandomForest.classifierWithCoverFormat)
        var fr = BinaryReader(fw.bytes)
        #expect(try RandomForest.decode(from: &fr).predictor == forest.predictor)
    }

    /// A model written before covers existed (payload version 1, no cover arrays) still loads
    /// and predicts, and explaining it says to retrain.
    @Test func modelWithoutCoversRefusesToExplain() throws {
        let fitted = try Self.gbm(rounds: 4)
        var trees = (0..<fitted.predictor.treeCount).map { fitted.predictor.extractTree($0) }
        for t in trees.indices { trees[t].nodeCover = []; trees[t].leafCover = [] }
        let old = GradientBoostedTrees(importedTrees: [trees], initScores: [fitted.initScore], loss: .squared,
                                       featureCount: fitted.featureCount, classCount: 0)
        var w = BinaryWriter()
        old.encode(to: &w)
        #expect(w.bytes[0] == GradientBoostedTrees.regressionFormat)
        var r = BinaryReader(w.bytes)
        let loaded = try GradientBoostedTrees.decode(from: &r)
        let (x, _) = Self.data(rows: 10, seed: 97)
        #expect(loaded.predict(x) == fitted.predict(x))
        #expect { _ = try loaded.contributions(x, threads: 1) } throws: { error in
            guard let e = error as? ExplanationError else { return false }
            return e.code == .missingStatistics && e.message.contains("retrain")
        }
    }

    /// A single-leaf tree contributes nothing and its value goes to the expected value.
    @Test func stumpOnlyEnsemble() throws {
        var leaf = Tree()
        leaf.leafValue = [2.5]; leaf.leafCover = [10]
        let p = TreePredictor(trees: [leaf, leaf], base: 1, scale: 0.5, featureCount: 3)
        let e = try TreeExplainer(p)
        #expect(e.expectedValue == 3.5)
        let x = FeatureMatrix(columns: [[1, 2], [3, .nan], [0, 0]])
        #expect(e.contributions(x, threads: 2) == [Double](repeating: 0, count: 6))
    }
}
