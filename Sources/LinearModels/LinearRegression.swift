import LinearAlgebra
import MLCore

/// Ordinary least squares with an intercept (model kind "linear").
///
/// Fitting centres X and y, solves the centred problem, and sets intercept = ȳ − x̄·β.
/// Prediction expects complete inputs: NaN features propagate to NaN predictions, so callers
/// impute missing values first (the pipeline's fitted imputer does).
public struct LinearRegression: Regressor, Equatable {
    public static let kind = "linear"

    /// β, one per feature column.
    public let coefficients: [Double]
    public let intercept: Double
    /// Population standard deviation of each training column (for `featureImportance`).
    public let featureStds: [Double]
    /// The least-squares method that produced β (after any fallback: `.svd` means the design
    /// was rank deficient and β is the minimum-norm solution).
    public let method: LeastSquaresMethod
    /// Effective rank of the centred design.
    public let rank: Int
    /// Mean of each training column: the expected input of linear SHAP (φⱼ = βⱼ(xⱼ − E[xⱼ])).
    /// nil for a model file written before means were stored.
    public let featureMeans: [Double]?

    public var featureCount: Int { coefficients.count }

    /// |βⱼ| · stdⱼ per feature.
    public var featureImportance: [Double]? { scaledImportance(coefficients, featureStds) }

    /// A model from known parameters (`featureStds.count == coefficients.count`).
    public init(coefficients: [Double], intercept: Double, featureStds: [Double], method: LeastSquaresMethod, rank: Int,
                featureMeans: [Double]? = nil) {
        precondition(featureStds.count == coefficients.count, "LinearRegression: \(featureStds.count) stds for \(coefficients.count) coefficients")
        precondition(featureMeans == nil || featureMeans?.count == coefficients.count, "LinearRegression: one mean per coefficient")
        self.featureMeans = featureMeans
        self.coefficients = coefficients
        self.intercept = intercept
        self.featureStds = featureStds
        self.method = method
        self.rank = rank
    }

    /// Fits OLS with an intercept.
    ///
    /// - Parameters:
    ///   - x: rows × features, column-major; no NaN (impute first).
    ///   - y: one finite target per row.
    ///   - method: `.qr` (default; Householder QR, SVD minimum-norm fallback when the design is
    ///     rank deficient), `.svd`, or `.normalEquations` (~8× faster on tall data; falls back to
    ///     QR when the conditioning check fails).
    /// - Throws: `LinearModelError` for invalid input (`.tooFewRows`, `.targetCountMismatch`,
    ///   `.nonFiniteTarget`, `.missingFeature`, `.infiniteFeature`) or `.solverFailed`.
    /// - Complexity: QR 2·rows·features² flops; normal equations half that, on BLAS-3.
    public static func fit(_ x: FeatureMatrix, _ y: [Double], method: LeastSquaresMethod = .qr) throws -> LinearRegression {
        var design = try CenteredDesign(x, y, model: "linear regression")
        let solution: LeastSquaresSolution<Double>
        do {
            solution = try solveCentred(&design, method: method) {
                try CenteredDesign(x, y, model: "linear regression")
            }
        } catch {
            throw LinearModelError(code: .solverFailed, message: "linear regression: least squares failed: \(error)", underlying: error)
        }
        let beta = solution.coefficients
        var intercept = design.yMean
        for j in 0..<beta.count { intercept -= design.means[j] * beta[j] }
        return LinearRegression(coefficients: beta, intercept: intercept, featureStds: design.stds,
                                method: solution.method, rank: solution.rank, featureMeans: design.means)
    }

