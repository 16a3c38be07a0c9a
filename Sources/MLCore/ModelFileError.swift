/// Errors reading or writing a model file. `message` names the file and what was expected.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case notAModelFile, truncated, corrupt, checksumMismatch, newerFormat, unknownKind, io, featureMismatch
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
