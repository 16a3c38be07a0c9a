import CTreeKernels
import MLCore

/// The scoring form of an ensemble of small trees (at most 64 leaves each, no categorical
/// split): the bit-vector traversal of QuickScorer (Lucchese et al., SIGIR 2015), with its
/// per-feature node lists folded into small dense tables.
///
/// The leaves of every tree are numbered left to right. A row that goes right at a node cannot
/// reach a leaf of that node's left subtree, so the node's mask clears those leaves' bits. After
/// the masks of every node the row goes right at are ANDed together, the row's leaf is the lowest
/// set bit: each leaf left of it lies in the left subtree of a node on its path where it went
/// right.
///
/// Trees go in groups of one vector's words (8 trees of 32-bit masks, 4 of 64-bit). Whether a row
/// goes right at a node of a group depends only on the rank of its value among that group's
/// distinct thresholds of the node's feature, so for every group, feature and local rank the AND
/// of the masks of the group's nodes the row goes right at is one vector: `table[group][feature]
/// [rank]`, plus a vector for a missing value. A row's rank among the feature's thresholds over
/// the whole ensemble is found once (one branch-free binary search per feature); a small map per
/// group turns it into the group's local row. Scoring a row over a group is then one map lookup
/// and one vector load per feature, the ANDs, and a count of trailing zeros per tree. A group's
/// map and tables are a few kilobytes, so they stay in L1 while a block of rows goes through
/// them (one table for the whole ensemble indexed by global rank is megabytes and every load
/// misses L1). Leaves add their value in tree order, as the reference walk does, so scores are
/// bit-identical to it.
// @unchecked: owns `table`, an allocation written only in init and read-only afterwards.
final class RankMaskTables<Mask: FixedWidthInteger & UnsignedInteger & SIMDScalar>: @unchecked Sendable {
    /// Upper bound on the tables' size; beyond it the level-by-level layout scores instead.
    static var maximumBytes: Int { 48 << 20 }
    /// Rows that go through every group together: their keys (4 bytes per used feature, about
    /// 32 KB: 256 to 2,048 rows) and sums stay in L2 while the groups' tables pass. Each block
    /// streams every table once (hundreds of kilobytes for a large ensemble, from L3), so a
    /// 1,000-row request with few features is one block: 1.4% faster than two blocks of 512 in
    /// a harness over the 500-tree California tables.
    static func blockRows(used: Int) -> Int { max(256, min(2048, (32 << 10) / (4 * max(1, used)))) }
    var blockRows: Int { Self.blockRows(used: used.count) }
    /// Fewer rows than this per worker are not worth a second thread.
    static var minimumRowsPerWorker: Int { 128 }
    /// Bytes of one table row: one 32-byte vector of mask words.
    static var vectorBytes: Int { 32 }
    /// Trees per group: the words of one vector.
    static var lanes: Int { vectorBytes / MemoryLayout<Mask>.stride }

    let featureCount: Int
    let trees: Int
    /// Leaf slots per tree in `leafValue` (the largest leaf count).
    let leafStride: Int
    /// Features some node splits on, in increasing order.
    let used: [Int]
    /// Distinct thresholds of used feature u over every tree, ascending:
    /// `thresholds[thresholdStart[u] ..< thresholdStart[u+1]]`.
    let thresholds: [Double]
    let thresholdStart: [Int]
    /// A row's key for used feature u is `thresholdStart[u] + 2u + rank` (rank `count + 1` when
    /// missing); `remap[group × keyCount + key]` is the row, in vectors, of the group's table
    /// it selects. `keyCount = thresholds.count + 2 × used.count`.
    let keyCount: Int
    let remap: [UInt16]
    /// Group g's table starts at `table + groupStart[g]` (in words; a multiple of `lanes`). Every
    /// row is one vector, aligned to 32 bytes, so no load straddles two cache lines.
    let table: UnsafeMutableBufferPointer<Mask>
    let groupStart: [Int]
    /// Leaf value of tree t, leaf position p (left to right): `leafValue[t × leafStride + p]`.
    let leafValue: [Double]

    deinit { UnsafeMutableRawPointer(table.baseAddress!).deallocate() }

