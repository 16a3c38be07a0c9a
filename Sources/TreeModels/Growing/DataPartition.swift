import CTreeKernels

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

    /// Starts over with one leaf holding `rows`, in the buffers already allocated (when no copy
    /// of this partition is alive, nothing is allocated or copied besides the rows).
    public mutating func reset(rows: [Int32]) {
        if indices.count == rows.count {
            indices.withUnsafeMutableBufferPointer { ib in rows.withUnsafeBufferPointer { ib.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
        } else {
            indices = rows
            scratch = [Int32](repeating: 0, count: rows.count)
        }
        begin.removeAll(keepingCapacity: true); begin.append(0)
        count.removeAll(keepingCapacity: true); count.append(rows.count)
    }

    public var leafCount: Int { begin.count }

    /// Splits `leaf`: rows whose bin in `column` has `goesLeft[bin]` stay in `leaf`, the rest
    /// form a new leaf (index = previous leaf count).
    /// - Returns: the new (right) leaf's index.
    @discardableResult
    public mutating func split(leaf: Int, column: UnsafeBufferPointer<UInt8>, goesLeft: [Bool], threads: Int = 1) -> Int {
        split(leaf: leaf, column: column, rule: .table(goesLeft), threads: threads)
    }

    /// Splits `leaf` by `rule`: its left rows stay in `leaf`, the rest form a new leaf (index =
    /// previous leaf count), both in their order. A large leaf is split in `threads` pieces at
    /// once, then the pieces' left and right runs are joined in order: the same result as one pass.
    /// - Parameters:
    ///   - column: the split feature's bins, one per matrix row (readable 3 bytes past the end,
    ///     as `BinnedMatrix` columns are).
    /// - Returns: the new (right) leaf's index.
    @discardableResult
    public mutating func split(leaf: Int, column: UnsafeBufferPointer<UInt8>, rule: PartitionRule, threads: Int = 1,
                               kernel: KernelVariant = .automatic) -> Int {
        let b = begin[leaf], n = count[leaf]
        let pieces = n >= Self.parallelRows ? max(1, min(threads, 8)) : 1
        var nl = 0
        indices.withUnsafeMutableBufferPointer { idx in
            scratch.withUnsafeMutableBufferPointer { tmp in
                let ix = idx, tp = tmp
                // Piece p: rows [lo, hi) of the leaf; its left rows stay at lo…, right rows go
                // to tmp[lo - b]….
                withUnsafeTemporaryAllocation(of: Int.self, capacity: pieces) { lefts in
                    let nLeft = lefts
                    parallelFor(pieces, threads: pieces) { p in
                        let lo = b + n * p / pieces, hi = b + n * (p + 1) / pieces
                        nLeft[p] = rule.partition(ix.baseAddress! + lo, count: hi - lo, right: tp.baseAddress! + (lo - b),
                                                  column: column.baseAddress!, kernel: kernel)
                    }
                    // Join: the pieces' left runs moved up against each other, then every right run.
                    var at = b
                    for p in 0..<pieces {
                        let lo = b + n * p / pieces
                        if at != lo { (ix.baseAddress! + at).update(from: ix.baseAddress! + lo, count: nLeft[p]) }
                        at += nLeft[p]
                    }
                    nl = at - b
                    for p in 0..<pieces {
                        let lo = b + n * p / pieces, hi = b + n * (p + 1) / pieces
                        let nr = hi - lo - nLeft[p]
                        (ix.baseAddress! + at).update(from: tp.baseAddress! + (lo - b), count: nr)
                        at += nr
                    }
                }
            }
        }
        count[leaf] = nl
        begin.append(b + nl)
        count.append(n - nl)
        return begin.count - 1
    }

    /// Leaves at least this large are split by several threads.
    static let parallelRows = 1 << 16

    /// Whether `leaf` holds at least `k` distinct rows (its rows sorted, repeats side by side).
    public func hasDistinctRows(_ leaf: Int, atLeast k: Int) -> Bool {
        withRows(of: leaf) { rows in
            guard !rows.isEmpty else { return k <= 0 }
            var distinct = 1
            for i in 1..<rows.count where rows[i] != rows[i - 1] {
                distinct += 1
                if distinct >= k { return true }
            }
            return distinct >= k
        }
    }

    /// Calls `body` with the row indices of `leaf`.
    public func withRows<R>(of leaf: Int, _ body: (UnsafeBufferPointer<Int32>) -> R) -> R {
        indices.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[begin[leaf]..<(begin[leaf] + count[leaf])])) }
    }
}

/// Which of a leaf's rows go left, by their bin of the split feature.
public enum PartitionRule: Sendable {
    /// Bins up to `bin` go left, and the missing bin when `missingLeft` (numeric splits).
    case threshold(bin: Int, missingBin: Int, missingLeft: Bool)
    /// Rows with `goesLeft[bin]` go left (an entry for every bin the column holds).
    case table([Bool])

    /// Stable partition of `rows[0 ..< m]`: left rows stay at the front (in order), right rows go
    /// to `right` (in order). Returns the number of left rows.
    func partition(_ rows: UnsafeMutablePointer<Int32>, count m: Int, right: UnsafeMutablePointer<Int32>,
                   column: UnsafePointer<UInt8>, kernel: KernelVariant) -> Int {
        switch self {
        case .threshold(let bin, let missingBin, let missingLeft):
            return plumb_partition_threshold(rows, m, right, column, bin, missingBin, missingLeft ? 1 : 0, kernel.rawValue)
        case .table(let goesLeft):
            return goesLeft.withUnsafeBufferPointer { table in
                var nl = 0, nr = 0
                // Branch-free: write to both sides, advance one (the side is unpredictable).
                for k in 0..<m {
                    let r = rows[k]
                    let goLeft = table[Int(column[Int(r)])] ? 1 : 0
                    rows[nl] = r
                    right[nr] = r
                    nl += goLeft
                    nr += 1 - goLeft
                }
                return nl
            }
        }
    }
}
