import MLCore
import Tabular

/// Independent references for the linear models, written plainly in the tests.
enum Reference {
    /// Solves A·x = b (n × n, row arrays) by Gaussian elimination with partial pivoting.
    static func gaussianSolve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a
        var r = b
        let n = b.count
        for k in 0..<n {
            var pivot = k
            for i in (k + 1)..<n where abs(m[i][k]) > abs(m[pivot][k]) { pivot = i }
            m.swapAt(k, pivot); r.swapAt(k, pivot)
            for i in (k + 1)..<n {
                let f = m[i][k] / m[k][k]
                for j in k..<n { m[i][j] -= f * m[k][j] }
                r[i] -= f * r[k]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for k in stride(from: n - 1, through: 0, by: -1) {
            var s = r[k]
            for j in (k + 1)..<n { s -= m[k][j] * x[j] }
            x[k] = s / m[k][k]
        }
        return x
    }

    /// Intercept and β from the centred normal equations (XcᵀXc + alpha·I)β = Xcᵀyc.
    static func fit(_ x: FeatureMatrix, _ y: [Double], alpha: Double = 0) -> (intercept: Double, beta: [Double]) {
        let n = x.rows, p = x.columns
        let means = (0..<p).map { j in (0..<n).reduce(0.0) { $0 + x[$1, j] } / Double(n) }
        let ym = y.reduce(0, +) / Double(n)
        var g = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        var c = [Double](repeating: 0, count: p)
        for i in 0..<n {
            for a in 0..<p {
                let xa = x[i, a] - means[a]
                c[a] += xa * (y[i] - ym)
                for b in 0..<p { g[a][b] += xa * (x[i, b] - means[b]) }
            }
        }
        for a in 0..<p { g[a][a] += alpha }
        let beta = gaussianSolve(g, c)
        let intercept = ym - zip(means, beta).reduce(0.0) { $0 + $1.0 * $1.1 }
        return (intercept, beta)
    }

    static func predict(_ x: FeatureMatrix, intercept: Double, beta: [Double]) -> [Double] {
        (0..<x.rows).map { i in (0..<x.columns).reduce(intercept) { $0 + beta[$1] * x[i, $1] } }
    }

    /// R² = 1 − SSE/SST.
    static func r2(_ y: [Double], _ pred: [Double]) -> Double {
        let ym = y.reduce(0, +) / Double(y.count)
        let sse = zip(y, pred).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let sst = y.reduce(0.0) { $0 + ($1 - ym) * ($1 - ym) }
        return 1 - sse / sst
    }

    /// rows × 8 well-conditioned design (mixed scales and offsets, mild correlation),
    /// y = 4 + X·β + noise.
    static func dataset(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double], [Double]) {
        var rng = SeededGenerator(seed: seed)
        let p = 8
        let scales: [Double] = [1, 10, 0.1, 3, 100, 1, 0.5, 7]
        let offsets: [Double] = [0, 50, -2, 1, 1000, -5, 0.3, 20]
        var cols = [[Double]](repeating: [], count: p)
        for _ in 0..<rows {
            var prev = 0.0
            for j in 0..<p {
                let u = rng.unit() * 2 - 1
                let v = 0.8 * u + 0.2 * prev      // correlate neighbouring columns a little
                prev = u
                cols[j].append(offsets[j] + scales[j] * v)
            }
        }
        let beta: [Double] = [1.5, -0.25, 12, 0.8, 0.01, -3, 4.5, 0.2]
        let x = FeatureMatrix(columns: cols)
        let y = (0..<rows).map { i -> Double in
            let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 0.5
            return 4 + (0..<p).reduce(0.0) { $0 + beta[$1] * x[i, $1] } + noise
        }
        return (x, y, beta)
    }
}

func relativeError(_ got: [Double], _ want: [Double]) -> Double {
    let scale = want.map(abs).max() ?? 1
    return zip(got, want).map { abs($0 - $1) }.max()! / max(scale, 1e-300)
}