    /// nil when a tree has more leaves than `Mask` has bits, a node is categorical, or the tables
    /// would be too large.
    init?(_ p: TreePredictor) {
        // NaN thresholds (only in a hand-made file) have no rank: the general walk handles them.
        guard !p.flags.contains(where: { $0 & TreePredictor.categoricalFlag != 0 }),
              !p.threshold.contains(where: { $0.isNaN }) else { return nil }
        let T = p.treeCount, nf = p.featureCount, L = Self.lanes
        // Leaf positions: an in-order walk of each tree gives every node the range of leaf
        // positions its left subtree covers.
        var leftRange = [(Int32, Int32)](repeating: (0, 0), count: p.feature.count)
        var leafPosition: [[Int32]] = []   // per tree, leaf index in p.leafValue by position
        leafPosition.reserveCapacity(T)
        // Nodes of each tree, in the order the walk meets them.
        var treeNodes: [[Int]] = []
        treeNodes.reserveCapacity(T)
        for root in p.treeRoot {
            var order: [Int32] = [], nodes: [Int] = []
            // Returns the first leaf position after the subtree of `node`.
            func visit(_ node: Int32) -> Int32 {
                if node < 0 { order.append(~node); return Int32(order.count) }
                nodes.append(Int(node))
                let first = Int32(order.count)
                let mid = visit(p.left[Int(node)])
                leftRange[Int(node)] = (first, mid)
                return visit(p.right[Int(node)])
            }
            _ = visit(root)
            guard order.count <= Mask.bitWidth else { return nil }
            leafPosition.append(order)
            treeNodes.append(nodes)
        }
        let stride = max(1, leafPosition.map(\.count).max() ?? 1)
        var leafValue = [Double](repeating: 0, count: T * stride)
        for t in 0..<T { for (pos, leaf) in leafPosition[t].enumerated() { leafValue[t * stride + pos] = p.leafValue[Int(leaf)] } }

        // Distinct thresholds per used feature over the whole ensemble.
        var byFeature = [[Double]](repeating: [], count: nf)
        for nodes in treeNodes { for k in nodes { byFeature[Int(p.feature[k])].append(p.threshold[k]) } }
        let used = (0..<nf).filter { !byFeature[$0].isEmpty }
        var usedIndex = [Int](repeating: -1, count: nf)
        for (u, f) in used.enumerated() { usedIndex[f] = u }
        var thresholds: [Double] = [], thresholdStart = [0]
        for f in used {
            let values = byFeature[f].sorted()
            for v in values where thresholds.count == thresholdStart.last! || thresholds.last != v { thresholds.append(v) }
            thresholdStart.append(thresholds.count)
        }
        let U = used.count, keyCount = thresholds.count + 2 * U
        // Global rank of a node's threshold: its index among the feature's distinct thresholds.
        func globalRank(_ k: Int) -> Int {
            let u = usedIndex[Int(p.feature[k])]
            var a = thresholdStart[u], b = thresholdStart[u + 1]
            while a < b { let mid = (a + b) / 2; if thresholds[mid] < p.threshold[k] { a = mid + 1 } else { b = mid } }
            return a - thresholdStart[u]
        }
        func mask(_ k: Int) -> Mask {
            let (a, b) = leftRange[k]
            return ~(((Mask(1) << Mask(b - a)) &- 1) << Mask(a))
        }

        // Per group: the local rows of every used feature (above each of the group's thresholds
        // of it, then missing), and the map from global key to local row. Row 0 is all ones: the
        // row of every value below the group's first threshold, of a missing value no node sends
        // right, and of every key of a feature the group does not split on (the map's zeros).
        let groups = (T + L - 1) / L
        guard groups * keyCount * MemoryLayout<UInt16>.stride <= Self.maximumBytes else { return nil }
        var remap = [UInt16](repeating: 0, count: groups * keyCount)
        var groupStart: [Int] = [], groupRows: [[[Mask]]] = []   // per group, per row, L words
        groupStart.reserveCapacity(groups)
        var totalWords = 0
        let allOnes = [Mask](repeating: .max, count: L)
        for g in 0..<groups {
            let t0 = g * L, t1 = min(T, t0 + L)
            // Nodes of the group per used feature, with their global ranks.
            var nodesOf = [Int: [(rank: Int, node: Int, lane: Int)]]()
            for t in t0..<t1 { for k in treeNodes[t] { nodesOf[usedIndex[Int(p.feature[k])], default: []].append((globalRank(k), k, t - t0)) } }
            var rows: [[Mask]] = [allOnes]
            // At most two rows per node of the group (and row 0), so the map's UInt16 always suffices.
            for u in nodesOf.keys.sorted() {   // in feature order: the same layout every time
                let nodes = nodesOf[u]!.sorted { $0.rank < $1.rank }
                let count = thresholdStart[u + 1] - thresholdStart[u]
                let keyBase = g * keyCount + thresholdStart[u] + 2 * u
                // Global rank r means the value is above exactly the first r thresholds: the row
                // of rank r is the row of rank r-1 AND the masks of the nodes at threshold r-1.
                var current = allOnes
                var localRow = 0
                var i = 0
                for rank in 0...count {
                    if rank > 0, i < nodes.count, nodes[i].rank == rank - 1 {
                        while i < nodes.count, nodes[i].rank == rank - 1 { current[nodes[i].lane] &= mask(nodes[i].node); i += 1 }
                        localRow = rows.count
                        rows.append(current)
                    }
                    remap[keyBase + rank] = UInt16(localRow)
                }
                var missing = allOnes
                for n in nodes where p.flags[n.node] & TreePredictor.defaultLeftFlag == 0 { missing[n.lane] &= mask(n.node) }
                if missing != allOnes {
                    remap[keyBase + count + 1] = UInt16(rows.count)
                    rows.append(missing)
                }
            }
            groupStart.append(totalWords)
            totalWords += rows.count * L
            groupRows.append(rows)
        }
        guard totalWords * MemoryLayout<Mask>.stride <= Self.maximumBytes else { return nil }

        let table = UnsafeMutableBufferPointer(
            start: UnsafeMutableRawPointer.allocate(byteCount: max(1, totalWords) * MemoryLayout<Mask>.stride, alignment: Self.vectorBytes)
                .bindMemory(to: Mask.self, capacity: max(1, totalWords)),
            count: totalWords)
        for (g, rows) in groupRows.enumerated() {
            for (r, words) in rows.enumerated() {
                for l in 0..<L { (table.baseAddress! + groupStart[g] + r * L + l).initialize(to: words[l]) }
            }
        }
        self.featureCount = nf
        self.trees = T
        self.leafStride = stride
        self.used = used
        self.thresholds = thresholds
        self.thresholdStart = thresholdStart
        self.keyCount = keyCount
        self.remap = remap
        self.table = table
        self.groupStart = groupStart
        self.leafValue = leafValue
    }

