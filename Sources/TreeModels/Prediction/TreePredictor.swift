import MLCore

/// An ensemble compiled for scoring: every tree's nodes in shared struct-of-arrays form.
///
/// Node `k` (global over the ensemble): go left when `x[feature[k]] <= threshold[k]`, NaN follows
/// flag bit 0 (default left). Categorical nodes (flag bit 1) go left when the integer code is in
/// the bitset `categoryWords[categoryStart[c] ..< categoryStart[c+1]]`, `c = Int(threshold[k])`.
/// Children ≥ 0 are nodes, < 0 are leaves `~index` into `leafValue`.
/// Output of a row: `base + scale × Σ_t leaf_t`, trees summed in order.
public struct TreePredictor: Sendable, Equatable {
    public static func == (a: TreePredictor, b: TreePredictor) -> Bool {
        a.featureCount == b.featureCount && a.base == b.base && a.scale == b.scale && a.treeRoot == b.treeRoot
            && a.feature == b.feature && a.threshold == b.threshold && a.left == b.left && a.right == b.right
            && a.flags == b.flags && a.leafValue == b.leafValue && a.categoryStart == b.categoryStart && a.categoryWords == b.categoryWords
            && a.nodeCover == b.nodeCover && a.leafCover == b.leafCover
    }

    public var featureCount: Int
    public var base: Double
    public var scale: Double
    public var treeRoot: [Int32] = []
    public var feature: [Int32] = []
    public var threshold: [Double] = []
    public var left: [Int32] = []
    public var right: [Int32] = []
    public var flags: [UInt8] = []
    public var leafValue: [Double] = []
    public var categoryStart: [Int32] = [0]
    public var categoryWords: [UInt32] = []
    /// Training rows that reached each node and each leaf (see `Tree.nodeCover`), for TreeSHAP.
    /// Kept only while every tree appended had covers: a tree without them empties both arrays,
    /// and from then on their lengths never again match the nodes' and leaves' (`hasCover`).
    public var nodeCover: [Double] = []
    public var leafCover: [Double] = []
    /// The scoring forms derived from the arrays above, rebuilt whenever trees are added or
    /// decoded. `rankScorer` (trees of at most 64 leaves, no categorical node) scores any number
    /// of rows; otherwise `layout` (no categorical node; built only without `rankScorer`) scores
    /// blocks, and the plain walk below scores the rest.
    var layout: ScoringLayout?
    var rankScorer: RankMaskScorer?

    static let defaultLeftFlag: UInt8 = 1
    static let categoricalFlag: UInt8 = 2

    /// Rows scored together: every tree is applied to a block before moving on (cache locality).
    static let blockRows = 128
    /// Below this many rows the plain walk scores faster than the level-by-level layout.
    static let layoutMinimumRows = 16

    public var treeCount: Int { treeRoot.count }

    /// Whether every node and leaf has its cover (path-dependent TreeSHAP needs them).
    public var hasCover: Bool { nodeCover.count == feature.count && leafCover.count == leafValue.count }

    /// Compiles fitted trees.
    public init(trees: [Tree], base: Double, scale: Double, featureCount: Int) {
        self.featureCount = featureCount
        self.base = base
        self.scale = scale
        for t in trees { appendArrays(t) }
        compileScoringForms()
    }

    /// Appends one tree to the ensemble.
    public mutating func append(_ t: Tree) {
        appendArrays(t)
        compileScoringForms()
    }

    private mutating func compileScoringForms() {
        rankScorer = RankMaskScorer(self)
        // The layout only scores ensembles the tables cannot take: no need to build both.
        layout = rankScorer == nil ? ScoringLayout(self) : nil
    }

