import Foundation
import LinearAlgebra
import MLCore
import Tabular

/// The penalised logistic loss of `LogisticRegression` on standardised features, with its
/// gradient and Hessian, evaluated over row blocks on all cores.
///
/// Parameters θ live in standardised space: z_ij = (x_ij − μ_j) / s_j (s_j the population
/// standard deviation), one block of p + 1 values per output k — p coefficients then the
/// intercept — so θ[k·(p+1) + j], and θ as a (p+1) × m column-major matrix is the operand of
/// η = Z·θ. There are m = 1 outputs for binary (the log-odds of class 1) and m = K for softmax.
///
/// Objective: (1/n) Σᵢ ℓᵢ + (alpha/2) Σ_kj w_kj², with w_kj = θ_kj / s_j the coefficient on the
/// original scale, so the penalty is the one scikit-learn applies to unscaled features.
/// Constant columns (every value equal) are inactive: z = 0, no penalty, coefficient pinned to 0
/// by the solver.
final class LogisticObjective {
    let rows: Int
    let features: Int
    let classCount: Int
    /// 1 (binary) or classCount (softmax).
    let outputs: Int
    let alpha: Double
    /// Column means μ_j.
    let means: [Double]
    /// Population standard deviations s_j (0 for a constant column).
    let stds: [Double]
    /// 1 / s_j, or 0 for a constant column.
    let inverseScales: [Double]
    /// alpha / s_j² per feature (0 for a constant column): the penalty's Hessian diagonal.
    let penaltyWeights: [Double]

    private let x: FeatureMatrix
    private let classes: [Int]
    private let workers: [Worker]

    /// Rows per block: Z (1024 × (p+1) Doubles) stays in L2 for the usual feature counts.
    static let blockRows = 1024

    var parameterCount: Int { outputs * (features + 1) }

