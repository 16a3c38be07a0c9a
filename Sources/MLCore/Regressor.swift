/// A fitted regression model: scores a `FeatureMatrix` whose columns are, in order, the
/// features it was trained on.
///
/// Every model kind (linear, ridge, gbm, forest) conforms; the model file envelope stores its
/// `kind` and the bytes of `encode(to:)`, and a `ModelDecoder` registered for the kind reads
/// them back.
public protocol Regressor: Sendable {
    /// Stable identifier stored in model files: "linear", "ridge", "gbm", "forest".
    static var kind: String { get }
    /// Number of input columns expected.
    var featureCount: Int { get }
    /// Scores every row of `x` into `output` (count == x.rows).
    /// - Precondition: `x.columns == featureCount`, `output.count == x.rows`.
    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>)
    /// The same on at most `threads` threads (1: the calling thread alone), for callers that
    /// run many small scoring calls side by side, such as a server.
    func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int)
    /// Per-feature importance (non-negative, any scale), or nil when the kind has none.
    var featureImportance: [Double]? { get }
    /// Writes the fitted state (not the hyperparameters' provenance: the envelope holds those).
    func encode(to writer: inout BinaryWriter)
    /// Reads what `encode(to:)` wrote.
    static func decode(from reader: inout BinaryReader) throws -> Self
}

extension Regressor {
    public var kindName: String { Self.kind }

    /// Scores every row of `x` (on at most `threads` threads; nil: the model's own setting).
    public func predict(_ x: FeatureMatrix, threads: Int? = nil) -> [Double] {
        [Double](unsafeUninitializedCapacity: x.rows) { buffer, count in
            buffer.initialize(repeating: 0)
            if let threads { predict(x, into: buffer, threads: threads) } else { predict(x, into: buffer) }
            count = x.rows
        }
    }

    /// Kinds that do not thread their scoring ignore `threads`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        predict(x, into: output)
    }

    public var featureImportance: [Double]? { nil }
}
