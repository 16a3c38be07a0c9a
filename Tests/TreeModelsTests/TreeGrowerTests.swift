import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct TreeGrowerTests {
    /// Friedman #1 with missing values and a categorical feature (codes 0...5) in column 10.
    static func data(rows: Int) throws -> (BinnedMatrix, [Float]) {
        let (x0, y) = TestData.friedman1(rows: rows, seed: 21)
        var cols = (0..<x0.columns).map { f in (0..<rows).map { i in i % 17 == f ? Double.nan : x0[i, f] } }
        cols.append((0..<rows).map { i in i % 23 == 0 ? .nan : Double(Int(x0[i, 0] * 6)) })
        let binned = try BinnedMatrix(FeatureMatrix(columns: cols), maxBins: 255, categorical: [10])
        let mean = y.reduce(0, +) / Double(rows)
        return (binned, y.map { Float(mean - $0) })
    }

    func grow(_ binned: BinnedMatrix, _ g: [Float], rows: [Int32], maxLeaves: Int?, directRows: Int, threads: Int,
              featuresPerSplit: Int? = nil, rowsAreAll: Bool = false) -> Tree {
        let splitter = Splitter(lambdaL2: 0, minDataInLeaf: 2, minSumHessianInLeaf: 0, minGainToSplit: 0)
        var config = TreeGrowerConfig(maxLeaves: maxLeaves, maxDepth: 9, splitter: splitter)
        config.directSplitRows = directRows
        config.featuresPerSplit = featuresPerSplit
        var rng = SeededGenerator(seed: 5)
        return TreeGrower(binned: binned, config: config, threads: threads)
            .grow(rows: rows, gradients: g, hessians: nil, features: Array(0..<binned.features), rng: &rng, rowsAreAll: rowsAreAll).tree
    }

    /// The root without row indices (the caller vouches the rows are all of them) grows the same tree.
    @Test func rootWithoutRowIndicesGrowsTheSameTree() throws {
        let (binned, g) = try Self.data(rows: 3000)
        let all = (0..<3000).map { Int32($0) }
        for threads in [1, 2] {
            let indexed = grow(binned, g, rows: all, maxLeaves: 31, directRows: 100, threads: threads)
            let identity = grow(binned, g, rows: all, maxLeaves: 31, directRows: 100, threads: threads, rowsAreAll: true)
            #expect(indexed.nodeCount > 20)
            #expect(indexed == identity)
        }
    }

    /// Carrying the root histogram from tree to tree (squared-loss boosting): after each tree the
    /// carried gradient sums equal sums of the new residuals taken from scratch, the counts are
    /// unchanged, and each tree is the one grown from a freshly built root (leaf values within
    /// rounding of the gradients). Missing values and a categorical feature included; small leaves
    /// read row by row.
    @Test(arguments: [1, 2])
    func carriedRootMatchesRebuiltRoot(threads: Int) throws {
        let n = 3000
        let (binned, g0) = try Self.data(rows: n)
        let all = (0..<n).map { Int32($0) }, features = Array(0..<binned.features)
        let splitter = Splitter(lambdaL2: 1, minDataInLeaf: 5, minSumHessianInLeaf: 0, minGainToSplit: 0)
        var config = TreeGrowerConfig(maxLeaves: 15, maxDepth: nil, splitter: splitter)
        config.directSplitRows = 100
        let carrying = TreeGrower(binned: binned, config: config, threads: threads)
        let fresh = TreeGrower(binned: binned, config: config, threads: threads)
        var residual = g0.map { Double($0) }
        var smallLeaves = 0
        for _ in 0..<5 {
            let g = residual.map { Float($0) }
            var rngA = SeededGenerator(seed: 5), rngB = SeededGenerator(seed: 5)
            let a = carrying.grow(rows: all, gradients: g, hessians: nil, features: features, rng: &rngA,
                                  rowsAreAll: true, carryRoot: true)
            let b = fresh.grow(rows: all, gradients: g, hessians: nil, features: features, rng: &rngB, rowsAreAll: true)
            #expect(a.tree.feature == b.tree.feature && a.tree.threshold == b.tree.threshold)
            #expect(a.tree.left == b.tree.left && a.tree.right == b.tree.right && a.tree.defaultLeft == b.tree.defaultLeft)
            #expect(a.tree.leafValue.count == b.tree.leafValue.count)
            // The carried sums are of the Float64 residuals, the fresh ones of their Float32
            // roundings (each within 2⁻²⁴ relative, and |residual| < 32 here).
            for (u, v) in zip(a.tree.leafValue, b.tree.leafValue) { #expect(abs(u - v) <= 2e-6) }

            let values = a.tree.leafValue.map { 0.3 * $0 }
            carrying.advanceCarriedRoot(leafValues: values, partition: a.partition)
            for l in 0..<a.partition.leafCount {
                if a.partition.count[l] <= 100 { smallLeaves += 1 }
                a.partition.withRows(of: l) { rb in for r in rb { residual[Int(r)] += values[l] } }
            }
            var sums = [Double](repeating: 0, count: binned.totalBins), counts = sums
            for i in 0..<n {
                for f in features {
                    let k = binned.binOffsets[f] + Int(binned.bin(row: i, feature: f))
                    sums[k] += residual[i]; counts[k] += 1
                }
            }
            let carried = try #require(carrying.carriedRoot)
            for k in 0..<binned.totalBins {
                #expect(abs(carried.gradient[k] - sums[k]) <= 1e-9 * max(1, counts[k]))
                #expect(carried.count[k] == counts[k] && carried.hessian[k] == counts[k])
            }
        }
        #expect(smallLeaves > 0)
    }

    /// The small-node path (sparse histogram from the rows) finds the same splits, bit for bit,
    /// as dense histograms with subtraction: trees grown either way are equal.
    @Test(arguments: [nil, 31] as [Int?])
    func directPathEqualsHistogramPath(maxLeaves: Int?) throws {
        let (binned, g) = try Self.data(rows: 3000)
        // Bootstrap-like rows: sorted, with repeats.
        var rng = SeededGenerator(seed: 9)
        let rows = (0..<3000).map { _ in Int32(rng.below(3000)) }.sorted()
        for fps in [nil, 4] as [Int?] {
            let histogramOnly = grow(binned, g, rows: rows, maxLeaves: maxLeaves, directRows: 0, threads: 1, featuresPerSplit: fps)
            let directMostly = grow(binned, g, rows: rows, maxLeaves: maxLeaves, directRows: 65_536, threads: 1, featuresPerSplit: fps)
            let mixed = grow(binned, g, rows: rows, maxLeaves: maxLeaves, directRows: 200, threads: 2, featuresPerSplit: fps)
            #expect(histogramOnly.nodeCount > 20)
            #expect(histogramOnly == directMostly)
            #expect(histogramOnly == mixed)
        }
    }

    /// Numeric features only, so every small node goes through the C kernel
    /// (`plumb_sparse_best_split`), with missing values in every feature (both default
    /// directions get chosen): the trees equal those grown from dense histograms, bit for bit,
    /// and routing the training rows by bins reaches the same leaves as the raw-value walk.
    @Test func directKernelEqualsHistogramPathAndBinRouting() throws {
        let n = 3000
        let (x0, y) = TestData.friedman1(rows: n, seed: 33)
        let cols = (0..<x0.columns).map { f in (0..<n).map { i in (i * 7 + f) % 13 == 0 ? Double.nan : x0[i, f] } }
        let x = try FeatureMatrix(columns: cols)
        let binned = try BinnedMatrix(x, maxBins: 63, categorical: [])
        let mean = y.reduce(0, +) / Double(n)
        let g = y.map { Float(mean - $0) }
        var rng = SeededGenerator(seed: 4)
        let rows = (0..<n).map { _ in Int32(rng.below(n)) }.sorted()
        let splitter = Splitter(lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: 0)
        var defaults = Set<Bool>()
        for fps in [nil, 3] as [Int?] {
            var trees: [GrownTree] = []
            for directRows in [0, 65_536] {
                var config = TreeGrowerConfig(maxLeaves: nil, maxDepth: 12, splitter: splitter)
                config.directSplitRows = directRows
                config.featuresPerSplit = fps
                var r = SeededGenerator(seed: 8)
                trees.append(TreeGrower(binned: binned, config: config, threads: 1)
                    .grow(rows: rows, gradients: g, hessians: nil, features: Array(0..<binned.features), rng: &r))
            }
            #expect(trees[0].tree.nodeCount > 500)
            #expect(trees[0].tree == trees[1].tree)
            let t = trees[1]
            defaults.formUnion(t.tree.defaultLeft)
            #expect(!t.thresholdBins.contains(-1))
            // Every row in order, then 1,003 rows in another order (groups of eight, one partial).
            for batch in [(0..<n).map { Int32($0) }, (0..<1003).map { Int32(($0 * 37) % n) }] {
                var leaves = [Int32](repeating: -1, count: batch.count)
                batch.withUnsafeBufferPointer { bb in
                    leaves.withUnsafeMutableBufferPointer { lb in
                        t.leaves(rows: bb, of: binned, into: lb.baseAddress!)
                    }
                }
                for (r, l) in zip(batch, leaves) { #expect(Int(l) == t.tree.leaf { x[Int(r), $0] }) }
            }
        }
        #expect(defaults == [false, true])
    }

    /// With `countsDistinctRows`, a node's rows drawn several times count once against
    /// `minRowsToSplit` (scikit-learn's min_samples_split under bootstrap): ten rows that are four
    /// distinct ones are not split at 5, and are at 4; counting repeats, they are split at 5.
    @Test func minRowsToSplitCanCountDistinctRows() throws {
        let x = try FeatureMatrix(columns: [(0..<8).map { Double($0) }])
        let binned = try BinnedMatrix(x, maxBins: 16, categorical: [])
        let g: [Float] = [-3, -2, -1, 0, 1, 2, 3, 4]
        let rows: [Int32] = [0, 0, 0, 2, 2, 5, 5, 5, 7, 7]
        let splitter = Splitter(lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: 0)
        func leaves(minSplit: Int, distinct: Bool) -> Int {
            var config = TreeGrowerConfig(maxLeaves: nil, maxDepth: nil, splitter: splitter)
            config.minRowsToSplit = minSplit
            config.countsDistinctRows = distinct
            var rng = SeededGenerator(seed: 1)
            return TreeGrower(binned: binned, config: config, threads: 1)
                .grow(rows: rows, gradients: g, hessians: nil, features: [0], rng: &rng).tree.leafValue.count
        }
        #expect(leaves(minSplit: 5, distinct: true) == 1)
        #expect(leaves(minSplit: 4, distinct: true) > 1)
        #expect(leaves(minSplit: 5, distinct: false) > 1)
    }

    /// Hessians given explicitly as all ones take the general paths (gathered pairs, per-feature
    /// dense histograms, the sorted direct search) and grow the same tree as unit hessians.
    @Test(arguments: [1, 2])
    func explicitUnitHessiansGrowTheSameTree(threads: Int) throws {
        let (binned, g) = try Self.data(rows: 3000)
        var rng = SeededGenerator(seed: 9)
        let rows = (0..<3000).map { _ in Int32(rng.below(3000)) }.sorted()
        let splitter = Splitter(lambdaL2: 1, minDataInLeaf: 3, minSumHessianInLeaf: 0, minGainToSplit: 0)
        var config = TreeGrowerConfig(maxLeaves: 31, maxDepth: nil, splitter: splitter)
        config.directSplitRows = 100
        func grow(_ h: [Float]?) -> Tree {
            var r = SeededGenerator(seed: 2)
            return TreeGrower(binned: binned, config: config, threads: threads)
                .grow(rows: rows, gradients: g, hessians: h, features: Array(0..<binned.features), rng: &r).tree
        }
        let unit = grow(nil)
        #expect(unit.nodeCount == 30)
        #expect(grow([Float](repeating: 1, count: 3000)) == unit)
    }

    /// The portable and AVX2 builds of the threshold scans (dense and sparse) grow the same trees,
    /// with and without hessians, small nodes searched from their rows or from histograms.
    @Test(arguments: [0, 100, 65_536])
    func scanKernelsGrowTheSameTrees(directRows: Int) throws {
        let (binned, g) = try Self.data(rows: 3000)
        var rng = SeededGenerator(seed: 19)
        let h = (0..<3000).map { _ in Float(0.1 + rng.unit()) }
        for hessians in [nil, h] {
            var trees: [Tree] = []
            for kernel in [KernelVariant.portable, .avx2] {
                var splitter = Splitter(lambdaL2: 1, minDataInLeaf: 3, minSumHessianInLeaf: 0, minGainToSplit: 0)
                splitter.scanKernel = kernel
                var config = TreeGrowerConfig(maxLeaves: 63, maxDepth: nil, splitter: splitter)
                config.directSplitRows = directRows
                var r = SeededGenerator(seed: 2)
                trees.append(TreeGrower(binned: binned, config: config, threads: 1)
                    .grow(rows: (0..<3000).map { Int32($0) }, gradients: g, hessians: hessians,
                          features: Array(0..<binned.features), rng: &r).tree)
            }
            #expect(trees[0].nodeCount == 62)
            #expect(trees[0] == trees[1])
        }
    }

    /// With hessians, small nodes searched from their rows (sparse, or dense with the categorical
    /// feature) grow the same tree as every node searched from a dense histogram.
    @Test(arguments: [1, 2])
    func hessianDirectPathEqualsHistogramPath(threads: Int) throws {
        let (binned, g) = try Self.data(rows: 3000)
        var rng = SeededGenerator(seed: 23)
        let h = (0..<3000).map { _ in Float(0.05 + rng.unit()) }
        for features in [Array(0..<binned.features), Array(0..<(binned.features - 1))] {
            var trees: [Tree] = []
            for directRows in [0, 65_536] {
                let splitter = Splitter(lambdaL2: 0.5, minDataInLeaf: 2, minSumHessianInLeaf: 1e-3, minGainToSplit: 0)
                var config = TreeGrowerConfig(maxLeaves: 40, maxDepth: nil, splitter: splitter)
                config.directSplitRows = directRows
                var r = SeededGenerator(seed: 3)
                trees.append(TreeGrower(binned: binned, config: config, threads: threads)
                    .grow(rows: (0..<3000).map { Int32($0) }, gradients: g, hessians: h, features: features, rng: &r).tree)
            }
            #expect(trees[0].nodeCount == 39)
            #expect(trees[0] == trees[1])
        }
    }

    /// A numeric threshold rule partitions exactly as its table (portable and AVX-512 builds),
    /// missing rows going either way, with repeats, on pieces that are not whole vectors.
    @Test(arguments: [KernelVariant.portable, .avx2])
    func thresholdPartitionEqualsTable(kernel: KernelVariant) {
        var rng = SeededGenerator(seed: 78)
        let n = 5000
        let column = (0..<n).map { _ in UInt8(rng.below(12)) } + [UInt8](repeating: 0, count: 16)
        for (threshold, missingLeft) in [(0, false), (4, true), (10, false), (10, true), (3, false)] {
            let split = SplitInfo(feature: 0, thresholdBin: threshold, defaultLeft: missingLeft, leftCategoryBins: [], gain: 1,
                                  leftGradient: 0, leftHessian: 0, leftCount: 0, rightGradient: 0, rightHessian: 0, rightCount: 0)
            for m in [0, 1, 15, 16, 17, 1003] {
                let rows = (0..<m).map { _ in Int32(rng.below(n)) }.sorted()
                var a = DataPartition(rows: rows), b = a
                column.withUnsafeBufferPointer { c in
                    let col = UnsafeBufferPointer(rebasing: c[0..<n])
                    a.split(leaf: 0, column: col, rule: split.partitionRule(missingBin: 11), kernel: kernel)
                    b.split(leaf: 0, column: col, goesLeft: split.goesLeftTable(missingBin: 11))
                }
                #expect(a.indices == b.indices && a.count == b.count, "threshold \(threshold), m \(m)")
            }
        }
    }

    /// A leaf large enough to be split by several threads gives the same partition as one pass:
    /// left rows first, both sides in their original order, repeats kept.
    @Test(arguments: [2, 3])
    func parallelPartitionEqualsOnePass(threads: Int) {
        var rng = SeededGenerator(seed: 77)
        let n = DataPartition.parallelRows * 2 + 123
        let rows = (0..<n).map { _ in Int32(rng.below(n)) }.sorted()
        let column = (0..<n).map { _ in UInt8(rng.below(10)) }
        let goesLeft = (0..<11).map { $0 % 3 != 1 }
        var one = DataPartition(rows: rows), many = DataPartition(rows: rows)
        column.withUnsafeBufferPointer { c in
            one.split(leaf: 0, column: c, goesLeft: goesLeft, threads: 1)
            many.split(leaf: 0, column: c, goesLeft: goesLeft, threads: threads)
            // Then a second split of the (still large) left leaf.
            one.split(leaf: 0, column: c, goesLeft: goesLeft.map { !$0 }, threads: 1)
            many.split(leaf: 0, column: c, goesLeft: goesLeft.map { !$0 }, threads: threads)
        }
        #expect(one.indices == many.indices)
        #expect(one.begin == many.begin && one.count == many.count)
        // Every row to one side.
        for side in [true, false] {
            var a = DataPartition(rows: rows), b = DataPartition(rows: rows)
            column.withUnsafeBufferPointer { c in
                a.split(leaf: 0, column: c, goesLeft: [Bool](repeating: side, count: 11), threads: 1)
                b.split(leaf: 0, column: c, goesLeft: [Bool](repeating: side, count: 11), threads: threads)
            }
            #expect(a.indices == b.indices && a.indices == rows)
            #expect(a.count == b.count && a.count == (side ? [n, 0] : [0, n]))
        }
        let expectedLeft = rows.filter { goesLeft[Int(column[Int($0)])] }
        #expect(one.count[0] + one.count[2] == expectedLeft.count)
        #expect(Array(one.indices[(one.begin[1])..<(one.begin[1] + one.count[1])]) == rows.filter { !goesLeft[Int(column[Int($0)])] })
    }
}