    private mutating func appendArrays(_ t: Tree) {
        if hasCover && t.hasCover {
            nodeCover.append(contentsOf: t.nodeCover)
            leafCover.append(contentsOf: t.leafCover)
        } else {
            nodeCover = []; leafCover = []
        }
        let nodeBase = Int32(feature.count), leafBase = Int32(leafValue.count)
        func remap(_ c: Int32) -> Int32 { c >= 0 ? c + nodeBase : ~(~c + leafBase) }
        treeRoot.append(remap(t.root))
        for k in 0..<t.nodeCount {
            feature.append(t.feature[k])
            left.append(remap(t.left[k]))
            right.append(remap(t.right[k]))
            var f: UInt8 = t.defaultLeft[k] ? Self.defaultLeftFlag : 0
            if t.leftCategories[k].isEmpty {
                threshold.append(t.threshold[k])
            } else {
                f |= Self.categoricalFlag
                threshold.append(Double(categoryStart.count - 1))
                let maxCode = Int(t.leftCategories[k].max() ?? 0)
                var words = [UInt32](repeating: 0, count: maxCode / 32 + 1)
                for c in t.leftCategories[k] { words[Int(c) / 32] |= 1 << UInt32(Int(c) % 32) }
                categoryWords.append(contentsOf: words)
                categoryStart.append(Int32(categoryWords.count))
            }
            flags.append(f)
        }
        leafValue.append(contentsOf: t.leafValue)
    }

    /// The same trees with other leaf values (one per leaf, in `leafValue`'s order), e.g. another
    /// class's frequencies: the node arrays are shared (copy on write), the scoring forms rebuilt.
    public func withLeafValues(_ values: [Double]) -> TreePredictor {
        precondition(values.count == leafValue.count, "withLeafValues: \(values.count) values for \(leafValue.count) leaves")
        var p = self
        p.leafValue = values
        p.compileScoringForms()
        return p
    }

    /// Keeps only the first `n` trees.
    public func truncated(to n: Int) -> TreePredictor {
        if n >= treeCount { return self }
        var trees: [Tree] = []
        trees.reserveCapacity(n)
        for t in 0..<n { trees.append(extractTree(t)) }
        return TreePredictor(trees: trees, base: base, scale: scale, featureCount: featureCount)
    }

    /// Rebuilds tree `t` in `Tree` form (node and leaf indices local to the tree).
    public func extractTree(_ t: Int) -> Tree {
        var tree = Tree()
        var nodeMap: [Int32: Int32] = [:], leafMap: [Int32: Int32] = [:]
        var order: [Int32] = []
        // Breadth-first over internal nodes gives root = 0.
        var queue: [Int32] = [treeRoot[t]]
        var leaves: [Int32] = []
        var qi = 0
        while qi < queue.count {
            let n = queue[qi]; qi += 1
            if n < 0 { leafMap[n] = Int32(leaves.count); leaves.append(~n); continue }
            nodeMap[n] = Int32(order.count); order.append(n)
            queue.append(left[Int(n)]); queue.append(right[Int(n)])
        }
        func local(_ c: Int32) -> Int32 { c >= 0 ? (nodeMap[c] ?? 0) : ~(leafMap[c] ?? 0) }
        for n in order {
            let k = Int(n)
            tree.feature.append(feature[k])
            tree.left.append(local(left[k])); tree.right.append(local(right[k]))
            tree.defaultLeft.append(flags[k] & Self.defaultLeftFlag != 0)
            tree.gain.append(0)
            if flags[k] & Self.categoricalFlag != 0 {
                tree.threshold.append(0)
                let c = Int(threshold[k])
                var codes: [Int32] = []
                for w in Int(categoryStart[c])..<Int(categoryStart[c + 1]) {
                    for bit in 0..<32 where categoryWords[w] & (1 << UInt32(bit)) != 0 {
                        codes.append(Int32((w - Int(categoryStart[c])) * 32 + bit))
                    }
                }
                tree.leftCategories.append(codes)
            } else {
                tree.threshold.append(threshold[k]); tree.leftCategories.append([])
            }
        }
        tree.leafValue = leaves.map { leafValue[Int($0)] }
        if hasCover {
            tree.nodeCover = order.map { nodeCover[Int($0)] }
            tree.leafCover = leaves.map { leafCover[Int($0)] }
        }
        return tree
    }

