import MLCore
import Tabular

/// Finished trees waiting for their turn to be merged, and the next tree number to hand out.
private struct TreeQueue<T: Sendable>: Sendable {
    var nextTree = 0
    var merged = 0
    var pending: [Int: T] = [:]
}

/// The steps every forest fit shares, whatever its trees: parameters, scheduling, bootstrap,
/// out-of-bag routing.
extension RandomForest {
    /// Checks the parameters and that categorical features name columns of the matrix.
    static func checkParameters(_ p: ForestParameters, columns: Int) throws {
        try p.validate()
        for c in p.categoricalFeatures where c >= columns {
            throw TreeModelsError(code: .invalidParameter, message: "forest parameter categorical_features names feature \(c), but the matrix has \(columns) features (0...\(columns - 1))")
        }
    }

    /// Grows trees `0..<count` on `workers` threads and hands them to `merge` strictly in tree
    /// order. Each worker takes the next tree number as soon as it is free (no batch barrier);
    /// `grow(worker, tree)` must depend only on the tree number, so the model is the same on any
    /// number of threads. At most a few trees wait for merging.
    static func growInTreeOrder<T: Sendable>(count: Int, workers: Int, grow: (_ worker: Int, _ tree: Int) -> T,
                                             merge: (T) -> Void) {
        let queue = Locked(TreeQueue<T>())
        parallelFor(workers, threads: workers) { w in
            while true {
                let t = queue.withLock { q in
                    defer { q.nextTree += 1 }
                    return q.nextTree
                }
                guard t < count else { return }
                let tree = grow(w, t)
                queue.withLock { q in
                    q.pending[t] = tree
                    while let next = q.pending.removeValue(forKey: q.merged) {
                        merge(next)
                        q.merged += 1
                    }
                }
            }
        }
    }

    /// A bootstrap sample of `n` rows: `n` draws with replacement, sorted (repeats side by
    /// side), and whether each row was drawn.
    static func bootstrapSample(rows n: Int, rng: inout SeededGenerator) -> (rows: [Int32], inBag: [Bool]) {
        var counts = [Int32](repeating: 0, count: n)
        for _ in 0..<n { counts[rng.below(n)] += 1 }
        var rows: [Int32] = []
        rows.reserveCapacity(n)
        for i in 0..<n where counts[i] > 0 { for _ in 0..<counts[i] { rows.append(Int32(i)) } }
        return (rows, counts.map { $0 > 0 })
    }

    /// The rows left out of a tree's bootstrap sample and the leaf each reaches. Routed by bins:
    /// a row's bins sit together (one cache line), its raw values a column apart.
    static func outOfBagLeaves(_ grown: GrownTree, inBag: [Bool], binned: BinnedMatrix) -> [(row: Int, leaf: Int)] {
        let outOfBag = inBag.indices.compactMap { inBag[$0] ? nil : Int32($0) }
        var leaves = [Int32](repeating: 0, count: outOfBag.count)
        outOfBag.withUnsafeBufferPointer { ob in
            leaves.withUnsafeMutableBufferPointer { lb in
                if let out = lb.baseAddress { grown.leaves(rows: ob, of: binned, into: out) }
            }
        }
        return zip(outOfBag, leaves).map { (Int($0), Int($1)) }
    }
}
