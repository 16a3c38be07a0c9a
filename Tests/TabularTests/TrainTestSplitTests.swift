import Testing
import Tabular

@Suite struct TrainTestSplitTests {
    @Test func housingSizesAndDisjointCover() throws {
        let (train, test) = try TrainTestSplit.split(rowCount: 20_640, testFraction: 0.2, seed: 42)
        #expect(test.count == 4_128 && train.count == 16_512)
        #expect(Set(train).isDisjoint(with: Set(test)))
        #expect(Set(train + test) == Set(0..<20_640))
        #expect(train != train.sorted())  // shuffled order is kept
    }

    @Test func deterministicAndSeedDependent() throws {
        let a = try TrainTestSplit.split(rowCount: 100, testFraction: 0.25, seed: 7)
        let b = try TrainTestSplit.split(rowCount: 100, testFraction: 0.25, seed: 7)
        let c = try TrainTestSplit.split(rowCount: 100, testFraction: 0.25, seed: 8)
        #expect(a.train == b.train && a.test == b.test)
        #expect(a.test != c.test)
        // Same as an independent Fisher–Yates with the same generator.
        var perm = Array(0..<100)
        var rng = SeededGenerator(seed: 7)
        rng.shuffle(&perm)
        #expect(a.test == Array(perm[..<25]) && a.train == Array(perm[25...]))
    }

    @Test func ceilCountRule() throws {
        #expect(try TrainTestSplit.split(rowCount: 10, testFraction: 0.15, seed: 1).test.count == 2)
        #expect(try TrainTestSplit.split(rowCount: 3, testFraction: 0.01, seed: 1).test.count == 1)
    }

    @Test func rejectsBadArguments() {
        #expect(throws: TabularError.self) { try TrainTestSplit.split(rowCount: 10, testFraction: 0, seed: 1) }
        #expect(throws: TabularError.self) { try TrainTestSplit.split(rowCount: 10, testFraction: 1, seed: 1) }
        #expect(throws: TabularError.self) { try TrainTestSplit.split(rowCount: 10, testFraction: .nan, seed: 1) }
        #expect(throws: TabularError.self) { try TrainTestSplit.split(rowCount: 1, testFraction: 0.5, seed: 1) }
        #expect(throws: TabularError.self) { try TrainTestSplit.split(rowCount: 10, testFraction: 0.95, seed: 1) }
    }
}
