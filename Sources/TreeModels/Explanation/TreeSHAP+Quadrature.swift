import Foundation
import MLCore

/// The same path-dependent TreeSHAP values as `ShapWalker` (EXTEND/UNWIND), in O(edges × depth)
/// per row and tree instead of O(leaves × depth²), by writing each Shapley sum as an integral and
/// integrating it exactly with Gauss–Legendre quadrature (the idea of Yu et al. 2022, "Linear
/// TreeShap"; derived and written here from the definition).
///
/// For a leaf `l` of value `v` whose path has unique features `P` (feature `j` with zero fraction
/// `z_j` — the product of the cover shares of its branches on the path — and one fraction
/// `o_j ∈ {0, 1}` — does the row take all of them), the path-dependent game is
/// `v · Π_{j∈S} o_j · Π_{j∈P∖S} z_j`, and its Shapley value for `i ∈ P` is
///
///     φ_i = v (o_i − z_i) Σ_{S⊆P∖i} |S|!(d−1−|S|)!/d! Π_{S} o_j Π_{P∖S∖i} z_j
///         = v (o_i − z_i) ∫₀¹ Π_{j∈P∖i} f_j(t) dt,   f_j(t) = z_j (1 − t) + o_j t,
///
/// as `|S|!(d−1−|S|)!/d!` is the Beta integral `∫ t^|S| (1−t)^(d−1−|S|)`. The integrand is a
/// polynomial of degree < depth, so `⌈depth/2⌉` Gauss–Legendre points integrate it exactly. Summed
/// over leaves: going down, each node carries `F(t) = Π f_j(t)` at the points; coming back up, each
/// edge carries `H(t) = Σ_{leaves below} v F(t)`, and the edge on feature `i` adds
/// `Σ_q w_q H(t_q) [(o − z)/f(t_q) − (o′ − z′)/f′(t_q)]` to `φ_i`, where `f` is `i`'s factor below
/// the edge and `f′` the one above it (`1` if `i` was not on the path yet). The second term takes
/// back exactly what the edge above on `i` gave the leaves whose factor this edge changes.
///
/// Everything that depends only on the tree is computed once (`init`): each tree gets its own
/// number of points (⌈(its depth + 1)/2⌉, so a shallow tree is not integrated with a deep one's
/// rule), and each edge a table, per point, of the factor ratio f/f′ and of the weight times
/// `(o − z)/f − (o′ − z′)/f′` for the two cases of a feature whose one fraction above is 1 (the
/// row takes the edge, or not); when it is 0 the ratio is the constant z/z′ and the edge gives
/// nothing. The walk then only multiplies and adds.
/// - Complexity: O(rows × Σ edges × ⌈depth/2⌉), no allocation per row.
struct QuadratureShap: Sendable {
    /// Points per tree.
    let treePoints: [Int]
    /// Per tree, the width `w` of its per-point vectors: `vectorWidth` for a tree of at most that
    /// many points (padded with points of weight 0, walked with SIMD vectors), else its points.
    let treeWidth: [Int]
    static let vectorWidth = 8
    /// The widest tree.
    let maxWidth: Int
    /// Per internal node `k`, where its two edges' tables start in `table`: side `s` at
    /// `tableStart[k] + s × (4w + 1)` with `w` its tree's width.
    let tableStart: [Int]
    /// Per edge: w ratios (row takes the edge), w ratios (row does not), w terms (takes), w terms
    /// (does not), then the ratio z/z′ used when the feature's one fraction above is 0. Padding
    /// points have ratio and term 0, so they carry nothing.
    let table: [Double]

    init(_ p: TreePredictor) {
        var rules: [Int: ([Double], [Double])] = [:]
        var points: [Int] = [], widths: [Int] = [], starts = [Int](repeating: 0, count: p.feature.count), table: [Double] = []
        var current = [Double](repeating: 1, count: p.featureCount)
        func cover(_ c: Int32) -> Double { c >= 0 ? p.nodeCover[Int(c)] : p.leafCover[Int(~c)] }
        func depth(_ node: Int32) -> Int { node < 0 ? 0 : 1 + max(depth(p.left[Int(node)]), depth(p.right[Int(node)])) }
        func walk(_ node: Int32, t: [Double], w: [Double], width: Int) {
            guard node >= 0 else { return }
            let k = Int(node), f = Int(p.feature[k]), zAbove = current[f]
            starts[k] = table.count
            let children = [p.left[k], p.right[k]]
            for child in children {
                let zBelow = zAbove * cover(child) / p.nodeCover[k]
                table += Self.edgeTable(zAbove: zAbove, zBelow: zBelow, points: t, weights: w, width: width)
            }
            for child in children {
                current[f] = zAbove * cover(child) / p.nodeCover[k]
                walk(child, t: t, w: w, width: width)
                current[f] = zAbove
            }
        }
        for root in p.treeRoot {
            let m = max(1, (depth(root) + 1) / 2)
            if rules[m] == nil { rules[m] = Self.gaussLegendre(m) }
            let (t, w) = rules[m] ?? ([], [])
            let width = m <= Self.vectorWidth ? Self.vectorWidth : m
            points.append(m)
            widths.append(width)
            walk(root, t: t, w: w, width: width)
        }
        treePoints = points
        treeWidth = widths
        maxWidth = widths.max() ?? Self.vectorWidth
        tableStart = starts
        self.table = table + [0]   // never empty (an ensemble of single leaves has no edge)
    }

