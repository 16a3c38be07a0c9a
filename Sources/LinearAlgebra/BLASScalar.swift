import CBLAS

/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable, Equatable {
    case noTranspose
    case transpose

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .transpose ? CblasTrans : CblasNoTrans }
    @usableFromInline var lapack: CChar { CChar(UInt8(ascii: self == .transpose ? "T" : "N")) }
}

/// Which triangle of a symmetric or triangular matrix holds the data.
public enum Triangle: Sendable, Equatable {
    case upper
    case lower

    @usableFromInline var cblas: CBLAS_UPLO { self == .upper ? CblasUpper : CblasLower }
    @usableFromInline var lapack: CChar { CChar(UInt8(ascii: self == .upper ? "U" : "L")) }
}

/// A real scalar BLAS/LAPACK has routines for (`Double` → d*, `Float` → s*).
///
/// The `raw…` requirements are the column-major hooks the public wrappers (`gemm`, `gemv`,
/// `leastSquares`, …) dispatch to; call those wrappers rather than the hooks. Every matrix
/// pointer is column-major with the given leading dimension; LAPACK hooks return `info`.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// "d" or "s": the LAPACK routine prefix, used in error messages.
    static var routinePrefix: String { get }

    static func rawGemm(_ ta: Transpose, _ tb: Transpose, _ m: Int32, _ n: Int32, _ k: Int32,
                        _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32,
                        _ b: UnsafePointer<Self>, _ ldb: Int32,
                        _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func rawGemv(_ t: Transpose, _ m: Int32, _ n: Int32, _ alpha: Self,
                        _ a: UnsafePointer<Self>, _ lda: Int32, _ x: UnsafePointer<Self>, _ incx: Int32,
                        _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    static func rawSyrk(_ uplo: Triangle, _ t: Transpose, _ n: Int32, _ k: Int32, _ alpha: Self,
                        _ a: UnsafePointer<Self>, _ lda: Int32,
                        _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func rawDot(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32,
                       _ y: UnsafePointer<Self>, _ incy: Int32) -> Self
    static func rawAxpy(_ n: Int32, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int32,
                        _ y: UnsafeMutablePointer<Self>, _ incy: Int32)

    static func rawGels(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                        _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    static func rawGelsd(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                         _ b: UnsafeMutablePointer<Self>, _ ldb: Int32, _ s: UnsafeMutablePointer<Self>,
                         _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
    static func rawGesv(_ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                        _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    static func rawPotrf(_ uplo: Triangle, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
    static func rawPotrs(_ uplo: Triangle, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ lda: Int32,
                         _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    /// Reciprocal 1-norm condition estimate of an SPD matrix from its Cholesky factor.
    static func rawPocon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Self>, _ lda: Int32,
                         _ anorm: Self, _ rcond: UnsafeMutablePointer<Self>) -> Int32
    /// Reciprocal 1-norm condition estimate of a triangular matrix (non-unit diagonal).
    static func rawTrcon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Self>, _ lda: Int32,
                         _ rcond: UnsafeMutablePointer<Self>) -> Int32
    /// 1-norm of a symmetric matrix stored in `uplo`.
    static func rawLansyOneNorm(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Self>, _ lda: Int32) -> Self
}

private let oneNorm = CChar(UInt8(ascii: "1"))
private let nonUnit = CChar(UInt8(ascii: "N"))

extension Double: BLASScalar {
    public static var routinePrefix: String { "d" }

    public static func rawGemm(_ ta: Transpose, _ tb: Transpose, _ m: Int32, _ n: Int32, _ k: Int32,
                               _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32,
                               _ b: UnsafePointer<Double>, _ ldb: Int32,
                               _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasColMajor, ta.cblas, tb.cblas, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func rawGemv(_ t: Transpose, _ m: Int32, _ n: Int32, _ alpha: Double,
                               _ a: UnsafePointer<Double>, _ lda: Int32, _ x: UnsafePointer<Double>, _ incx: Int32,
                               _ beta: Double, _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_dgemv(CblasColMajor, t.cblas, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func rawSyrk(_ uplo: Triangle, _ t: Transpose, _ n: Int32, _ k: Int32, _ alpha: Double,
                               _ a: UnsafePointer<Double>, _ lda: Int32,
                               _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dsyrk(CblasColMajor, uplo.cblas, t.cblas, n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func rawDot(_ n: Int32, _ x: UnsafePointer<Double>, _ incx: Int32,
                              _ y: UnsafePointer<Double>, _ incy: Int32) -> Double {
        cblas_ddot(n, x, incx, y, incy)
    }
    public static func rawAxpy(_ n: Int32, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int32,
                               _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_daxpy(n, alpha, x, incx, y, incy)
    }
    public static func rawGels(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                               _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        LAPACKE_dgels(LAPACK_COL_MAJOR, Transpose.noTranspose.lapack, m, n, nrhs, a, lda, b, ldb)
    }
    public static func rawGelsd(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                                _ b: UnsafeMutablePointer<Double>, _ ldb: Int32, _ s: UnsafeMutablePointer<Double>,
                                _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgelsd(LAPACK_COL_MAJOR, m, n, nrhs, a, lda, b, ldb, s, rcond, rank)
    }
    public static func rawGesv(_ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                               _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        LAPACKE_dgesv(LAPACK_COL_MAJOR, n, nrhs, a, lda, ipiv, b, ldb)
    }
    public static func rawPotrf(_ uplo: Triangle, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
        LAPACKE_dpotrf(LAPACK_COL_MAJOR, uplo.lapack, n, a, lda)
    }
    public static func rawPotrs(_ uplo: Triangle, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ lda: Int32,
                                _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, uplo.lapack, n, nrhs, a, lda, b, ldb)
    }
    public static func rawPocon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Double>, _ lda: Int32,
                                _ anorm: Double, _ rcond: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dpocon(LAPACK_COL_MAJOR, uplo.lapack, n, a, lda, anorm, rcond)
    }
    public static func rawTrcon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Double>, _ lda: Int32,
                                _ rcond: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dtrcon(LAPACK_COL_MAJOR, oneNorm, uplo.lapack, nonUnit, n, a, lda, rcond)
    }
    public static func rawLansyOneNorm(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Double>, _ lda: Int32) -> Double {
        LAPACKE_dlansy(LAPACK_COL_MAJOR, oneNorm, uplo.lapack, n, a, lda)
    }
}

extension Float: BLASScalar {
    public static var routinePrefix: String { "s" }

    public static func rawGemm(_ ta: Transpose, _ tb: Transpose, _ m: Int32, _ n: Int32, _ k: Int32,
                               _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32,
                               _ b: UnsafePointer<Float>, _ ldb: Int32,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasColMajor, ta.cblas, tb.cblas, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func rawGemv(_ t: Transpose, _ m: Int32, _ n: Int32, _ alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int32, _ x: UnsafePointer<Float>, _ incx: Int32,
                               _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_sgemv(CblasColMajor, t.cblas, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func rawSyrk(_ uplo: Triangle, _ t: Transpose, _ n: Int32, _ k: Int32, _ alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int32,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_ssyrk(CblasColMajor, uplo.cblas, t.cblas, n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func rawDot(_ n: Int32, _ x: UnsafePointer<Float>, _ incx: Int32,
                              _ y: UnsafePointer<Float>, _ incy: Int32) -> Float {
        cblas_sdot(n, x, incx, y, incy)
    }
    public static func rawAxpy(_ n: Int32, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int32,
                               _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_saxpy(n, alpha, x, incx, y, incy)
    }
    public static func rawGels(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                               _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        LAPACKE_sgels(LAPACK_COL_MAJOR, Transpose.noTranspose.lapack, m, n, nrhs, a, lda, b, ldb)
    }
    public static func rawGelsd(_ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                                _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ s: UnsafeMutablePointer<Float>,
                                _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgelsd(LAPACK_COL_MAJOR, m, n, nrhs, a, lda, b, ldb, s, rcond, rank)
    }
    public static func rawGesv(_ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                               _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        LAPACKE_sgesv(LAPACK_COL_MAJOR, n, nrhs, a, lda, ipiv, b, ldb)
    }
    public static func rawPotrf(_ uplo: Triangle, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
        LAPACKE_spotrf(LAPACK_COL_MAJOR, uplo.lapack, n, a, lda)
    }
    public static func rawPotrs(_ uplo: Triangle, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ lda: Int32,
                                _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        LAPACKE_spotrs(LAPACK_COL_MAJOR, uplo.lapack, n, nrhs, a, lda, b, ldb)
    }
    public static func rawPocon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Float>, _ lda: Int32,
                                _ anorm: Float, _ rcond: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_spocon(LAPACK_COL_MAJOR, uplo.lapack, n, a, lda, anorm, rcond)
    }
    public static func rawTrcon(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Float>, _ lda: Int32,
                                _ rcond: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_strcon(LAPACK_COL_MAJOR, oneNorm, uplo.lapack, nonUnit, n, a, lda, rcond)
    }
    public static func rawLansyOneNorm(_ uplo: Triangle, _ n: Int32, _ a: UnsafePointer<Float>, _ lda: Int32) -> Float {
        LAPACKE_slansy(LAPACK_COL_MAJOR, oneNorm, uplo.lapack, n, a, lda)
    }
}
