// Level-1/2/3 BLAS wrappers over `Matrix` and plain arrays. Shape mismatches are programming
// errors here (these sit in hot paths) and trap via `precondition`; the LAPACK solvers in
// LeastSquares.swift throw instead, because their inputs come from user data.

extension Matrix {
    @usableFromInline func checkStorage(_ name: String) {
        precondition(storage.count == rows * columns, "\(name): storage holds \(storage.count) elements for \(rows)×\(columns)")
    }
    /// Leading dimension as BLAS wants it (≥ 1 even for an empty matrix).
    @usableFromInline var ld: Int32 { Int32(max(1, rows)) }
}

@usableFromInline func int32(_ n: Int, _ what: String) -> Int32 {
    guard let v = Int32(exactly: n) else { preconditionFailure("\(what) = \(n) exceeds the 32-bit BLAS index range") }
    return v
}

/// C ← alpha · op(A) · op(B) + beta · C, where op is identity or transpose.
///
/// - Parameters:
///   - a: op(A) is m × k.
///   - b: op(B) is k × n.
///   - c: m × n; read only when `beta != 0`.
/// - Precondition: shapes agree.
/// - Complexity: 2·m·n·k flops.
public func gemm<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>, transA: Transpose = .noTranspose,
                                transB: Transpose = .noTranspose, alpha: S = 1, beta: S = 0,
                                into c: inout Matrix<S>) {
    a.checkStorage("gemm A"); b.checkStorage("gemm B"); c.checkStorage("gemm C")
    let (m, k) = transA == .transpose ? (a.columns, a.rows) : (a.rows, a.columns)
    let (kb, n) = transB == .transpose ? (b.columns, b.rows) : (b.rows, b.columns)
    precondition(k == kb, "gemm: op(A) is \(m)×\(k) but op(B) is \(kb)×\(n)")
    precondition(c.rows == m && c.columns == n, "gemm: C is \(c.rows)×\(c.columns), expected \(m)×\(n)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in c.storage.indices { c.storage[i] = beta == 0 ? 0 : beta * c.storage[i] }
        return
    }
    let ldc = c.ld
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                S.rawGemm(transA, transB, int32(m, "m"), int32(n, "n"), int32(k, "k"), alpha,
                          pa.baseAddress!, a.ld, pb.baseAddress!, b.ld, beta, pc.baseAddress!, ldc)
            }
        }
    }
}

/// alpha · op(A) · op(B) as a new m × n matrix.
public func gemm<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>, transA: Transpose = .noTranspose,
                                transB: Transpose = .noTranspose, alpha: S = 1) -> Matrix<S> {
    let m = transA == .transpose ? a.columns : a.rows
    let n = transB == .transpose ? b.rows : b.columns
    var c = Matrix<S>(rows: m, columns: n)
    gemm(a, b, transA: transA, transB: transB, alpha: alpha, beta: 0, into: &c)
    return c
}

/// y ← alpha · op(A) · x + beta · y on raw column-major buffers.
///
/// For callers that own their storage (a `FeatureMatrix`'s values, a prediction buffer).
/// - Parameters:
///   - a: rows × columns, column-major, leading dimension `rows`.
///   - x: length `columns` (or `rows` when transposed).
///   - y: length `rows` (or `columns` when transposed); read only when `beta != 0`.
public func gemv<S: BLASScalar>(rows: Int, columns: Int, a: UnsafeBufferPointer<S>, x: UnsafeBufferPointer<S>,
                                trans: Transpose = .noTranspose, alpha: S = 1, beta: S = 0,
                                y: UnsafeMutableBufferPointer<S>) {
    precondition(rows >= 0 && columns >= 0 && a.count == rows * columns, "gemv: A buffer holds \(a.count) elements for \(rows)×\(columns)")
    let (xn, yn) = trans == .transpose ? (rows, columns) : (columns, rows)
    precondition(x.count == xn, "gemv: x has \(x.count) elements, expected \(xn)")
    precondition(y.count == yn, "gemv: y has \(y.count) elements, expected \(yn)")
    if yn == 0 { return }
    if xn == 0 {
        for i in 0..<yn { y[i] = beta == 0 ? 0 : beta * y[i] }
        return
    }
    S.rawGemv(trans, int32(rows, "rows"), int32(columns, "columns"), alpha, a.baseAddress!, Int32(max(1, rows)),
              x.baseAddress!, 1, beta, y.baseAddress!, 1)
}

