import Foundation
import Testing
import Tabular
@testable import MLCore

/// The bootstrap and its weighted metrics against the plain way: copy the drawn rows and compute
/// the metrics with `RegressionMetrics` / `ClassificationMetrics`.
@Suite struct BootstrapTests {
    /// Row indices of a weight vector: row i repeated w[i] times.
    static func expand(_ w: [Double]) -> [Int] { w.indices.flatMap { Array(repeating: $0, count: Int(w[$0])) } }

    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool {
        (a.isNaN && b.isNaN) || abs(a - b) <= tol * max(1, abs(b))
    }

    static func regressionRows(_ n: Int, seed: UInt64) -> (p: [Double], y: [Double]) {
        var rng = SeededGenerator(seed: seed)
        let y = (0..<n).map { _ in rng.unit() * 4 + 1 }
        return (y.map { $0 + (rng.unit() - 0.5) * 2 }, y)
    }

    static func classificationRows(_ n: Int, k: Int, seed: UInt64) -> (y: [Int], p: [Double]) {
        var rng = SeededGenerator(seed: seed)
        var y: [Int] = [], p: [Double] = []
        for _ in 0..<n {
            let c = rng.below(k)
            var row = (0..<k).map { j in rng.unit() + (j == c ? 0.8 : 0) }
            // A few tied scores, so ROC AUC's tie handling is exercised.
            if rng.below(5) == 0 { row = row.map { ($0 * 4).rounded() / 4 + 0.01 } }
            let s = row.reduce(0, +)
            y.append(c)
            p += row.map { $0 / s }
        }
        return (y, p)
    }

    /// A weight vector is a multinomial draw: non-negative integers summing to n; the same seed
    /// and replicate give the same draw.
    @Test func drawsAreMultinomialAndSeeded() {
        var a = [Double](repeating: 0, count: 50), b = a
        a.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: 3, seed: 7) }
        b.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: 3, seed: 7) }
        #expect(a == b)
        #expect(a.reduce(0, +) == 50)
        #expect(a.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        b.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: 4, seed: 7) }
        #expect(a != b)
    }

    /// Weighted regression metrics equal RegressionMetrics on the copied rows, for 20 resamples.
    @Test func weightedRegressionMatchesCopiedRows() {
        let (p, y) = Self.regressionRows(120, seed: 1)
        let w = WeightedMetrics(predictions: p, actuals: y)
        var weights = [Double](repeating: 0, count: p.count)
        for b in 0..<20 {
            weights.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: b, seed: 11) }
            let fast = weights.withUnsafeBufferPointer { w($0) }
            let rows = Self.expand(weights)
            let ref = RegressionMetrics(predicted: rows.map { p[$0] }, actual: rows.map { y[$0] }).dictionary
            for (name, v) in zip(w.names, fast) { #expect(Self.close(v, ref[name] ?? .nan), "replicate \(b): \(name) \(v) vs \(String(describing: ref[name]))") }
        }
    }

    /// Weighted classification metrics equal ClassificationMetrics on the copied rows, binary
    /// (ROC AUC included, with ties) and 4-class.
    @Test(arguments: [2, 4]) func weightedClassificationMatchesCopiedRows(k: Int) throws {
        let (y, p) = Self.classificationRows(150, k: k, seed: UInt64(k))
        let w = WeightedMetrics(classes: y, probabilities: p, classCount: k, threshold: 0.4)
        var weights = [Double](repeating: 0, count: y.count)
        for b in 0..<20 {
            weights.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: b, seed: 5) }
            let fast = weights.withUnsafeBufferPointer { w($0) }
            let rows = Self.expand(weights)
            let ref = try ClassificationMetrics(classes: rows.map { y[$0] }, probabilities: rows.flatMap { p[($0 * k)..<(($0 + 1) * k)] },
                                                classCount: k, threshold: 0.4).dictionary
            #expect(w.names.count == (k == 2 ? 8 : 7))
            for (name, v) in zip(w.names, fast) { #expect(Self.close(v, ref[name] ?? .nan), "k=\(k) replicate \(b): \(name) \(v) vs \(String(describing: ref[name]))") }
        }
    }

    /// The intervals are numpy-linear quantiles of the replicate values computed the plain way.
    @Test func percentileIntervalsMatchPlainReplicates() {
        let (p, y) = Self.regressionRows(80, seed: 3)
        let w = WeightedMetrics(predictions: p, actuals: y)
        let b = 200
        let intervals = Bootstrap.percentileIntervals(rows: p.count, replicates: b, confidence: 0.9, seed: 99) { w($0) }
        var rmse: [Double] = []
        var weights = [Double](repeating: 0, count: p.count)
        for r in 0..<b {
            weights.withUnsafeMutableBufferPointer { Bootstrap.draw(into: $0, replicate: r, seed: 99) }
            let rows = Self.expand(weights)
            rmse.append(RegressionMetrics(predicted: rows.map { p[$0] }, actual: rows.map { y[$0] }).rmse)
        }
        rmse.sort()
        // numpy linear quantile at 0.05 and 0.95 of 200 values: positions 9.95 and 189.05.
        let lo = rmse[9] + 0.95 * (rmse[10] - rmse[9]), hi = rmse[189] + 0.05 * (rmse[190] - rmse[189])
        #expect(Self.close(intervals[0].lower, lo, 1e-12))
        #expect(Self.close(intervals[0].upper, hi, 1e-12))
        let point = RegressionMetrics(predicted: p, actual: y).rmse
        #expect(intervals[0].lower < point && point < intervals[0].upper)
    }

    /// Same seed, same intervals; no rows, no intervals.
    @Test func seededAndEmpty() {
        let (p, y) = Self.regressionRows(40, seed: 4)
        let w = WeightedMetrics(predictions: p, actuals: y)
        let a = Bootstrap.percentileIntervals(rows: 40, replicates: 100, seed: 1) { w($0) }
        let b = Bootstrap.percentileIntervals(rows: 40, replicates: 100, seed: 1) { w($0) }
        #expect(a == b)
        #expect(Bootstrap.percentileIntervals(rows: 0, seed: 1) { _ in [1] }.isEmpty)
    }
}
