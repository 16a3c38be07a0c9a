/// Errors from reading, validating and transforming tabular data. `message` names the file,
/// line, column or value at fault and what was expected.
public struct TabularError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case io, emptyFile, headerOnly, raggedRow, unterminatedQuote, notNumeric, duplicateColumn,
             unknownColumn, badArgument, unseenCategory, emptyColumn
    }
    public var code: Code
    public var message: String
    /// 1-based line in the source file, when the error has one.
    public var line: Int?

    public init(code: Code, message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String { message }
}

extension TabularError {
    /// The same error with `source: ` in front of its message, unless the message already starts
    /// with it (reader errors name their file themselves).
    public func naming(_ source: String) -> TabularError {
        message.hasPrefix(source) ? self : TabularError(code: code, message: "\(source): \(message)", line: line)
    }
}
