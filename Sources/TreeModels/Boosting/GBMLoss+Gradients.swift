extension GBMLoss {
    /// Initial score: mean (squared, huber), median (absolute), alpha-quantile (quantile).
    func initScore(_ y: [Double]) -> Double {
        switch self {
        case .squared, .huber:
            var s = 0.0
            for v in y { s += v }
            return s / Double(y.count)
        case .absolute:
            var c = y
            return sampleQuantile(&c, 0.5)
        case .quantile(let a):
            var c = y
            return sampleQuantile(&c, a)
        case .logistic, .softmax:
            preconditionFailure("initScore of a classification loss: use initScores(_:)")
        }
    }

    /// Rows per piece of `gradientsAndMetric`. Fixed, so that the metric's sum does not depend
    /// on the thread count.
    static let chunkRows = 1 << 15

    /// One pass over the rows, in fixed pieces spread over `threads` workers: writes the gradient
    /// of the loss w.r.t. the score into `g` (when given; Float32, every hessian here is 1) and
    /// returns the metric of `score` (see `metric`). The pieces' sums are added in piece order.
    func gradientsAndMetric(y: [Double], score: [Double], gradients g: UnsafeMutableBufferPointer<Float>?,
                            threads: Int) -> Double {
        let n = y.count
        precondition(score.count >= n && (g?.count ?? n) >= n)
        let pieces = (n + Self.chunkRows - 1) / Self.chunkRows
        var partial = [Double](repeating: 0, count: max(1, pieces))
        y.withUnsafeBufferPointer { yb in
        score.withUnsafeBufferPointer { sb in
        partial.withUnsafeMutableBufferPointer { pb in
            parallelFor(pieces, threads: threads) { c in
                let lo = c * Self.chunkRows, hi = min(n, lo + Self.chunkRows)
                pb[c] = piece(y: yb.baseAddress!, score: sb.baseAddress!, gradients: g?.baseAddress, lo..<hi)
            }
        }}}
        var total = 0.0
        for v in partial { total += v }
        let mean = total / Double(n)
        return self == .squared ? mean.squareRoot() : mean
    }

    /// Gradients of `rows` into `g` (when given) and the sum of their loss terms.
    @inline(__always)
    private func piece(y: UnsafePointer<Double>, score: UnsafePointer<Double>, gradients g: UnsafeMutablePointer<Float>?,
                       _ rows: Range<Int>) -> Double {
        var s = 0.0
        switch self {
        case .squared:
            for i in rows { let d = score[i] - y[i]; g?[i] = Float(d); s += d * d }
        case .absolute:
            for i in rows { let d = score[i] - y[i]; g?[i] = d > 0 ? 1 : (d < 0 ? -1 : 0); s += abs(d) }
        case .huber(let delta):
            for i in rows {
                let d = score[i] - y[i], a = abs(d)
                g?[i] = Float(a <= delta ? d : (d > 0 ? delta : -delta))
                s += a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta)
            }
        case .quantile(let a):
            for i in rows {
                let r = y[i] - score[i]
                g?[i] = Float(r >= 0 ? -a : 1 - a)
                s += r >= 0 ? a * r : (a - 1) * r
            }
        case .logistic, .softmax:
            preconditionFailure("regression gradients of a classification loss: use classificationPass")
        }
        return s
    }

    /// Quantile of the residuals used to re-fit leaf values (absolute, quantile), else nil.
    var renewQuantile: Double? {
        switch self {
        case .absolute: 0.5
        case .quantile(let a): a
        default: nil
        }
    }

    /// Metric reported per round: RMSE, MAE, mean Huber loss or mean pinball loss.
    func metric(y: [Double], score: [Double], threads: Int = 1) -> Double {
        gradientsAndMetric(y: y, score: score, gradients: nil, threads: threads)
    }
}
