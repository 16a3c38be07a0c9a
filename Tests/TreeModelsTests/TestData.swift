import Foundation
import MLCore
import Tabular
@testable import TreeModels

/// Small generated data sets shared by the tests.
enum TestData {
    /// Uniform features in [0, 1) with a share of NaNs.
    static func uniform(rows: Int, columns: Int, nanShare: Double = 0, seed: UInt64) -> FeatureMatrix {
        var rng = SeededGenerator(seed: seed)
        var v = [Double](repeating: 0, count: rows * columns)
        for i in v.indices { v[i] = rng.unit() < nanShare ? .nan : rng.unit() }
        return FeatureMatrix(rows: rows, columns: columns, values: v)
    }

    /// Friedman #1: y = 10 sin(π x0 x1) + 20 (x2 − 0.5)² + 10 x3 + 5 x4 + N(0, 1), 10 features.
    static func friedman1(rows: Int, seed: UInt64) -> (FeatureMatrix, [Double]) {
        let x = uniform(rows: rows, columns: 10, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 1)
        var y = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            let noise = gaussian(&rng)
            y[i] = 10 * sin(Double.pi * x[i, 0] * x[i, 1]) + 20 * (x[i, 2] - 0.5) * (x[i, 2] - 0.5) + 10 * x[i, 3] + 5 * x[i, 4] + noise
        }
        return (x, y)
    }

    static func gaussian(_ rng: inout SeededGenerator) -> Double {
        let u1 = max(rng.unit(), 1e-300), u2 = rng.unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    static func r2(_ y: [Double], _ p: [Double]) -> Double {
        let m = y.reduce(0, +) / Double(y.count)
        var ssr = 0.0, sst = 0.0
        for i in y.indices { ssr += (y[i] - p[i]) * (y[i] - p[i]); sst += (y[i] - m) * (y[i] - m) }
        return 1 - ssr / sst
    }
}
