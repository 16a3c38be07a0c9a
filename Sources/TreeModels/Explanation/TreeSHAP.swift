import MLCore

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
/// attribution for tree ensembles", Algorithm 2) over a compiled ensemble.
///
/// A feature left out of a coalition is integrated out the way the trees saw the training data:
/// at a node splitting on it, both branches are followed, each weighted by its share of the
/// node's cover (training rows, `TreePredictor.nodeCover`). The row's own path — NaN following the
/// node's default direction, categorical codes their category set — is the branch the feature
/// takes when it is in the coalition. The polynomial algorithm carries, down each path, the
/// weights of every coalition size of the path's unique features (EXTEND), removes a feature
/// again when the path splits on it a second time or at a leaf (UNWIND), and so gives every
/// leaf's share to each feature on its path in O(depth²).
///
/// Contributions are of the raw score `base + scale × Σ_t leaf_t`; with the expected value
/// `base + scale × Σ_t E_t` (E_t the cover-weighted mean of tree t's leaves) they add up to it.
///
/// Two exact algorithms give the same values (to rounding): `.extendUnwind`, Algorithm 2 as
/// published, O(rows × trees × leaves × depth²); and `.quadrature` (the default, see
/// `QuadratureShap`), O(rows × trees × nodes × depth/2). Neither allocates per row.
public struct TreeExplainer: Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        /// Lundberg et al.'s Algorithm 2: EXTEND and UNWIND the path's coalition weights.
        case extendUnwind
        /// The Shapley sums as integrals, evaluated exactly by Gauss–Legendre quadrature.
        case quadrature
    }

    public let predictor: TreePredictor
    /// The raw score with no feature known.
    public let expectedValue: Double
    /// The most internal nodes on one root-to-leaf path, over every tree.
    let maxDepth: Int
    let quadrature: QuadratureShap

    /// Prepares an ensemble for explaining.
    /// - Throws: `ExplanationError.missingStatistics` when the ensemble has no covers (a model
    ///   file written before they were kept: retrain it), or a node's cover is not positive.
    public init(_ predictor: TreePredictor) throws {
        guard predictor.hasCover else {
            throw ExplanationError(code: .missingStatistics, message: "this tree model was saved without per-node covers (the training rows reaching each node), which exact TreeSHAP needs: retrain it with this version of plumb to explain it")
        }
        if let k = predictor.nodeCover.firstIndex(where: { !($0 > 0) }) {
            throw ExplanationError(code: .missingStatistics, message: "tree node \(k) has cover \(predictor.nodeCover[k]); TreeSHAP needs every internal node to have been reached by training rows")
        }
        self.predictor = predictor
        var depth = 0, expected = 0.0
        for root in predictor.treeRoot {
            depth = max(depth, Self.depth(of: root, predictor))
            expected += Self.expectedValue(of: root, predictor)
        }
        maxDepth = depth
        expectedValue = predictor.base + predictor.scale * expected
        quadrature = QuadratureShap(predictor)
    }

    private static func depth(of node: Int32, _ p: TreePredictor) -> Int {
        node < 0 ? 0 : 1 + max(depth(of: p.left[Int(node)], p), depth(of: p.right[Int(node)], p))
    }

    /// Σ over the leaves below `node` of value × the product of cover shares on the way: what the
    /// algorithm gives the empty coalition.
    private static func expectedValue(of node: Int32, _ p: TreePredictor) -> Double {
        if node < 0 { return p.leafValue[Int(~node)] }
        let k = Int(node), l = p.left[k], r = p.right[k]
        let w = p.nodeCover[k]
        return (cover(l, p) / w) * expectedValue(of: l, p) + (cover(r, p) / w) * expectedValue(of: r, p)
    }

    private static func cover(_ c: Int32, _ p: TreePredictor) -> Double {
        c >= 0 ? p.nodeCover[Int(c)] : p.leafCover[Int(~c)]
    }

    /// Writes the contributions of every row of `x`: row `i`'s `featureCount` values start at
    /// `out + i * rowStride` (so several ensembles can fill one rows × outputs × features block).
    /// Rows are split into contiguous blocks over `threads` workers, each with its own path buffers.
    /// - Precondition: `x.columns == predictor.featureCount`, `rowStride >= featureCount`, and
    ///   `out` holds `(x.rows - 1) * rowStride + featureCount` values.
    public func contributions(_ x: FeatureMatrix, into out: UnsafeMutablePointer<Double>, rowStride: Int, threads: Int,
                              algorithm: Algorithm = .quadrature) {
        let p = predictor, nf = p.featureCount, n = x.rows
        precondition(x.columns == nf, "TreeExplainer: \(x.columns) columns, model has \(nf) features")
        precondition(rowStride >= nf, "TreeExplainer: row stride \(rowStride) < \(nf) features")
        guard n > 0 else { return }
        let workers = max(1, min(threads, n))
        let maxDepth = self.maxDepth, quadrature = self.quadrature
        x.values.withUnsafeBufferPointer { xv in
            p.feature.withUnsafeBufferPointer { fe in
            p.threshold.withUnsafeBufferPointer { th in
            p.left.withUnsafeBufferPointer { le in
            p.right.withUnsafeBufferPointer { ri in
            p.flags.withUnsafeBufferPointer { fl in
            p.leafValue.withUnsafeBufferPointer { lv in
            p.nodeCover.withUnsafeBufferPointer { nc in
            p.leafCover.withUnsafeBufferPointer { lc in
                let tree = ShapTree(feature: fe, threshold: th, left: le, right: ri, flags: fl, leafValue: lv,
                                    nodeCover: nc, leafCover: lc, predictor: p)
                parallelChunks(n, chunks: workers) { _, rows in
                    switch algorithm {
                    case .extendUnwind:
                        var walker = ShapWalker(tree: tree, x: xv, rows: n, features: nf, maxDepth: maxDepth)
                        defer { walker.deallocate() }
                        for r in rows {
                            walker.explain(row: r, roots: p.treeRoot)
                            let o = out + r * rowStride
                            for j in 0..<nf { o[j] = p.scale * walker.phi[j] }
                        }
                    case .quadrature:
                        quadrature.table.withUnsafeBufferPointer { table in
                        quadrature.tableStart.withUnsafeBufferPointer { starts in
                            var walker = QuadratureWalker(tree: tree, quad: quadrature, table: table, tableStart: starts, x: xv,
                                                          rows: n, features: nf, maxDepth: maxDepth)
                            defer { walker.deallocate() }
                            // Rows a block at a time, every tree over the block (its tables stay in cache).
                            let blockRows = 128
                            let block = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * max(1, nf))
                            defer { block.deallocate() }
                            for start in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
                                let part = start..<min(rows.upperBound, start + blockRows)
                                block.update(repeating: 0, count: part.count * nf)
                                walker.explain(rows: part, roots: p.treeRoot, points: quadrature.treePoints, widths: quadrature.treeWidth, into: block)
                                for r in part {
                                    let o = out + r * rowStride, b = block + (r - start) * nf
                                    for j in 0..<nf { o[j] = p.scale * b[j] }
                                }
                            }
                        }}
                    }
                }
            }}}}}}}}
        }
    }

    /// The contributions as rows × featureCount values, row-major.
    public func contributions(_ x: FeatureMatrix, threads: Int, algorithm: Algorithm = .quadrature) -> [Double] {
        let nf = predictor.featureCount
        var out = [Double](repeating: 0, count: x.rows * nf)
        out.withUnsafeMutableBufferPointer { b in
            if let base = b.baseAddress { contributions(x, into: base, rowStride: nf, threads: threads, algorithm: algorithm) }
        }
        return out
    }
}

