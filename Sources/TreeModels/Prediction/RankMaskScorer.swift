import CTreeKernels
import MLCore

/// The scoring form of an ensemble of small trees (at most 64 leaves each, no categorical
/// split): the bit-vector traversal of QuickScorer (Lucchese et al., SIGIR 2015), with its
/// per-feature node lists folded into dense tables.
///
/// The leaves of every tree are numbered left to right. A row that goes right at a node cannot
/// reach a leaf of that node's left subtree, so the node's mask clears those leaves' bits. After
/// the masks of every node the row goes right at are ANDed together, the row's leaf is the lowest
/// set bit: each leaf left of it lies in the left subtree of a node on its path where it went
/// right.
///
/// Whether a row goes right at a node depends only on the rank of its value among the distinct
/// thresholds of that feature (right at the j-th threshold exactly when more than j thresholds are
/// below the value). So for every feature and every rank the AND of the masks of all nodes the
/// row goes right at is computed once, one word per tree: `table_f[rank][tree]`, plus a row for a
/// missing value (the masks of the nodes that send missing values right). Scoring a row is then
/// one binary search per feature, `features × trees` ANDs over contiguous words, and a count of
/// trailing zeros per tree. Leaves add their value in tree order, as the reference walk does, so
/// scores are bit-identical to it.
final class RankMaskTables<Mask: FixedWidthInteger & UnsignedInteger & SIMDScalar>: @unchecked Sendable {
    /// Upper bound on the tables' size; beyond it the level-by-level layout scores instead.
    static var maximumBytes: Int { 48 << 20 }
    /// Rows scored together over one chunk of trees: each chunk's table columns come into L2 once
    /// per block, so larger blocks reuse them more (the block's table-row offsets stay small).
    static var blockRows: Int { 1024 }
    /// Fewer rows than this per worker are not worth a second thread.
    static var minimumRowsPerWorker: Int { 128 }
    /// Target size of one chunk of trees' table columns (half the L2 cache of a core here).
    static var chunkBytes: Int { 512 << 10 }

    let featureCount: Int
    let trees: Int
    /// Leaf slots per tree in `leafValue` (the largest leaf count).
    let leafStride: Int
    /// Features some node splits on, in increasing order.
    let used: [Int]
    /// Distinct thresholds of used feature u, ascending: `thresholds[thresholdStart[u] ..< thresholdStart[u+1]]`.
    let thresholds: [Double]
    let thresholdStart: [Int]
    /// Table of used feature u, rank r (the missing row is `rank = count + 1`), tree t:
    /// `table[tableStart[u] + r × trees + t]`.
    let table: [Mask]
    let tableStart: [Int]
    /// Leaf value of tree t, leaf position p (left to right): `leafValue[t × leafStride + p]`.
    let leafValue: [Double]
    /// Trees per chunk: a chunk's table columns for every feature fit in L2.
    let chunkTrees: Int

    /// nil when a tree has more leaves than `Mask` has bits, a node is categorical, or the tables
    /// would be too large. `chunkBytes` sets the trees per chunk (tests make chunks small).
    init?(_ p: TreePredictor, chunkBytes: Int = RankMaskTables.chunkBytes) {
        // NaN thresholds (only in a hand-made file) have no rank: the general walk handles them.
        guard !p.flags.contains(where: { $0 & TreePredictor.categoricalFlag != 0 }),
              !p.threshold.contains(where: { $0.isNaN }) else { return nil }
        let T = p.treeCount, nf = p.featureCount
        // Leaf positions: an in-order walk of each tree gives every node the range of leaf
        // positions its left subtree covers.
        var leftRange = [(Int32, Int32)](repeating: (0, 0), count: p.feature.count)
        var leafPosition: [[Int32]] = []   // per tree, leaf index in p.leafValue by position
        leafPosition.reserveCapacity(T)
        for root in p.treeRoot {
            var order: [Int32] = []
            // Returns the first leaf position after the subtree of `node`.
            func visit(_ node: Int32) -> Int32 {
                if node < 0 { order.append(~node); return Int32(order.count) }
                let first = Int32(order.count)
                let mid = visit(p.left[Int(node)])
                leftRange[Int(node)] = (first, mid)
                return visit(p.right[Int(node)])
            }
            _ = visit(root)
            guard order.count <= Mask.bitWidth else { return nil }
            leafPosition.append(order)
        }
        let stride = max(1, leafPosition.map(\.count).max() ?? 1)
        var leafValue = [Double](repeating: 0, count: T * stride)
        for t in 0..<T { for (pos, leaf) in leafPosition[t].enumerated() { leafValue[t * stride + pos] = p.leafValue[Int(leaf)] } }

        // The tree of every node: nodes of tree t are those reachable from its root.
        var nodeTree = [Int32](repeating: 0, count: p.feature.count)
        for (t, root) in p.treeRoot.enumerated() {
            var stack = [root]
            while let node = stack.popLast() {
                guard node >= 0 else { continue }
                nodeTree[Int(node)] = Int32(t)
                stack.append(p.left[Int(node)]); stack.append(p.right[Int(node)])
            }
        }
        var byFeature = [[Int]](repeating: [], count: nf)
        for k in 0..<p.feature.count { byFeature[Int(p.feature[k])].append(k) }
        let used = (0..<nf).filter { !byFeature[$0].isEmpty }
        var thresholds: [Double] = [], thresholdStart = [0], tableStart: [Int] = []
        var tableCount = 0
        for f in used {
            var values = byFeature[f].map { p.threshold[$0] }
            values.sort()
            var distinct: [Double] = []
            for v in values where distinct.last != v { distinct.append(v) }
            thresholds += distinct
            thresholdStart.append(thresholds.count)
            tableStart.append(tableCount)
            tableCount += (distinct.count + 2) * T
        }
        guard tableCount * MemoryLayout<Mask>.stride <= Self.maximumBytes else { return nil }

        var table = [Mask](repeating: .max, count: tableCount)
        table.withUnsafeMutableBufferPointer { tb in
            for (u, f) in used.enumerated() {
                let lo = thresholdStart[u], m = thresholdStart[u + 1] - lo
                // Nodes grouped by threshold rank; row r+1 = row r AND the masks of rank r's nodes.
                var nodesAt = [[Int]](repeating: [], count: m)
                for k in byFeature[f] {
                    var a = lo, b = lo + m   // binary search: first distinct threshold ≥ node's
                    while a < b { let mid = (a + b) / 2; if thresholds[mid] < p.threshold[k] { a = mid + 1 } else { b = mid } }
                    nodesAt[a - lo].append(k)
                }
                let base = tableStart[u]
                func mask(_ k: Int) -> Mask {
                    let (a, b) = leftRange[k]
                    return ~(((Mask(1) << Mask(b - a)) &- 1) << Mask(a))
                }
                for r in 0..<m {
                    let src = base + r * T, dst = src + T
                    for t in 0..<T { tb[dst + t] = tb[src + t] }
                    for k in nodesAt[r] { tb[dst + Int(nodeTree[k])] &= mask(k) }
                }
                let missingRow = base + (m + 1) * T
                for k in byFeature[f] where p.flags[k] & TreePredictor.defaultLeftFlag == 0 {
                    tb[missingRow + Int(nodeTree[k])] &= mask(k)
                }
            }
        }
        let columnBytes = max(1, (tableCount / max(1, T)) * MemoryLayout<Mask>.stride)
        self.featureCount = nf
        self.trees = T
        self.leafStride = stride
        self.used = used
        self.thresholds = thresholds
        self.thresholdStart = thresholdStart
        self.table = table
        self.tableStart = tableStart
        self.leafValue = leafValue
        self.chunkTrees = max(8, min(T, chunkBytes / columnBytes) / 8 * 8)
    }

