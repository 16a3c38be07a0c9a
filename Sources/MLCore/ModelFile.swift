import Foundation
import Tabular

/// What a model predicts: numbers, or one of two or of several classes.
public enum ModelTask: String, Codable, Sendable, CaseIterable {
    case regression, binary, multiclass

    public var isClassification: Bool { self != .regression }
}

/// What a model file says about its model, besides the fitted numbers: everything needed to
/// score new data the way the training data was scored, and to trace where the model came from.
///
/// Holds no timestamps or host names: the same data, spec and seed give a bit-identical file.
/// A regression's header holds no task, classes or threshold (files written before classifiers
/// existed read the same way).
public struct ModelHeader: Codable, Sendable, Equatable {
    public var kind: String
    public var target: String
    /// nil: regression.
    public var task: ModelTask?
    /// Classifiers: the class labels as given in the training data, in model output order.
    public var classes: [String]?
    /// Binary classifiers: class `classes[1]` is predicted when its probability is at least this.
    public var threshold: Double?
    /// The fitted preprocessing applied to raw input columns before the regressor.
    public var preprocessor: Preprocessor
    public var hyperparameters: [String: String]
    public var trainingData: DatasetDigest?
    public var metrics: [String: Double]
    /// Importance per preprocessed feature name (normalised to sum 1), when the kind has it.
    public var featureImportance: [String: Double]?
    public var plumbVersion: String
    public var warnings: [String]

    public init(kind: String, target: String, preprocessor: Preprocessor, hyperparameters: [String: String],
                trainingData: DatasetDigest?, metrics: [String: Double], featureImportance: [String: Double]?,
                plumbVersion: String, warnings: [String] = [], task: ModelTask? = nil, classes: [String]? = nil,
                threshold: Double? = nil) {
        self.kind = kind
        self.target = target
        self.task = task
        self.classes = classes
        self.threshold = threshold
        self.preprocessor = preprocessor
        self.hyperparameters = hyperparameters
        self.trainingData = trainingData
        self.metrics = metrics
        self.featureImportance = featureImportance
        self.plumbVersion = plumbVersion
        self.warnings = warnings
    }

    /// The raw input columns the model needs, in order.
    public var inputFeatures: [String] { preprocessor.inputFeatures.map(\.name) }

    /// The task, regression when none is recorded.
    public var resolvedTask: ModelTask { task ?? .regression }
}

/// Identity of a dataset: where it came from, its content digest and its size.
public struct DatasetDigest: Codable, Sendable, Equatable {
    public var name: String
    public var sha256: String
    public var rows: Int
    public var columns: [String]

    public init(name: String, sha256: String, rows: Int, columns: [String]) {
        self.name = name
        self.sha256 = sha256
        self.rows = rows
        self.columns = columns
    }
}

/// A fitted model with its preprocessing: scores raw tables.
public struct LoadedModel: Sendable {
    public var header: ModelHeader
    public var regressor: any Regressor

    public init(header: ModelHeader, regressor: any Regressor) {
        self.header = header
        self.regressor = regressor
    }

    /// Values per row of `predict`: 1 (regression) or one probability per class.
    public var outputCount: Int { regressor.outputCount }

    /// The predicted class index of each row from `predict`'s probabilities (rows × classes),
    /// by `ClassDecision.classIndices` with the header's threshold.
    public func classIndices(_ probabilities: [Double]) -> [Int] {
        ClassDecision.classIndices(probabilities, classes: outputCount, threshold: header.threshold)
    }

    /// Applies the fitted preprocessing to `table` (columns looked up by name; extra columns,
    /// such as the target, are ignored) and scores every row.
    /// Scoring runs on at most `threads` threads (nil: the model's own setting).
    /// - Throws: `TabularError` naming a missing or mistyped feature column.
    public func predict(_ table: Table, threads: Int? = nil) throws -> (predictions: [Double], unseenCategories: [String: Int]) {
        let t = try header.preprocessor.transform(table)
        let x = FeatureMatrix(rows: t.rows, columns: t.columns, values: t.values)
        return (regressor.predict(x, threads: threads), t.unseenCategories)
    }

