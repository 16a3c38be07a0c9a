import Testing
import LinearAlgebra

@Suite struct SolverTests {
    /// A 3×3 system with solution (1, −2, 3): A·x computed by hand.
    static let a3 = Matrix<Double>(rows: 3, columns: 3, values: [2, 1, -1,  1, 3, 2,  -1, 0, 4])
    static let x3: [Double] = [1, -2, 3]
    // b = A·x: row0 = 2·1 + 1·(−2) + (−1)·3 = −3; row1 = 1 − 6 + 0 = −5; row2 = −1 − 4 + 12 = 7.
    static let b3: [Double] = [-3, -5, 7]

    @Test func gesvSolvesExactlyDeterminedSystem() throws {
        let x = try solve(Self.a3, Self.b3)
        for (got, want) in zip(x, Self.x3) { #expect(abs(got - want) < 1e-14) }
        let xf = try solve(Matrix<Float>(rows: 3, columns: 3, values: Self.a3.storage.map(Float.init)), Self.b3.map(Float.init))
        for (got, want) in zip(xf, Self.x3) { #expect(abs(Double(got) - want) < 1e-5) }
    }

    @Test func gesvMultipleRightHandSides() throws {
        let inv = try solve(Self.a3, Matrix<Double>.identity(3))
        let prod = Self.a3 * inv
        for i in 0..<3 { for j in 0..<3 { #expect(abs(prod[i, j] - (i == j ? 1 : 0)) < 1e-14) } }
    }

    @Test func gesvOnSingularMatrixThrowsSingular() {
        // Third column = first + second.
        let s = Matrix<Double>(rows: 3, columns: 3, values: [1, 2, 3,  4, 5, 6,  5, 7, 9])
        #expect {
            _ = try solve(s, [1, 2, 3])
        } throws: { error in
            guard let e = error as? LinearAlgebraError else { return false }
            return e.code == .singular && e.message.hasPrefix("dgesv:") && e.message.contains("singular")
        }
        let zero = Matrix<Double>(rows: 2, columns: 2)
        #expect(throws: LinearAlgebraError.self) { try solve(zero, [1, 1]) }
    }

    @Test func posvSolvesSPDSystem() throws {
        // SPD: [[4, 2], [2, 3]] with x = (1, 2) → b = (8, 8).
        let a = Matrix<Double>(rows: 2, columns: 2, values: [4, 2, 2, 3])
        let x = try choleskySolve(a, [8, 8])
        #expect(abs(x[0] - 1) < 1e-15 && abs(x[1] - 2) < 1e-15)
    }

    @Test func posvOnNonSPDMatrixThrowsNotPositiveDefinite() {
        // Leading minors: 1 > 0, det [[1,2],[2,1]] = −3 < 0 → fails at order 2.
        let a = Matrix<Double>(rows: 3, columns: 3, values: [1, 2, 0,  2, 1, 0,  0, 0, 1])
        #expect {
            _ = try choleskySolve(a, [1, 1, 1])
        } throws: { error in
            guard let e = error as? LinearAlgebraError else { return false }
            return e.code == .notPositiveDefinite && e.message == "dposv: leading minor of order 2 is not positive definite"
        }
    }

    @Test func shapeErrorsThrowDimensionMismatch() {
        let rect = Matrix<Double>(rows: 3, columns: 2)
        #expect { _ = try solve(rect, [1, 2, 3]) } throws: { ($0 as? LinearAlgebraError)?.code == .dimensionMismatch }
        #expect { _ = try solve(Self.a3, [1, 2]) } throws: { ($0 as? LinearAlgebraError)?.code == .dimensionMismatch }
        #expect { _ = try leastSquares(rect, [1, 2]) } throws: { ($0 as? LinearAlgebraError)?.code == .dimensionMismatch }
    }

    @Test func nanInputIsReportedAsIllegalArgument() {
        var a = Self.a3
        a[1, 1] = .nan
        #expect { _ = try leastSquaresQR(a, Self.b3) } throws: { error in
            guard let e = error as? LinearAlgebraError, case .illegalArgument = e.code else { return false }
            return e.message.hasPrefix("dgels:")
        }
    }
}

@Suite struct LeastSquaresTests {
    /// 6×3 overdetermined system with an exact fit x = (0.5, −1, 2).
    static func exactFit<S: BLASScalar>(_: S.Type) -> (Matrix<S>, [S], [Double]) {
        let cols: [[Double]] = [[1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5], [0, 1, 4, 9, 16, 25]]
        let x = [0.5, -1, 2]
        let b = (0..<6).map { i in cols[0][i] * x[0] + cols[1][i] * x[1] + cols[2][i] * x[2] }
        return (Matrix(rows: 6, columns: 3, values: cols.flatMap { $0 }.map { S($0) }), b.map { S($0) }, x)
    }

