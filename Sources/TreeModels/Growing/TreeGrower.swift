import MLCore
import Tabular

/// Growth limits of one tree.
public struct TreeGrowerConfig: Sendable {
    /// Leaf-wise best-first up to this many leaves; nil = no limit (grown depth-first to purity).
    public var maxLeaves: Int?
    public var maxDepth: Int?
    /// Nodes with fewer rows are never split (min_samples_split); 2×minDataInLeaf also applies.
    public var minRowsToSplit: Int = 2
    /// `minRowsToSplit` counts distinct rows: a row repeated by a bootstrap sample counts once, as
    /// scikit-learn counts the samples of a node. The rows given to `grow` must then be sorted
    /// (repeats side by side), which a split keeps within each leaf.
    public var countsDistinctRows = false
    /// When set, each split considers this many features drawn at random (random forests).
    public var featuresPerSplit: Int?
    public var splitter: Splitter
    /// Nodes with at most this many rows find their split straight from their rows (a sparse
    /// histogram) instead of a dense one; the result is identical, only the cost differs. nil = automatic.
    public var directSplitRows: Int? = nil

    public init(maxLeaves: Int?, maxDepth: Int?, splitter: Splitter) {
        self.maxLeaves = maxLeaves
        self.maxDepth = maxDepth
        self.splitter = splitter
    }
}

/// Grows one tree, leaf-wise, as LightGBM's serial tree learner does: search the root, then
/// repeatedly pick the leaf with the best split, apply it, and search its two children — the
/// smaller child's histogram built from its rows, the larger one's derived by subtraction from
/// the parent's. `HistogramBuilder` accumulates, `Splitter` searches, `DataPartition` moves rows;
/// the grower only decides what happens when. One grower per thread; it keeps its buffers from
/// tree to tree.
public final class TreeGrower {
    public let binned: BinnedMatrix
    public let config: TreeGrowerConfig
    let builder: HistogramBuilder
    /// Nodes with at most this many rows are searched straight from their rows.
    let directRows: Int
    let scratch: GrowerScratch
    private var pool: [Histogram] = []
    /// Carried root (see `grow(…carryRoot:)`): the next tree's root sums, the features they cover,
    /// and the last tree's leaf histograms (nil for leaves small enough to be searched directly).
    private(set) var carriedRoot: Histogram?
    private var carriedFeatures: [Int] = []
    private var lastLeafHistograms: [Histogram?] = []
    /// The last tree's partition, kept so the next tree reuses its buffers (about 8 bytes a row).
    private var lastPartition: DataPartition?

    public init(binned: BinnedMatrix, config: TreeGrowerConfig, threads: Int) {
        self.binned = binned
        self.config = config
        builder = HistogramBuilder(binned: binned, threads: threads)
        // Up to about twice a feature's bins in rows, a sparse histogram of a node beats a dense
        // one (zeroing, subtracting and scanning every bin); measured on California, 200 trees.
        directRows = min(65_536, config.directSplitRows ?? max(8, 2 * binned.totalBins / max(1, binned.features)))
        scratch = GrowerScratch(binned: binned, threads: builder.threads)
    }

    /// Grows a tree on `rows` (indices into the binned matrix; repeats allowed).
    /// - Parameters:
    ///   - gradients / hessians: one per matrix row; hessians nil = all 1.
    ///   - features: the features this tree may split on (ascending).
    ///   - rng: draws the per-split feature samples when `featuresPerSplit` is set.
    ///   - rowsAreAll: the caller knows `rows` is exactly 0..<binned.rows in order (boosting
    ///     without bagging): the root's histogram then needs no row indices. Same tree either way.
    ///   - carryRoot: squared-loss boosting on every row (unit hessians, `rowsAreAll`). The root's
    ///     histogram is not built from the rows but carried over from the previous call with the
    ///     same features, moved by `advanceCarriedRoot(leafValues:partition:)`; the first call
    ///     builds it. This saves a pass over every row and feature per tree. The carried sums are
    ///     those of the exact (Float64) residuals rather than of their Float32 roundings, so the
    ///     trees may differ from uncarried ones in near-tied splits; they are deterministic either way.
    public func grow(rows: [Int32], gradients: [Float], hessians: [Float]?, features: [Int],
                     rng: inout SeededGenerator, rowsAreAll: Bool = false, carryRoot: Bool = false) -> GrownTree {
        gradients.withUnsafeBufferPointer { g in
            withOptionalBuffer(hessians) { h in
                grow(rows: rows, gradients: g, hessians: h, features: features, rng: &rng, rowsAreAll: rowsAreAll, carryRoot: carryRoot)
            }
        }
    }

