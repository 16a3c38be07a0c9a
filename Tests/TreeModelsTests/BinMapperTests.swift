import Foundation
import MLCore
import Tabular
import Testing
@testable import TreeModels

@Suite struct BinMapperTests {
    @Test func fewDistinctValuesGetMidpointBounds() {
        let m = BinMapper.numeric(values: [3, 1, 2, 2, .nan, 1], maxBins: 255)
        #expect(m.upperBounds == [1.5, 2.5, .infinity])
        #expect(m.bin(1) == 0 && m.bin(1.5) == 0 && m.bin(1.6) == 1 && m.bin(3) == 2 && m.bin(100) == 2)
        #expect(m.bin(.nan) == 3 && m.missingBin == 3)
        #expect(m.bin(-.infinity) == 0 && m.bin(.infinity) == 2)
    }

    @Test func binIsConsistentWithRawThresholds() {
        var rng = SeededGenerator(seed: 5)
        let v = (0..<3000).map { _ in (rng.unit() * 1000).rounded() / 10 }
        let m = BinMapper.numeric(values: v, maxBins: 40)
        #expect(m.valueBinCount <= 40)
        for x in v + [-1, 1e9] {
            let b = m.bin(x)
            for t in 0..<(m.valueBinCount - 1) { #expect((x <= m.upperBounds[t]) == (b <= t)) }
        }
    }

    @Test func quantileBinsHoldSimilarCounts() {
        var rng = SeededGenerator(seed: 9)
        let v = (0..<10_000).map { _ in rng.unit() }
        let m = BinMapper.numeric(values: v, maxBins: 10)
        var counts = [Int](repeating: 0, count: m.valueBinCount)
        for x in v { counts[m.bin(x)] += 1 }
        #expect(m.valueBinCount == 10)
        #expect(counts.allSatisfy { $0 >= 900 && $0 <= 1100 })
    }

    @Test func allMissingAndCategorical() throws {
        #expect(BinMapper.numeric(values: [.nan, .nan], maxBins: 10).isAllMissing)
        let c = try BinMapper.categorical(values: [4, 0, 4, .nan, 7], feature: 2)
        #expect(c.categories == [0, 4, 7])
        #expect(c.bin(4) == 1 && c.bin(.nan) == c.missingBin)
        // No known code: past the missing bin (such a row goes right at any categorical split).
        #expect(c.bin(5) == c.unseenBin && c.bin(-1) == c.unseenBin && c.bin(4.5) == c.unseenBin && c.bin(1e300) == c.unseenBin)
        #expect(c.unseenBin == c.missingBin + 1)
        #expect(throws: TreeModelsError.self) { try BinMapper.categorical(values: [1.5], feature: 0) }
        #expect(throws: TreeModelsError.self) { try BinMapper.categorical(values: (0..<300).map(Double.init), feature: 0) }
    }

    /// The radix sort gives the standard sort's order (by `<`, with -0 before +0), on values that
    /// stress the bit-pattern keys: both signs, zeros, infinities, subnormals, repeats, and sizes
    /// where some digits are the same for every value.
    @Test(arguments: [0, 1, 2, 7, 1_000, 50_000])
    func radixSortMatchesTheStandardSort(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count) &+ 3)
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                  .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1]
        var v = (0..<count).map { i -> Double in
            switch i % 5 {
            case 0: return specials[rng.below(specials.count)]
            case 1: return Double(rng.below(20)) - 10            // many repeats
            case 2: return (rng.unit() - 0.5) * 1e-300
            default: return (rng.unit() - 0.5) * pow(10, Double(rng.below(40)) - 20)
            }
        }
        var expected = v
        expected.sort()
        BinMapper.sortAscending(&v)
        #expect(v.count == expected.count)
        #expect(zip(v, expected).allSatisfy { $0 == $1 }, "order differs")
        // Zeros: every -0 before every +0.
        let zeros = v.filter { $0 == 0 }
        #expect(zeros == zeros.sorted { $0.sign == .minus && $1.sign == .plus })
        // Positive range of equal high digits (all values in [1, 2)): passes are skipped, still sorted.
        var narrow = (0..<count).map { _ in 1 + rng.unit() }
        let narrowExpected = narrow.sorted()
        BinMapper.sortAscending(&narrow)
        #expect(narrow == narrowExpected)
    }

    /// The C column binning equals `bin(_:)` value by value, NaN and ±∞ included.
    @Test func columnBinningEqualsScalarBinning() {
        var rng = SeededGenerator(seed: 9)
        let sample = (0..<5_000).map { _ in (rng.unit() - 0.3) * 100 }
        for maxBins in [2, 17, 255] {
            let m = BinMapper.numeric(values: sample, maxBins: maxBins)
            var x = (0..<3_001).map { _ in (rng.unit() - 0.3) * 120 }
            x[0] = .nan; x[1] = .infinity; x[2] = -.infinity
            for (k, b) in m.upperBounds.enumerated() where k % 3 == 0 { x[10 + k] = b }   // exactly on a bound
            var out = [UInt8](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { m.bin(xb.baseAddress!, count: xb.count, into: $0.baseAddress!) } }
            #expect(out.map(Int.init) == x.map { m.bin($0) })
        }
    }
}