    /// Scores every row of `x` with the C kernel (`CTreeKernels`), blocks of rows over `workers`.
    /// `kernel` picks the portable or the AVX2 variant (tests compare the two).
    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, workers: Int,
                 base: Double, scale: Double, kernel: ScoringKernel = .automatic) {
        let n = x.rows, bs = Self.blockRows
        // Contiguous row ranges, one per worker, each scored in blocks by the kernel.
        let ranges = max(1, min(workers, n / Self.minimumRowsPerWorker))
        let wide: Int32 = Mask.bitWidth == 64 ? 1 : 0
        x.values.withUnsafeBufferPointer { xv in
        used.withUnsafeBufferPointer { usedFeature in
        thresholds.withUnsafeBufferPointer { th in
        thresholdStart.withUnsafeBufferPointer { ths in
        tableStart.withUnsafeBufferPointer { tbs in
        table.withUnsafeBufferPointer { tb in
        leafValue.withUnsafeBufferPointer { lv in
            let tables = plumb_rank_tables(
                trees: trees, used: used.count, leaf_stride: leafStride, chunk_trees: chunkTrees, block_rows: bs,
                used_feature: usedFeature.baseAddress, thresholds: th.baseAddress, threshold_start: ths.baseAddress,
                table_start: tbs.baseAddress, table: UnsafeRawPointer(tb.baseAddress), leaf_value: lv.baseAddress)
            let out = output
            withUnsafePointer(to: tables) { tp in
                let shared = UnsafeSendableBox(tp)
                parallelChunks(n, chunks: ranges) { _, range in
                    let begin = range.lowerBound, end = range.upperBound
                    let status = plumb_rank_tables_score(shared.value, wide, kernel.rawValue, xv.baseAddress, n, begin, end,
                                                         base, scale, out.baseAddress)
                    precondition(status == 0, "tree scoring: out of memory for \(bs) rows of scratch space")
                }
            }
        }}}}}}}
    }
}

/// Which build of the C scoring kernel runs (tests run both).
enum ScoringKernel: Int32 {
    case automatic = -1, portable = 0, avx2 = 1
}

/// The two word sizes of `RankMaskTables`: 32 leaves (the default 31-leaf trees) or 64.
enum RankMaskScorer: Sendable {
    case narrow(RankMaskTables<UInt32>)
    case wide(RankMaskTables<UInt64>)

    init?(_ p: TreePredictor) {
        // Cheap early out for forests of deep trees: more than 63 nodes per tree on average means
        // some tree has more than 64 leaves.
        guard p.treeCount > 0, p.feature.count <= 63 * p.treeCount else { return nil }
        if let t = RankMaskTables<UInt32>(p) { self = .narrow(t) } else if let t = RankMaskTables<UInt64>(p) { self = .wide(t) } else { return nil }
    }

    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, workers: Int, base: Double, scale: Double,
                 kernel: ScoringKernel = .automatic) {
        switch self {
        case .narrow(let t): t.predict(x, into: output, workers: workers, base: base, scale: scale, kernel: kernel)
        case .wide(let t): t.predict(x, into: output, workers: workers, base: base, scale: scale, kernel: kernel)
        }
    }
}