    /// Scores rows given flat in input-feature order (`values[r * features + f]`, NaN = missing)
    /// when every input feature is numeric; nil otherwise (use the table path).
    public func predict(rowMajor values: UnsafeBufferPointer<Double>, rows: Int, threads: Int? = nil) -> [Double]? {
        let p = header.preprocessor
        guard p.isAllNumeric else { return nil }
        let x = FeatureMatrix(rows: rows, columns: p.outputNames.count, values: p.transform(rowMajor: values, rows: rows))
        return regressor.predict(x, threads: threads)
    }

    /// `predict(rowMajor:rows:threads:)` into caller-owned buffers, for a caller that scores the
    /// same number of rows again and again (`plumb bench`'s per-worker loop): the preprocessed
    /// rows go into `matrix` (its values overwritten in place, so nothing is allocated while the
    /// caller holds the only reference) and the predictions into `output`. Whether the
    /// regressor itself allocates is its own business (a GBM classifier's raw scores do).
    /// Not for a model with a categorical feature: use the table path.
    /// - Parameters:
    ///   - matrix: rows × `preprocessor.outputNames.count`, reused call after call.
    ///   - output: rows × `outputCount`, row-major.
    /// - Precondition: `header.preprocessor.isAllNumeric` (the caller checks it once: checking
    ///   it here would walk the features on every call); `values.count == matrix.rows ×
    ///   inputFeatures.count`; `output` sized as above.
    public func predict(rowMajor values: UnsafeBufferPointer<Double>, into matrix: inout FeatureMatrix,
                        output: UnsafeMutableBufferPointer<Double>, threads: Int) {
        let p = header.preprocessor
        precondition(matrix.columns == p.outputNames.count, "LoadedModel.predict(rowMajor:into:): matrix has \(matrix.columns) columns, model \(p.outputNames.count)")
        precondition(output.count == matrix.rows * outputCount, "LoadedModel.predict(rowMajor:into:): output holds \(output.count), need \(matrix.rows * outputCount)")
        let rows = matrix.rows
        matrix.values.withUnsafeMutableBufferPointer { p.transform(rowMajor: values, rows: rows, into: $0) }
        regressor.predict(matrix, into: output, threads: threads)
    }
}

/// Decoders for the model kinds a program knows, by `Regressor.kind`.
public struct ModelKinds: Sendable {
    public typealias Decoder = @Sendable (inout BinaryReader) throws -> any Regressor
    private var decoders: [String: Decoder] = [:]

    public init() {}

    public mutating func register<R: Regressor>(_ type: R.Type) {
        decoders[R.kind] = { reader in try R.decode(from: &reader) }
    }

    public var known: [String] { decoders.keys.sorted() }

    func decoder(for kind: String) -> Decoder? { decoders[kind] }
}

/// The versioned model file envelope.
///
/// Layout (little-endian): magic `PLUMBMDL` · UInt32 format version · UInt32 flags (0) ·
/// UInt64 header length · header JSON (sorted keys) · UInt64 payload length · payload (the
/// regressor's `encode(to:)`) · SHA-256 of every preceding byte (32 bytes).
public enum ModelFile {
    public static let magic = Array("PLUMBMDL".utf8)
    public static let formatVersion: UInt32 = 1