/// The ensemble's arrays, borrowed for one `contributions` call.
struct ShapTree {
    let feature: UnsafeBufferPointer<Int32>
    let threshold: UnsafeBufferPointer<Double>
    let left: UnsafeBufferPointer<Int32>
    let right: UnsafeBufferPointer<Int32>
    let flags: UnsafeBufferPointer<UInt8>
    let leafValue: UnsafeBufferPointer<Double>
    let nodeCover: UnsafeBufferPointer<Double>
    let leafCover: UnsafeBufferPointer<Double>
    /// For the category sets of categorical nodes.
    let predictor: TreePredictor
    // Flag bits as stored constants: static lets go through a lazy-init accessor in the hot loop.
    let defaultLeftFlag = TreePredictor.defaultLeftFlag
    let categoricalFlag = TreePredictor.categoricalFlag

    @inline(__always) func cover(_ c: Int32) -> Double { c >= 0 ? nodeCover[Int(c)] : leafCover[Int(~c)] }
}

/// One worker's state: the path buffers (one path per depth, each the unique features on the way
/// down with their zero and one fractions and the coalition weights) and the row's contributions.
/// Allocated once per worker, reused for every row.
struct ShapWalker {
    let tree: ShapTree
    let x: UnsafeBufferPointer<Double>
    let rows: Int
    /// Row being explained.
    var row = 0
    let pathFeature: UnsafeMutablePointer<Int32>
    let pathZero: UnsafeMutablePointer<Double>
    let pathOne: UnsafeMutablePointer<Double>
    let pathWeight: UnsafeMutablePointer<Double>
    let phi: UnsafeMutablePointer<Double>
    let features: Int

