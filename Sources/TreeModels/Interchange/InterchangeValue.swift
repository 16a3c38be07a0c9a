/// One value of a JSON or UBJSON document, as model-exchange files (XGBoost's `save_model`) hold
/// them. Both decoders produce this form, so a reader walks JSON and UBJSON files the same way.
public indirect enum InterchangeValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// A JSON number with a fraction or exponent, or a UBJSON float32 / float64. `float` is the
    /// float32 nearest the number's text (JSON) or the stored float32 itself (UBJSON `d`), so
    /// float32 fields are rounded once, never through a Double.
    case number(Double, float: Float)
    case string(String)
    case array([InterchangeValue])
    case object([String: InterchangeValue])
    /// UBJSON typed arrays (`[$d#…`, `[$D#…`, `[$l#…` and the other integer types).
    case floats([Float])
    case doubles([Double])
    case integers([Int64])

    /// What the value is, for error messages: "an object", "a string", …
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array, .floats, .doubles, .integers: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON or UBJSON document that does not decode: what was expected at which byte offset.
public struct InterchangeDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Format: String, Sendable { case json = "JSON", ubjson = "UBJSON" }
    public var format: Format
    /// Byte offset from the start of the document.
    public var offset: Int
    public var message: String

    public init(format: Format, offset: Int, message: String) {
        self.format = format
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(format.rawValue) at byte \(offset): \(message)" }
}

/// Containers nested deeper than this are refused (a recursive decoder must not overflow the
/// stack on a hostile file; XGBoost's models nest five levels).
let interchangeMaximumDepth = 256
