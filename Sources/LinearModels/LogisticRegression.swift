import Foundation
import LinearAlgebra
import MLCore
import Tabular

/// L2-penalised logistic regression with unpenalised intercepts (model kind "logistic"):
/// binary (sigmoid) for 2 classes, multinomial (softmax) for more.
///
/// Objective, over n training rows with classes yᵢ ∈ 0..<K:
///
///     (1/n) Σᵢ −log p(yᵢ | xᵢ) + (alpha/2) ‖W‖²
///
/// with W the coefficients on the original feature scale (binary: one vector, the log-odds of
/// class 1; multinomial: one vector per class, all penalised). This is scikit-learn's
/// `LogisticRegression(C=C, l1_ratio=0)` — whose objective is C·Σᵢ loss + ½‖W‖² — divided by
/// C·n, so **C = 1 / (alpha · n)**, and alpha = 0 is C = ∞ (no penalty). Like scikit-learn's
/// multinomial, the intercepts are reported centred (they sum to 0), and with alpha = 0 each
/// feature's coefficients across classes are centred too; neither changes a probability.
///
/// Fitting standardises the features internally (the penalty stays on the original scale),
/// runs Newton's method with a backtracking line search — Hessian Xᵀ·diag(v)·X by blocked
/// syrk/gemm on all cores, solved by Cholesky — until the largest gradient component (in
/// standardised units) is below `tolerance`, and unscales the result. The softmax
/// parameterisation is singular along "add the same value to every class"; the solver removes
/// that direction (for the intercepts always, for the coefficients when alpha = 0) by adding
/// its projector to the Hessian, which leaves the Newton step unchanged elsewhere.
/// Constant feature columns get coefficient 0. With alpha = 0, (quasi-)separable classes have
/// no finite optimum and the fit throws `.perfectSeparation` instead of returning huge
/// coefficients.
///
/// Prediction expects complete inputs: NaN features give NaN probabilities.
public struct LogisticRegression: Regressor, Equatable {
    public static let kind = "logistic"

    /// K ≥ 2.
    public let classCount: Int
    /// The penalty used (≥ 0).
    public let alpha: Double
    /// outputs × features, row-major (scikit-learn's `coef_`): outputs = 1 for binary (the
    /// positive class 1), K for multinomial.
    public let coefficients: [Double]
    /// One per output (scikit-learn's `intercept_`).
    public let intercepts: [Double]
    /// Population standard deviation of each training column (for `featureImportance`).
    public let featureStds: [Double]
    /// Newton steps taken by the fit.
    public let iterations: Int
    /// Mean of each training column: the expected input of linear SHAP (φⱼ = βⱼ(xⱼ − E[xⱼ])).
    /// nil for a model file written before means were stored.
    public let featureMeans: [Double]?

    public var featureCount: Int { featureStds.count }
    /// Rows of `coefficients`: 1 for binary, K for multinomial.
    public var scoreCount: Int { classCount == 2 ? 1 : classCount }

    /// The coefficient vector of output `k` (binary: k = 0, the log-odds of class 1).
    public func coefficients(ofOutput k: Int) -> ArraySlice<Double> {
        precondition(k >= 0 && k < scoreCount, "LogisticRegression: output \(k) outside 0..<\(scoreCount)")
        return coefficients[(k * featureCount)..<((k + 1) * featureCount)]
    }

    /// Values per row `predict` writes: one probability per class.
    public var outputCount: Int { classCount }

