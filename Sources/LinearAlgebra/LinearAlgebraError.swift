/// A BLAS/LAPACK failure or a shape error at the LinearAlgebra boundary.
///
/// This file's `check` is the one place a raw LAPACK `info` becomes a Swift error; `message`
/// names the routine and what failed ("dposv: leading minor of order 3 is not positive definite").
public struct LinearAlgebraError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// An exactly-zero pivot: the matrix is singular (gesv).
        case singular
        /// A leading minor is not positive definite (posv / potrf).
        case notPositiveDefinite
        /// LAPACK rejected argument n (1-based); LAPACKE also reports NaN inputs this way.
        case illegalArgument(Int)
        /// The design matrix does not have full column rank (gels, or the rank check after it).
        case rankDeficient
        /// The condition estimate is below the tolerance a method needs (normal equations).
        case illConditioned
        /// Operand shapes do not fit together.
        case dimensionMismatch
        /// The SVD did not converge (gelsd).
        case noConvergence
        /// LAPACKE could not allocate its workspace.
        case allocationFailed
    }

    public var code: Code
    public var message: String
    /// LAPACK routine name ("dgels"), or the Swift function for shape errors.
    public var routine: String
    public var underlying: (any Error)?

    public init(code: Code, routine: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.routine = routine
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    static func dimensionMismatch(_ function: String, _ detail: String) -> LinearAlgebraError {
        LinearAlgebraError(code: .dimensionMismatch, routine: function, message: "\(function): \(detail)")
    }
}

/// LAPACKE's own status codes for failed workspace allocation (lapacke.h).
private let lapackWorkMemoryError: Int32 = -1010
private let lapackTransposeMemoryError: Int32 = -1011

/// Turns a LAPACK `info` into a thrown `LinearAlgebraError`; `positive` says what info > 0 means
/// for `routine` (given the 1-based index info reports).
func check(_ info: Int32, _ routine: String, positive: (Int) -> (LinearAlgebraError.Code, String)) throws {
    if info == 0 { return }
    if info == lapackWorkMemoryError || info == lapackTransposeMemoryError {
        throw LinearAlgebraError(code: .allocationFailed, routine: routine,
                                 message: "\(routine): LAPACKE could not allocate its workspace (info \(info))")
    }
    if info < 0 {
        let arg = Int(-info)
        throw LinearAlgebraError(code: .illegalArgument(arg), routine: routine,
                                 message: "\(routine): argument \(arg) had an illegal value (LAPACKE also reports a NaN in a matrix argument this way)")
    }
    let (code, what) = positive(Int(info))
    throw LinearAlgebraError(code: code, routine: routine, message: "\(routine): \(what)")
}