    /// - Precondition: `x` finite, `classes` in `0..<classCount`, `means`/`stds` of `x`.
    init(x: FeatureMatrix, classes: [Int], classCount: Int, alpha: Double, means: [Double], stds: [Double]) {
        precondition(classes.count == x.rows && means.count == x.columns && stds.count == x.columns,
                     "LogisticObjective: shapes do not agree")
        self.x = x
        self.classes = classes
        self.rows = x.rows
        self.features = x.columns
        self.classCount = classCount
        self.outputs = classCount == 2 ? 1 : classCount
        self.alpha = alpha
        self.means = means
        self.stds = stds
        self.inverseScales = stds.map { $0 > 0 ? 1 / $0 : 0 }
        self.penaltyWeights = stds.map { $0 > 0 ? alpha / ($0 * $0) : 0 }
        let blocks = (x.rows + Self.blockRows - 1) / Self.blockRows
        let workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, blocks))
        let (p, m) = (x.columns, outputs)
        workers = (0..<workerCount).map { _ in Worker(features: p, outputs: m) }
    }

    /// The objective, its gradient and (when asked) its Hessian at θ.
    struct Evaluation {
        var objective: Double
        /// Length `parameterCount`.
        var gradient: [Double]
        /// parameterCount × parameterCount, symmetric (penalty included).
        var hessian: Matrix<Double>?
        /// Every row strictly on the right side: the true class has the largest η
        /// (binary: η > 0 for class 1, η < 0 for class 0).
        var separated: Bool
    }

    /// Evaluates at θ. Blocks of `blockRows` rows go round-robin to one worker per core (BLAS on
    /// one thread inside), and the workers' sums are added in worker order, so the result is
    /// the same on every run with the same core count.
    /// - Complexity: O(n·m·p) for loss and gradient; O(n·m²·p²) more for the Hessian.
    func evaluate(_ theta: [Double], hessian wantHessian: Bool) -> Evaluation {
        precondition(theta.count == parameterCount, "LogisticObjective: θ has \(theta.count) values, expected \(parameterCount)")
        let q = features + 1, m = outputs
        let thetaMatrix = Matrix(rows: q, columns: m, values: theta)
        let blocks = (rows + Self.blockRows - 1) / Self.blockRows
        let workerCount = workers.count
        let run = {
            concurrentPerform(iterations: workerCount) { w in
                let worker = self.workers[w]
                worker.reset(hessian: wantHessian)
                var b = w
                while b < blocks {
                    let start = b * Self.blockRows
                    self.accumulate(rows: start..<min(start + Self.blockRows, self.rows), theta: thetaMatrix,
                                    hessian: wantHessian, into: worker)
                    b += workerCount
                }
            }
        }
        if workerCount > 1 { BLASThreads.with(1, run) } else { run() }

        // Reduce in worker order.
        var loss = 0.0
        var gradient = [Double](repeating: 0, count: q * m)
        var separated = true
        for worker in workers {
            loss += worker.loss
            for i in 0..<(q * m) { gradient[i] += worker.gradient.storage[i] }
            separated = separated && worker.separated
        }
        let n = Double(rows)
        var penalty = 0.0
        for k in 0..<m {
            for j in 0..<features {
                let t = theta[k * q + j]
                penalty += penaltyWeights[j] * t * t
                gradient[k * q + j] = gradient[k * q + j] / n + penaltyWeights[j] * t
            }
            gradient[k * q + features] /= n
        }
        var evaluation = Evaluation(objective: loss / n + penalty / 2, gradient: gradient, hessian: nil, separated: separated)
        if wantHessian { evaluation.hessian = assembleHessian() }
        return evaluation
    }

    /// The full symmetric Hessian from the workers' sums, divided by n, plus the penalty
    /// diagonal: binary Σ v·z·zᵀ; softmax block (k, l) = δ_kl·Σ p_k·z·zᵀ − Σ p_k·p_l·z·zᵀ.
    private func assembleHessian() -> Matrix<Double> {
        let q = features + 1, m = outputs, d = q * m
        var h = Matrix<Double>(rows: d, columns: d)
        let n = Double(rows)
        for worker in workers {
            if m > 1 {
                for i in 0..<(d * d) { h.storage[i] -= worker.outer.storage[i] }
            }
            for k in 0..<m {
                let block = worker.diagonalBlocks[k]
                for c in 0..<q {
                    for r in 0..<q { h.storage[(k * q + c) * d + (k * q + r)] += block.storage[c * q + r] }
                }
            }
        }
        for i in 0..<(d * d) { h.storage[i] /= n }
        for k in 0..<m {
            for j in 0..<features { h.storage[(k * q + j) * d + (k * q + j)] += penaltyWeights[j] }
        }
        return h
    }

    /// Adds one block's loss, gradient (Zᵀ·R) and Hessian blocks (Zᵀ·diag(v)·Z) to `worker`.
    private func accumulate(rows range: Range<Int>, theta: Matrix<Double>, hessian wantHessian: Bool, into worker: Worker) {
        let q = features + 1, m = outputs, count = range.count
        var buffers = worker.takeBuffers(rows: count)
        defer { worker.returnBuffers(buffers) }
        fillStandardised(range, into: &buffers.z)
        gemm(buffers.z, theta, into: &buffers.eta)

        var loss = 0.0
        var separated = true
        classes.withUnsafeBufferPointer { y in
            buffers.eta.storage.withUnsafeBufferPointer { eta in
                buffers.probabilities.storage.withUnsafeMutableBufferPointer { prob in
                    buffers.residuals.storage.withUnsafeMutableBufferPointer { res in
                        if m == 1 {
                            for r in 0..<count {
                                let e = eta[r], positive = y[range.lowerBound + r] == 1
                                let (p1, _) = sigmoidPair(e)
                                loss += softplus(e) - (positive ? e : 0)
                                prob[r] = p1
                                res[r] = p1 - (positive ? 1 : 0)
                                if positive ? !(e > 0) : !(e < 0) { separated = false }
                            }
                        } else {
                            for r in 0..<count {
                                let truth = y[range.lowerBound + r]
                                var top = -Double.infinity, runnerUp = -Double.infinity
                                for k in 0..<m where k != truth { runnerUp = max(runnerUp, eta[k * count + r]) }
                                top = max(runnerUp, eta[truth * count + r])
                                if !(eta[truth * count + r] > runnerUp) { separated = false }
                                var sum = 0.0
                                for k in 0..<m {
                                    let v = exp(eta[k * count + r] - top)
                                    prob[k * count + r] = v
                                    sum += v
                                }
                                let inverse = 1 / sum
                                for k in 0..<m {
                                    let pk = prob[k * count + r] * inverse
                                    prob[k * count + r] = pk
                                    res[k * count + r] = pk - (k == truth ? 1 : 0)
                                }
                                loss += log(sum) + top - eta[truth * count + r]
                            }
                        }
                    }
                }
            }
        }
        worker.loss += loss
        worker.separated = worker.separated && separated
        gemm(buffers.z, buffers.residuals, transA: .transpose, alpha: 1, beta: 1, into: &worker.gradient)
        guard wantHessian else { return }

        // Diagonal blocks: Zᵀ·diag(v)·Z by syrk of √v ⊙ Z, v = p(1 − p) for binary and p_k
        // for softmax. Weights first, then Z scaled column by column: contiguous, unlike a
        // per-row walk across the columns (strided stores, ~3× slower end to end).
        for k in 0..<m {
            buffers.probabilities.storage.withUnsafeBufferPointer { prob in
                buffers.weights.withUnsafeMutableBufferPointer { w in
                    for r in 0..<count {
                        let pk = prob[k * count + r]
                        w[r] = (m == 1 ? pk * (1 - pk) : pk).squareRoot()
                    }
                }
            }
            scaleRows(buffers.z, by: buffers.weights, into: &buffers.scaled, columnOffset: 0)
            syrk(buffers.scaled, trans: .transpose, alpha: 1, beta: 1, into: &worker.diagonalBlocks[k])
        }
        guard m > 1 else { return }
        // Softmax: the outer-product part Σ (p ⊗ z)(p ⊗ z)ᵀ as one syrk of the rows × m(p+1)
        // matrix [p_1 ⊙ Z, …, p_m ⊙ Z]. One wide syrk runs ~3× faster than m(m+1)/2 gemms of
        // (p+1)-wide blocks with weights −p_k·p_l. The subtraction δ_kl·p_k − p_k·p_l loses
        // relative accuracy where p_k ≈ 1, which only slows Newton's convergence, never moves
        // the optimum (the gradient is exact).
        for k in 0..<m {
            buffers.probabilities.storage.withUnsafeBufferPointer { prob in
                buffers.weights.withUnsafeMutableBufferPointer { w in
                    for r in 0..<count { w[r] = prob[k * count + r] }
                }
            }
            scaleRows(buffers.z, by: buffers.weights, into: &buffers.wide, columnOffset: k * q)
        }
        syrk(buffers.wide, trans: .transpose, alpha: 1, beta: 1, into: &worker.outer)
    }

    /// target[:, offset + c] = weights ⊙ z[:, c] for every column c of z.
    private func scaleRows(_ z: Matrix<Double>, by weights: [Double], into target: inout Matrix<Double>, columnOffset: Int) {
        let count = z.rows, q = z.columns
        z.storage.withUnsafeBufferPointer { zb in
            weights.withUnsafeBufferPointer { w in
                target.storage.withUnsafeMutableBufferPointer { t in
                    for c in 0..<q {
                        let from = c * count, to = (columnOffset + c) * count
                        for r in 0..<count { t[to + r] = w[r] * zb[from + r] }
                    }
                }
            }
        }
    }

    /// Z for `range`: standardised feature columns, then a column of ones.
    private func fillStandardised(_ range: Range<Int>, into z: inout Matrix<Double>) {
        let count = range.count, n = rows
        x.values.withUnsafeBufferPointer { src in
            z.storage.withUnsafeMutableBufferPointer { dst in
                for j in 0..<features {
                    let mean = means[j], scale = inverseScales[j]
                    let from = j * n + range.lowerBound, to = j * count
                    for r in 0..<count { dst[to + r] = (src[from + r] - mean) * scale }
                }
                for r in 0..<count { dst[features * count + r] = 1 }
            }
        }
    }
}

