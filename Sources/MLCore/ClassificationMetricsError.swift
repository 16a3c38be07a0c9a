/// Invalid input to `ClassificationMetrics`: the message names the row (0-based), column or
/// argument and what was expected.
public struct ClassificationMetricsError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// No rows.
        case noRows
        /// Fewer than 2 classes.
        case invalidClassCount
        /// `probabilities.count != rows · classCount`.
        case shapeMismatch
        /// A true class outside `0..<classCount`.
        case classOutOfRange
        /// A probability is NaN or infinite.
        case nonFiniteProbability
        /// A probability below 0 or above 1.
        case probabilityOutOfRange
        /// A row of probabilities does not sum to 1 (within 1e-8 + 1e-5).
        case probabilitiesDoNotSumToOne
        /// The decision threshold is NaN or outside [0, 1].
        case invalidThreshold
        /// `bestF1Threshold` was given no row of the positive class.
        case noPositiveRows
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