    /// Class probabilities into `output` (rows × classCount, row-major), as `predictProbabilities`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        let p = predictProbabilities(x)
        precondition(output.count == p.count, "LogisticRegression.predict: output holds \(output.count), \(p.count) probabilities")
        _ = output.initialize(from: p)
    }

    public var featureImportance: [Double]? { importance }

    /// Σₖ |w_kj| · stdⱼ per feature: the change in log-odds for a one-standard-deviation change.
    public var importance: [Double] {
        (0..<featureCount).map { j in (0..<scoreCount).reduce(0.0) { $0 + abs(coefficients[$1 * featureCount + j]) } * featureStds[j] }
    }

    /// A model from known parameters.
    public init(classCount: Int, alpha: Double, coefficients: [Double], intercepts: [Double], featureStds: [Double], iterations: Int,
                featureMeans: [Double]? = nil) {
        precondition(featureMeans == nil || featureMeans?.count == featureStds.count, "LogisticRegression: one mean per feature")
        self.featureMeans = featureMeans
        let outputs = classCount == 2 ? 1 : classCount
        precondition(classCount >= 2, "LogisticRegression: classCount \(classCount) < 2")
        precondition(intercepts.count == outputs && coefficients.count == outputs * featureStds.count,
                     "LogisticRegression: \(coefficients.count) coefficients and \(intercepts.count) intercepts for \(outputs) outputs × \(featureStds.count) features")
        self.classCount = classCount
        self.alpha = alpha
        self.coefficients = coefficients
        self.intercepts = intercepts
        self.featureStds = featureStds
        self.iterations = iterations
    }

    /// Fits the model.
    ///
    /// - Parameters:
    ///   - x: rows × features, column-major; finite (impute first).
    ///   - classes: one class index in `0..<classCount` per row; every class must occur.
    ///   - classCount: K ≥ 2.
    ///   - alpha: L2 penalty, finite and ≥ 0 (scikit-learn's C = 1 / (alpha · rows)).
    ///   - tolerance: stop when every gradient component of the objective, in standardised
    ///     units, is at most this.
    ///   - maxIterations: Newton steps before giving up.
    /// - Throws: `LinearModelError`: `.targetCountMismatch`, `.invalidClassCount`,
    ///   `.classOutOfRange`, `.singleClass` / `.missingClass` (naming the class),
    ///   `.invalidAlpha`, `.missingFeature` / `.infiniteFeature` (naming column and row),
    ///   `.perfectSeparation` (alpha = 0 and the classes are separable — some iterate
    ///   classifies every row correctly — or quasi-separable — the gradient vanishes while
    ///   Newton steps stay large —, so no finite maximum likelihood exists: use alpha > 0),
    ///   `.notConverged`, `.solverFailed`.
    /// - Complexity: per Newton step O(rows · m² · features²) flops on BLAS-3 plus an
    ///   O((m · features)³) solve, m = 1 (binary) or K; a handful of steps as a rule.
    public static func fit(_ x: FeatureMatrix, classes: [Int], classCount: Int, alpha: Double,
                           tolerance: Double = 1e-10, maxIterations: Int = 100) throws -> LogisticRegression {
        let classSizes = try checkClasses(classes, rows: x.rows, classCount: classCount)
        guard alpha >= 0, alpha.isFinite else {
            throw LinearModelError(code: .invalidAlpha, message: "logistic regression: alpha must be a finite number ≥ 0, got \(alpha)")
        }
        let (means, stds) = try columnStatistics(x)
        let objective = LogisticObjective(x: x, classes: classes, classCount: classCount, alpha: alpha, means: means, stds: stds)
        let start = startingPoint(objective, classSizes: classSizes)
        let (theta, steps) = try newton(objective, start: start, tolerance: tolerance, maxIterations: maxIterations)
        let (w, b) = unscale(theta, objective)
        return LogisticRegression(classCount: classCount, alpha: alpha, coefficients: w, intercepts: b,
                                  featureStds: stds, iterations: steps, featureMeans: means)
    }

    /// Class probabilities for every row: rows × classCount, row-major (binary: column 1 is
    /// class 1, computed as σ(η) and column 0 as σ(−η), so neither loses precision).
    /// - Precondition: `x.columns == featureCount`.
    /// - Complexity: one gemm (rows × features × outputs) and one exp per row and output.
    public func predictProbabilities(_ x: FeatureMatrix) -> [Double] {
        precondition(x.columns == featureCount, "predict: matrix has \(x.columns) columns, model expects \(featureCount)")
        let n = x.rows, m = scoreCount, k = classCount, p = featureCount
        var eta = Matrix<Double>(rows: n, columns: m)
        if n > 0 && p > 0 {
            // Both operands share their arrays' storage; coefficients (m × p row-major) is Wᵀ
            // column-major.
            gemm(Matrix(rows: n, columns: p, values: x.values), Matrix(rows: p, columns: m, values: coefficients), into: &eta)
        }
        return [Double](unsafeUninitializedCapacity: n * k) { out, count in
            eta.storage.withUnsafeBufferPointer { e in
                for i in 0..<n {
                    if m == 1 {
                        let (p1, p0) = sigmoidPair(e[i] + intercepts[0])
                        out[2 * i] = p0
                        out[2 * i + 1] = p1
                    } else {
                        var top = -Double.infinity
                        for c in 0..<k { top = max(top, e[c * n + i] + intercepts[c]) }
                        var sum = 0.0
                        for c in 0..<k {
                            let v = exp(e[c * n + i] + intercepts[c] - top)
                            out[i * k + c] = v
                            sum += v
                        }
                        for c in 0..<k { out[i * k + c] /= sum }
                    }
                }
            }
            count = n * k
        }
    }

    /// Payload v1: version byte, classCount, alpha, coefficients, intercepts, feature stds,
    /// iterations.
    /// Payload v1: version byte, class count, alpha, coefficients, intercepts, stds, iterations;
    /// v2 (a model with feature means): the same, then the means.
    public func encode(to writer: inout BinaryWriter) {
        writer.write(UInt8(featureMeans == nil ? 1 : 2))
        writer.write(Int64(classCount))
        writer.write(alpha)
        writer.write(array: coefficients)
        writer.write(array: intercepts)
        writer.write(array: featureStds)
        writer.write(Int64(iterations))
        if let featureMeans { writer.write(array: featureMeans) }
    }

    public static func decode(from reader: inout BinaryReader) throws -> LogisticRegression {
        let version = try checkVersion(&reader, kind: kind)
        let classCount = try reader.read(Int64.self)
        let alpha = try reader.readDouble()
        let coefficients: [Double] = try reader.readArray()
        let intercepts: [Double] = try reader.readArray()
        let stds: [Double] = try reader.readArray()
        let iterations = try reader.read(Int64.self)
        let means = version >= 2 ? try readMeans(&reader, kind: kind, count: stds.count) : nil
        let outputs = classCount == 2 ? 1 : Int(clamping: classCount)
        guard classCount >= 2, classCount <= Int64(Int32.max), alpha >= 0, alpha.isFinite, iterations >= 0,
              intercepts.count == outputs, coefficients.count == outputs * stds.count else {
            throw ModelFileError(code: .corrupt, message: "logistic model payload: \(classCount) classes, \(coefficients.count) coefficients, \(intercepts.count) intercepts, \(stds.count) stds, alpha \(alpha) do not fit together")
        }
        return LogisticRegression(classCount: Int(classCount), alpha: alpha, coefficients: coefficients, intercepts: intercepts,
                                  featureStds: stds, iterations: Int(iterations), featureMeans: means)
    }
}