    /// `grow` on borrowed gradients and hessians (one per matrix row each).
    func grow(rows: [Int32], gradients: UnsafeBufferPointer<Float>, hessians: UnsafeBufferPointer<Float>?, features: [Int],
              rng: inout SeededGenerator, rowsAreAll: Bool, carryRoot: Bool) -> GrownTree {
        assert(!rowsAreAll || rows.elementsEqual(0..<Int32(binned.rows)), "rowsAreAll with other rows")
        let identityRoot = rowsAreAll && rows.count == binned.rows
        precondition(!carryRoot || (identityRoot && hessians == nil), "carryRoot needs every row in order and unit hessians")
        precondition(gradients.count == binned.rows && (hessians?.count ?? binned.rows) == binned.rows)
        let inputs = GrowthInputs(gradients: gradients, hessians: hessians, features: features, identityRoot: identityRoot,
                                  carryRoot: carryRoot)
        var growth = beginTree(rows: rows, inputs)
        searchRoot(&growth, inputs, rng: &rng)
        while let leaf = nextLeafToSplit(&growth) {
            let (right, parentHistogram) = applySplit(of: leaf, &growth)
            searchChildren(left: leaf, right: right, parentHistogram: parentHistogram, &growth, inputs, rng: &rng)
        }
        return finishTree(growth, inputs)
    }

    // MARK: - Phases of `grow`

    /// A tree with one leaf holding `rows`, in the last tree's partition buffers when possible.
    private func beginTree(rows: [Int32], _ inputs: GrowthInputs) -> TreeGrowth {
        var partition: DataPartition
        if var kept = lastPartition {
            lastPartition = nil   // the caller's copy is usually gone by now: reset reuses the buffers
            kept.reset(rows: rows)
            partition = kept
        } else {
            partition = DataPartition(rows: rows)
        }
        releaseLastLeafHistograms()
        if !inputs.carryRoot || inputs.features != carriedFeatures { release(carriedRoot); carriedRoot = nil }
        let (g, h) = rootSums(rows: rows, inputs)
        let root = LeafState(sumGradient: g, sumHessian: h, depth: 0, parent: nil)
        return TreeGrowth(partition: partition, leaves: [root])
    }

    /// The root's Σg and Σh.
    private func rootSums(rows: [Int32], _ inputs: GrowthInputs) -> (Double, Double) {
        var g = 0.0, h = 0.0
        if let hs = inputs.hessians {
            for r in rows { g += Double(inputs.gradients[Int(r)]); h += Double(hs[Int(r)]) }
            return (g, h)
        }
        if inputs.carryRoot, let carried = carriedRoot, let f = inputs.features.first {
            // The carried root already sums every row's gradient, once per feature.
            for k in binned.binOffsets[f]..<binned.binOffsets[f + 1] { g += carried.gradient[k] }
        } else {
            for r in rows { g += Double(inputs.gradients[Int(r)]) }
        }
        // Unit hessians: their sum is the row count (exact).
        return (g, Double(rows.count))
    }

    /// Searches the root: from the carried histogram, a newly built one, or its rows.
    private func searchRoot(_ growth: inout TreeGrowth, _ inputs: GrowthInputs, rng: inout SeededGenerator) {
        let searched = canSplit(0, growth, inputs)
        guard searched || needsHistogram(0, growth, inputs) else { return }
        let mask = searched ? featureMask(inputs, rng: &rng) : nil
        guard needsHistogram(0, growth, inputs) else {
            if let mask { searchDirect(0, mask: mask, &growth, inputs) }
            return
        }
        let h = takeHistogram(inputs)
        if inputs.carryRoot, let carried = carriedRoot {
            h.copy(from: carried)
            searchDense(&growth, inputs, build: 0, histogram: h, mask: mask, derive: nil, prebuilt: true)
        } else {
            searchDense(&growth, inputs, build: 0, histogram: h, mask: mask, derive: nil)
            if inputs.carryRoot {
                let c = takeHistogram(inputs)
                c.copy(from: h)
                carriedRoot = c
                carriedFeatures = inputs.features
            }
        }
        keepOrRelease(h, of: 0, &growth, inputs)
    }

