// Square solvers: LU (gesv) for general systems, Cholesky (posv) for symmetric positive definite.

/// Solves A · X = B for square A by LU with partial pivoting (gesv).
///
/// - Parameters:
///   - a: n × n.
///   - b: n × nrhs.
/// - Returns: X, n × nrhs.
/// - Throws: `LinearAlgebraError` `.dimensionMismatch`; `.singular` when a pivot is exactly zero.
public func solve<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>) throws -> Matrix<S> {
    a.checkStorage("solve A"); b.checkStorage("solve B")
    guard a.rows == a.columns else {
        throw LinearAlgebraError.dimensionMismatch("solve", "A must be square, got \(a.rows)×\(a.columns)")
    }
    guard b.rows == a.rows else {
        throw LinearAlgebraError.dimensionMismatch("solve", "B has \(b.rows) rows, A has \(a.rows)")
    }
    let n = a.rows
    if n == 0 || b.columns == 0 { return b }
    let routine = S.routinePrefix + "gesv"
    var lu = a.storage
    var x = b.storage
    var ipiv = [Int32](repeating: 0, count: n)
    let info = lu.withUnsafeMutableBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { px in
            ipiv.withUnsafeMutableBufferPointer { pp in
                S.rawGesv(int32(n, "n"), int32(b.columns, "nrhs"), pa.baseAddress!, a.ld, pp.baseAddress!, px.baseAddress!, b.ld)
            }
        }
    }
    try check(info, routine) { i in
        (.singular, "U(\(i),\(i)) is exactly zero: the \(n)×\(n) matrix is singular")
    }
    return Matrix(rows: n, columns: b.columns, values: x)
}

/// Solves A · x = b for square A by LU with partial pivoting (gesv).
///
/// - Parameters: `a` n × n, `b` length n. - Returns: x, length n.
/// - Throws: `LinearAlgebraError` `.dimensionMismatch` or `.singular`.
public func solve<S: BLASScalar>(_ a: Matrix<S>, _ b: [S]) throws -> [S] {
    try solve(a, Matrix(rows: b.count, columns: 1, values: b)).storage
}

/// Solves A · X = B for symmetric positive definite A by Cholesky (posv); only A's upper
/// triangle is read.
///
/// - Parameters:
///   - a: n × n, symmetric positive definite.
///   - b: n × nrhs.
/// - Returns: X, n × nrhs.
/// - Throws: `LinearAlgebraError` `.dimensionMismatch`; `.notPositiveDefinite` naming the
///   order of the first leading minor that is not positive definite.
public func choleskySolve<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>) throws -> Matrix<S> {
    a.checkStorage("choleskySolve A"); b.checkStorage("choleskySolve B")
    guard a.rows == a.columns else {
        throw LinearAlgebraError.dimensionMismatch("choleskySolve", "A must be square, got \(a.rows)×\(a.columns)")
    }
    guard b.rows == a.rows else {
        throw LinearAlgebraError.dimensionMismatch("choleskySolve", "B has \(b.rows) rows, A has \(a.rows)")
    }
    let n = a.rows
    if n == 0 || b.columns == 0 { return b }
    var factor = a.storage
    var x = b.storage
    let info = factor.withUnsafeMutableBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { px in
            S.rawPosv(.upper, int32(n, "n"), int32(b.columns, "nrhs"), pa.baseAddress!, a.ld, px.baseAddress!, b.ld)
        }
    }
    try check(info, S.routinePrefix + "posv") { i in
        (.notPositiveDefinite, "leading minor of order \(i) is not positive definite")
    }
    return Matrix(rows: n, columns: b.columns, values: x)
}

/// Solves A · x = b for symmetric positive definite A by Cholesky (posv).
///
/// - Parameters: `a` n × n SPD (upper triangle read), `b` length n. - Returns: x, length n.
/// - Throws: `LinearAlgebraError` `.dimensionMismatch` or `.notPositiveDefinite`.
public func choleskySolve<S: BLASScalar>(_ a: Matrix<S>, _ b: [S]) throws -> [S] {
    try choleskySolve(a, Matrix(rows: b.count, columns: 1, values: b)).storage
}

extension BLASScalar {
    /// posv as potrf + potrs, exactly what LAPACK's xPOSV does; the normal-equations solver needs
    /// the factor between the two steps (for pocon), so the hooks expose the pieces.
    static func rawPosv(_ uplo: Triangle, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                        _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32 {
        let info = rawPotrf(uplo, n, a, lda)
        if info != 0 { return info }
        return rawPotrs(uplo, n, nrhs, UnsafePointer(a), lda, b, ldb)
    }
}
