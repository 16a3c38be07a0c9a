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
        let expectedLeft = rows.filter { goesLeft[Int(column[Int($0)])] }
        #expect(one.count[0] + one.count[2] == expectedLeft.count)
        #expect(Array(one.indices[(one.begin[1])..<(one.begin[1] + one.count[1])]) == rows.filter { !goesLeft[Int(column[Int($0)])] })
    }
}
