/// Seeded random train/test split of row indices.
///
/// A Fisher–Yates shuffle of `0..<rowCount` with `SeededGenerator(seed:)`; the first
/// `ceil(testFraction · rowCount)` shuffled indices are the test rows and the rest the training
/// rows (scikit-learn's count rule: 20,640 × 0.2 → 4,128 test, 16,512 train). Both arrays keep
/// the shuffled order, like scikit-learn; sort them if row order matters to you. The same seed
/// always gives the same indices (the permutation differs from NumPy's: a different generator).
public enum TrainTestSplit {
    /// - Returns: disjoint `train` and `test` index arrays covering `0..<rowCount`.
    /// - Throws: `TabularError.badArgument` unless 0 < testFraction < 1 and both parts are non-empty.
    public static func split(rowCount: Int, testFraction: Double, seed: UInt64) throws -> (train: [Int], test: [Int]) {
        guard testFraction > 0, testFraction < 1 else {
            throw TabularError(code: .badArgument, message: "test fraction must be in (0, 1), got \(testFraction)")
        }
        let nTest = Int((testFraction * Double(rowCount)).rounded(.up))
        guard rowCount >= 2, nTest >= 1, nTest < rowCount else {
            throw TabularError(code: .badArgument, message: "cannot split \(rowCount) rows with test fraction \(testFraction): train and test must both be non-empty (test would have \(nTest) rows)")
        }
        var perm = Array(0..<rowCount)
        var rng = SeededGenerator(seed: seed)
        rng.shuffle(&perm)
        return (Array(perm[nTest...]), Array(perm[..<nTest]))
    }
}