/// One core's scratch buffers and partial sums.
private final class Worker {
    struct Buffers {
        /// rows × (p+1): standardised features and a ones column.
        var z: Matrix<Double>
        /// rows × m: linear predictors.
        var eta: Matrix<Double>
        /// rows × m: class probabilities (binary: p of class 1).
        var probabilities: Matrix<Double>
        /// rows × m: probability − indicator.
        var residuals: Matrix<Double>
        /// rows × (p+1): Z with rows scaled by a Hessian weight.
        var scaled: Matrix<Double>
        /// rows × m(p+1), softmax only: [p_1 ⊙ Z, …, p_m ⊙ Z].
        var wide: Matrix<Double>
        /// rows: a weight per row.
        var weights: [Double]

        init(rows: Int, features p: Int, outputs m: Int) {
            z = Matrix(rows: rows, columns: p + 1)
            eta = Matrix(rows: rows, columns: m)
            probabilities = Matrix(rows: rows, columns: m)
            residuals = Matrix(rows: rows, columns: m)
            scaled = Matrix(rows: rows, columns: p + 1)
            wide = Matrix(rows: m > 1 ? rows : 0, columns: m > 1 ? m * (p + 1) : 0)
            weights = [Double](repeating: 0, count: rows)
        }
    }

    let features: Int
    let outputs: Int
    var loss = 0.0
    var separated = true
    /// (p+1) × m: Σ Zᵀ·R.
    var gradient: Matrix<Double>
    /// Per output k, (p+1) × (p+1): Σ v·z·zᵀ (binary v = p(1 − p); softmax v = p_k).
    var diagonalBlocks: [Matrix<Double>]
    /// Softmax: m(p+1) × m(p+1), Σ (p ⊗ z)(p ⊗ z)ᵀ; binary: empty.
    var outer: Matrix<Double>
    private var full: Buffers?
    private var tail: Buffers?

