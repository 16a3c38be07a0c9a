import MLCore

/// The scoring form of a tree ensemble without categorical splits.
///
/// Every tree is renumbered breadth-first so that a node's two children sit side by side
/// (`right = left + 1`), and every leaf becomes a node that loops to itself (threshold +∞,
/// missing goes left). A block of rows then descends one level at a time, `depth[t]` levels for
/// tree `t`, with no data-dependent branch: the next node is `left + (goLeft ? 0 : 1)`, and the
/// rows of a block are independent chains the CPU overlaps. Leaves add their value in tree
/// order, as the reference walk does, so scores are bit-identical to it.
final class ScoringLayout: Sendable {
    /// 16 bytes: the threshold, the feature with the default-left bit on top, the left child.
    struct Node {
        var threshold: Double
        var featureAndDefault: UInt32
        var left: UInt32
    }

    static let defaultLeftBit: UInt32 = 1 << 31
    /// Rows per block: node indices, sums and the block's features (row-major) stay in L1.
    static let blockRows = 256

    let featureCount: Int
    let nodes: [Node]
    /// Leaf value of each node (0 for internal nodes).
    let value: [Double]
    let roots: [UInt32]
    /// Levels to descend in tree t (its deepest leaf).
    let depth: [Int32]

    /// nil when the ensemble has a categorical node or a NaN threshold (the general walk handles
    /// those; `v > NaN` would send values left where the walk sends them right).
    init?(_ p: TreePredictor) {
        guard !p.flags.contains(where: { $0 & TreePredictor.categoricalFlag != 0 }),
              !p.threshold.contains(where: { $0.isNaN }) else { return nil }
        // Every internal node takes its own slot and gives its two children theirs: one slot per
        // node and per leaf, so the sizes are known and the arrays are filled in place.
        let slots = p.feature.count + p.leafValue.count
        var roots: [UInt32] = [], depth: [Int32] = []
        roots.reserveCapacity(p.treeRoot.count); depth.reserveCapacity(p.treeRoot.count)
        // Breadth-first: (old child id, new slot, depth). Slots are allocated in pairs for the
        // children of each internal node.
        var queue: [(Int32, Int, Int32)] = []
        var used = 0, fits = true
        var value: [Double] = []
        let nodes = [Node](unsafeUninitializedCapacity: slots) { nb, nInit in
        value = [Double](unsafeUninitializedCapacity: slots) { vb, vInit in
            p.threshold.withUnsafeBufferPointer { th in
            p.feature.withUnsafeBufferPointer { fe in
            p.flags.withUnsafeBufferPointer { fl in
            p.left.withUnsafeBufferPointer { le in
            p.right.withUnsafeBufferPointer { ri in
            p.leafValue.withUnsafeBufferPointer { lv in
                trees: for root in p.treeRoot {
                    guard used < slots else { fits = false; break trees }
                    queue.removeAll(keepingCapacity: true)
                    queue.append((root, used, 0))
                    roots.append(UInt32(used))
                    used += 1
                    var deepest: Int32 = 0
                    var q = 0
                    while q < queue.count {
                        let (old, slot, d) = queue[q]; q += 1
                        if old < 0 {
                            (nb.baseAddress! + slot).initialize(to: Node(threshold: .infinity, featureAndDefault: Self.defaultLeftBit, left: UInt32(slot)))
                            (vb.baseAddress! + slot).initialize(to: lv[Int(~old)])
                            deepest = max(deepest, d)
                            continue
                        }
                        let k = Int(old)
                        // A node reached twice (possible only in a hand-made file) overflows.
                        guard used + 2 <= slots else { fits = false; break trees }
                        let children = used
                        used += 2
                        let dl = fl[k] & TreePredictor.defaultLeftFlag != 0 ? Self.defaultLeftBit : 0
                        (nb.baseAddress! + slot).initialize(to: Node(threshold: th[k], featureAndDefault: UInt32(fe[k]) | dl, left: UInt32(children)))
                        (vb.baseAddress! + slot).initialize(to: 0)
                        queue.append((le[k], children, d + 1))
                        queue.append((ri[k], children + 1, d + 1))
                    }
                    depth.append(deepest)
                }
            }}}}}}
            // Trivial element types: what was written can be dropped unread.
            vInit = fits && used == slots ? slots : 0
        }
            nInit = value.count
        }
        // Not one slot per node and leaf (nodes shared or unreached): the general walk scores it.
        guard fits && used == slots else { return nil }
        self.featureCount = p.featureCount
        self.nodes = nodes
        self.value = value
        self.roots = roots
        self.depth = depth
    }

    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, workers: Int,
                 base: Double, scale: Double) {
        let n = x.rows, nf = featureCount, bs = Self.blockRows
        let blocks = (n + bs - 1) / bs
        let chunks = blocks >= 2 ? workers : 1
        let dlBit = Self.defaultLeftBit
        x.values.withUnsafeBufferPointer { xv in
        nodes.withUnsafeBufferPointer { nd in
        value.withUnsafeBufferPointer { val in
        roots.withUnsafeBufferPointer { rt in
        depth.withUnsafeBufferPointer { dp in
            let out = output
            parallelChunks(blocks, chunks: chunks) { _, range in
                let rowsX = UnsafeMutablePointer<Double>.allocate(capacity: bs * max(1, nf))
                let idx = UnsafeMutablePointer<UInt32>.allocate(capacity: bs)
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: bs)
                defer { rowsX.deallocate(); idx.deallocate(); acc.deallocate() }
                for blk in range {
                    let r0 = blk * bs, m = min(n, r0 + bs) - r0
                    // The block's rows, row-major: one row's features share a cache line or two.
                    var missing = false
                    for f in 0..<nf {
                        let col = xv.baseAddress! + f * n + r0
                        for i in 0..<m { let v = col[i]; rowsX[i * nf + f] = v; missing = missing || v != v }
                    }
                    for i in 0..<m { acc[i] = 0 }
                    for t in 0..<rt.count {
                        let root = rt[t]
                        for i in 0..<m { idx[i] = root }
                        if missing {
                            for _ in 0..<Int(dp[t]) {
                                for i in 0..<m {
                                    let node = nd[Int(idx[i])]
                                    let fd = node.featureAndDefault
                                    let v = rowsX[i &* nf &+ Int(fd & ~dlBit)]
                                    // Left when v ≤ threshold, or v is missing and the node sends missing left.
                                    let goLeft: UInt32 = (v <= node.threshold ? 1 : 0) | ((v != v ? 1 : 0) & (fd >> 31))
                                    idx[i] = node.left &+ (1 &- goLeft)
                                }
                            }
                        } else {
                            // No missing value in the block: right exactly when v > threshold.
                            for _ in 0..<Int(dp[t]) {
                                for i in 0..<m {
                                    let node = nd[Int(idx[i])]
                                    let v = rowsX[i &* nf &+ Int(node.featureAndDefault & ~dlBit)]
                                    idx[i] = node.left &+ (v > node.threshold ? 1 : 0)
                                }
                            }
                        }
                        for i in 0..<m { acc[i] += val[Int(idx[i])] }
                    }
                    for i in 0..<m { out[r0 + i] = base + scale * acc[i] }
                }
            }
        }}}}}
    }
}
