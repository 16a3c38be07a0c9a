/// Errors from drift analysis: a column missing from the current data, a column whose kind
/// changed, or a test that does not apply to a column's kind. `message` names the column and
/// what was expected.
public struct DriftError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case missingColumn, kindMismatch, testNotApplicable, emptyColumn, lengthMismatch
    }
    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
