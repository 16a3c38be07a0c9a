import LinearAlgebra

/// SplitMix64: a tiny deterministic generator so tests need no other module.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func symmetric() -> Double { Double(next() >> 11) * 0x1.0p-52 - 1 }
}

func randomMatrix<S: BLASScalar>(_ rows: Int, _ columns: Int, _ rng: inout TestRNG, as _: S.Type = S.self) -> Matrix<S> {
    Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in S(rng.symmetric()) })
}

func randomVector<S: BLASScalar>(_ n: Int, _ rng: inout TestRNG, as _: S.Type = S.self) -> [S] {
    (0..<n).map { _ in S(rng.symmetric()) }
}

/// Naive reference: op(A)·op(B) by the triple loop, accumulated in Double.
func naiveMatmul<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>, transA: Bool, transB: Bool) -> [[Double]] {
    let m = transA ? a.columns : a.rows
    let k = transA ? a.rows : a.columns
    let n = transB ? b.rows : b.columns
    var c = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let aip = transA ? a[p, i] : a[i, p]
                let bpj = transB ? b[j, p] : b[p, j]
                s += Double(aip) * Double(bpj)
            }
            c[i][j] = s
        }
    }
    return c
}

/// Naive reference: op(A)·x accumulated in Double.
func naiveMatvec<S: BLASScalar>(_ a: Matrix<S>, _ x: [S], trans: Bool) -> [Double] {
    let m = trans ? a.columns : a.rows
    let k = trans ? a.rows : a.columns
    return (0..<m).map { i in
        var s = 0.0
        for p in 0..<k { s += Double(trans ? a[p, i] : a[i, p]) * Double(x[p]) }
        return s
    }
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Tolerance for k-term sums of products of values in [-1, 1] in precision S.
func tolerance<S: BLASScalar>(_: S.Type, terms k: Int) -> Double {
    Double(S.ulpOfOne) * Double(max(k, 1)) * 4
}
