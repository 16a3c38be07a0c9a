import MLCore
import Tabular
import Testing
import CTreeKernels
@testable import TreeModels

@Suite struct TreePredictorTests {
    @Test(arguments: [1, 2])
    func fastPathEqualsReferenceWalk(threads: Int) throws {
        var rng = SeededGenerator(seed: 1)
        let train = TestData.uniform(rows: 600, columns: 5, nanShare: 0.15, seed: 2)
        let y = (0..<600).map { i in (train[i, 0].isNaN ? 3 : train[i, 0] * 4) + (train[i, 2].isNaN ? -1 : train[i, 2]) + rng.unit() }
        var p = GBMParameters()
        p.rounds = 25; p.maxLeaves = 15; p.minDataInLeaf = 5; p.threads = threads
        let model = try GradientBoostedTrees.fit(train, y, parameters: p).model
        let test = TestData.uniform(rows: 2000, columns: 5, nanShare: 0.2, seed: 3)   // > one block, NaNs
        let fast = model.predict(test)
        let reference = model.predictReference(test)
        #expect(fast == reference)
        // Also equal to walking the `Tree` form of every tree, summed in order.
        for r in stride(from: 0, to: 2000, by: 37) {
            var acc = 0.0
            for t in 0..<model.predictor.treeCount {
                let tree = model.predictor.extractTree(t)
                acc += tree.leafValue[tree.leaf { test[r, $0] }]
            }
            #expect(model.initScore + acc == fast[r])
        }
    }