/// y ← alpha · op(A) · x + beta · y.
///
/// - Parameters: `x` has op(A).columns elements, `y` op(A).rows (read only when `beta != 0`).
public func gemv<S: BLASScalar>(_ a: Matrix<S>, _ x: [S], trans: Transpose = .noTranspose,
                                alpha: S = 1, beta: S = 0, into y: inout [S]) {
    a.checkStorage("gemv A")
    a.storage.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                gemv(rows: a.rows, columns: a.columns, a: pa, x: px, trans: trans, alpha: alpha, beta: beta, y: py)
            }
        }
    }
}

/// alpha · op(A) · x as a new array.
public func gemv<S: BLASScalar>(_ a: Matrix<S>, _ x: [S], trans: Transpose = .noTranspose, alpha: S = 1) -> [S] {
    var y = [S](repeating: 0, count: trans == .transpose ? a.columns : a.rows)
    gemv(a, x, trans: trans, alpha: alpha, beta: 0, into: &y)
    return y
}

/// C ← alpha · AᵀA + beta · C (`trans: .transpose`, C is columns × columns) or
/// alpha · AAᵀ + beta · C (`.noTranspose`, C is rows × rows).
///
/// BLAS computes the upper triangle; it is then mirrored so `c` is the full symmetric matrix
/// (any input lower triangle is ignored).
/// - Complexity: n²·k flops (half a gemm).
public func syrk<S: BLASScalar>(_ a: Matrix<S>, trans: Transpose = .transpose, alpha: S = 1, beta: S = 0,
                                into c: inout Matrix<S>) {
    a.checkStorage("syrk A"); c.checkStorage("syrk C")
    let (n, k) = trans == .transpose ? (a.columns, a.rows) : (a.rows, a.columns)
    precondition(c.rows == n && c.columns == n, "syrk: C is \(c.rows)×\(c.columns), expected \(n)×\(n)")
    if n == 0 { return }
    if k == 0 {
        for i in c.storage.indices { c.storage[i] = beta == 0 ? 0 : beta * c.storage[i] }
        return
    }
    let ldc = c.ld
    a.storage.withUnsafeBufferPointer { pa in
        c.storage.withUnsafeMutableBufferPointer { pc in
            S.rawSyrk(.upper, trans, int32(n, "n"), int32(k, "k"), alpha, pa.baseAddress!, a.ld, beta, pc.baseAddress!, ldc)
            for j in 0..<n {
                for i in (j + 1)..<n { pc[j * n + i] = pc[i * n + j] }
            }
        }
    }
}

/// alpha · AᵀA (`.transpose`) or alpha · AAᵀ (`.noTranspose`) as a new full symmetric matrix.
public func syrk<S: BLASScalar>(_ a: Matrix<S>, trans: Transpose = .transpose, alpha: S = 1) -> Matrix<S> {
    let n = trans == .transpose ? a.columns : a.rows
    var c = Matrix<S>(rows: n, columns: n)
    syrk(a, trans: trans, alpha: alpha, beta: 0, into: &c)
    return c
}

/// xᵀy for equal-length vectors.
public func dot<S: BLASScalar>(_ x: [S], _ y: [S]) -> S {
    precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count) differ")
    if x.isEmpty { return 0 }
    return x.withUnsafeBufferPointer { px in
        y.withUnsafeBufferPointer { py in S.rawDot(int32(x.count, "n"), px.baseAddress!, 1, py.baseAddress!, 1) }
    }
}

/// y ← alpha · x + y for equal-length vectors.
public func axpy<S: BLASScalar>(_ alpha: S, _ x: [S], _ y: inout [S]) {
    precondition(x.count == y.count, "axpy: lengths \(x.count) and \(y.count) differ")
    if x.isEmpty { return }
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in S.rawAxpy(int32(x.count, "n"), alpha, px.baseAddress!, 1, py.baseAddress!, 1) }
    }
}

/// Matrix product A · B (gemm).
public func * <S: BLASScalar>(lhs: Matrix<S>, rhs: Matrix<S>) -> Matrix<S> { gemm(lhs, rhs) }

/// Matrix–vector product A · x (gemv).
public func * <S: BLASScalar>(lhs: Matrix<S>, rhs: [S]) -> [S] { gemv(lhs, rhs) }
