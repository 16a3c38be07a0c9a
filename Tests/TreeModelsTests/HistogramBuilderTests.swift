import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct HistogramBuilderTests {
    /// Binned random data with NaNs and dyadic gradients (sums of them are exact in any order).
    static func setup(rows: Int = 500, columns: Int = 4) throws -> (BinnedMatrix, [Float], [Float]) {
        let x = TestData.uniform(rows: rows, columns: columns, nanShare: 0.1, seed: 7)
        let binned = try BinnedMatrix(x, maxBins: 32)
        var rng = SeededGenerator(seed: 3)
        let g = (0..<rows).map { _ in Float(rng.below(64) - 32) / 8 }
        let h = (0..<rows).map { _ in Float(rng.below(16) + 1) / 4 }
        return (binned, g, h)
    }

    func build(_ binned: BinnedMatrix, rows: [Int32], g: [Float], h: [Float]?, threads: Int) -> Histogram {
        let hist = Histogram(totalBins: binned.totalBins)
        let builder = HistogramBuilder(binned: binned, threads: threads)
        rows.withUnsafeBufferPointer { rb in
            g.withUnsafeBufferPointer { gb in
                if let h {
                    h.withUnsafeBufferPointer { hb in
                        builder.build(into: hist, rows: rb, gradients: gb, hessians: hb, features: Array(0..<binned.features))
                    }
                } else {
                    builder.build(into: hist, rows: rb, gradients: gb, hessians: nil, features: Array(0..<binned.features))
                }
            }
        }
        return hist
    }

    @Test(arguments: [1, 2])
    func builderMatchesNaiveTwin(threads: Int) throws {
        let (binned, g, h) = try Self.setup(rows: 5000)
        let rows = (0..<Int32(5000)).filter { $0 % 3 != 1 }
        let builder = HistogramBuilder(binned: binned, threads: threads)
        for hess in [nil, h] {
            let fast = build(binned, rows: rows, g: g, h: hess, threads: threads)
            let naive = builder.buildReference(rows: rows, gradients: g, hessians: hess)
            #expect(fast.triples == naive.triples)
        }
    }

    @Test func subtractionEqualsBruteForce() throws {
        let (binned, g, h) = try Self.setup()
        let parentRows = (0..<Int32(500)).filter { $0 % 5 != 0 }
        let leftRows = parentRows.filter { binned.bin(row: Int($0), feature: 0) < 10 }
        let rightRows = parentRows.filter { binned.bin(row: Int($0), feature: 0) >= 10 }
        let builder = HistogramBuilder(binned: binned, threads: 1)
        for hess in [nil, h] {
            let parent = builder.buildReference(rows: parentRows, gradients: g, hessians: hess)
            let left = builder.buildReference(rows: leftRows, gradients: g, hessians: hess)
            parent.subtract(left)
            let right = builder.buildReference(rows: rightRows, gradients: g, hessians: hess)
            #expect(parent.triples == right.triples)   // dyadic values: exact
        }
    }

    @Test func rowOrderDoesNotChangeHistogram() throws {
        let (binned, g, h) = try Self.setup()
        var rows = (0..<Int32(500)).map { $0 }
        let a = build(binned, rows: rows, g: g, h: h, threads: 1)
        var rng = SeededGenerator(seed: 11)
        rng.shuffle(&rows)
        let b = build(binned, rows: rows, g: g, h: h, threads: 2)
        #expect(a.triples == b.triples)
    }

    @Test func countsAndMissingBin() throws {
        let x = FeatureMatrix(columns: [[1, 2, .nan, 2, 3, .nan]])
        let binned = try BinnedMatrix(x, maxBins: 255)
        let hist = HistogramBuilder(binned: binned, threads: 1).buildReference(rows: Array(0..<6), gradients: [1, 2, 3, 4, 5, 6], hessians: nil)
        // Bins: {1}, {2}, {3}, missing.
        #expect(binned.mappers[0].valueBinCount == 3)
        #expect((0..<4).map { hist.count[$0] } == [1, 2, 1, 2])
        #expect((0..<4).map { hist.gradient[$0] } == [1, 6, 5, 9])
    }
}
