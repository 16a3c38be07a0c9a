import MLCore

/// A grown tree with the partition of the training rows it was grown on: leaf `l`'s rows are
/// `partition` leaf `l`. Leaf values are −G/(H+λ), not yet shrunk.
public struct GrownTree: Sendable {
    public var tree: Tree
    public var partition: DataPartition
    /// Per internal node: the last value bin going left, or -1 for a categorical split. A row of
    /// the binned matrix goes left when its bin is at most this (the missing bin follows
    /// `defaultLeft`), exactly as its raw value compares with the node's threshold.
    public var thresholdBins: [Int32]

    /// The leaf each of the binned matrix's rows `rows` reaches, into `out`: the same leaf as
    /// `tree.leaf` on the row's raw values, for matrices binned with the mappers the tree was
    /// grown on (`mappers`). Numeric splits compare bins with `thresholdBins`; categorical ones
    /// look the bin up in the set of their left levels' bins. Eight rows at a time: their walks
    /// interleave, so one row's loads are under way while another's wait.
    /// - Parameters:
    ///   - rows: row indices; nil = every row in order.
    public func leaves(rows: UnsafeBufferPointer<Int32>?, of binned: BinnedMatrix, into out: UnsafeMutablePointer<Int32>) {
        let root = tree.root, stride = binned.features, bins = binned.rowBins
        let count = rows?.count ?? binned.rows
        let missingBins = binned.mappers.map { Int32($0.missingBin) }
        // Per categorical node: 256 flags, does a row with this bin go left?
        var leftBins: [Bool] = []
        var table = [Int32](repeating: -1, count: tree.nodeCount)
        for k in 0..<tree.nodeCount where thresholdBins[k] < 0 {
            let mapper = binned.mappers[Int(tree.feature[k])]
            table[k] = Int32(leftBins.count / 256)
            leftBins += (0..<256).map { b in b < mapper.valueBinCount && tree.leftCategories[k].contains(Int32(mapper.categories[b])) }
        }
        tree.feature.withUnsafeBufferPointer { fe in
        tree.left.withUnsafeBufferPointer { le in
        tree.right.withUnsafeBufferPointer { ri in
        tree.defaultLeft.withUnsafeBufferPointer { dl in
        thresholdBins.withUnsafeBufferPointer { tb in
        table.withUnsafeBufferPointer { tables in
        leftBins.withUnsafeBufferPointer { lb in
        missingBins.withUnsafeBufferPointer { mb in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { node in
            var i = 0
            while i < count {
                let k = min(8, count - i)
                for j in 0..<k { node[j] = root }
                var moving = root >= 0
                while moving {
                    moving = false
                    for j in 0..<k where node[j] >= 0 {
                        let n = Int(node[j]), f = Int(fe[n])
                        let r = rows.map { Int($0[i + j]) } ?? (i + j)
                        let b = Int32(bins[r * stride + f])
                        let goLeft: Bool
                        if b == mb[f] {
                            goLeft = dl[n]
                        } else if tb[n] >= 0 {
                            goLeft = b <= tb[n]
                        } else {
                            goLeft = lb[Int(tables[n]) * 256 + Int(b)]
                        }
                        let next = goLeft ? le[n] : ri[n]
                        node[j] = next
                        moving = moving || next >= 0
                    }
                }
                for j in 0..<k { out[i + j] = ~node[j] }
                i += k
            }
        }}}}}}}}}
    }

    /// Adds each leaf's value to `scores[r]` for the rows `rows` of `binned` (nil: every row).
    func addLeafValues(rows: [Int32]?, of binned: BinnedMatrix, to scores: UnsafeMutableBufferPointer<Double>) {
        let count = rows?.count ?? binned.rows
        var leaves = [Int32](repeating: 0, count: count)
        leaves.withUnsafeMutableBufferPointer { lb in
            if let rows {
                rows.withUnsafeBufferPointer { leavesOf($0, binned, lb.baseAddress!) }
            } else {
                leavesOf(nil, binned, lb.baseAddress!)
            }
        }
        for i in 0..<count { scores[Int(rows?[i] ?? Int32(i))] += tree.leafValue[Int(leaves[i])] }
    }

    private func leavesOf(_ rows: UnsafeBufferPointer<Int32>?, _ binned: BinnedMatrix, _ out: UnsafeMutablePointer<Int32>) {
        leaves(rows: rows, of: binned, into: out)
    }
}
