import LinearAlgebra

/// Invalid training input for a linear model, or a solver failure while fitting one.
public struct LinearModelError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// Fewer than 2 training rows.
        case tooFewRows
        /// `y.count != x.rows`.
        case targetCountMismatch
        /// NaN or ±infinity in the target.
        case nonFiniteTarget
        /// NaN (missing) in a feature column: impute before fitting.
        case missingFeature
        /// ±infinity in a feature column.
        case infiniteFeature
        /// Ridge `alpha` < 0 or not finite.
        case invalidAlpha
        /// LAPACK failed; `underlying` holds the `LinearAlgebraError`.
        case solverFailed
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
