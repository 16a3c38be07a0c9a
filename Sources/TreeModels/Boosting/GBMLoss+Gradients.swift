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
        }
    }

    /// Gradient of the loss w.r.t. the score, as Float32 (every hessian here is 1).
    func gradients(y: [Double], score: [Double], into g: inout [Float]) {
        let n = y.count
        y.withUnsafeBufferPointer { yb in
            score.withUnsafeBufferPointer { sb in
                g.withUnsafeMutableBufferPointer { gb in
                    switch self {
                    case .squared:
                        for i in 0..<n { gb[i] = Float(sb[i] - yb[i]) }
                    case .absolute:
                        for i in 0..<n { let d = sb[i] - yb[i]; gb[i] = d > 0 ? 1 : (d < 0 ? -1 : 0) }
                    case .huber(let delta):
                        for i in 0..<n { let d = sb[i] - yb[i]; gb[i] = Float(abs(d) <= delta ? d : (d > 0 ? delta : -delta)) }
                    case .quantile(let a):
                        for i in 0..<n { gb[i] = Float(yb[i] - sb[i] >= 0 ? -a : 1 - a) }
                    }
                }
            }
        }
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
    func metric(y: [Double], score: [Double]) -> Double {
        var s = 0.0
        switch self {
        case .squared:
            for i in y.indices { let d = score[i] - y[i]; s += d * d }
            return (s / Double(y.count)).squareRoot()
        case .absolute:
            for i in y.indices { s += abs(score[i] - y[i]) }
        case .huber(let delta):
            for i in y.indices {
                let d = abs(score[i] - y[i])
                s += d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
            }
        case .quantile(let a):
            for i in y.indices { let r = y[i] - score[i]; s += r >= 0 ? a * r : (a - 1) * r }
        }
        return s / Double(y.count)
    }
}
