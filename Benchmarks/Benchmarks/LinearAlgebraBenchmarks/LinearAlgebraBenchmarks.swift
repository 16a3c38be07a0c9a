// BLAS-3 products and tall least squares: the kernels every linear model sits on.
// GFLOPS is recorded as a custom metric (2n³ / wall time of one product).
import BenchSupport
import Benchmark
import Foundation
import LinearAlgebra

let gflops = BenchmarkMetric.custom("GFLOPS", polarity: .prefersLarger, useScalingFactor: false)

func gemmBenchmark<S: BLASScalar>(_ name: String, _: S.Type, n: Int) {
    Benchmark(name, configuration: .init(metrics: [.wallClock, .peakMemoryResident, gflops], warmupIterations: 1,
                                         maxDuration: .seconds(10), maxIterations: 10)) { (benchmark: Benchmark, operands: (Matrix<S>, Matrix<S>)) in
        var c = Matrix<S>(rows: n, columns: n)
        benchmark.startMeasurement()
        let (seconds, _) = BenchTimer.seconds { gemm(operands.0, operands.1, into: &c) }
        benchmark.stopMeasurement()
        benchmark.measurement(gflops, Int((2 * Double(n) * Double(n) * Double(n) / seconds / 1e9).rounded()))
        blackHole(c)
    } setup: {
        let v = BenchData.normals(2 * n * n, seed: 1)
        return (Matrix<S>(rows: n, columns: n, values: v[0..<(n * n)].map { S($0) }),
                Matrix<S>(rows: n, columns: n, values: v[(n * n)...].map { S($0) }))
    }
}

func leastSquaresBenchmark(_ name: String, method: LeastSquaresMethod, rows: Int, cols: Int) {
    Benchmark(name, configuration: .init(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1,
                                         maxDuration: .seconds(10), maxIterations: 10)) { (benchmark: Benchmark, problem: (Matrix<Double>, [Double])) in
        do {
            blackHole(try leastSquares(problem.0, problem.1, method: method))
        } catch {
            benchmark.error("least squares failed: \(error)")
        }
    } setup: {
        let a = Matrix<Double>(rows: rows, columns: cols, values: BenchData.normals(rows * cols, seed: 2))
        var b = gemv(a, BenchData.normals(cols, seed: 3))
        let noise = BenchData.normals(rows, seed: 4)
        for i in 0..<rows { b[i] += 0.01 * noise[i] }
        return (a, b)
    }
}

let benchmarks: @Sendable () -> Void = {
    gemmBenchmark("dgemm 2048x2048", Double.self, n: 2048)
    gemmBenchmark("sgemm 2048x2048", Float.self, n: 2048)
    leastSquaresBenchmark("least squares 1Mx30 QR", method: .qr, rows: 1_000_000, cols: 30)
    leastSquaresBenchmark("least squares 1Mx30 normal equations", method: .normalEquations, rows: 1_000_000, cols: 30)
}