    init(features p: Int, outputs m: Int) {
        features = p
        outputs = m
        gradient = Matrix(rows: p + 1, columns: m)
        diagonalBlocks = (0..<m).map { _ in Matrix(rows: p + 1, columns: p + 1) }
        outer = m > 1 ? Matrix(rows: m * (p + 1), columns: m * (p + 1)) : Matrix(rows: 0, columns: 0)
    }

    func reset(hessian: Bool) {
        loss = 0
        separated = true
        for i in gradient.storage.indices { gradient.storage[i] = 0 }
        if hessian {
            for b in diagonalBlocks.indices {
                for i in diagonalBlocks[b].storage.indices { diagonalBlocks[b].storage[i] = 0 }
            }
            for i in outer.storage.indices { outer.storage[i] = 0 }
        }
    }

    /// Buffers for a block of `rows` rows (full-size blocks share one set; the short last block
    /// gets its own), moved out so they are uniquely referenced while BLAS writes them.
    func takeBuffers(rows: Int) -> Buffers {
        if rows == LogisticObjective.blockRows {
            let b = full ?? Buffers(rows: rows, features: features, outputs: outputs)
            full = nil
            return b
        }
        if let t = tail, t.z.rows == rows { tail = nil; return t }
        return Buffers(rows: rows, features: features, outputs: outputs)
    }

    func returnBuffers(_ b: Buffers) {
        if b.z.rows == LogisticObjective.blockRows { full = b } else { tail = b }
    }
}

/// (σ(η), 1 − σ(η)) without cancellation for either sign of η.
@inline(__always)  // called once per row in the hot loop
func sigmoidPair(_ e: Double) -> (Double, Double) {
    if e >= 0 {
        let t = exp(-e)
        return (1 / (1 + t), t / (1 + t))
    }
    let t = exp(e)
    return (t / (1 + t), 1 / (1 + t))
}

/// log(1 + eᵉ) without overflow.
@inline(__always)  // called once per row in the hot loop
func softplus(_ e: Double) -> Double {
    max(e, 0) + log1p(exp(-abs(e)))
}