    /// Is integer code `x` in categorical set `c`?
    @inlinable func inCategorySet(_ c: Int, _ x: Double) -> Bool {
        guard x >= 0, x < 2_147_483_647 else { return false }
        let code = Int(x)
        guard Double(code) == x else { return false }
        let w = Int(categoryStart[c]) + code / 32
        guard w < Int(categoryStart[c + 1]) else { return false }
        return categoryWords[w] & (1 << UInt32(code % 32)) != 0
    }

    /// Scores every row of `x` into `output`, blocks of rows over `threads` workers.
    /// - Precondition: `x.columns == featureCount`, `output.count == x.rows`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        precondition(x.columns == featureCount, "TreePredictor: \(x.columns) columns, model has \(featureCount) features")
        precondition(output.count == x.rows, "TreePredictor: output holds \(output.count), matrix has \(x.rows) rows")
        let n = x.rows
        if let rankScorer {
            // It splits rows over workers itself (at least `minimumRowsPerWorker` each).
            rankScorer.predict(x, into: output, workers: max(1, threads), base: base, scale: scale)
            return
        }
        let blocks = (n + Self.blockRows - 1) / Self.blockRows
        let workers = blocks >= 4 ? max(1, threads) : 1
        // A handful of rows (a single-row request) cannot fill the level-by-level pipeline, and
        // walking to the leaf stops earlier than descending every tree to its deepest level.
        if let layout, n >= Self.layoutMinimumRows {
            layout.predict(x, into: output, workers: workers, base: base, scale: scale)
            return
        }
        let base = self.base, scale = self.scale, bs = Self.blockRows
        // Flag bits as locals: static lets go through a lazy-init accessor in the hot loop.
        let catFlag = Self.categoricalFlag, dlFlag = Self.defaultLeftFlag
        x.values.withUnsafeBufferPointer { xv in
            treeRoot.withUnsafeBufferPointer { roots in
            feature.withUnsafeBufferPointer { fe in
            threshold.withUnsafeBufferPointer { th in
            left.withUnsafeBufferPointer { le in
            right.withUnsafeBufferPointer { ri in
            flags.withUnsafeBufferPointer { fl in
            leafValue.withUnsafeBufferPointer { lv in
                let out = output
                parallelChunks(blocks, chunks: workers) { _, range in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: bs) { acc in
                        for blk in range {
                            let r0 = blk * bs, r1 = min(n, r0 + bs)
                            for i in 0..<(r1 - r0) { acc[i] = 0 }
                            for root in roots {
                                for r in r0..<r1 {
                                    var node = root
                                    while node >= 0 {
                                        let k = Int(node)
                                        let v = xv[Int(fe[k]) &* n &+ r]
                                        let f = fl[k]
                                        let goLeft: Bool
                                        if f & catFlag == 0 {
                                            goLeft = v <= th[k] || (v.isNaN && f & dlFlag != 0)
                                        } else {
                                            goLeft = v.isNaN ? f & dlFlag != 0 : inCategorySet(Int(th[k]), v)
                                        }
                                        node = goLeft ? le[k] : ri[k]
                                    }
                                    acc[r - r0] += lv[Int(~node)]
                                }
                            }
                            for r in r0..<r1 { out[r] = base + scale * acc[r - r0] }
                        }
                    }
                }
            }}}}}}}
        }
    }

    /// Plain reference: one row at a time, a recursive walk per tree, trees summed in order.
    public func predictReference(_ x: FeatureMatrix) -> [Double] {
        func walk(_ node: Int32, _ r: Int) -> Double {
            if node < 0 { return leafValue[Int(~node)] }
            let k = Int(node)
            let v = x[r, Int(feature[k])]
            let goLeft: Bool
            if v.isNaN {
                goLeft = flags[k] & Self.defaultLeftFlag != 0
            } else if flags[k] & Self.categoricalFlag != 0 {
                goLeft = inCategorySet(Int(threshold[k]), v)
            } else {
                goLeft = v <= threshold[k]
            }
            return walk(goLeft ? left[k] : right[k], r)
        }
        return (0..<x.rows).map { r in
            var acc = 0.0
            for root in treeRoot { acc += walk(root, r) }
            return base + scale * acc
        }
    }
}