    /// One edge's 4m + 1 values (see `table`), for a feature with zero fraction `zAbove` above the
    /// edge and `zBelow` below it. With one fraction 1 above, f′(t) = z′ + (1 − z′) t > 0; below,
    /// f(t) = z + (1 − z) t if the row takes the edge, z (1 − t) if not — 0 for a leaf no
    /// training row reached, whose F, and so whose share, is then 0.
    static func edgeTable(zAbove zA: Double, zBelow zB: Double, points t: [Double], weights w: [Double], width m: Int) -> [Double] {
        var out = [Double](repeating: 0, count: 4 * m + 1)
        let ca = 1 - zA
        for q in 0..<t.count {
            let inverseAbove = 1 / (zA + ca * t[q])
            let above = ca * inverseAbove
            let taken = zB + (1 - zB) * t[q], notTaken = zB * (1 - t[q])
            out[q] = taken * inverseAbove
            out[m + q] = notTaken * inverseAbove
            out[2 * m + q] = w[q] * ((1 - zB) / taken - above)
            out[3 * m + q] = w[q] * ((zB == 0 ? 0 : -zB / notTaken) - above)
        }
        out[4 * m] = zB / zA
        return out
    }

    /// `n`-point Gauss–Legendre rule on [0, 1] (exact for polynomials of degree < 2n): Newton's
    /// method on the roots of the Legendre polynomial P_n, weights 2/((1 − x²) P_n′(x)²), halved.
    static func gaussLegendre(_ n: Int) -> ([Double], [Double]) {
        var t = [Double](repeating: 0, count: n), w = t
        for i in 0..<n {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 1.0
            for _ in 0..<100 {
                var previous = 1.0, p = x   // P_0, P_1
                for k in stride(from: 2, through: n, by: 1) {
                    let next = (Double(2 * k - 1) * x * p - Double(k - 1) * previous) / Double(k)
                    previous = p; p = next
                }
                derivative = Double(n) * (x * p - previous) / (x * x - 1)
                let dx = p / derivative
                x -= dx
                if abs(dx) < 1e-15 { break }
            }
            t[i] = (1 - x) / 2
            w[i] = 1 / ((1 - x * x) * derivative * derivative)
        }
        return (t, w)
    }
}

/// One worker's buffers for `QuadratureShap`: per depth level, F and H at the points, each
/// feature's current one fraction on the path (1 off the path; restored after every subtree), and
/// the contributions of the rows being explained.
struct QuadratureWalker {
    let tree: ShapTree
    let x: UnsafeBufferPointer<Double>
    let rows: Int
    var row = 0
    /// Width of the tree being walked (`QuadratureShap.treeWidth`), and the stride of the
    /// per-level buffers.
    var m = 1
    let stride: Int
    let product: UnsafeMutablePointer<Double>
    let sum: UnsafeMutablePointer<Double>
    /// The same per-level F and H for trees walked with vectors.
    let product8: UnsafeMutablePointer<SIMD8<Double>>
    let sum8: UnsafeMutablePointer<SIMD8<Double>>
    let one: UnsafeMutablePointer<Bool>
    /// The current row's contributions (into the caller's block).
    var phi: UnsafeMutablePointer<Double>
    let features: Int
    let table: UnsafePointer<Double>
    let tableStart: UnsafeBufferPointer<Int>

    init(tree: ShapTree, quad: QuadratureShap, table: UnsafeBufferPointer<Double>, tableStart: UnsafeBufferPointer<Int>,
         x: UnsafeBufferPointer<Double>, rows: Int, features: Int, maxDepth: Int) {
        self.tree = tree
        self.x = x
        self.rows = rows
        self.features = features
        guard let base = table.baseAddress else { preconditionFailure("QuadratureShap.table is never empty") }
        self.table = base
        self.tableStart = tableStart
        stride = quad.maxWidth
        product = .allocate(capacity: (maxDepth + 2) * stride)
        sum = .allocate(capacity: (maxDepth + 2) * stride)
        product8 = .allocate(capacity: maxDepth + 2)
        sum8 = .allocate(capacity: maxDepth + 2)
        one = .allocate(capacity: max(1, features))
        one.initialize(repeating: true, count: max(1, features))
        phi = product   // set per row by `explain`
    }