    init(tree: ShapTree, x: UnsafeBufferPointer<Double>, rows: Int, features: Int, maxDepth: Int) {
        self.tree = tree
        self.x = x
        self.rows = rows
        self.features = features
        // Path at depth d (d + 1 elements, the root's dummy first) starts after those of depths
        // 0..<d: (D + 2)(D + 3) / 2 elements cover every depth up to D + 1 (the leaves').
        let slots = (maxDepth + 2) * (maxDepth + 3) / 2 + 1
        pathFeature = .allocate(capacity: slots)
        pathZero = .allocate(capacity: slots)
        pathOne = .allocate(capacity: slots)
        pathWeight = .allocate(capacity: slots)
        phi = .allocate(capacity: max(1, features))
    }

    func deallocate() {
        pathFeature.deallocate(); pathZero.deallocate(); pathOne.deallocate(); pathWeight.deallocate(); phi.deallocate()
    }

    /// Sums every tree's contributions for row `r` into `phi` (unscaled).
    mutating func explain(row r: Int, roots: [Int32]) {
        row = r
        phi.update(repeating: 0, count: features)
        for root in roots where root >= 0 {
            recurse(node: root, uniqueDepth: 0, parent: 0, parentZero: 1, parentOne: 1, parentFeature: -1)
        }
    }

    /// Does row `row` go left at internal node `k`? As `TreePredictor.predictReference`.
    @inline(__always) func goesLeft(_ k: Int) -> Bool {
        let v = x[Int(tree.feature[k]) &* rows &+ row]
        let f = tree.flags[k]
        if v.isNaN { return f & tree.defaultLeftFlag != 0 }
        if f & tree.categoricalFlag != 0 { return tree.predictor.inCategorySet(Int(tree.threshold[k]), v) }
        return v <= tree.threshold[k]
    }