// MARK: - Fitting steps

extension LogisticRegression {
    /// Validates the classes; returns the row count of each class.
    static func checkClasses(_ classes: [Int], rows: Int, classCount: Int) throws -> [Int] {
        guard classCount >= 2 else {
            throw LinearModelError(code: .invalidClassCount, message: "logistic regression needs classCount ≥ 2, got \(classCount)")
        }
        guard classes.count == rows else {
            throw LinearModelError(code: .targetCountMismatch,
                                   message: "logistic regression: \(classes.count) classes for a feature matrix of \(rows) rows")
        }
        var sizes = [Int](repeating: 0, count: classCount)
        for (i, c) in classes.enumerated() {
            guard c >= 0 && c < classCount else {
                throw LinearModelError(code: .classOutOfRange, message: "logistic regression: row \(i) (0-based) has class \(c), expected 0..<\(classCount)")
            }
            sizes[c] += 1
        }
        let present = sizes.indices.filter { sizes[$0] > 0 }
        if present.count == 1 {
            throw LinearModelError(code: .singleClass, message: "logistic regression: every one of the \(rows) training rows has class \(present[0]); need rows of at least two classes")
        }
        guard present.count == classCount else {
            let missing = sizes.indices.filter { sizes[$0] == 0 }
            throw LinearModelError(code: .missingClass, message: "logistic regression: class\(missing.count > 1 ? "es" : "") \(missing.map(String.init).joined(separator: ", ")) of 0..<\(classCount) \(missing.count > 1 ? "have" : "has") no training rows (\(present.count == 0 ? "no rows at all" : "each class needs at least one"))")
        }
        return sizes
    }