    func deallocate() {
        product.deallocate(); sum.deallocate(); product8.deallocate(); sum8.deallocate(); one.deallocate()
    }

    /// Adds the contributions of every tree (unscaled) for rows `block` to `out`, row `r`'s
    /// `features` values at `out + (r − block.lowerBound) × features`. Tree by tree, so a tree's
    /// nodes and tables stay in cache for the whole block.
    mutating func explain(rows block: Range<Int>, roots: [Int32], points: [Int], widths: [Int], into out: UnsafeMutablePointer<Double>) {
        for (t, root) in roots.enumerated() where root >= 0 {
            m = widths[t]
            // F starts at 1 on the tree's points, 0 on padding.
            var start = SIMD8<Double>()
            for q in 0..<min(points[t], QuadratureShap.vectorWidth) { start[q] = 1 }
            for r in block {
                row = r
                phi = out + (r - block.lowerBound) * features
                if m == QuadratureShap.vectorWidth {
                    product8[0] = start
                    visit8(root, level: 0)
                } else {
                    for q in 0..<m { product[q] = 1 }
                    visit(root, level: 0)
                }
            }
        }
    }

    /// Bytes of one vector of an edge table.
    static let vectorBytes = MemoryLayout<SIMD8<Double>>.size

    /// `visit` for a tree of `QuadratureShap.vectorWidth` points, each per-point loop one SIMD
    /// operation.
    func visit8(_ node: Int32, level: Int) {
        let f = product8[level]
        if node < 0 {
            sum8[level] = tree.leafValue[Int(~node)] * f
            return
        }
        let k = Int(node), i = Int(tree.feature[k])
        let left = goesLeft(k), oAbove = one[i]
        var h = SIMD8<Double>()
        for side in 0..<2 {
            let edge = UnsafeRawPointer(table + tableStart[k] + side * (4 * QuadratureShap.vectorWidth + 1))
            let taken = (side == 0) == left
            if oAbove {
                product8[level + 1] = f * edge.loadUnaligned(fromByteOffset: taken ? 0 : Self.vectorBytes, as: SIMD8<Double>.self)
            } else {
                product8[level + 1] = f * edge.loadUnaligned(fromByteOffset: 4 * Self.vectorBytes, as: Double.self)
            }
            one[i] = oAbove && taken
            visit8(side == 0 ? tree.left[k] : tree.right[k], level: level + 1)
            one[i] = oAbove
            let hc = sum8[level + 1]
            if oAbove {
                let term = edge.loadUnaligned(fromByteOffset: (taken ? 2 : 3) * Self.vectorBytes, as: SIMD8<Double>.self)
                phi[i] += (term * hc).sum()
            }
            h += hc
        }
        sum8[level] = h
    }

    @inline(__always) func goesLeft(_ k: Int) -> Bool {
        let v = x[Int(tree.feature[k]) &* rows &+ row]
        let f = tree.flags[k]
        if v.isNaN { return f & tree.defaultLeftFlag != 0 }
        if f & tree.categoricalFlag != 0 { return tree.predictor.inCategorySet(Int(tree.threshold[k]), v) }
        return v <= tree.threshold[k]
    }

    /// Fills H of `node` (at `level`) from F of `node`, adding each edge's share to `phi`.
    func visit(_ node: Int32, level: Int) {
        let m = self.m
        let f = product + level * stride, h = sum + level * stride
        if node < 0 {
            let v = tree.leafValue[Int(~node)]
            for q in 0..<m { h[q] = v * f[q] }
            return
        }
        let k = Int(node), i = Int(tree.feature[k])
        let left = goesLeft(k), oAbove = one[i]
        let fc = product + (level + 1) * stride, hc = sum + (level + 1) * stride
        for q in 0..<m { h[q] = 0 }
        for side in 0..<2 {
            let edge = table + tableStart[k] + side * (4 * m + 1)
            let taken = (side == 0) == left
            if oAbove {
                let ratio = taken ? edge : edge + m
                for q in 0..<m { fc[q] = f[q] * ratio[q] }
            } else {
                let ratio = edge[4 * m]
                for q in 0..<m { fc[q] = f[q] * ratio }
            }
            one[i] = oAbove && taken
            visit(side == 0 ? tree.left[k] : tree.right[k], level: level + 1)
            one[i] = oAbove
            if oAbove {
                let term = taken ? edge + 2 * m : edge + 3 * m
                var s = 0.0
                for q in 0..<m {
                    s += term[q] * hc[q]
                    h[q] += hc[q]
                }
                phi[i] += s
            } else {
                // One fraction 0 above and below: (o − z)/f is the same on both sides.
                for q in 0..<m { h[q] += hc[q] }
            }
        }
    }
}
