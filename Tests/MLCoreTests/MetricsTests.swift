import Foundation
import Testing
@testable import MLCore

@Suite struct MetricsTests {
    @Test func matchesHandComputedValues() {
        let y = [3.0, -0.5, 2.0, 7.0]
        let p = [2.5, 0.0, 2.0, 8.0]
        let m = RegressionMetrics(predicted: p, actual: y)
        // scikit-learn's documented examples: r2_score 0.9486…, mean_absolute_error 0.5, MSE 0.375.
        #expect(abs(m.r2 - 0.9486081370449679) < 1e-15)
        #expect(abs(m.rmse - 0.375.squareRoot()) < 1e-15)
        #expect(m.mae == 0.5)
        #expect(m.maxError == 1.0)
        // MAPE: (0.5/3 + 0.5/0.5 + 0 + 1/7) / 4
        #expect(abs(m.mape - (0.5 / 3 + 1 + 1.0 / 7) / 4) < 1e-15)
    }

    @Test func perfectAndConstantCases() {
        #expect(RegressionMetrics(predicted: [1, 2, 3], actual: [1, 2, 3]).r2 == 1)
        #expect(RegressionMetrics(predicted: [2, 2, 2], actual: [2, 2, 2]).r2 == 1)
        #expect(RegressionMetrics(predicted: [1, 2, 3], actual: [2, 2, 2]).r2 == 0)
        // Predicting the mean gives R² = 0 exactly.
        #expect(RegressionMetrics(predicted: [2, 2, 2], actual: [1, 2, 3]).r2 == 0)
    }

    /// Chunks of rows give the whole-array metrics: exactly for one chunk, to rounding for many
    /// (the spread of the target merged chunk by chunk), also for a target far from zero.
    @Test func accumulatedChunksMatchTheWholeArrays() {
        var rng = SystemRandomNumberGenerator()
        for offset in [0.0, 1e6] {
            let n = 10_007
            let y: [Double] = (0..<n).map { i in
                let wave: Double = sin(Double(i) * 0.37) * 3
                return offset + wave + Double(i % 11)
            }
            let p: [Double] = y.indices.map { i in y[i] + cos(Double(i)) * 0.5 }
            let whole = RegressionMetrics(predicted: p, actual: y)
            var one = RegressionMetrics.Accumulator()
            one.add(predicted: p, actual: y)
            #expect(one.metrics == whole)
            var chunked = RegressionMetrics.Accumulator()
            var start = 0
            while start < n {
                let end = min(n, start + Int.random(in: 1...3000, using: &rng))
                chunked.add(predicted: Array(p[start..<end]), actual: Array(y[start..<end]))
                start = end
            }
            chunked.add(predicted: [], actual: [])
            let m = chunked.metrics
            #expect(m?.count == n)
            #expect(m?.rmse == whole.rmse && m?.mae == whole.mae && m?.mape == whole.mape && m?.maxError == whole.maxError)
            #expect(abs((m?.r2 ?? .nan) - whole.r2) <= 1e-12)
        }
        #expect(RegressionMetrics.Accumulator().metrics == nil)
    }

    @Test func compensatedSumIsExactWhereNaiveIsNot() {
        var s = NeumaierSum()
        for x in [1.0, 1e100, 1.0, -1e100] { s.add(x) }
        #expect(s.value == 2)
    }
}

@Suite struct KFoldTests {
    @Test(arguments: [(10, 3), (20_640, 5), (7, 7)])
    func foldsPartitionTheRows(rows: Int, k: Int) throws {
        let kf = try KFold(rows: rows, k: k, seed: 42)
        #expect(kf.folds.count == k)
        var seen = [Int](repeating: 0, count: rows)
        for f in kf.folds {
            #expect(f.train.count + f.test.count == rows)
            #expect(Set(f.train).isDisjoint(with: Set(f.test)))
            for i in f.test { seen[i] += 1 }
            #expect(abs(f.test.count - rows / k) <= 1)
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }

    @Test func sameSeedSameFolds() throws {
        let a = try KFold(rows: 100, k: 5, seed: 7), b = try KFold(rows: 100, k: 5, seed: 7), c = try KFold(rows: 100, k: 5, seed: 8)
        #expect(a.folds.map(\.test) == b.folds.map(\.test))
        #expect(a.folds.map(\.test) != c.folds.map(\.test))
    }

    @Test func rejectsBadFoldCounts() {
        #expect(throws: CrossValidationError.self) { try KFold(rows: 10, k: 1, seed: 0) }
        #expect(throws: CrossValidationError.self) { try KFold(rows: 3, k: 5, seed: 0) }
    }

    @Test func scoreSummaryUsesPopulationStd() {
        let s = CrossValidationScore(scores: [0.5, 0.7])
        #expect(abs(s.mean - 0.6) < 1e-15)
        #expect(abs(s.std - 0.1) < 1e-15)
    }
}

@Suite struct BinaryCodingTests {
    @Test func roundTripsScalarsArraysAndStrings() throws {
        var w = BinaryWriter()
        w.write(UInt32(7)); w.write(-1.25); w.write(Float(3.5)); w.write(true); w.write("héllo")
        w.write(array: [1.0, .nan, -0.0]); w.write(array: [Int32(-3), 4]); w.write(strings: ["a", "", "ç"])
        var r = BinaryReader(w.bytes)
        #expect(try r.read(UInt32.self) == 7)
        #expect(try r.readDouble() == -1.25)
        #expect(try r.readFloat() == 3.5)
        #expect(try r.readBool())
        #expect(try r.readString() == "héllo")
        let d = try r.readArray(of: Double.self)
        #expect(d.count == 3 && d[0] == 1 && d[1].isNaN && d[2].sign == .minus)
        #expect(try r.readArray(of: Int32.self) == [-3, 4])
        #expect(try r.readStrings() == ["a", "", "ç"])
        #expect(r.remaining == 0)
    }

    @Test func shortBuffersThrowInsteadOfCrashing() {
        var w = BinaryWriter()
        w.write(array: [1.0, 2.0, 3.0])
        for cut in 0..<w.bytes.count {
            var r = BinaryReader(Array(w.bytes[0..<cut]))
            #expect(throws: ModelFileError.self) { _ = try r.readArray(of: Double.self) }
        }
        // A count larger than the bytes left is rejected before allocating.
        var huge = BinaryWriter()
        huge.write(UInt64.max)
        var r = BinaryReader(huge.bytes)
        #expect(throws: ModelFileError.self) { _ = try r.readArray(of: Double.self) }
    }
}
