import BenchSupport
import Foundation
import LinearAlgebra

/// gemm: C = A·B on random n × n matrices; best of --repeats; GFLOPS = 2n³ / seconds.
func gemmScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    let n = try o.int("n", default: 2048)
    let type = o.optionalString("type") ?? "double"
    let repeats = try o.repeats
    let seconds: Double
    switch type {
    case "double", "f64": seconds = timeGemm(Double.self, n: n, repeats: repeats)
    case "float", "f32": seconds = timeGemm(Float.self, n: n, repeats: repeats)
    default: throw BenchUsageError("--type must be double or float, got \"\(type)\"")
    }
    let flops = 2 * Double(n) * Double(n) * Double(n)
    return ["seconds": .number(seconds), "gflops": .number(flops / seconds / 1e9), "n": .int(n),
            "type": .string(type), "repeats": .int(repeats), "blas_threads": .int(BLASThreads.count)]
}

private func timeGemm<S: BLASScalar>(_: S.Type, n: Int, repeats: Int) -> Double {
    let values = BenchData.normals(2 * n * n, seed: 1)
    let a = Matrix<S>(rows: n, columns: n, values: values[0..<(n * n)].map { S($0) })
    let b = Matrix<S>(rows: n, columns: n, values: values[(n * n)...].map { S($0) })
    var c = Matrix<S>(rows: n, columns: n)
    gemm(a, b, into: &c)  // warm-up: page in C, start the BLAS threads
    return BenchTimer.best(of: repeats) { gemm(a, b, into: &c) }.seconds
}

/// lstsq: min ‖A·x − b‖ for a random rows × cols A (b = A·β + noise); best of --repeats.
/// Reports the largest coefficient error against β as a sanity check.
func lstsqScenario(_ o: BenchOptions) throws -> [String: JSONValue] {
    let rows = try o.int("rows", default: 1_000_000)
    let cols = try o.int("cols", default: 30)
    let methodName = o.optionalString("method") ?? "qr"
    let method: LeastSquaresMethod
    switch methodName {
    case "qr": method = .qr
    case "svd": method = .svd
    case "normal", "normal-equations": method = .normalEquations
    default: throw BenchUsageError("--method must be qr, svd or normal, got \"\(methodName)\"")
    }
    let repeats = try o.repeats
    let a = Matrix<Double>(rows: rows, columns: cols, values: BenchData.normals(rows * cols, seed: 2))
    let beta = BenchData.normals(cols, seed: 3)
    let noise = BenchData.normals(rows, seed: 4)
    var b = gemv(a, beta)
    for i in 0..<rows { b[i] += 0.01 * noise[i] }
    let (seconds, solution) = try BenchTimer.best(of: repeats) { try leastSquares(a, b, method: method) }
    let maxError = zip(solution.coefficients, beta).map { abs($0 - $1) }.max() ?? 0
    return ["seconds": .number(seconds), "rows": .int(rows), "cols": .int(cols), "method": .string(methodName),
            "method_used": .string(solution.method.rawValue), "max_coefficient_error": .number(maxError),
            "repeats": .int(repeats)]
}
