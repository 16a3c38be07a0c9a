/// Errors raised while fitting tree models: bad parameters, bad targets, unusable features.
///
/// `message` names the parameter, row or feature at fault and what was expected.
public struct TreeModelsError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case invalidParameter, invalidTarget, constantTarget, tooFewRows, shapeMismatch, invalidFeature
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

/// Lists up to five items then "and N more".
func describeFirst(_ items: [Int], noun: String) -> String {
    let shown = items.prefix(5).map(String.init).joined(separator: ", ")
    let more = items.count > 5 ? " and \(items.count - 5) more" : ""
    return "\(noun) \(shown)\(more)"
}
