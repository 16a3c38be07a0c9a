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
/// - Complexity: O(rows × Σ edges × ⌈depth/2⌉), no allocation per row.
struct QuadratureShap: Sendable {
    /// Gauss–Legendre points and weights on [0, 1].
    let points: [Double]
    let weights: [Double]
    /// Per edge `2k + side` of internal node `k`: the zero fraction of the node's feature above the
    /// node (1 when the path had not split on it) and below the edge (that times the child's share
    /// of the node's cover).
    let zeroAbove: [Double]
    let zeroBelow: [Double]

    init(_ p: TreePredictor, maxDepth: Int) {
        (points, weights) = Self.gaussLegendre(max(1, (maxDepth + 1) / 2))
        var above = [Double](repeating: 1, count: 2 * p.feature.count), below = above
        var current = [Double](repeating: 1, count: p.featureCount)
        func cover(_ c: Int32) -> Double { c >= 0 ? p.nodeCover[Int(c)] : p.leafCover[Int(~c)] }
        func walk(_ node: Int32) {
            guard node >= 0 else { return }
            let k = Int(node), f = Int(p.feature[k]), z = current[f]
            for (side, child) in [p.left[k], p.right[k]].enumerated() {
                above[2 * k + side] = z
                below[2 * k + side] = z * cover(child) / p.nodeCover[k]
                current[f] = below[2 * k + side]
                walk(child)
                current[f] = z
            }
        }
        for root in p.treeRoot { walk(root) }
        zeroAbove = above
        zeroBelow = below
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

/// One worker's buffers for `QuadratureShap`: per depth level, F and H at the points, and each
/// feature's current one fraction on the path (1 off the path; restored after every subtree).
struct QuadratureWalker {
    let tree: ShapTree
    let quad: QuadratureShap
    let x: UnsafeBufferPointer<Double>
    let rows: Int
    var row = 0
    let m: Int
    let product: UnsafeMutablePointer<Double>
    let sum: UnsafeMutablePointer<Double>
    let one: UnsafeMutablePointer<Bool>
    let phi: UnsafeMutablePointer<Double>
    let features: Int
    let points: UnsafeMutablePointer<Double>
    let weights: UnsafeMutablePointer<Double>
    /// The worker's copies of `quad.zeroAbove` / `zeroBelow` (plain loads in the walk).
    let zeroAbove: UnsafeMutablePointer<Double>
    let zeroBelow: UnsafeMutablePointer<Double>

    init(tree: ShapTree, quad: QuadratureShap, x: UnsafeBufferPointer<Double>, rows: Int, features: Int, maxDepth: Int) {
        self.tree = tree
        self.quad = quad
        self.x = x
        self.rows = rows
        self.features = features
        m = quad.points.count
        product = .allocate(capacity: (maxDepth + 2) * m)
        sum = .allocate(capacity: (maxDepth + 2) * m)
        one = .allocate(capacity: max(1, features))
        one.initialize(repeating: true, count: max(1, features))
        phi = .allocate(capacity: max(1, features))
        points = .allocate(capacity: m)
        points.initialize(from: quad.points, count: m)
        weights = .allocate(capacity: m)
        weights.initialize(from: quad.weights, count: m)
        let edges = quad.zeroAbove.count
        zeroAbove = .allocate(capacity: max(1, edges))
        zeroAbove.initialize(from: quad.zeroAbove, count: edges)
        zeroBelow = .allocate(capacity: max(1, edges))
        zeroBelow.initialize(from: quad.zeroBelow, count: edges)
    }

    func deallocate() {
        product.deallocate(); sum.deallocate(); one.deallocate(); phi.deallocate(); points.deallocate(); weights.deallocate()
        zeroAbove.deallocate(); zeroBelow.deallocate()
    }

    /// Sums every tree's contributions for row `r` into `phi` (unscaled).
    mutating func explain(row r: Int, roots: [Int32]) {
        row = r
        phi.update(repeating: 0, count: features)
        for root in roots where root >= 0 {
            for q in 0..<m { product[q] = 1 }
            visit(root, level: 0)
        }
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
        let f = product + level * m, h = sum + level * m
        if node < 0 {
            let v = tree.leafValue[Int(~node)]
            for q in 0..<m { h[q] = v * f[q] }
            return
        }
        let k = Int(node), i = Int(tree.feature[k])
        let left = goesLeft(k), oAbove = one[i]
        let fc = product + (level + 1) * m, hc = sum + (level + 1) * m
        for q in 0..<m { h[q] = 0 }
        for side in 0..<2 {
            let e = 2 * k + side
            let oBelow = oAbove && (side == 0) == left
            let zA = zeroAbove[e], zB = zeroBelow[e]
            let oa = oAbove ? 1.0 : 0, ob = oBelow ? 1.0 : 0
            let ca = oa - zA, cb = ob - zB
            // F below = F above × f_below / f_above (f_above > 0: an internal node's cover is).
            for q in 0..<m {
                let t = points[q]
                fc[q] = f[q] * (zB + cb * t) / (zA + ca * t)
            }
            one[i] = oBelow
            visit(side == 0 ? tree.left[k] : tree.right[k], level: level + 1)
            one[i] = oAbove
            var s = 0.0
            for q in 0..<m {
                let t = points[q]
                // (o − z)/f below, minus the same above; a zero factor (a leaf no row reached, not
                // taken) has o − z = 0 and gives nothing.
                let below = cb == 0 ? 0 : cb / (zB + cb * t)
                let above = ca == 0 ? 0 : ca / (zA + ca * t)
                s += weights[q] * hc[q] * (below - above)
                h[q] += hc[q]
            }
            phi[i] += s
        }
    }
}
