import Foundation

/// The targets of a classification fit: a class index per row and a weight per class.
struct ClassTargets: Sendable {
    /// Class index of each row, 0..<classCount.
    let labels: [Int32]
    let classCount: Int
    /// Weight of each class's rows (all 1 without class weights).
    let weights: [Double]

    init(labels: [Int32], classCount: Int, weights: [Double]) {
        self.labels = labels
        self.classCount = classCount
        self.weights = weights.isEmpty ? [Double](repeating: 1, count: classCount) : weights
    }

    /// The rows `rows`, in that order.
    func selecting(rows: [Int]) -> ClassTargets {
        ClassTargets(labels: rows.map { labels[$0] }, classCount: classCount, weights: weights)
    }

    /// Weighted share of each class.
    var shares: [Double] {
        var total = [Double](repeating: 0, count: classCount)
        for l in labels { total[Int(l)] += weights[Int(l)] }
        let sum = total.reduce(0, +)
        return total.map { $0 / sum }
    }
}

extension GBMLoss {
    /// Scores a classification fit keeps per row: one (the log-odds of class 1) or one per class.
    func scoreCount(classes: Int) -> Int { self == .softmax ? classes : 1 }

    /// Initial scores: the log-odds of the weighted share of class 1, or the log of each
    /// class's weighted share (the softmax of which is those shares).
    func initScores(_ t: ClassTargets) -> [Double] {
        let shares = t.shares
        switch self {
        case .logistic:
            let p = min(max(shares[1], 1e-15), 1 - 1e-15)
            return [log(p / (1 - p))]
        default:
            return shares.map { log(max($0, 1e-15)) }
        }
    }

    /// One pass over the rows in fixed pieces spread over `threads` workers: the gradient and
    /// hessian of the weighted log loss w.r.t. each score into `gradients` / `hessians` (when
    /// given), and the unweighted mean log loss of `scores` (pieces' sums added in piece order,
    /// so the value does not depend on the thread count). Scores, gradients and hessians are
    /// score-major: score k of row i at `k * n + i`.
    ///
    /// Binary: g = w (p − y), h = w p (1 − p). Softmax: g_k = w (p_k − [y = k]),
    /// h_k = w K/(K−1) p_k (1 − p_k), LightGBM's diagonal approximation of the Hessian.
    func classificationPass(_ t: ClassTargets, scores: UnsafeBufferPointer<Double>, gradients: UnsafeMutableBufferPointer<Float>?,
                            hessians: UnsafeMutableBufferPointer<Float>?, threads: Int) -> Double {
        let n = t.labels.count
        let softmax = self == .softmax, k = t.classCount, scoreCount = softmax ? k : 1
        precondition(scores.count == scoreCount * n && (gradients?.count ?? scores.count) == scores.count
                     && (hessians?.count ?? scores.count) == scores.count)
        let pieces = (n + Self.chunkRows - 1) / Self.chunkRows
        var partial = [Double](repeating: 0, count: max(1, pieces))
        let factor = Double(k) / Double(max(1, k - 1))
        let s = scores.baseAddress!, g = gradients?.baseAddress, h = hessians?.baseAddress
        t.labels.withUnsafeBufferPointer { labels in
        t.weights.withUnsafeBufferPointer { weights in
        partial.withUnsafeMutableBufferPointer { pb in
            let out = pb
            parallelFor(pieces, threads: threads) { c in
                let lo = c * Self.chunkRows, hi = min(n, lo + Self.chunkRows)
                var loss = 0.0
                if softmax {
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { p in
                        for i in lo..<hi {
                            let y = Int(labels[i]), w = weights[y]
                            var top = -Double.infinity
                            for j in 0..<k { top = max(top, s[j * n + i]) }
                            var sum = 0.0
                            for j in 0..<k { p[j] = exp(s[j * n + i] - top); sum += p[j] }
                            loss += log(sum) - (s[y * n + i] - top)
                            guard let g, let h else { continue }
                            for j in 0..<k {
                                let pj = p[j] / sum
                                g[j * n + i] = Float(w * (pj - (j == y ? 1 : 0)))
                                h[j * n + i] = Float(w * factor * pj * (1 - pj))
                            }
                        }
                    }
                } else {
                    for i in lo..<hi {
                        let y = Int(labels[i]), w = weights[y], f = s[i]
                        // −log p(y): the softplus of the score signed against y, computed stably.
                        let z = y == 1 ? -f : f
                        loss += z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
                        guard let g, let h else { continue }
                        let p = 1 / (1 + exp(-f))
                        g[i] = Float(w * (p - Double(y)))
                        h[i] = Float(w * p * (1 - p))
                    }
                }
                out[c] = loss
            }
        }}}
        var total = 0.0
        for v in partial { total += v }
        return total / Double(n)
    }

    /// Class probabilities (rows × classes, row-major) from score-major scores (score k of row i
    /// at `k * rows + i`; binary: one score, the log-odds of class 1).
    static func probabilities(scores: UnsafeBufferPointer<Double>, rows n: Int, classes k: Int, softmax: Bool,
                              into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count == n * k)
        if softmax {
            for i in 0..<n {
                var top = -Double.infinity
                for j in 0..<k { top = max(top, scores[j * n + i]) }
                var sum = 0.0
                for j in 0..<k { let e = exp(scores[j * n + i] - top); out[i * k + j] = e; sum += e }
                for j in 0..<k { out[i * k + j] /= sum }
            }
        } else {
            for i in 0..<n {
                let p = 1 / (1 + exp(-scores[i]))
                out[2 * i] = 1 - p
                out[2 * i + 1] = p
            }
        }
    }
}