    /// Means and population standard deviations of the columns, one column per work item; a
    /// column whose values are all equal gets std 0 (its mean may differ from the value by
    /// rounding, so a computed std would be noise). The first NaN or infinity is reported.
    static func columnStatistics(_ x: FeatureMatrix) throws -> ([Double], [Double]) {
        let n = x.rows, p = x.columns
        var means = [Double](repeating: 0, count: p)
        var stds = [Double](repeating: 0, count: p)
        var bad = [Bool](repeating: false, count: p)
        guard p > 0 else { return (means, stds) }
        x.values.withUnsafeBufferPointer { src in
            means.withUnsafeMutableBufferPointer { meanBuf in
                stds.withUnsafeMutableBufferPointer { stdBuf in
                    bad.withUnsafeMutableBufferPointer { badBuf in
                        // Plain pointers: each work item writes only its own column's slots.
                        let meanOut = meanBuf.baseAddress!, stdOut = stdBuf.baseAddress!, badOut = badBuf.baseAddress!
                        concurrentPerform(iterations: p) { j in
                            let col = UnsafeBufferPointer(rebasing: src[(j * n)..<((j + 1) * n)])
                            let mean = sum4(col) / Double(n)
                            guard mean.isFinite else { badOut[j] = true; return }
                            meanOut[j] = mean
                            let first = col[0]
                            guard col.contains(where: { $0 != first }) else { return }
                            var s0 = 0.0, s1 = 0.0
                            var i = 0
                            while i + 2 <= n {
                                let a = col[i] - mean, b = col[i + 1] - mean
                                s0 += a * a; s1 += b * b
                                i += 2
                            }
                            if i < n { let a = col[i] - mean; s0 += a * a }
                            stdOut[j] = ((s0 + s1) / Double(n)).squareRoot()
                        }
                    }
                }
            }
        }
        if let j = bad.firstIndex(of: true) {
            let col = x.column(j)
            if let i = col.firstIndex(where: { $0.isNaN }) {
                throw LinearModelError(code: .missingFeature,
                                       message: "logistic regression: feature column \(j) has a missing (NaN) value at row \(i - col.startIndex) (0-based, first of \(col.filter { $0.isNaN }.count)); impute missing values before fitting")
            }
            if let i = col.firstIndex(where: { $0.isInfinite }) {
                throw LinearModelError(code: .infiniteFeature,
                                       message: "logistic regression: feature column \(j) is infinite at row \(i - col.startIndex) (0-based); expected finite values")
            }
            throw LinearModelError(code: .infiniteFeature,
                                   message: "logistic regression: feature column \(j) overflows Double when summed; rescale it before fitting")
        }
        return (means, stds)
    }

    /// Zero coefficients and the intercepts of the class frequencies — the optimum when no
    /// feature helps (features are centred), usually one or two Newton steps saved.
    static func startingPoint(_ f: LogisticObjective, classSizes: [Int]) -> [Double] {
        let q = f.features + 1
        var theta = [Double](repeating: 0, count: f.parameterCount)
        let logs = classSizes.map { log(Double($0)) }
        if f.outputs == 1 {
            theta[f.features] = logs[1] - logs[0]
        } else {
            let mean = logs.reduce(0, +) / Double(logs.count)
            for k in 0..<f.outputs { theta[k * q + f.features] = logs[k] - mean }
        }
        return theta
    }

    /// Damped Newton: step −H⁻¹g, halved until the objective decreases enough (Armijo, 1e-4).
    /// Returns θ and the number of steps taken.
    static func newton(_ f: LogisticObjective, start: [Double], tolerance: Double,
                       maxIterations: Int) throws -> ([Double], Int) {
        var theta = start
        var current = f.evaluate(theta, hessian: true)
        try checkSeparation(current, f)
        for step in 0..<maxIterations {
            let gradientMax = maxAbs(current.gradient)
            let direction = try newtonDirection(current, f)
            if gradientMax <= tolerance {
                try checkQuasiSeparation(direction: direction, f)
                return (theta, step)
            }
            let slope = zip(current.gradient, direction).reduce(0.0) { $0 + $1.0 * $1.1 }
            var t = 1.0
            while true {
                let trial = zip(theta, direction).map { $0 + t * $1 }
                let next = f.evaluate(trial, hessian: true)
                try checkSeparation(next, f)
                let sufficient = next.objective <= current.objective + 1e-4 * t * slope
                // Near the optimum the objective changes below its rounding error; a step that
                // keeps it there and shrinks the gradient is progress all the same.
                let flat = next.objective <= current.objective + 1e-13 * (1 + abs(current.objective))
                    && maxAbs(next.gradient) < gradientMax
                if sufficient || flat {
                    theta = trial
                    current = next
                    break
                }
                t /= 2
                if t < 1e-10 {
                    // No step helps: the gradient is at its rounding floor if it is this small.
                    if gradientMax <= 1e-6 {
                        try checkQuasiSeparation(direction: direction, f)
                        return (theta, step)
                    }
                    throw LinearModelError(code: .notConverged, message: "logistic regression: the line search found no decrease after \(step) Newton steps (max |gradient| \(gradientMax)); the data may be badly scaled or (quasi-)separable — try alpha > 0")
                }
            }
        }
        let gradientMax = maxAbs(current.gradient)
        if gradientMax <= tolerance {
            try checkQuasiSeparation(direction: try newtonDirection(current, f), f)
            return (theta, maxIterations)
        }
        throw LinearModelError(code: .notConverged, message: "logistic regression did not converge in \(maxIterations) Newton steps (max |gradient| \(gradientMax), tolerance \(tolerance))\(f.alpha == 0 ? "; with alpha = 0 the classes may be quasi-separable (no finite optimum) — use alpha > 0" : "")")
    }