    /// Blocks without a missing value take the comparison-only kernel, blocks with one the full
    /// kernel; both must equal the reference walk, including values exactly on a threshold.
    @Test func bothKernelVariantsEqualTheReferenceWalk() throws {
        var rng = SeededGenerator(seed: 11)
        let train = TestData.uniform(rows: 800, columns: 4, nanShare: 0.1, seed: 12)
        let y = (0..<800).map { i in (train[i, 1].isNaN ? -2 : train[i, 1] * 3) - (train[i, 3].isNaN ? 0 : train[i, 3]) + rng.unit() }
        var p = GBMParameters()
        p.rounds = 30; p.maxLeaves = 31; p.minDataInLeaf = 3
        let model = try GradientBoostedTrees.fit(train, y, parameters: p).model
        #expect(ScoringLayout(model.predictor) != nil)
        // 1,300 rows: the first 1,024 (four blocks) have no NaN, the rest are 30 % NaN; some
        // values are exactly a node's threshold.
        let clean = TestData.uniform(rows: 1024, columns: 4, nanShare: 0, seed: 13)
        let dirty = TestData.uniform(rows: 276, columns: 4, nanShare: 0.3, seed: 14)
        var columns = (0..<4).map { c in (0..<1024).map { clean[$0, c] } + (0..<276).map { dirty[$0, c] } }
        for (k, t) in model.predictor.threshold.prefix(40).enumerated() {
            let f = Int(model.predictor.feature[k])
            columns[f][(k * 25) % 1300] = t
        }
        let test = FeatureMatrix(columns: columns)
        #expect(model.predict(test) == model.predictReference(test))
        for (path, scores) in model.predictor.scoresByEveryPath(test) { #expect(scores == model.predictReference(test), "\(path)") }
    }

    /// The bit-vector tables (32-bit words up to 32 leaves, 64-bit up to 64), both builds of the C
    /// kernel, groups of 8 (4) trees with a partial last group, a row count that is neither a
    /// multiple of eight nor of the block: all equal the reference walk. Values sit exactly on thresholds,
    /// beyond every threshold (±∞) and missing, at nodes sending missing values either way.
    @Test(arguments: [(15, false), (31, false), (32, false), (48, true), (63, true)])
    func rankMaskTablesEqualTheReferenceWalk(maxLeaves: Int, wide: Bool) throws {
        var rng = SeededGenerator(seed: UInt64(maxLeaves))
        let train = TestData.uniform(rows: 2_000, columns: 6, nanShare: 0.1, seed: 21)
        let y = (0..<2_000).map { i in
            (train[i, 0].isNaN ? 2 : (train[i, 0] * 6).rounded(.down) * 0.3) + (train[i, 3].isNaN ? -1 : train[i, 3] * train[i, 4].nanToZero) + rng.unit()
        }
        var p = GBMParameters()
        p.rounds = 29; p.maxLeaves = maxLeaves; p.minDataInLeaf = 2; p.learningRate = 0.3
        let predictor = try GradientBoostedTrees.fit(train, y, parameters: p).model.predictor
        var columns = (0..<6).map { c in (0..<1_003).map { _ in rng.unit() < 0.1 ? Double.nan : rng.unit() } }
        for k in stride(from: 0, to: predictor.threshold.count, by: 3) {
            columns[Int(predictor.feature[k])][(k * 7) % 1_003] = predictor.threshold[k]
        }
        for r in 0..<6 { columns[r][990 + r] = .infinity; columns[(r + 1) % 6][996 + r] = -.infinity }
        let x = FeatureMatrix(columns: columns)
        let reference = predictor.predictReference(x)
        switch predictor.rankScorer {
        case .narrow?: #expect(!wide)
        case .wide?: #expect(wide)
        case nil: Issue.record("no rank-mask tables for \(maxLeaves) leaves")
        }
        for (path, scores) in predictor.scoresByEveryPath(x, blockRows: 100) { #expect(scores == reference, "\(path)") }
    }

    /// Trees over 64 leaves, or with a categorical split, have no tables and score by the layout.
    @Test func largeTreesFallBackToTheLayout() throws {
        let train = TestData.uniform(rows: 600, columns: 3, nanShare: 0, seed: 31)
        let y = (0..<600).map { train[$0, 0] * 10 + train[$0, 1] }
        var p = GBMParameters()
        p.rounds = 3; p.maxLeaves = 100; p.minDataInLeaf = 1
        let predictor = try GradientBoostedTrees.fit(train, y, parameters: p).model.predictor
        #expect(predictor.leafValue.count > 3 * 64)
        if case .some = predictor.rankScorer { Issue.record("tables built for trees over 64 leaves") }
        #expect(predictor.layout != nil)
        #expect(predictor.predict(train, into: 2) == predictor.predictReference(train))
    }

    /// A chain tree (every split peels off one leaf) is as unbalanced as trees get: most rows
    /// land within a few levels and a few go 40 deep, so the survivors-only descent does most of
    /// the levels. Also two shallow trees, and NaN at nodes sending missing either way.
    @Test func unbalancedTreesEqualTheReferenceWalk() {
        let depth = 40
        var chain = Tree()
        for k in 0..<depth {
            chain.feature.append(Int32(k % 2)); chain.threshold.append(Double(k) * 0.25)
            chain.defaultLeft.append(k % 3 == 0); chain.leftCategories.append([]); chain.gain.append(1)
            chain.left.append(~Int32(k)); chain.right.append(k + 1 < depth ? Int32(k + 1) : ~Int32(depth))
        }
        chain.leafValue = (0...depth).map { Double($0) * 0.5 + 0.125 }
        var stump = Tree()
        stump.feature = [1]; stump.threshold = [2]; stump.defaultLeft = [false]; stump.leftCategories = [[]]; stump.gain = [1]
        stump.left = [~0]; stump.right = [~1]; stump.leafValue = [-1, 1]
        var single = Tree()
        single.leafValue = [0.25]
        let p = TreePredictor(trees: [chain, stump, single, chain], base: 0.5, scale: 0.1, featureCount: 2)
        #expect(ScoringLayout(p) != nil)
        var rng = SeededGenerator(seed: 5)
        // Most rows small (shallow leaves), a tail up to the deepest; 10 % NaN in the second half.
        let rows = 800
        let columns = (0..<2).map { c in
            (0..<rows).map { i -> Double in
                if i >= rows / 2 && rng.unit() < 0.1 { return .nan }
                let u = rng.unit()
                return u < 0.9 ? u * 2 : u * Double(depth) * 0.3
            }
        }
        let x = FeatureMatrix(columns: columns)
        for threads in [1, 2] {
            #expect(p.predict(x, into: threads) == p.predictReference(x))
        }
        for (path, scores) in p.scoresByEveryPath(x) { #expect(scores == p.predictReference(x), "\(path)") }
    }

    @Test func categoricalNodesAndUnseenCodes() {
        var t = Tree()
        t.feature = [0, 1]; t.threshold = [0, 0.5]; t.defaultLeft = [true, false]
        t.leftCategories = [[1, 40], []]; t.left = [~0, ~1]; t.right = [1, ~2]; t.gain = [1, 1]
        t.leafValue = [10, 20, 30]
        let p = TreePredictor(trees: [t], base: 1, scale: 1, featureCount: 2)
        let x = FeatureMatrix(columns: [[1, 40, 2, .nan, 1.5, 99, 2], [0, 0, 0, 0, 0, 0, 0.9]])
        let out = p.predict(x, into: 1)
        #expect(out == [11, 11, 21, 11, 21, 21, 31])
        #expect(p.predictReference(x) == out)
    }

    /// A NaN threshold (possible only in a hand-made file) sends every value right, as the
    /// reference walk does; such an ensemble gets no rank tables.
    @Test func nanThresholdFollowsTheReferenceWalk() {
        var t = Tree()
        t.feature = [0, 1]; t.threshold = [.nan, 0.5]; t.defaultLeft = [true, false]
        t.leftCategories = [[], []]; t.left = [~0, ~1]; t.right = [1, ~2]; t.gain = [1, 1]
        t.leafValue = [10, 20, 30]
        let p = TreePredictor(trees: [t, t], base: 0, scale: 1, featureCount: 2)
        if case .some = p.rankScorer { Issue.record("rank tables built with a NaN threshold") }
        if ScoringLayout(p) != nil { Issue.record("level-by-level layout built with a NaN threshold") }
        let x = FeatureMatrix(columns: [[1, .nan, -5, 0.5, 7], [0, 1, .nan, 0.5, 0.6]])
        #expect(p.predict(x, into: 1) == p.predictReference(x))
        #expect(p.predict(x, into: 1) == [40, 20, 60, 40, 60])
        // Enough rows for the block kernels: still the walk's answers.
        let many = FeatureMatrix(columns: [(0..<600).map { Double($0 % 7) - 2 }, (0..<600).map { Double($0 % 5) * 0.3 }])
        #expect(p.predict(many, into: 2) == p.predictReference(many))
    }

    /// A leaf shared by two nodes, and a leaf no node reaches (possible only in a hand-made
    /// file): every scoring form that takes the ensemble scores it as the reference walk does.
    @Test func sharedAndUnreachedLeavesFollowTheReferenceWalk() {
        var t = Tree()
        t.feature = [0, 1]; t.threshold = [0.5, 0.25]; t.defaultLeft = [false, true]
        t.leftCategories = [[], []]; t.left = [~0, ~0]; t.right = [1, ~1]; t.gain = [1, 1]
        let x = FeatureMatrix(columns: [(0..<600).map { Double($0 % 7) / 6 }, (0..<600).map { $0 % 11 == 0 ? .nan : Double($0 % 5) / 4 }])
        for leaves in [[10, 20, 99], [10, 20]] as [[Double]] {
            t.leafValue = leaves
            let p = TreePredictor(trees: [t, t], base: 0, scale: 1, featureCount: 2)
            // With the unreached leaf the slots still add up; without it, one slot too few.
            #expect((ScoringLayout(p) == nil) == (leaves.count == 2))
            let reference = p.predictReference(x)
            #expect(Set(reference) == [20, 40])
            for (name, scores) in p.scoresByEveryPath(x) { #expect(scores == reference, "\(name)") }
            #expect(p.predict(x, into: 2) == reference)
        }
    }

    /// Stumps over thousands of features: each group of trees splits on a few of them, so the
    /// features it does not use share one row. Past the size bound (a key map per group over every
    /// feature's thresholds) the tables give way to the layout. Both score like the reference walk.
    @Test(arguments: [2_000, 20_000])
    func stumpsOverManyFeatures(features: Int) {
        let trees = (0..<features).map { f -> Tree in
            var t = Tree()
            t.feature = [Int32(f)]; t.threshold = [0.5]; t.defaultLeft = [f % 2 == 0]; t.leftCategories = [[]]; t.gain = [1]
            t.left = [~0]; t.right = [~1]; t.leafValue = [Double(f % 7), -Double(f % 5)]
            return t
        }
        let p = TreePredictor(trees: trees, base: 0, scale: 1, featureCount: features)
        var rng = SeededGenerator(seed: UInt64(features))
        let x = FeatureMatrix(columns: (0..<features).map { _ in (0..<3).map { _ in rng.unit() < 0.1 ? Double.nan : rng.unit() } })
        let reference = p.predictReference(x)
        #expect((p.rankScorer != nil) == (features == 2_000))
        #expect(p.predict(x, into: 1) == reference)
        for (name, scores) in p.scoresByEveryPath(x) { #expect(scores == reference, "\(name)") }
    }

    @Test func singleLeafTree() {
        var t = Tree()
        t.leafValue = [2.5]
        let p = TreePredictor(trees: [t, t], base: 1, scale: 0.5, featureCount: 3)
        let x = FeatureMatrix(rows: 2, columns: 3, values: [Double](repeating: 0, count: 6))
        #expect(p.predict(x, into: 2) == [3.5, 3.5])
        // No node at all: the rank-mask kernels see no used feature and an empty remap.
        let paths = p.scoresByEveryPath(x)
        #expect(paths.contains { $0.0.hasPrefix("32-bit") })
        for (name, scores) in paths { #expect(scores == [3.5, 3.5], "\(name)") }
    }
}

extension TreePredictor {
    func predict(_ x: FeatureMatrix, into threads: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.rows)
        out.withUnsafeMutableBufferPointer { predict(x, into: $0, threads: threads) }
        return out
    }

    /// Scores from every scoring form this ensemble has, on one and two workers: the
    /// level-by-level layout, and the rank-mask tables through the portable and (when the CPU has
    /// it) the AVX2 kernel, in blocks of `blockRows` rows.
    func scoresByEveryPath(_ x: FeatureMatrix, blockRows: Int? = nil) -> [(String, [Double])] {
        func run(_ body: (UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
            var out = [Double](repeating: .nan, count: x.rows)
            out.withUnsafeMutableBufferPointer { body($0) }
            return out
        }
        var kernels: [KernelVariant] = [.portable]
        if plumb_cpu_has_avx2() != 0 { kernels.append(.avx2) }
        var results: [(String, [Double])] = []
        for workers in [1, 2] {
            if let layout = ScoringLayout(self) {
                results.append(("layout, \(workers) workers", run { layout.predict(x, into: $0, workers: workers, base: base, scale: scale) }))
            }
            for kernel in kernels {
                let name = "\(kernel), \(workers) workers"
                if let t = RankMaskTables<UInt32>(self) {
                    results.append(("32-bit tables, " + name, run { t.predict(x, into: $0, workers: workers, base: base, scale: scale, kernel: kernel, blockRows: blockRows) }))
                }
                if let t = RankMaskTables<UInt64>(self) {
                    results.append(("64-bit tables, " + name, run { t.predict(x, into: $0, workers: workers, base: base, scale: scale, kernel: kernel, blockRows: blockRows) }))
                }
            }
        }
        return results
    }
}

private extension Double {
    var nanToZero: Double { isNaN ? 0 : self }
}
