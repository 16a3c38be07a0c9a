/// Errors from drift analysis: a column missing from the current data, a column whose kind
/// changed, a test that does not apply to a column's kind, or a retraining trigger that cannot
/// be read or names a metric the model's task does not report. `message` names the column and
/// what was expected.
public struct DriftError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case missingColumn, kindMismatch, testNotApplicable, emptyColumn, lengthMismatch, invalidTrigger, unknownMetric
    }
    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
