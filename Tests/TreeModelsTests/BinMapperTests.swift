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
        #expect(c.bin(4) == 1 && c.bin(5) == c.missingBin && c.bin(.nan) == c.missingBin)
        #expect(throws: TreeModelsError.self) { try BinMapper.categorical(values: [1.5], feature: 0) }
        #expect(throws: TreeModelsError.self) { try BinMapper.categorical(values: (0..<300).map(Double.init), feature: 0) }
    }
}
