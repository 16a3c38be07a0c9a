// Linear least squares min ‖A·x − b‖₂: QR (gels), SVD (gelsd) and normal equations
// (syrk + gemv + Cholesky) with a conditioning check and fallbacks.

/// How `leastSquares` solves min ‖A·x − b‖₂.
public enum LeastSquaresMethod: String, Sendable, CaseIterable, Equatable {
    /// Householder QR (gels); falls back to `.svd` when R is numerically singular.
    case qr
    /// SVD by divide and conquer (gelsd): minimum-norm solution, handles any rank.
    case svd
    /// AᵀA·x = Aᵀb by Cholesky after Jacobi scaling; ~8× faster than QR on tall matrices but
    /// squares the condition number, so it falls back to `.qr` when the estimate is poor.
    case normalEquations = "normal-equations"
}

/// The result of a least-squares solve.
public struct LeastSquaresSolution<S: BLASScalar>: Sendable, Equatable {
    /// x, length A.columns.
    public var coefficients: [S]
    /// Effective rank of A (min(rows, columns) when QR or normal equations succeeded).
    public var rank: Int
    /// A's singular values in decreasing order, when the SVD path ran.
    public var singularValues: [S]?
    /// The method that produced `coefficients` (after any fallback).
    public var method: LeastSquaresMethod
    /// Reciprocal condition estimate of the matrix the method factorised: R (1-norm, QR),
    /// Jacobi-scaled AᵀA (1-norm, normal equations) or σ_min/σ_max (SVD).
    public var reciprocalCondition: S?
}

/// Default cut-off for small singular values / R diagonal: eps · max(rows, columns), numpy's.
@usableFromInline func defaultRcond<S: BLASScalar>(_ m: Int, _ n: Int, _: S.Type) -> S {
    S.ulpOfOne * S(max(m, n, 1))
}

/// Solves min ‖A·x − b‖₂ with `method`, falling back when that method cannot be trusted:
/// normal equations → QR when the scaled Gram matrix is ill-conditioned or not positive
/// definite; QR → SVD (minimum-norm) when R is numerically singular.
///
/// - Parameters:
///   - a: rows × columns design matrix (not modified).
///   - b: length rows.
///   - method: the first method to try.
///   - rcond: relative tolerance below which singular values (SVD) or R's condition estimate
///     (QR) count as zero; default eps · max(rows, columns).
/// - Returns: the solution, the rank and the method actually used.
/// - Throws: `LinearAlgebraError` `.dimensionMismatch`, `.illegalArgument` (e.g. NaN in A or b),
///   `.noConvergence`.
/// - Complexity: QR 2·m·n², normal equations m·n² (half that of QR, and BLAS-3 throughout).
public func leastSquares<S: BLASScalar>(_ a: Matrix<S>, _ b: [S], method: LeastSquaresMethod = .qr,
                                        rcond: S? = nil) throws -> LeastSquaresSolution<S> {
    switch method {
    case .svd:
        return try leastSquaresSVD(a, b, rcond: rcond)
    case .qr:
        do {
            return try leastSquaresQR(a, b, rcond: rcond)
        } catch let e as LinearAlgebraError where e.code == .rankDeficient {
            return try leastSquaresSVD(a, b, rcond: rcond)
        }
    case .normalEquations:
        do {
            return try leastSquaresNormalEquations(a, b)
        } catch let e as LinearAlgebraError
                    where e.code == .illConditioned || e.code == .notPositiveDefinite || e.code == .rankDeficient {
            return try leastSquares(a, b, method: .qr, rcond: rcond)
        }
    }
}

private func checkLeastSquaresShapes<S: BLASScalar>(_ a: Matrix<S>, _ b: [S], _ function: String) throws {
    a.checkStorage(function + " A")
    guard b.count == a.rows else {
        throw LinearAlgebraError.dimensionMismatch(function, "b has \(b.count) elements, A has \(a.rows) rows")
    }
}

/// Solves min ‖A·x − b‖₂ by Householder QR (gels; LQ minimum-norm when rows < columns).
///
/// - Throws: `.rankDeficient` when gels meets an exactly zero diagonal in the triangular factor
///   or its reciprocal 1-norm condition estimate (trcon) is below `rcond`
///   (default eps · max(rows, columns)); `.dimensionMismatch`; `.illegalArgument` (NaN input).
public func leastSquaresQR<S: BLASScalar>(_ a: Matrix<S>, _ b: [S], rcond: S? = nil) throws -> LeastSquaresSolution<S> {
    var work = a
    return try leastSquaresQR(overwriting: &work, b, rcond: rcond)
}