extension TreePredictor {
    /// Writes the flat arrays; with `cover`, the node and leaf covers after them (the caller's
    /// payload version says which: files written before covers have none).
    /// - Precondition: `hasCover` when `cover`.
    public func encode(to w: inout BinaryWriter, cover: Bool = false) {
        w.write(Int64(featureCount)); w.write(base); w.write(scale)
        w.write(array: treeRoot); w.write(array: feature); w.write(array: threshold)
        w.write(array: left); w.write(array: right); w.write(array: flags)
        w.write(array: leafValue); w.write(array: categoryStart); w.write(array: categoryWords)
        if cover {
            precondition(hasCover, "TreePredictor.encode(cover: true) without covers")
            w.write(array: nodeCover); w.write(array: leafCover)
        }
    }

    /// Reads what `encode(to:cover:)` wrote (`cover` as it was written) and checks every index is
    /// in range, and that covers are finite, non-negative, one per node and leaf.
    public static func decode(from r: inout BinaryReader, cover: Bool = false) throws -> TreePredictor {
        var p = TreePredictor(trees: [], base: 0, scale: 1, featureCount: 0)
        p.featureCount = Int(try r.read(Int64.self)); p.base = try r.readDouble(); p.scale = try r.readDouble()
        p.treeRoot = try r.readArray(); p.feature = try r.readArray(); p.threshold = try r.readArray()
        p.left = try r.readArray(); p.right = try r.readArray(); p.flags = try r.readArray()
        p.leafValue = try r.readArray(); p.categoryStart = try r.readArray(); p.categoryWords = try r.readArray()
        let nodes = p.feature.count, leaves = p.leafValue.count
        guard p.featureCount >= 0, p.threshold.count == nodes, p.left.count == nodes, p.right.count == nodes, p.flags.count == nodes,
              !p.categoryStart.isEmpty, Int(p.categoryStart.last ?? 0) == p.categoryWords.count else {
            throw ModelFileError(code: .corrupt, message: "tree ensemble arrays have inconsistent lengths")
        }
        func ok(_ c: Int32) -> Bool { c >= 0 ? Int(c) < nodes : Int(~c) < leaves }
        for k in 0..<nodes {
            guard ok(p.left[k]), ok(p.right[k]), p.feature[k] >= 0, Int(p.feature[k]) < p.featureCount,
                  p.left[k] < 0 || Int(p.left[k]) > k, p.right[k] < 0 || Int(p.right[k]) > k else {
                throw ModelFileError(code: .corrupt, message: "tree node \(k) has an out-of-range feature or child")
            }
            if p.flags[k] & categoricalFlag != 0 {
                let c = p.threshold[k]
                guard c >= 0, c < Double(p.categoryStart.count - 1), c == c.rounded() else {
                    throw ModelFileError(code: .corrupt, message: "tree node \(k) refers to a missing category set")
                }
            }
        }
        for root in p.treeRoot where !ok(root) {
            throw ModelFileError(code: .corrupt, message: "tree root \(root) is out of range")
        }
        if cover {
            p.nodeCover = try r.readArray(); p.leafCover = try r.readArray()
            guard p.hasCover, (p.nodeCover + p.leafCover).allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw ModelFileError(code: .corrupt, message: "tree ensemble covers: \(p.nodeCover.count) node and \(p.leafCover.count) leaf covers for \(nodes) nodes and \(leaves) leaves, or a negative or non-finite one")
            }
        }
        p.compileScoringForms()
        return p
    }
}
