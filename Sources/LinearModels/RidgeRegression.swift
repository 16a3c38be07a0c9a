import LinearAlgebra
import MLCore

/// L2-penalised least squares with an unpenalised intercept (model kind "ridge").
///
/// Minimises ‖y − b − X·β‖² + alpha·‖β‖² (scikit-learn's `Ridge` objective; features are not
/// rescaled). X and y are centred, then (XᵀX + alpha·I)·β = Xᵀy is solved by Cholesky, and
/// intercept = ȳ − x̄·β. NaN features propagate to predictions: impute before fitting/scoring.
public struct RidgeRegression: Regressor, Equatable {
    public static let kind = "ridge"

    /// The penalty used (≥ 0).
    public let alpha: Double
    /// β, one per feature column.
    public let coefficients: [Double]
    public let intercept: Double
    /// Population standard deviation of each training column (for `featureImportance`).
    public let featureStds: [Double]
    /// `.normalEquations` (Cholesky) normally; `.svd` when XᵀX + alpha·I was not numerically
    /// positive definite (alpha ≈ 0 on a rank-deficient design) and the equivalent augmented
    /// problem [X; √alpha·I]·β ≈ [y; 0] was solved by SVD instead (minimum norm).
    public let method: LeastSquaresMethod
    /// Mean of each training column: the expected input of linear SHAP (φⱼ = βⱼ(xⱼ − E[xⱼ])).
    /// nil for a model file written before means were stored.
    public let featureMeans: [Double]?

    public var featureCount: Int { coefficients.count }

    /// |βⱼ| · stdⱼ per feature.
    public var featureImportance: [Double]? { scaledImportance(coefficients, featureStds) }

    /// A model from known parameters (`featureStds.count == coefficients.count`).
    public init(alpha: Double, coefficients: [Double], intercept: Double, featureStds: [Double], method: LeastSquaresMethod,
                featureMeans: [Double]? = nil) {
        precondition(featureStds.count == coefficients.count, "RidgeRegression: \(featureStds.count) stds for \(coefficients.count) coefficients")
        precondition(featureMeans == nil || featureMeans?.count == coefficients.count, "RidgeRegression: one mean per coefficient")
        self.featureMeans = featureMeans
        self.alpha = alpha
        self.coefficients = coefficients
        self.intercept = intercept
        self.featureStds = featureStds
        self.method = method
    }

    /// Fits ridge regression with an unpenalised intercept.
    ///
    /// - Parameters:
    ///   - x: rows × features, column-major; no NaN (impute first).
    ///   - y: one finite target per row.
    ///   - alpha: L2 penalty, finite and ≥ 0 (0 gives OLS, minimum norm if rank deficient).
    /// - Throws: `LinearModelError` (`.invalidAlpha`, plus the input errors of
    ///   `LinearRegression.fit`, or `.solverFailed`).
    /// - Complexity: rows·features² flops (syrk) + O(features³).
    public static func fit(_ x: FeatureMatrix, _ y: [Double], alpha: Double = 1.0) throws -> RidgeRegression {
        guard alpha >= 0, alpha.isFinite else {
            throw LinearModelError(code: .invalidAlpha, message: "ridge regression: alpha must be a finite number ≥ 0, got \(alpha)")
        }
        let design = try CenteredDesign(x, y, model: "ridge regression")
        let p = design.x.columns
        var beta: [Double]
        var method = LeastSquaresMethod.normalEquations
        do {
            var gram = syrk(design.x)
            for j in 0..<p { gram[j, j] += alpha }
            let rhs = gemv(design.x, design.y, trans: .transpose)
            do {
                beta = try choleskySolve(gram, rhs)
            } catch let e as LinearAlgebraError where e.code == .notPositiveDefinite {
                beta = try augmentedSolve(design, alpha: alpha)
                method = .svd
            }
        } catch {
            throw LinearModelError(code: .solverFailed, message: "ridge regression: solve failed: \(error)", underlying: error)
        }
        var intercept = design.yMean
        for j in 0..<p { intercept -= design.means[j] * beta[j] }
        return RidgeRegression(alpha: alpha, coefficients: beta, intercept: intercept, featureStds: design.stds, method: method,
                               featureMeans: design.means)
    }

    /// Ridge as plain least squares on [X; √alpha·I] and [y; 0], by SVD.
    private static func augmentedSolve(_ design: CenteredDesign, alpha: Double) throws -> [Double] {
        let n = design.x.rows, p = design.x.columns
        let root = alpha.squareRoot()
        var a = Matrix<Double>(rows: n + p, columns: p)
        for j in 0..<p {
            for i in 0..<n { a.storage[j * (n + p) + i] = design.x.storage[j * n + i] }
            a.storage[j * (n + p) + n + j] = root
        }
        let b = design.y + [Double](repeating: 0, count: p)
        return try leastSquaresSVD(a, b).coefficients
    }

    /// intercept + X·β for every row (gemv).
    /// - Precondition: `x.columns == featureCount`, `output.count == x.rows`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predictLinear(x, coefficients: coefficients, intercept: intercept, into: output)
    }

    /// Payload v1: version byte, alpha, coefficients, intercept, stds, method; v2 (a model with
    /// feature means): the same, then the means.
    public func encode(to writer: inout BinaryWriter) {
        writer.write(UInt8(featureMeans == nil ? 1 : 2))
        writer.write(alpha)
        writer.write(array: coefficients)
        writer.write(intercept)
        writer.write(array: featureStds)
        writer.write(method.rawValue)
        if let featureMeans { writer.write(array: featureMeans) }
    }

    public static func decode(from reader: inout BinaryReader) throws -> RidgeRegression {
        let version = try checkVersion(&reader, kind: kind)
        let alpha = try reader.readDouble()
        let coefficients: [Double] = try reader.readArray()
        let intercept = try reader.readDouble()
        let stds: [Double] = try reader.readArray()
        let method = try readMethod(&reader, kind: kind)
        let means = version >= 2 ? try readMeans(&reader, kind: kind, count: coefficients.count) : nil
        guard stds.count == coefficients.count, alpha >= 0 else {
            throw ModelFileError(code: .corrupt, message: "ridge model payload: \(coefficients.count) coefficients, \(stds.count) stds, alpha \(alpha) do not fit together")
        }
        return RidgeRegression(alpha: alpha, coefficients: coefficients, intercept: intercept, featureStds: stds, method: method, featureMeans: means)
    }
}
