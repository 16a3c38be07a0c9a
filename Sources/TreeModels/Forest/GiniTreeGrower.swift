import MLCore
import Tabular

/// Growth limits of one classification tree (scikit-learn's names).
struct GiniGrowerConfig: Sendable {
    var maxDepth: Int?
    var minSamplesLeaf: Int
    var minSamplesSplit: Int
    /// `minSamplesSplit` counts distinct rows (a bootstrap repeat counts once; rows sorted).
    var countsDistinctRows: Bool
    /// Features drawn per split; nil = all.
    var featuresPerSplit: Int?
}

/// A grown classification tree: its nodes and training partition, and each leaf's class
/// frequencies (`leafFrequencies[l * classCount + c]`; the tree's own `leafValue` is unused).
struct ClassTree: Sendable {
    var grown: GrownTree
    var classCount: Int
    var leafFrequencies: [Double]

    /// The tree with class `c`'s frequency as each leaf's value.
    func tree(ofClass c: Int) -> Tree {
        var t = grown.tree
        t.leafValue = (0..<grown.partition.leafCount).map { leafFrequencies[$0 * classCount + c] }
        return t
    }
}

/// Grows one Gini tree over `classCount` classes, depth-first to purity (or the limits), as
/// scikit-learn's `DepthFirstTreeBuilder` does: search a node on a random feature subset, split
/// it, then its left child's subtree before its right one's. It shares the regression grower's
/// partition (`DataPartition`), node bookkeeping (`TreeGrowth`), feature sampling and
/// bin-space routing (`GrownTree`); only the statistics differ: a `ClassCountHistogram` of the
/// node's sampled features, built in one pass over its rows, and a `GiniSplitter`. One grower
/// per thread; it keeps its histogram from node to node.
final class GiniTreeGrower {
    let binned: BinnedMatrix
    let config: GiniGrowerConfig
    let splitter: GiniSplitter
    private let histogram: ClassCountHistogram
    /// Each matrix row's class index.
    private let classes: [Int32]

    init(binned: BinnedMatrix, classes: [Int32], classCount: Int, config: GiniGrowerConfig) {
        precondition(classes.count == binned.rows)
        self.binned = binned
        self.classes = classes
        self.config = config
        splitter = GiniSplitter(classCount: classCount, minSamplesLeaf: Double(config.minSamplesLeaf))
        histogram = ClassCountHistogram(binned: binned, classCount: classCount)
    }

    var classCount: Int { splitter.classCount }

    /// Grows a tree on `rows` (indices into the binned matrix; repeats allowed, sorted when
    /// `countsDistinctRows`), splitting on `features` (ascending).
    func grow(rows: [Int32], features: [Int], rng: inout SeededGenerator) -> ClassTree {
        let root = classCounts(of: rows)
        var growth = TreeGrowth(partition: DataPartition(rows: rows),
                                leaves: [LeafState(sumGradient: 0, sumHessian: root.total, depth: 0, parent: nil)])
        var counts = [root]
        while let leaf = growth.pending.popLast() {
            guard canSplit(leaf, counts[leaf], growth, features: features),
                  let split = search(leaf, counts[leaf], growth, features: features, rng: &rng) else { continue }
            apply(split, to: leaf, &growth, &counts)
        }
        let frequencies = counts.flatMap(\.frequencies)
        var tree = growth.tree
        // Covers (for TreeSHAP): each leaf's rows, each node the sum of its children (children follow parents).
        tree.leafCover = counts.map(\.total)
        tree.nodeCover = [Double](repeating: 0, count: tree.nodeCount)
        for k in stride(from: tree.nodeCount - 1, through: 0, by: -1) {
            func cover(_ c: Int32) -> Double { c >= 0 ? tree.nodeCover[Int(c)] : tree.leafCover[Int(~c)] }
            tree.nodeCover[k] = cover(tree.left[k]) + cover(tree.right[k])
        }
        return ClassTree(grown: GrownTree(tree: tree, partition: growth.partition, thresholdBins: growth.thresholdBins),
                         classCount: classCount, leafFrequencies: frequencies)
    }

    /// Whether `leaf` may be split: impure, large enough (distinct rows too), not too deep.
    private func canSplit(_ leaf: Int, _ counts: ClassCounts, _ growth: TreeGrowth, features: [Int]) -> Bool {
        if counts.isPure || features.isEmpty { return false }
        if counts.total < Double(max(2 * config.minSamplesLeaf, config.minSamplesSplit, 2)) { return false }
        if let md = config.maxDepth, growth.leaves[leaf].depth >= md { return false }
        if config.countsDistinctRows && !growth.partition.hasDistinctRows(leaf, atLeast: config.minSamplesSplit) { return false }
        return true
    }

    /// The best split of `leaf` over a random sample of `features`: their class counts in one
    /// pass over the leaf's rows, then one scan per feature. Features are searched in the order
    /// drawn, and the first best wins, so ties are broken at random as scikit-learn breaks them
    /// (with every feature searched too, which matters on integer features, where ties are common).
    private func search(_ leaf: Int, _ node: ClassCounts, _ growth: TreeGrowth, features: [Int],
                        rng: inout SeededGenerator) -> GiniSplit? {
        let sampled = Self.draw(config.featuresPerSplit ?? features.count, of: features, rng: &rng)
        growth.partition.withRows(of: leaf) { rows in
            classes.withUnsafeBufferPointer { histogram.accumulate(rows: rows, classes: $0, features: sampled, binned: binned) }
        }
        defer { histogram.clear(features: sampled) }
        var best: GiniSplit? = nil
        for f in sampled {
            if let s = splitter.bestSplit(feature: f, hist: histogram, binned: binned, node: node),
               s.info.gain > (best?.info.gain ?? -.infinity) { best = s }
        }
        return best
    }

    /// Turns `leaf` into an internal node: its left rows stay in `leaf`, the right ones form a
    /// new leaf; the left child is searched next (depth-first).
    private func apply(_ split: GiniSplit, to leaf: Int, _ growth: inout TreeGrowth, _ counts: inout [ClassCounts]) {
        let s = split.info, parent = growth.leaves[leaf]
        let node = growth.recordNode(s, mapper: binned.mappers[s.feature], parent: parent.parent)
        let right = growth.partition.split(leaf: leaf, column: binned.column(s.feature),
                                           rule: s.partitionRule(missingBin: binned.mappers[s.feature].missingBin))
        growth.tree.left.append(~Int32(leaf))
        growth.tree.right.append(~Int32(right))
        let rightCounts = counts[leaf].subtracting(split.left)
        growth.leaves[leaf] = LeafState(sumGradient: 0, sumHessian: split.left.total, depth: parent.depth + 1, parent: (node, true))
        growth.leaves.append(LeafState(sumGradient: 0, sumHessian: rightCounts.total, depth: parent.depth + 1, parent: (node, false)))
        counts[leaf] = split.left
        counts.append(rightCounts)
        growth.pending.append(right)
        growth.pending.append(leaf)
    }

    /// `k` of `features` drawn without replacement, in the order drawn (a partial Fisher-Yates).
    static func draw(_ k: Int, of features: [Int], rng: inout SeededGenerator) -> [Int] {
        var order = features
        let k = min(k, order.count)
        for i in 0..<k { order.swapAt(i, i + rng.below(order.count - i)) }
        return Array(order[0..<k])
    }

    /// Class counts of `rows` (repeats counted).
    private func classCounts(of rows: [Int32]) -> ClassCounts {
        var n = [Double](repeating: 0, count: classCount)
        for r in rows { n[Int(classes[Int(r)])] += 1 }
        return ClassCounts(n)
    }
}