/// `leastSquaresQR` without copying A: `a` is factorised in place and holds gels's QR factors
/// afterwards (even when it throws). For callers that own a large temporary design matrix.
public func leastSquaresQR<S: BLASScalar>(overwriting a: inout Matrix<S>, _ b: [S], rcond: S? = nil) throws -> LeastSquaresSolution<S> {
    try checkLeastSquaresShapes(a, b, "leastSquaresQR")
    let m = a.rows, n = a.columns
    if m == 0 || n == 0 {
        return LeastSquaresSolution(coefficients: [S](repeating: 0, count: n), rank: 0, singularValues: nil, method: .qr, reciprocalCondition: nil)
    }
    let routine = S.routinePrefix + "gels"
    let tolerance = rcond ?? defaultRcond(m, n, S.self)
    let ldb = max(m, n)
    var x = b + [S](repeating: 0, count: ldb - m)
    let k = min(m, n)
    var rc: S = 0
    let lda = a.ld
    let (info, conInfo) = a.storage.withUnsafeMutableBufferPointer { pa -> (Int32, Int32) in
        x.withUnsafeMutableBufferPointer { px in
            let info = S.rawGels(int32(m, "m"), int32(n, "n"), 1, pa.baseAddress!, lda, px.baseAddress!, Int32(ldb))
            guard info == 0 else { return (info, 0) }
            // R is the upper k × k block when rows ≥ columns, else L the lower one.
            let conInfo = S.rawTrcon(m >= n ? .upper : .lower, int32(k, "k"), pa.baseAddress!, lda, &rc)
            return (0, conInfo)
        }
    }
    try check(info, routine) { i in
        (.rankDeficient, "diagonal element \(i) of the triangular factor is exactly zero: the \(m)×\(n) matrix does not have full rank")
    }
    try check(conInfo, S.routinePrefix + "trcon") { i in (.illegalArgument(i), "unexpected info \(i)") }
    guard rc >= tolerance else {
        throw LinearAlgebraError(code: .rankDeficient, routine: routine,
                                 message: "\(routine): the triangular factor is numerically singular (reciprocal condition \(rc) < tolerance \(tolerance)): the \(m)×\(n) matrix has linearly dependent columns")
    }
    return LeastSquaresSolution(coefficients: Array(x[0..<n]), rank: k, singularValues: nil, method: .qr, reciprocalCondition: rc)
}

/// Solves min ‖A·x − b‖₂ by SVD (gelsd): the minimum-norm solution for any rank.
///
/// - Parameter rcond: singular values ≤ rcond · σ_max are treated as zero
///   (default eps · max(rows, columns)).
/// - Returns: coefficients, effective rank and the min(rows, columns) singular values.
/// - Throws: `.noConvergence`, `.dimensionMismatch`, `.illegalArgument` (NaN input).
public func leastSquaresSVD<S: BLASScalar>(_ a: Matrix<S>, _ b: [S], rcond: S? = nil) throws -> LeastSquaresSolution<S> {
    var work = a
    return try leastSquaresSVD(overwriting: &work, b, rcond: rcond)
}

/// `leastSquaresSVD` without copying A: `a` is destroyed (overwritten by gelsd).
public func leastSquaresSVD<S: BLASScalar>(overwriting a: inout Matrix<S>, _ b: [S], rcond: S? = nil) throws -> LeastSquaresSolution<S> {
    try checkLeastSquaresShapes(a, b, "leastSquaresSVD")
    let m = a.rows, n = a.columns
    if m == 0 || n == 0 {
        return LeastSquaresSolution(coefficients: [S](repeating: 0, count: n), rank: 0, singularValues: [], method: .svd, reciprocalCondition: nil)
    }
    let routine = S.routinePrefix + "gelsd"
    let tolerance = rcond ?? defaultRcond(m, n, S.self)
    let ldb = max(m, n)
    var x = b + [S](repeating: 0, count: ldb - m)
    var s = [S](repeating: 0, count: min(m, n))
    var rank: Int32 = 0
    let lda = a.ld
    let info = a.storage.withUnsafeMutableBufferPointer { pa in
        x.withUnsafeMutableBufferPointer { px in
            s.withUnsafeMutableBufferPointer { ps in
                S.rawGelsd(int32(m, "m"), int32(n, "n"), 1, pa.baseAddress!, lda, px.baseAddress!, Int32(ldb),
                           ps.baseAddress!, tolerance, &rank)
            }
        }
    }
    try check(info, routine) { i in
        (.noConvergence, "the SVD did not converge (\(i) off-diagonal elements of an intermediate bidiagonal form did not converge to zero)")
    }
    let rc: S? = (s.first ?? 0) > 0 ? (s.last ?? 0) / s[0] : nil
    return LeastSquaresSolution(coefficients: Array(x[0..<n]), rank: Int(rank), singularValues: s, method: .svd, reciprocalCondition: rc)
}