    /// TREESHAP's RECURSE: `node`'s path is the parent's (at `parent`, `uniqueDepth` elements)
    /// extended by the parent's split feature.
    func recurse(node: Int32, uniqueDepth depth0: Int, parent: Int, parentZero: Double, parentOne: Double,
                          parentFeature: Int32) {
        var depth = depth0
        let path = parent + depth + 1
        // Copy the parent's path, then extend it by the feature that led here.
        for i in 0..<depth {
            pathFeature[path + i] = pathFeature[parent + i]
            pathZero[path + i] = pathZero[parent + i]
            pathOne[path + i] = pathOne[parent + i]
            pathWeight[path + i] = pathWeight[parent + i]
        }
        extend(path, depth, zero: parentZero, one: parentOne, feature: parentFeature)

        if node < 0 {
            let value = tree.leafValue[Int(~node)]
            guard depth > 0 else { return }
            for i in 1...depth {
                let w = unwoundSum(path, depth, i)
                phi[Int(pathFeature[path + i])] += w * (pathOne[path + i] - pathZero[path + i]) * value
            }
            return
        }
        let k = Int(node)
        let (hot, cold) = goesLeft(k) ? (tree.left[k], tree.right[k]) : (tree.right[k], tree.left[k])
        let w = tree.nodeCover[k]
        let hotZero = tree.cover(hot) / w, coldZero = tree.cover(cold) / w
        var incomingZero = 1.0, incomingOne = 1.0
        // A feature already on the path is taken off it and put back with both splits combined.
        let split = tree.feature[k]
        var i = 0
        while i <= depth && pathFeature[path + i] != split { i += 1 }
        if i <= depth {
            incomingZero = pathZero[path + i]
            incomingOne = pathOne[path + i]
            unwind(path, depth, i)
            depth -= 1
        }
        recurse(node: hot, uniqueDepth: depth + 1, parent: path, parentZero: hotZero * incomingZero, parentOne: incomingOne,
                parentFeature: split)
        recurse(node: cold, uniqueDepth: depth + 1, parent: path, parentZero: coldZero * incomingZero, parentOne: 0,
                parentFeature: split)
    }

    /// EXTEND: appends a feature with its zero and one fractions at position `depth` and updates
    /// the weights of every coalition size.
    @inline(__always) func extend(_ path: Int, _ depth: Int, zero: Double, one: Double, feature: Int32) {
        pathFeature[path + depth] = feature
        pathZero[path + depth] = zero
        pathOne[path + depth] = one
        pathWeight[path + depth] = depth == 0 ? 1 : 0
        let d1 = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            pathWeight[path + i + 1] += one * pathWeight[path + i] * Double(i + 1) / d1
            pathWeight[path + i] = zero * pathWeight[path + i] * Double(depth - i) / d1
            i -= 1
        }
    }

    /// UNWIND: removes element `index` from the path of `depth + 1` elements, undoing its EXTEND.
    @inline(__always) func unwind(_ path: Int, _ depth: Int, _ index: Int) {
        let one = pathOne[path + index], zero = pathZero[path + index]
        var next = pathWeight[path + depth]
        let d1 = Double(depth + 1)
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = pathWeight[path + i]
                pathWeight[path + i] = next * d1 / (Double(i + 1) * one)
                next = tmp - pathWeight[path + i] * zero * Double(depth - i) / d1
            } else {
                pathWeight[path + i] = pathWeight[path + i] * d1 / (zero * Double(depth - i))
            }
            i -= 1
        }
        for j in index..<depth {
            pathFeature[path + j] = pathFeature[path + j + 1]
            pathZero[path + j] = pathZero[path + j + 1]
            pathOne[path + j] = pathOne[path + j + 1]
        }
    }

    /// The total weight of the path with element `index` unwound, without changing the path.
    @inline(__always) func unwoundSum(_ path: Int, _ depth: Int, _ index: Int) -> Double {
        let one = pathOne[path + index], zero = pathZero[path + index]
        var next = pathWeight[path + depth], total = 0.0
        let d1 = Double(depth + 1)
        var i = depth - 1
        if one != 0 {
            while i >= 0 {
                let tmp = next * d1 / (Double(i + 1) * one)
                total += tmp
                next = pathWeight[path + i] - tmp * zero * Double(depth - i) / d1
                i -= 1
            }
        } else if zero != 0 {
            while i >= 0 {
                total += pathWeight[path + i] / zero / (Double(depth - i) / d1)
                i -= 1
            }
        }
        return total
    }
}