    static func checkSeparation(_ e: LogisticObjective.Evaluation, _ f: LogisticObjective) throws {
        guard f.alpha == 0, e.separated else { return }
        throw LinearModelError(code: .perfectSeparation, message: "logistic regression: with alpha = 0 the \(f.rows) training rows are perfectly separable (a linear rule classifies every row correctly), so the coefficients grow without bound; use alpha > 0")
    }

    /// Largest Newton step component (standardised units) still accepted at a vanished
    /// gradient when alpha = 0.
    static let quasiSeparationStep = 0.1

    /// Quasi-complete separation (alpha = 0, some rows separated, others tied on the boundary):
    /// the likelihood keeps rising along a direction in which gradient and curvature both decay
    /// like e^(−t), so the gradient falls below any tolerance while the Newton step stays ≈ 1.
    /// A well-posed optimum has a step of about gradient / curvature there, orders of
    /// magnitude smaller.
    static func checkQuasiSeparation(direction: [Double], _ f: LogisticObjective) throws {
        let step = maxAbs(direction)
        guard f.alpha == 0, step > quasiSeparationStep else { return }
        throw LinearModelError(code: .perfectSeparation, message: "logistic regression: with alpha = 0 the classes are quasi-separable (some rows are separated by a linear rule, the rest tied on it): the gradient vanishes while Newton steps of \(step) continue, so the coefficients grow without bound; use alpha > 0")
    }

    /// −H⁻¹g with constant columns pinned (unit diagonal, zero gradient) and, for softmax, the
    /// projector onto "same shift for every class" added for the intercepts (and for the
    /// coefficients when alpha = 0). Cholesky; if rounding leaves H not positive definite, a
    /// growing multiple of the identity is added (Levenberg).
    static func newtonDirection(_ e: LogisticObjective.Evaluation, _ f: LogisticObjective) throws -> [Double] {
        guard var h = e.hessian else { preconditionFailure("newtonDirection needs a Hessian") }
        let q = f.features + 1, m = f.outputs, d = q * m
        for j in 0..<f.features where f.stds[j] == 0 {
            for k in 0..<m { h.storage[(k * q + j) * d + (k * q + j)] = 1 }
        }
        if m > 1 {
            let shift = 1 / Double(m)
            for j in 0..<q where j == f.features || (f.alpha == 0 && f.stds[j] > 0) {
                for k in 0..<m {
                    for l in 0..<m { h.storage[(l * q + j) * d + (k * q + j)] += shift }
                }
            }
        }
        let rhs = e.gradient.map { -$0 }
        var damping = 0.0
        let scale = (0..<d).reduce(0.0) { max($0, h.storage[$1 * d + $1]) }
        while true {
            var damped = h
            if damping > 0 { for i in 0..<d { damped.storage[i * d + i] += damping } }
            do {
                return try choleskySolve(damped, rhs)
            } catch let error as LinearAlgebraError where error.code == .notPositiveDefinite {
                damping = damping == 0 ? 1e-12 * max(scale, 1e-300) : damping * 100
                if damping > scale {
                    throw LinearModelError(code: .solverFailed, message: "logistic regression: the Hessian is not positive definite even with damping \(damping): \(error)", underlying: error)
                }
            } catch {
                throw LinearModelError(code: .solverFailed, message: "logistic regression: Newton solve failed: \(error)", underlying: error)
            }
        }
    }

    /// θ (standardised) → coefficients (outputs × features, row-major) and intercepts on the
    /// original scale, centred across classes as scikit-learn reports them.
    static func unscale(_ theta: [Double], _ f: LogisticObjective) -> ([Double], [Double]) {
        let p = f.features, q = p + 1, m = f.outputs
        var w = [Double](repeating: 0, count: m * p)
        var b = [Double](repeating: 0, count: m)
        for k in 0..<m {
            for j in 0..<p { w[k * p + j] = theta[k * q + j] * f.inverseScales[j] }
        }
        if m > 1 && f.alpha == 0 {
            for j in 0..<p {
                let mean = (0..<m).reduce(0.0) { $0 + w[$1 * p + j] } / Double(m)
                for k in 0..<m { w[k * p + j] -= mean }
            }
        }
        for k in 0..<m {
            var intercept = theta[k * q + p]
            for j in 0..<p { intercept -= w[k * p + j] * f.means[j] }
            b[k] = intercept
        }
        if m > 1 {
            let mean = b.reduce(0, +) / Double(m)
            for k in 0..<m { b[k] -= mean }
        }
        return (w, b)
    }
}

private func maxAbs(_ v: [Double]) -> Double { v.reduce(0.0) { max($0, abs($1)) } }
