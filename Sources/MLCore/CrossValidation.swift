import Tabular

/// k-fold cross-validation folds: a seeded permutation of the rows cut into k nearly equal
/// parts (the first `n % k` folds get one extra row, as scikit-learn's KFold does).
public struct KFold: Sendable {
    public let folds: [(train: [Int], test: [Int])]

    /// - Throws: `ModelFileError`-free plain `CrossValidationError` when k < 2 or k > rows.
    public init(rows: Int, k: Int, seed: UInt64) throws {
        guard k >= 2 else { throw CrossValidationError(message: "cross-validation needs at least 2 folds, got \(k)") }
        guard rows >= k else { throw CrossValidationError(message: "cross-validation with \(k) folds needs at least \(k) rows, got \(rows)") }
        var order = Array(0..<rows)
        var rng = SeededGenerator(seed: seed)
        rng.shuffle(&order)
        var result: [(train: [Int], test: [Int])] = []
        var start = 0
        for f in 0..<k {
            let size = rows / k + (f < rows % k ? 1 : 0)
            let test = Array(order[start..<(start + size)])
            let train = Array(order[..<start]) + Array(order[(start + size)...])
            result.append((train, test))
            start += size
        }
        folds = result
    }
}

public struct CrossValidationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Summary of k-fold scores: mean and sample standard deviation (ddof = 0, as scikit-learn's
/// `cross_val_score(...).std()` reports through numpy).
public struct CrossValidationScore: Codable, Sendable, Equatable {
    public var scores: [Double]
    public var mean: Double
    public var std: Double

    public init(scores: [Double]) {
        self.scores = scores
        let n = Double(scores.count)
        let m = scores.reduce(0, +) / n
        mean = m
        std = (scores.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
    }
}