    /// The leaf to split next: the best gain (ties: the lowest leaf), or, with no leaf limit,
    /// depth-first. nil when the tree is complete.
    private func nextLeafToSplit(_ growth: inout TreeGrowth) -> Int? {
        guard let maxLeaves = config.maxLeaves else {
            while let l = growth.pending.popLast() { if growth.leaves[l].bestSplit != nil { return l } }
            return nil
        }
        guard growth.leaves.count < maxLeaves else { return nil }
        var leaf: Int? = nil, bestGain = -Double.infinity
        for (l, state) in growth.leaves.enumerated() {
            if let s = state.bestSplit, s.gain > bestGain { bestGain = s.gain; leaf = l }
        }
        return leaf
    }

    /// Turns `leaf` into an internal node with its best split: records the node, moves the rows
    /// going right into a new leaf, and gives both children their sums. The left child keeps
    /// the leaf's index.
    /// - Returns: the right child's index and the parent's histogram, if it had one.
    private func applySplit(of leaf: Int, _ growth: inout TreeGrowth) -> (right: Int, parentHistogram: Histogram?) {
        let parent = growth.leaves[leaf]
        guard let s = parent.bestSplit else { preconditionFailure("applySplit on a leaf without a split") }
        let node = growth.recordNode(s, mapper: binned.mappers[s.feature], parent: parent.parent)
        let right = growth.partition.split(leaf: leaf, column: binned.column(s.feature),
                                           rule: s.partitionRule(missingBin: binned.mappers[s.feature].missingBin),
                                           threads: builder.threads, kernel: config.splitter.scanKernel)
        growth.tree.left.append(~Int32(leaf))
        growth.tree.right.append(~Int32(right))
        growth.leaves[leaf] = LeafState(sumGradient: s.leftGradient, sumHessian: s.leftHessian, depth: parent.depth + 1,
                                        parent: (node, true))
        growth.leaves.append(LeafState(sumGradient: s.rightGradient, sumHessian: s.rightHessian, depth: parent.depth + 1,
                                       parent: (node, false)))
        return (right, parent.histogram)
    }

    /// Searches the two children of a split. Children large enough get dense histograms: the
    /// smaller child's built from its rows and the larger one's derived from the parent's in
    /// the same pass; small children are searched from their rows.
    private func searchChildren(left: Int, right: Int, parentHistogram: Histogram?, _ growth: inout TreeGrowth,
                                _ inputs: GrowthInputs, rng: inout SeededGenerator) {
        let canLeft = canSplit(left, growth, inputs), canRight = canSplit(right, growth, inputs)
        let denseLeft = needsHistogram(left, growth, inputs), denseRight = needsHistogram(right, growth, inputs)
        // Masks drawn in (left, right) order whatever the sizes: deterministic.
        let maskLeft = canLeft ? featureMask(inputs, rng: &rng) : nil
        let maskRight = canRight ? featureMask(inputs, rng: &rng) : nil
        let leftSmaller = growth.partition.count[left] <= growth.partition.count[right]
        let (smaller, larger) = leftSmaller ? (left, right) : (right, left)
        let (maskSmaller, maskLarger) = leftSmaller ? (maskLeft, maskRight) : (maskRight, maskLeft)
        let (denseSmaller, denseLarger) = leftSmaller ? (denseLeft, denseRight) : (denseRight, denseLeft)
        if denseLarger, let parentHistogram {
            let h = takeHistogram(inputs)
            searchDense(&growth, inputs, build: smaller, histogram: h, mask: denseSmaller ? maskSmaller : nil,
                        derive: (larger, parentHistogram, maskLarger))
            keepOrRelease(parentHistogram, of: larger, &growth, inputs)
            if denseSmaller { keepOrRelease(h, of: smaller, &growth, inputs) } else { release(h) }
        } else {
            release(parentHistogram)
            for (child, dense, mask) in [(smaller, denseSmaller, maskSmaller), (larger, denseLarger, maskLarger)] where dense {
                let h = takeHistogram(inputs)
                searchDense(&growth, inputs, build: child, histogram: h, mask: mask, derive: nil)
                keepOrRelease(h, of: child, &growth, inputs)
            }
        }
        if let maskLeft, !denseLeft { searchDirect(left, mask: maskLeft, &growth, inputs) }
        if let maskRight, !denseRight { searchDirect(right, mask: maskRight, &growth, inputs) }
        growth.pending.append(right)
        growth.pending.append(left)
    }

