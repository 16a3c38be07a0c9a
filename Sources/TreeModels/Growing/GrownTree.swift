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

    /// The leaf each of the binned matrix's rows `rows` reaches (every split numeric), into `out`:
    /// the same leaf as `tree.leaf` on the row's raw values. Eight rows at a time: their walks
    /// interleave, so one row's loads are under way while another's wait.
    public func leaves(rows: UnsafeBufferPointer<Int32>, bins: UnsafePointer<UInt8>, stride: Int,
                       missingBins: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Int32>) {
        let root = tree.root
        tree.feature.withUnsafeBufferPointer { fe in
        tree.left.withUnsafeBufferPointer { le in
        tree.right.withUnsafeBufferPointer { ri in
        tree.defaultLeft.withUnsafeBufferPointer { dl in
        thresholdBins.withUnsafeBufferPointer { tb in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { node in
            var i = 0
            while i < rows.count {
                let k = min(8, rows.count - i)
                for j in 0..<k { node[j] = root }
                var moving = root >= 0
                while moving {
                    moving = false
                    for j in 0..<k where node[j] >= 0 {
                        let n = Int(node[j]), f = Int(fe[n])
                        let b = bins[Int(rows[i + j]) * stride + f]
                        let goLeft = b == missingBins[f] ? dl[n] : Int32(b) <= tb[n]
                        let next = goLeft ? le[n] : ri[n]
                        node[j] = next
                        moving = moving || next >= 0
                    }
                }
                for j in 0..<k { out[i + j] = ~node[j] }
                i += k
            }
        }}}}}}
    }
}