    /// Serialises a header and a fitted regressor.
    public static func encode(header: ModelHeader, regressor: any Regressor) throws -> [UInt8] {
        precondition(header.kind == regressor.kindName, "header kind \(header.kind) ≠ regressor kind \(regressor.kindName)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var payload = BinaryWriter()
        regressor.encode(to: &payload)
        var w = BinaryWriter()
        w.append(raw: magic)
        w.write(formatVersion)
        w.write(UInt32(0))
        w.write(UInt64(json.count))
        w.append(raw: Array(json))
        w.write(UInt64(payload.bytes.count))
        w.append(raw: payload.bytes)
        w.append(raw: SHA256.digest(w.bytes))
        return w.bytes
    }

    /// Reads and verifies a model file's bytes. `source` names the file in error messages.
    public static func decode(_ bytes: [UInt8], source: String, kinds: ModelKinds) throws -> LoadedModel {
        try decodeHashing(bytes, source: source, kinds: kinds).model
    }

    /// `decode`, plus the SHA-256 of the whole file (its identity in the registry and logs),
    /// continued from the checksum's hash of the body instead of hashing the bytes twice.
    public static func decodeHashing(_ bytes: [UInt8], source: String, kinds: ModelKinds) throws -> (model: LoadedModel, sha256: String) {
        let fixed = magic.count + 4 + 4 + 8
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw ModelFileError(code: .notAModelFile, message: "\(source): not a Plumb model file (no PLUMBMDL signature)")
        }
        guard bytes.count >= fixed + 8 + 32 else {
            throw ModelFileError(code: .truncated, message: "\(source): model file is truncated (\(bytes.count) bytes)")
        }
        var r = BinaryReader(bytes)
        _ = try r.readArray(of: UInt8.self, count: magic.count)
        let version = try r.read(UInt32.self)
        guard version <= formatVersion else {
            throw ModelFileError(code: .newerFormat, message: "\(source): model file format version \(version) is newer than this plumb reads (\(formatVersion)); upgrade plumb to load it")
        }
        guard version >= 1 else {
            throw ModelFileError(code: .corrupt, message: "\(source): invalid model file format version \(version)")
        }
        _ = try r.read(UInt32.self)
        let headerLength = try r.read(UInt64.self)
        guard headerLength <= UInt64(r.remaining) else {
            throw ModelFileError(code: .truncated, message: "\(source): model file is truncated (header of \(headerLength) bytes declared, \(r.remaining) left)")
        }
        let json = try r.readArray(of: UInt8.self, count: Int(headerLength))
        let payloadLength = try r.read(UInt64.self)
        guard payloadLength <= UInt64(r.remaining), UInt64(r.remaining) - payloadLength >= 32 else {
            throw ModelFileError(code: .truncated, message: "\(source): model file is truncated (payload of \(payloadLength) bytes declared, \(r.remaining) left)")
        }
        let payload = try r.readArray(of: UInt8.self, count: Int(payloadLength))
        let bodyEnd = r.offset
        guard r.remaining == 32 else {
            throw ModelFileError(code: .corrupt, message: "\(source): model file has \(r.remaining - 32) unexpected trailing bytes")
        }
        var hash = SHA256()
        hash.update(bytes[0..<bodyEnd])
        var bodyHash = hash
        let trailer = Array(bytes[bodyEnd...])
        guard bodyHash.finalize() == trailer else {
            throw ModelFileError(code: .checksumMismatch, message: "\(source): model file is corrupted (SHA-256 checksum does not match its contents)")
        }
        let header: ModelHeader
        do {
            header = try JSONDecoder().decode(ModelHeader.self, from: Data(json))
        } catch {
            throw ModelFileError(code: .corrupt, message: "\(source): model header is unreadable: \(error)", underlying: error)
        }
        guard let decode = kinds.decoder(for: header.kind) else {
            throw ModelFileError(code: .unknownKind, message: "\(source): unknown model kind \"\(header.kind)\" (this plumb knows \(kinds.known.joined(separator: ", ")))")
        }
        var pr = BinaryReader(payload)
        let regressor = try decode(&pr)
        guard pr.remaining == 0 else {
            throw ModelFileError(code: .corrupt, message: "\(source): \(pr.remaining) unread bytes after the \(header.kind) payload")
        }
        guard regressor.featureCount == header.preprocessor.outputNames.count else {
            throw ModelFileError(code: .featureMismatch, message: "\(source): regressor expects \(regressor.featureCount) features, preprocessing produces \(header.preprocessor.outputNames.count)")
        }
        hash.update(trailer)
        return (LoadedModel(header: header, regressor: regressor), SHA256.hexString(hash.finalize()))
    }

    /// Writes atomically: a temporary file in the same folder, fsync, then rename.
    public static func write(header: ModelHeader, regressor: any Regressor, to path: String) throws -> (bytes: Int, sha256: String) {
        let bytes = try encode(header: header, regressor: regressor)
        try AtomicFile.write(bytes, to: path)
        return (bytes.count, SHA256.hex(bytes))
    }

    public static func read(path: String, kinds: ModelKinds) throws -> LoadedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ModelFileError(code: .io, message: exists ? "\(path): cannot read model file" : "\(path): no such model file")
        }
        return try decode(Array(data), source: path, kinds: kinds)
    }
}
