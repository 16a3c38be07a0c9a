/// An ONNX model file Plumb cannot import or a model it cannot export: the message names the
/// file, node, attribute or preprocessing step at fault and what was expected.
public struct ONNXModelError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The file cannot be read or written.
        case io
        /// Not an ONNX model (the protobuf does not decode, or no graph).
        case notONNX
        /// An attribute is missing, has the wrong type, or disagrees with another.
        case malformed
        /// A valid model using something Plumb does not score (an operator, a transform, an
        /// aggregate function), or a Plumb model the format cannot express.
        case unsupported
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
