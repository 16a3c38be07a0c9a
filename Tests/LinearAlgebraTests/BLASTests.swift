import Testing
import LinearAlgebra

@Suite struct MatrixTests {
    @Test func subscriptIsColumnMajor() {
        let m = Matrix<Double>(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(m[0, 0] == 1 && m[1, 0] == 2 && m[0, 1] == 3 && m[1, 2] == 6)
        #expect(m.column(1) == [3, 4])
        var z = Matrix<Float>(rows: 2, columns: 2, repeating: 7)
        z[1, 0] = -1
        #expect(z.storage == [7, -1, 7, 7])
    }

    @Test func identityAndTranspose() {
        let i3 = Matrix<Double>.identity(3)
        #expect(i3.storage == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let m = Matrix<Double>(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        let t = m.transposed()
        #expect(t.rows == 3 && t.columns == 2)
        for i in 0..<2 { for j in 0..<3 { #expect(t[j, i] == m[i, j]) } }
        #expect(t.transposed() == m)
        #expect(m * Matrix<Double>.identity(3) == m)
    }
}

@Suite struct BLASTests {
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (7, 5, 3), (13, 1, 17), (31, 29, 9), (2, 33, 65)]

    func checkGemm<S: BLASScalar>(_: S.Type, seed: UInt64) {
        var rng = TestRNG(seed)
        for (m, n, k) in Self.shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a: Matrix<S> = transA ? randomMatrix(k, m, &rng) : randomMatrix(m, k, &rng)
                    let b: Matrix<S> = transB ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
                    var c: Matrix<S> = randomMatrix(m, n, &rng)
                    let c0 = c
                    let alpha = S(0.75), beta = S(-1.5)
                    gemm(a, b, transA: transA ? .transpose : .noTranspose, transB: transB ? .transpose : .noTranspose,
                         alpha: alpha, beta: beta, into: &c)
                    let ref = naiveMatmul(a, b, transA: transA, transB: transB)
                    var expected = [Double]()
                    var got = [Double]()
                    for j in 0..<n {
                        for i in 0..<m {
                            expected.append(Double(alpha) * ref[i][j] + Double(beta) * Double(c0[i, j]))
                            got.append(Double(c[i, j]))
                        }
                    }
                    let err = maxAbsDiff(got, expected)
                    #expect(err <= tolerance(S.self, terms: k + 2), "gemm \(S.self) \(m)×\(n)×\(k) tA=\(transA) tB=\(transB): error \(err)")
                }
            }
        }
    }

    @Test func gemmMatchesNaiveDouble() { checkGemm(Double.self, seed: 1) }
    @Test func gemmMatchesNaiveFloat() { checkGemm(Float.self, seed: 2) }

    @Test func productOperatorMatchesNaive() {
        var rng = TestRNG(3)
        let a: Matrix<Double> = randomMatrix(9, 4, &rng)
        let b: Matrix<Double> = randomMatrix(4, 11, &rng)
        let c = a * b
        let ref = naiveMatmul(a, b, transA: false, transB: false)
        #expect(c.rows == 9 && c.columns == 11)
        for i in 0..<9 { for j in 0..<11 { #expect(abs(c[i, j] - ref[i][j]) < 1e-14) } }
    }

    func checkGemv<S: BLASScalar>(_: S.Type, seed: UInt64) {
        var rng = TestRNG(seed)
        for (m, n, _) in Self.shapes {
            for trans in [false, true] {
                let a: Matrix<S> = randomMatrix(m, n, &rng)
                let x: [S] = randomVector(trans ? m : n, &rng)
                var y: [S] = randomVector(trans ? n : m, &rng)
                let y0 = y
                gemv(a, x, trans: trans ? .transpose : .noTranspose, alpha: 2, beta: 0.5, into: &y)
                let ref = naiveMatvec(a, x, trans: trans)
                let expected = zip(ref, y0).map { 2 * $0 + 0.5 * Double($1) }
                let err = maxAbsDiff(y.map(Double.init), expected)
                #expect(err <= tolerance(S.self, terms: max(m, n) + 2), "gemv \(S.self) \(m)×\(n) t=\(trans): \(err)")
                // Operator form (no transpose, alpha 1).
                if !trans {
                    let z = a * x
                    #expect(maxAbsDiff(z.map(Double.init), ref) <= tolerance(S.self, terms: n))
                }
            }
        }
    }

    @Test func gemvMatchesNaiveDouble() { checkGemv(Double.self, seed: 4) }
    @Test func gemvMatchesNaiveFloat() { checkGemv(Float.self, seed: 5) }

    @Test func rawBufferGemvAccumulatesIntoOutput() {
        var rng = TestRNG(6)
        let a: Matrix<Double> = randomMatrix(5, 3, &rng)
        let x: [Double] = randomVector(3, &rng)
        var out = [Double](repeating: 10, count: 5)
        a.storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { po in
                    gemv(rows: 5, columns: 3, a: pa, x: px, beta: 1, y: po)
                }
            }
        }
        let ref = naiveMatvec(a, x, trans: false)
        #expect(maxAbsDiff(out, ref.map { $0 + 10 }) < 1e-14)
    }

    func checkSyrk<S: BLASScalar>(_: S.Type, seed: UInt64) {
        var rng = TestRNG(seed)
        for (m, n, _) in Self.shapes {
            let a: Matrix<S> = randomMatrix(m, n, &rng)
            let g = syrk(a)                          // AᵀA, n × n
            let ref = naiveMatmul(a, a, transA: true, transB: false)
            let h = syrk(a, trans: .noTranspose, alpha: 3)   // 3·AAᵀ, m × m
            let refH = naiveMatmul(a, a, transA: false, transB: true)
            #expect(g.rows == n && h.rows == m)
            var got = [Double](), expected = [Double]()
            for i in 0..<n { for j in 0..<n { got.append(Double(g[i, j])); expected.append(ref[i][j]) } }
            for i in 0..<m { for j in 0..<m { got.append(Double(h[i, j])); expected.append(3 * refH[i][j]) } }
            #expect(maxAbsDiff(got, expected) <= 3 * tolerance(S.self, terms: max(m, n)), "syrk \(S.self) \(m)×\(n)")
        }
    }

    @Test func syrkMatchesNaiveDouble() { checkSyrk(Double.self, seed: 7) }
    @Test func syrkMatchesNaiveFloat() { checkSyrk(Float.self, seed: 8) }

    @Test func dotAndAxpy() {
        var rng = TestRNG(9)
        let x: [Double] = randomVector(37, &rng)
        var y: [Double] = randomVector(37, &rng)
        let naiveDot = zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
        #expect(abs(dot(x, y) - naiveDot) < 1e-14)
        let y0 = y
        axpy(-2.5, x, &y)
        #expect(maxAbsDiff(y, zip(x, y0).map { -2.5 * $0 + $1 }) < 1e-15)
        let xf: [Float] = [1, 2, 3], yf: [Float] = [4, 5, 6]
        #expect(dot(xf, yf) == 32)
        #expect(dot([Double](), []) == 0)
    }

    @Test func emptyInnerDimensionScalesC() {
        let a = Matrix<Double>(rows: 2, columns: 0)
        let b = Matrix<Double>(rows: 0, columns: 3)
        var c = Matrix<Double>(rows: 2, columns: 3, repeating: 4)
        gemm(a, b, beta: 0.5, into: &c)
        #expect(c.storage == [Double](repeating: 2, count: 6))
    }

    @Test func threadCountIsRestored() {
        let before = BLASThreads.count
        let inside = BLASThreads.with(1) { BLASThreads.count }
        #expect(inside == 1)
        #expect(BLASThreads.count == before)
    }
}
