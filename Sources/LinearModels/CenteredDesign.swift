import LinearAlgebra
import MLCore
import Tabular

/// Training data validated and centred for an intercept model: the intercept is recovered as
/// ȳ − x̄·β, so it is never penalised and the solve sees zero-mean columns.
struct CenteredDesign {
    /// rows × features, column-major, each column minus its mean.
    var x: Matrix<Double>
    /// y − ȳ.
    var y: [Double]
    var means: [Double]
    /// Population standard deviation of each column (divides by rows).
    var stds: [Double]
    var yMean: Double

    /// Validates `x`, `y` (errors name rows and columns) and centres them.
    /// - Parameter model: "linear regression" / "ridge regression", for messages.
    /// - Throws: `LinearModelError`.
    init(_ x: FeatureMatrix, _ y: [Double], model: String) throws {
        guard x.rows >= 2 else {
            throw LinearModelError(code: .tooFewRows, message: "\(model) needs at least 2 training rows, got \(x.rows)")
        }
        guard y.count == x.rows else {
            throw LinearModelError(code: .targetCountMismatch,
                                   message: "\(model): target has \(y.count) values but the feature matrix has \(x.rows) rows")
        }
        try Self.checkTarget(y, model: model)
        let (values, means, stds) = try Self.centreColumns(x, model: model)
        let yMean = centredMean(y)
        self.x = Matrix(rows: x.rows, columns: x.columns, values: values)
        self.y = y.map { $0 - yMean }
        self.means = means
        self.stds = stds
        self.yMean = yMean
    }

    static func checkTarget(_ y: [Double], model: String) throws {
        var bad = [Int]()
        var badCount = 0
        for (i, v) in y.enumerated() where !v.isFinite {
            badCount += 1
            if bad.count < 5 { bad.append(i) }
        }
        guard badCount == 0 else {
            let listed = bad.map(String.init).joined(separator: ", ")
            let more = badCount > bad.count ? " and \(badCount - bad.count) more" : ""
            throw LinearModelError(code: .nonFiniteTarget,
                                   message: "\(model): target is NaN or infinite at row\(badCount > 1 ? "s" : "") \(listed)\(more) (0-based); drop or fix those rows")
        }
    }

    /// Centred copy of every column plus means and population stds, one column per work item on
    /// all cores. A non-finite column sum triggers a scan that names the first bad row.
    static func centreColumns(_ x: FeatureMatrix, model: String) throws -> ([Double], [Double], [Double]) {
        let n = x.rows, p = x.columns
        var means = [Double](repeating: 0, count: p)
        var stds = [Double](repeating: 0, count: p)
        var bad = [Bool](repeating: false, count: p)
        let values = [Double](unsafeUninitializedCapacity: n * p) { out, count in
            guard p > 0, let outBase = out.baseAddress else { count = 0; return }
            x.values.withUnsafeBufferPointer { src in
                means.withUnsafeMutableBufferPointer { meanBuf in
                    stds.withUnsafeMutableBufferPointer { stdBuf in
                        bad.withUnsafeMutableBufferPointer { badBuf in
                            // Plain pointers so concurrent items never touch the closures' inout
                            // parameters; each item writes only its own column and slots.
                            let meanOut = meanBuf.baseAddress!, stdOut = stdBuf.baseAddress!, badOut = badBuf.baseAddress!
                            concurrentPerform(iterations: p) { j in
                                let col = UnsafeBufferPointer(rebasing: src[(j * n)..<((j + 1) * n)])
                                let dst = UnsafeMutableBufferPointer(start: outBase + j * n, count: n)
                                let mean = sum4(col) / Double(n)
                                guard mean.isFinite else {
                                    badOut[j] = true
                                    dst.initialize(repeating: 0)
                                    return
                                }
                                meanOut[j] = mean
                                stdOut[j] = (centreAndSumSquares(col, mean, into: dst) / Double(n)).squareRoot()
                            }
                        }
                    }
                }
            }
            count = n * p
        }
        if let j = bad.firstIndex(of: true) {
            let col = x.column(j)
            if let i = col.firstIndex(where: { $0.isNaN }) {
                throw LinearModelError(code: .missingFeature,
                                       message: "\(model): feature column \(j) has a missing (NaN) value at row \(i - col.startIndex) (0-based, first of \(col.filter { $0.isNaN }.count)); impute missing values before fitting")
            }
            if let i = col.firstIndex(where: { $0.isInfinite }) {
                throw LinearModelError(code: .infiniteFeature,
                                       message: "\(model): feature column \(j) is infinite at row \(i - col.startIndex) (0-based); expected finite values")
            }
            throw LinearModelError(code: .infiniteFeature,
                                   message: "\(model): feature column \(j) overflows Double when summed; rescale it before fitting")
        }
        return (values, means, stds)
    }
}

/// Sum with four independent accumulators so the loop pipelines (a single-accumulator FP
/// reduction runs ~4× slower, PLATFORM.md); the order differs from a plain sum by rounding only.
@inline(__always)  // keeps the loop in the caller's specialised body; it is the hot part
func sum4(_ v: UnsafeBufferPointer<Double>) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    let n = v.count
    while i + 4 <= n {
        s0 += v[i]; s1 += v[i + 1]; s2 += v[i + 2]; s3 += v[i + 3]
        i += 4
    }
    while i < n { s0 += v[i]; i += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// Writes v − mean into `dst` and returns Σ(v − mean)², four accumulators as in `sum4`.
@inline(__always)  // same reason as sum4
func centreAndSumSquares(_ v: UnsafeBufferPointer<Double>, _ mean: Double, into dst: UnsafeMutableBufferPointer<Double>) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    let n = v.count
    while i + 4 <= n {
        let a = v[i] - mean, b = v[i + 1] - mean, c = v[i + 2] - mean, d = v[i + 3] - mean
        dst.baseAddress!.advanced(by: i).initialize(to: a)
        dst.baseAddress!.advanced(by: i + 1).initialize(to: b)
        dst.baseAddress!.advanced(by: i + 2).initialize(to: c)
        dst.baseAddress!.advanced(by: i + 3).initialize(to: d)
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        i += 4
    }
    while i < n {
        let a = v[i] - mean
        dst.baseAddress!.advanced(by: i).initialize(to: a)
        s0 += a * a
        i += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// Mean of a finite array (four accumulators).
func centredMean(_ y: [Double]) -> Double {
    y.withUnsafeBufferPointer { sum4($0) } / Double(y.count)
}

/// intercept + X·β into `output`, for both linear model kinds.
func predictLinear(_ x: FeatureMatrix, coefficients: [Double], intercept: Double,
                   into output: UnsafeMutableBufferPointer<Double>) {
    precondition(x.columns == coefficients.count, "predict: matrix has \(x.columns) columns, model expects \(coefficients.count)")
    precondition(output.count == x.rows, "predict: output holds \(output.count) values for \(x.rows) rows")
    guard x.rows > 0 else { return }
    output.initialize(repeating: intercept)
    guard x.columns > 0 else { return }
    x.values.withUnsafeBufferPointer { a in
        coefficients.withUnsafeBufferPointer { beta in
            gemv(rows: x.rows, columns: x.columns, a: a, x: beta, alpha: 1, beta: 1, y: output)
        }
    }
}

/// |βⱼ| · stdⱼ: the change in prediction for a one-standard-deviation change in feature j.
func scaledImportance(_ coefficients: [Double], _ stds: [Double]) -> [Double] {
    zip(coefficients, stds).map { abs($0) * $1 }
}