    /// intercept + X·β for every row (gemv).
    /// - Precondition: `x.columns == featureCount`, `output.count == x.rows`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>) {
        predictLinear(x, coefficients: coefficients, intercept: intercept, into: output)
    }

    /// Payload v1: version byte, coefficients, intercept, stds, method, rank; v2 (a model with
    /// feature means): the same, then the means.
    public func encode(to writer: inout BinaryWriter) {
        writer.write(UInt8(featureMeans == nil ? 1 : 2))
        writer.write(array: coefficients)
        writer.write(intercept)
        writer.write(array: featureStds)
        writer.write(method.rawValue)
        writer.write(Int64(rank))
        if let featureMeans { writer.write(array: featureMeans) }
    }

    public static func decode(from reader: inout BinaryReader) throws -> LinearRegression {
        let version = try checkVersion(&reader, kind: kind)
        let coefficients: [Double] = try reader.readArray()
        let intercept = try reader.readDouble()
        let stds: [Double] = try reader.readArray()
        let method = try readMethod(&reader, kind: kind)
        let rank = try reader.read(Int64.self)
        let means = version >= 2 ? try readMeans(&reader, kind: kind, count: coefficients.count) : nil
        guard stds.count == coefficients.count, rank >= 0, rank <= coefficients.count else {
            throw ModelFileError(code: .corrupt, message: "linear model payload: \(coefficients.count) coefficients, \(stds.count) stds, rank \(rank) do not fit together")
        }
        return LinearRegression(coefficients: coefficients, intercept: intercept, featureStds: stds, method: method, rank: Int(rank),
                                featureMeans: means)
    }
}

/// `leastSquares` with the same fallbacks (normal equations → QR → SVD), but QR and SVD
/// factorise the centred design in place instead of copying it (rows × features Doubles).
/// After a failed in-place QR the design is rebuilt by `rebuild` for the SVD.
func solveCentred(_ design: inout CenteredDesign, method: LeastSquaresMethod,
                  rebuild: () throws -> CenteredDesign) throws -> LeastSquaresSolution<Double> {
    let y = design.y
    if method == .normalEquations {
        do {
            return try leastSquaresNormalEquations(design.x, y)
        } catch let e as LinearAlgebraError
                    where e.code == .illConditioned || e.code == .notPositiveDefinite || e.code == .rankDeficient {
            // fall through to QR
        }
    }
    // Move the matrix out so its buffer is uniquely referenced and LAPACK can reuse it.
    var a = design.x
    design.x = Matrix(rows: 0, columns: 0)
    if method == .svd { return try leastSquaresSVD(overwriting: &a, y) }
    do {
        return try leastSquaresQR(overwriting: &a, y)
    } catch let e as LinearAlgebraError where e.code == .rankDeficient {
        a = Matrix(rows: 0, columns: 0)
        var fresh = try rebuild().x
        return try leastSquaresSVD(overwriting: &fresh, y)
    }
}

/// Reads the payload version byte: 1, or 2 (with feature means).
@discardableResult
func checkVersion(_ reader: inout BinaryReader, kind: String) throws -> UInt8 {
    let version = try reader.read(UInt8.self)
    guard version == 1 || version == 2 else {
        throw ModelFileError(code: .newerFormat, message: "\(kind) model payload has format version \(version); this build reads versions 1 and 2")
    }
    return version
}

/// The feature means of a version-2 payload: `count` finite values.
func readMeans(_ reader: inout BinaryReader, kind: String, count: Int) throws -> [Double] {
    let means: [Double] = try reader.readArray()
    guard means.count == count, means.allSatisfy(\.isFinite) else {
        throw ModelFileError(code: .corrupt, message: "\(kind) model payload: \(means.count) feature means for \(count) features, or a non-finite one")
    }
    return means
}

func readMethod(_ reader: inout BinaryReader, kind: String) throws -> LeastSquaresMethod {
    let name = try reader.readString()
    guard let method = LeastSquaresMethod(rawValue: name) else {
        throw ModelFileError(code: .corrupt, message: "\(kind) model payload: unknown solver \"\(name)\", expected one of \(LeastSquaresMethod.allCases.map(\.rawValue))")
    }
    return method
}