    /// Scores every row of `x` with the C kernel (`CTreeKernels`), blocks of `blockRows` rows over
    /// `workers`. `kernel` picks the portable or the AVX2 variant (tests compare the two).
    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, workers: Int,
                 base: Double, scale: Double, kernel: KernelVariant = .automatic, blockRows: Int? = nil) {
        let blockRows = blockRows ?? self.blockRows
        let n = x.rows
        // Contiguous row ranges, one per worker, each scored in blocks by the kernel.
        let ranges = max(1, min(workers, n / Self.minimumRowsPerWorker))
        let wide: Int32 = Mask.bitWidth == 64 ? 1 : 0
        let tb = table
        x.values.withUnsafeBufferPointer { xv in
        used.withUnsafeBufferPointer { usedFeature in
        thresholds.withUnsafeBufferPointer { th in
        thresholdStart.withUnsafeBufferPointer { ths in
        remap.withUnsafeBufferPointer { rm in
        groupStart.withUnsafeBufferPointer { gs in
        leafValue.withUnsafeBufferPointer { lv in
            let tables = plumb_rank_tables(
                trees: trees, used: used.count, leaf_stride: leafStride, block_rows: max(1, blockRows), key_count: keyCount,
                used_feature: usedFeature.baseAddress, thresholds: th.baseAddress, threshold_start: ths.baseAddress,
                remap: rm.baseAddress, group_start: gs.baseAddress, table: UnsafeRawPointer(tb.baseAddress), leaf_value: lv.baseAddress)
            let out = output
            withUnsafePointer(to: tables) { tp in
                parallelChunks(n, chunks: ranges) { _, range in
                    let begin = range.lowerBound, end = range.upperBound
                    let status = plumb_rank_tables_score(tp, wide, kernel.rawValue, xv.baseAddress, n, begin, end,
                                                         base, scale, out.baseAddress)
                    precondition(status == 0, "tree scoring: out of memory for \(blockRows) rows of scratch space")
                }
            }
        }}}}}}}
    }
}

/// Which build of a C kernel (scoring, threshold scan) runs: the same results either way; tests run both.
public enum KernelVariant: Int32, Sendable {
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
                 kernel: KernelVariant = .automatic) {
        switch self {
        case .narrow(let t): t.predict(x, into: output, workers: workers, base: base, scale: scale, kernel: kernel)
        case .wide(let t): t.predict(x, into: output, workers: workers, base: base, scale: scale, kernel: kernel)
        }
    }
}