    @Test(arguments: LeastSquaresMethod.allCases)
    func overdeterminedExactFitDouble(method: LeastSquaresMethod) throws {
        let (a, b, x) = Self.exactFit(Double.self)
        let sol = try leastSquares(a, b, method: method)
        #expect(sol.method == method)
        #expect(sol.rank == 3)
        for (got, want) in zip(sol.coefficients, x) { #expect(abs(got - want) < 1e-12) }
    }

    @Test(arguments: LeastSquaresMethod.allCases)
    func overdeterminedExactFitFloat(method: LeastSquaresMethod) throws {
        let (a, b, x) = Self.exactFit(Float.self)
        let sol = try leastSquares(a, b, method: method)
        for (got, want) in zip(sol.coefficients, x) { #expect(abs(Double(got) - want) < 1e-4) }
    }

    @Test func methodsAgreeOnNoisyProblem() throws {
        var rng = TestRNG(11)
        let a: Matrix<Double> = randomMatrix(200, 7, &rng)
        let b: [Double] = randomVector(200, &rng)
        let qr = try leastSquares(a, b, method: .qr)
        let svd = try leastSquares(a, b, method: .svd)
        let ne = try leastSquares(a, b, method: .normalEquations)
        #expect(ne.method == .normalEquations && svd.singularValues?.count == 7)
        #expect(maxAbsDiff(qr.coefficients, svd.coefficients) < 1e-12)
        #expect(maxAbsDiff(qr.coefficients, ne.coefficients) < 1e-12)
        // Optimality: the residual is orthogonal to A's columns.
        let r = zip(b, a * qr.coefficients).map { $0 - $1 }
        let g = gemv(a, r, trans: .transpose)
        #expect(g.map(abs).max()! < 1e-12)
    }

    /// Duplicate column: A = [u, u, v]. Any x with x0 + x1 = s fits; the minimum-norm one
    /// splits s equally. With b = A·(1, 3, 2) the answer is (2, 2, 2), rank 2.
    @Test func rankDeficientDuplicateColumnGivesMinimumNorm() throws {
        let u: [Double] = [1, 2, 0, -1, 3, 1, 2]
        let v: [Double] = [0, 1, 1, 2, -1, 4, 0]
        let a = Matrix<Double>(rows: 7, columns: 3, values: u + u + v)
        let b = (0..<7).map { 1 * u[$0] + 3 * u[$0] + 2 * v[$0] }
        let svd = try leastSquaresSVD(a, b)
        #expect(svd.rank == 2)
        #expect(svd.singularValues!.count == 3 && svd.singularValues![2] < 1e-12 * svd.singularValues![0])
        for c in svd.coefficients { #expect(abs(c - 2) < 1e-12) }

        // QR notices the dependent column and leastSquares falls back to SVD.
        #expect { _ = try leastSquaresQR(a, b) } throws: { ($0 as? LinearAlgebraError)?.code == .rankDeficient }
        let viaQR = try leastSquares(a, b, method: .qr)
        #expect(viaQR.method == .svd && viaQR.rank == 2)
        for c in viaQR.coefficients { #expect(abs(c - 2) < 1e-12) }
        let viaNE = try leastSquares(a, b, method: .normalEquations)
        #expect(viaNE.method == .svd)
        for c in viaNE.coefficients { #expect(abs(c - 2) < 1e-12) }
    }

    /// Min-norm solution of a non-consistent rank-deficient problem against the analytic answer:
    /// with A = [u, u], b, the LS fit is t·u with t = uᵀb/uᵀu, split as (t/2, t/2).
    @Test func rankDeficientInconsistentSystemMatchesAnalyticMinimumNorm() throws {
        let u: [Double] = [1, -2, 0.5, 3, 1]
        let b: [Double] = [0.3, 1, -2, 0.7, 5]
        let a = Matrix<Double>(rows: 5, columns: 2, values: u + u)
        let t = zip(u, b).reduce(0.0) { $0 + $1.0 * $1.1 } / u.reduce(0.0) { $0 + $1 * $1 }
        let sol = try leastSquares(a, b, method: .svd)
        #expect(sol.rank == 1)
        #expect(abs(sol.coefficients[0] - t / 2) < 1e-13 && abs(sol.coefficients[1] - t / 2) < 1e-13)
    }

    @Test func illConditionedNormalEquationsFallBackToQR() throws {
        // Columns 1 and 2 differ by 1e-7: cond(A) ≈ 1e7, cond(AᵀA) ≈ 1e14.
        var rng = TestRNG(12)
        let m = 50
        let u: [Double] = randomVector(m, &rng)
        let w: [Double] = randomVector(m, &rng)
        let v = zip(u, w).map { $0 + 1e-7 * $1 }
        let a = Matrix<Double>(rows: m, columns: 2, values: u + v)
        let b = (0..<m).map { u[$0] - v[$0] }       // exact fit x = (1, −1)
        #expect { _ = try leastSquaresNormalEquations(a, b) } throws: { ($0 as? LinearAlgebraError)?.code == .illConditioned }
        let sol = try leastSquares(a, b, method: .normalEquations)
        #expect(sol.method == .qr)
        #expect(abs(sol.coefficients[0] - 1) < 1e-6 && abs(sol.coefficients[1] + 1) < 1e-6)
    }

    @Test func overwritingVariantsMatchCopyingOnes() throws {
        var rng = TestRNG(13)
        let a: Matrix<Double> = randomMatrix(40, 6, &rng)
        let b: [Double] = randomVector(40, &rng)
        var w1 = a, w2 = a
        let qr = try leastSquaresQR(overwriting: &w1, b)
        let svd = try leastSquaresSVD(overwriting: &w2, b)
        #expect(qr == (try leastSquaresQR(a, b)))
        #expect(svd == (try leastSquaresSVD(a, b)))
        #expect(w1 != a && w2 != a)   // factorised in place
    }

    @Test func underdeterminedQRGivesMinimumNorm() throws {
        // One equation x0 + x1 + x2 = 3: min-norm solution (1, 1, 1).
        let a = Matrix<Double>(rows: 1, columns: 3, values: [1, 1, 1])
        let sol = try leastSquares(a, [3], method: .qr)
        #expect(sol.method == .qr)
        for c in sol.coefficients { #expect(abs(c - 1) < 1e-14) }
    }
}
