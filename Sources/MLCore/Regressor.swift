/// A fitted model: scores a `FeatureMatrix` whose columns are, in order, the features it was
/// trained on. A regression writes one value per row; a classifier writes one probability per
/// class (`outputCount` values per row, row-major).
///
/// Every model kind (linear, ridge, gbm, forest) conforms; the model file envelope stores its
/// `kind` and the bytes of `encode(to:)`, and a `ModelDecoder` registered for the kind reads
/// them back.
public protocol Regressor: Sendable {
    /// Stable identifier stored in model files: "linear", "ridge", "gbm", "forest".
    static var kind: String { get }
    /// Number of input columns expected.
    var featureCount: Int { get }
    /// Values written per row: 1 for a regression, the class count for a classifier.
    var outputCount: Int { get }
    /// Scores every row of `x` into `output` (count == x.rows × outputCount, row-major).
    /// - Precondition: `x.columns == featureCount`, `output.count == x.rows × outputCount`.
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

    public var outputCount: Int { 1 }

    /// Scores every row of `x` (on at most `threads` threads; nil: the model's own setting):
    /// x.rows × outputCount values, row-major.
    public func predict(_ x: FeatureMatrix, threads: Int? = nil) -> [Double] {
        let count = x.rows * outputCount
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)
            if let threads { predict(x, into: buffer, threads: threads) } else { predict(x, into: buffer) }
            initialized = count
        }
    }

    /// Kinds that do not thread their scoring ignore `threads`.
    public func predict(_ x: FeatureMatrix, into output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        predict(x, into: output)
    }

    public var featureImportance: [Double]? { nil }
}