    /// Leaf values −G/(H+λ); keeps what the next tree reuses.
    private func finishTree(_ growth: TreeGrowth, _ inputs: GrowthInputs) -> GrownTree {
        if inputs.carryRoot && carriedRoot != nil {
            lastLeafHistograms = growth.leaves.map(\.histogram)
        } else {
            for leaf in growth.leaves { release(leaf.histogram) }
        }
        var tree = growth.tree
        let lambda = config.splitter.lambdaL2
        tree.leafValue = growth.leaves.map { leaf in
            let v = -leaf.sumGradient / (leaf.sumHessian + lambda)
            return v.isFinite ? v : 0
        }
        // Covers: each leaf's rows, each node the sum of its children (children follow parents).
        tree.leafCover = (0..<growth.leaves.count).map { Double(growth.partition.count[$0]) }
        tree.nodeCover = [Double](repeating: 0, count: tree.nodeCount)
        for k in stride(from: tree.nodeCount - 1, through: 0, by: -1) {
            func cover(_ c: Int32) -> Double { c >= 0 ? tree.nodeCover[Int(c)] : tree.leafCover[Int(~c)] }
            tree.nodeCover[k] = cover(tree.left[k]) + cover(tree.right[k])
        }
        lastPartition = growth.partition
        return GrownTree(tree: tree, partition: growth.partition, thresholdBins: growth.thresholdBins)
    }

    // MARK: - Rules

    /// Whether `leaf` may be split at all (sizes, depth, distinct rows).
    func canSplit(_ leaf: Int, _ growth: TreeGrowth, _ inputs: GrowthInputs) -> Bool {
        let n = growth.partition.count[leaf], state = growth.leaves[leaf]
        if n < max(2 * config.splitter.minDataInLeaf, config.minRowsToSplit, 2) { return false }
        if state.sumHessian < 2 * config.splitter.minSumHessianInLeaf { return false }
        if let md = config.maxDepth, state.depth >= md { return false }
        if config.countsDistinctRows && !growth.partition.hasDistinctRows(leaf, atLeast: config.minRowsToSplit) { return false }
        return !inputs.features.isEmpty
    }

    /// Whether `leaf` gets a dense histogram: it is searched (or its counts are needed to carry
    /// the root) and too large to be searched from its rows.
    func needsHistogram(_ leaf: Int, _ growth: TreeGrowth, _ inputs: GrowthInputs) -> Bool {
        (inputs.carryRoot || canSplit(leaf, growth, inputs)) && growth.partition.count[leaf] > directRows
    }

    /// Which feature positions a split search may use (all, or a random sample).
    func featureMask(_ inputs: GrowthInputs, rng: inout SeededGenerator) -> [Bool] {
        let nf = inputs.features.count
        guard let k = config.featuresPerSplit, k < nf else { return [Bool](repeating: true, count: nf) }
        var positions = Array(0..<nf)
        for i in 0..<k { positions.swapAt(i, i + rng.below(nf - i)) }
        var mask = [Bool](repeating: false, count: nf)
        for i in 0..<k { mask[positions[i]] = true }
        return mask
    }

    // MARK: - Histogram pool

    func takeHistogram(_ inputs: GrowthInputs) -> Histogram {
        let h = pool.popLast() ?? Histogram(totalBins: binned.totalBins)
        h.setUnitHessians(inputs.hessians == nil)
        return h
    }

    func release(_ h: Histogram?) { if let h { pool.append(h) } }

    /// Keeps a searched leaf's histogram while it can still serve (a split to come, or the
    /// carried root's next move); otherwise returns it to the pool.
    private func keepOrRelease(_ h: Histogram, of leaf: Int, _ growth: inout TreeGrowth, _ inputs: GrowthInputs) {
        if inputs.carryRoot || growth.leaves[leaf].bestSplit != nil { growth.leaves[leaf].histogram = h } else { release(h) }
    }

    private func releaseLastLeafHistograms() {
        for h in lastLeafHistograms { release(h) }
        lastLeafHistograms = []
    }

    // MARK: - Carried root