/// The reciprocal condition (1-norm, after Jacobi scaling) below which the normal equations are
/// rejected: √eps, i.e. they may lose at most about half the digits (≈ 1.5e-8 for Double).
public func normalEquationsMinimumRcond<S: BLASScalar>(_: S.Type) -> S { S.ulpOfOne.squareRoot() }

/// Solves min ‖A·x − b‖₂ through AᵀA·x = Aᵀb (syrk + gemv + Cholesky), without fallback.
///
/// AᵀA is Jacobi-scaled (D·AᵀA·D with D = diag(1/√(AᵀA)ᵢᵢ)) before factorising so the
/// condition estimate (pocon) does not depend on column units.
/// - Parameter minimumRcond: reject when the scaled estimate is below this
///   (default `normalEquationsMinimumRcond`).
/// - Throws: `.rankDeficient` (a zero or non-finite column), `.notPositiveDefinite`,
///   `.illConditioned`, `.dimensionMismatch`.
/// - Complexity: m·n² + 2·m·n flops, then O(n³).
public func leastSquaresNormalEquations<S: BLASScalar>(_ a: Matrix<S>, _ b: [S], minimumRcond: S? = nil) throws -> LeastSquaresSolution<S> {
    try checkLeastSquaresShapes(a, b, "leastSquaresNormalEquations")
    let m = a.rows, n = a.columns
    if m == 0 || n == 0 {
        return LeastSquaresSolution(coefficients: [S](repeating: 0, count: n), rank: 0, singularValues: nil, method: .normalEquations, reciprocalCondition: nil)
    }
    let routine = S.routinePrefix + "posv"
    guard m >= n else {
        throw LinearAlgebraError(code: .rankDeficient, routine: routine,
                                 message: "\(routine): normal equations need rows ≥ columns, got \(m)×\(n)")
    }
    let gram = syrk(a)
    var g = gram.storage
    let ldg = gram.ld
    var c = gemv(a, b, trans: .transpose)
    // Jacobi scaling: unit diagonal, so pocon measures conditioning, not column units.
    var d = [S](repeating: 0, count: n)
    for j in 0..<n {
        let gjj = g[j * n + j]
        guard gjj > 0, gjj.isFinite else {
            throw LinearAlgebraError(code: .rankDeficient, routine: routine,
                                     message: "\(routine): column \(j) of A is all zero or not finite (AᵀA diagonal \(gjj))")
        }
        d[j] = 1 / gjj.squareRoot()
    }
    for j in 0..<n {
        for i in 0...j { g[j * n + i] *= d[i] * d[j] }
        c[j] *= d[j]
    }
    let anorm = g.withUnsafeBufferPointer { S.rawLansyOneNorm(.upper, int32(n, "n"), $0.baseAddress!, ldg) }
    var rc: S = 0
    let factorInfo = g.withUnsafeMutableBufferPointer { S.rawPotrf(.upper, int32(n, "n"), $0.baseAddress!, ldg) }
    try check(factorInfo, routine) { i in
        (.notPositiveDefinite, "leading minor of order \(i) of AᵀA is not positive definite (A is rank deficient or too ill-conditioned)")
    }
    let conInfo = g.withUnsafeBufferPointer { S.rawPocon(.upper, int32(n, "n"), $0.baseAddress!, ldg, anorm, &rc) }
    try check(conInfo, S.routinePrefix + "pocon") { i in (.illegalArgument(i), "unexpected info \(i)") }
    let minimum = minimumRcond ?? normalEquationsMinimumRcond(S.self)
    guard rc >= minimum else {
        throw LinearAlgebraError(code: .illConditioned, routine: routine,
                                 message: "\(routine): scaled AᵀA has reciprocal condition \(rc) < \(minimum); normal equations would lose too many digits")
    }
    let solveInfo = g.withUnsafeBufferPointer { pg in
        c.withUnsafeMutableBufferPointer { pc in
            S.rawPotrs(.upper, int32(n, "n"), 1, pg.baseAddress!, ldg, pc.baseAddress!, Int32(n))
        }
    }
    try check(solveInfo, S.routinePrefix + "potrs") { i in (.illegalArgument(i), "unexpected info \(i)") }
    for j in 0..<n { c[j] *= d[j] }
    return LeastSquaresSolution(coefficients: c, rank: n, singularValues: nil, method: .normalEquations, reciprocalCondition: rc)
}
