/// One row-index array for every node of a tree: each leaf owns a `[begin, begin+count)` range.
///
/// Splitting a leaf partitions its range in place (left rows first, both sides keep their
/// order), so the result is deterministic. Row indices may repeat (bootstrap samples).
public struct DataPartition: Sendable {
    public var indices: [Int32]
    public var begin: [Int]
    public var count: [Int]
    private var scratch: [Int32]

    /// Starts with one leaf holding `rows`.
    public init(rows: [Int32]) {
        indices = rows
        begin = [0]
        count = [rows.count]
        scratch = [Int32](repeating: 0, count: rows.count)
    }

    public var leafCount: Int { begin.count }

    /// Splits `leaf`: rows whose bin in `column` has `goesLeft[bin]` stay in `leaf`, the rest
    /// form a new leaf (index = previous leaf count).
    /// - Returns: the new (right) leaf's index.
    @discardableResult
    public mutating func split(leaf: Int, column: UnsafeBufferPointer<UInt8>, goesLeft: [Bool]) -> Int {
        let b = begin[leaf], n = count[leaf]
        var nl = 0
        goesLeft.withUnsafeBufferPointer { table in
            indices.withUnsafeMutableBufferPointer { idx in
                scratch.withUnsafeMutableBufferPointer { tmp in
                    var nr = 0
                    // Branch-free: write to both sides, advance one (the side is unpredictable).
                    for k in b..<(b + n) {
                        let r = idx[k]
                        let goLeft = table[Int(column[Int(r)])] ? 1 : 0
                        idx[b + nl] = r
                        tmp[nr] = r
                        nl += goLeft
                        nr += 1 - goLeft
                    }
                    for k in 0..<nr { idx[b + nl + k] = tmp[k] }
                }
            }
        }
        count[leaf] = nl
        begin.append(b + nl)
        count.append(n - nl)
        return begin.count - 1
    }

    /// Calls `body` with the row indices of `leaf`.
    public func withRows<R>(of leaf: Int, _ body: (UnsafeBufferPointer<Int32>) -> R) -> R {
        indices.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[begin[leaf]..<(begin[leaf] + count[leaf])])) }
    }
}