    /// Moves the carried root histogram past the tree just grown with `carryRoot`: each row's
    /// gradient grows by its leaf's value (squared loss: g = score − y), so every (feature, bin)
    /// gradient sum grows by Σ over leaves of value × the leaf's rows in that bin.
    /// - Parameters:
    ///   - leafValues: what was added to the scores of each leaf's rows (after shrinkage).
    ///   - partition: the grown tree's partition (its leaves are `leafValues`' leaves).
    /// - Complexity: O(leaves × bins + rows of the small leaves × features).
    public func advanceCarriedRoot(leafValues: [Double], partition: DataPartition) {
        guard let root = carriedRoot else { return }
        precondition(leafValues.count == partition.leafCount && lastLeafHistograms.count == partition.leafCount,
                     "advanceCarriedRoot after a grow(carryRoot: true) of the same tree")
        let nf = carriedFeatures.count, leafHistograms = lastLeafHistograms, builder = self.builder
        // Features in contiguous blocks over the threads; each bin's additions stay in leaf order.
        let workers = partition.indices.count * nf >= 200_000 ? builder.threads : 1
        carriedFeatures.withUnsafeBufferPointer { features in
            parallelFor(workers, threads: workers) { w in
                let block = UnsafeBufferPointer(rebasing: features[(nf * w / workers)..<(nf * (w + 1) / workers)])
                for l in 0..<partition.leafCount where leafValues[l] != 0 {
                    partition.withRows(of: l) { rows in
                        builder.addLeafValue(leafValues[l], histogram: leafHistograms[l], rows: rows, features: block, to: root)
                    }
                }
            }
        }
        releaseLastLeafHistograms()
    }
}

/// What one `grow` call reads, borrowed for its duration.
struct GrowthInputs {
    let gradients: UnsafeBufferPointer<Float>
    /// nil: every hessian is 1.
    let hessians: UnsafeBufferPointer<Float>?
    let features: [Int]
    /// The root's rows are exactly 0..<binned.rows in order.
    let identityRoot: Bool
    let carryRoot: Bool
}

/// One leaf of the tree being grown.
struct LeafState {
    var sumGradient: Double
    var sumHessian: Double
    var depth: Int
    /// The internal node this leaf hangs from and on which side; nil for the root.
    var parent: (node: Int, isLeft: Bool)?
    /// Its dense histogram, while it may still serve.
    var histogram: Histogram? = nil
    /// The best split found; nil when not searched or none qualifies.
    var bestSplit: SplitInfo? = nil

    init(sumGradient: Double, sumHessian: Double, depth: Int, parent: (node: Int, isLeft: Bool)?) {
        self.sumGradient = sumGradient
        self.sumHessian = sumHessian
        self.depth = depth
        self.parent = parent
    }
}

/// The tree being grown: its rows partitioned over the leaves, the leaves, and the nodes so far.
struct TreeGrowth {
    var partition: DataPartition
    var leaves: [LeafState]
    var tree = Tree()
    var thresholdBins: [Int32] = []
    /// Leaves to visit depth-first when the tree has no leaf limit.
    var pending: [Int] = [0]

    init(partition: DataPartition, leaves: [LeafState]) {
        self.partition = partition
        self.leaves = leaves
    }

    /// Appends an internal node for split `s` and links it to its parent.
    /// - Returns: the node's index.
    mutating func recordNode(_ s: SplitInfo, mapper: BinMapper, parent: (node: Int, isLeft: Bool)?) -> Int {
        let node = tree.feature.count
        tree.feature.append(Int32(s.feature))
        tree.defaultLeft.append(s.defaultLeft)
        tree.gain.append(s.gain)
        if s.isCategorical {
            tree.threshold.append(0)
            tree.leftCategories.append(s.leftCategoryBins.map { Int32(mapper.categories[$0]) })
            thresholdBins.append(-1)
        } else {
            tree.threshold.append(mapper.upperBounds[s.thresholdBin])
            tree.leftCategories.append([])
            thresholdBins.append(Int32(s.thresholdBin))
        }
        if let p = parent {
            if p.isLeft { tree.left[p.node] = Int32(node) } else { tree.right[p.node] = Int32(node) }
        }
        return node
    }
}

/// Calls `body` with the array's buffer, or with nil.
func withOptionalBuffer<T, R>(_ a: [T]?, _ body: (UnsafeBufferPointer<T>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0) }
}
