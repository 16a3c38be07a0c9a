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
        /// Ridge or logistic `alpha` < 0 or not finite.
        case invalidAlpha
        /// Logistic regression: `classCount` < 2.
        case invalidClassCount
        /// Logistic regression: a class index outside `0..<classCount`.
        case classOutOfRange
        /// Logistic regression: every training row has the same class.
        case singleClass
        /// Logistic regression: a class in `0..<classCount` has no training rows (its
        /// unpenalised intercept would be −∞).
        case missingClass
        /// Logistic regression with alpha = 0 on data that a linear rule classifies perfectly
        /// (or perfectly up to rows tied on the rule: quasi-separation): the likelihood has no
        /// maximum (coefficients grow without bound).
        case perfectSeparation
        /// Logistic regression: Newton's method stopped before the gradient fell below the
        /// tolerance.
        case notConverged
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
