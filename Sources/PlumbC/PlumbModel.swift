import CArrowData
import Foundation
import MLCore
import Parquet
import Pipeline
import Tabular
import Tracking

/// A model opened through the C ABI: the located model, and the texts the ABI hands out as
/// `const char*` (made once, valid until the handle is freed).
///
/// Scoring reads only immutable state, so one handle serves any number of threads at once.
/// `@unchecked Sendable`: besides immutable Sendable values it owns C strings written once in
/// `init`, only read afterwards, and freed in `deinit` when no caller can hold the handle.
public final class PlumbModel: @unchecked Sendable {
    public let located: LocatedModel
    /// Input features in model order.
    public let features: [FeatureSpec]
    /// Class labels in output order; nil for a regression.
    public let classes: [String]?
    /// `prediction`, or `label` then `prob_<class>` per class: the columns `plumb predict` writes.
    public let outputNames: [String]
    private let featureNames: Set<String>
    private let cFeatureNames: [UnsafeMutablePointer<CChar>]
    private let cOutputNames: [UnsafeMutablePointer<CChar>]
    private let cClasses: [UnsafeMutablePointer<CChar>]
    private let cIdentity: [UnsafeMutablePointer<CChar>]

    public init(_ located: LocatedModel) {
        self.located = located
        let header = located.model.header
        features = header.preprocessor.inputFeatures
        // As `plumb predict`: a classifier's header lists its classes, in output order.
        classes = header.classes.flatMap { $0.count == located.model.outputCount && $0.count >= 2 ? $0 : nil }
        if let classes {
            outputNames = ["label"] + classes.map { "prob_\($0)" }
        } else {
            outputNames = ["prediction"]
        }
        featureNames = Set(features.map(\.name))
        cFeatureNames = features.map { makeCString($0.name) }
        cOutputNames = outputNames.map(makeCString)
        cClasses = (classes ?? []).map(makeCString)
        cIdentity = [located.name, located.version, located.sha256, header.kind, header.resolvedTask.rawValue, header.target]
            .map(makeCString)
    }

    deinit {
        for p in cFeatureNames + cOutputNames + cClasses + cIdentity { p.deallocate() }
    }

    /// Opens a model file, or a registry URI (`models:/NAME/VERSION`, `models:/NAME@ALIAS`) in
    /// the tracking store at `storePath`, as `plumb predict --model … --store …` does.
    /// - Throws: `PlumbCError` `.model` naming the file, URI or store.
    public static func open(_ reference: String, storePath: String?) throws(PlumbCError) -> PlumbModel {
        guard !reference.isEmpty else { throw PlumbCError(.argument, "empty model path or URI") }
        let store = storePath ?? Self.defaultStorePath()
        if ModelLocator.isURI(reference) && !FileManager.default.fileExists(atPath: store) {
            throw PlumbCError(.model, "\(reference): tracking store \(store) does not exist (pass the store path, or set PLUMB_STORE)")
        }
        do {
            return PlumbModel(try ModelLocator.load(reference, storePath: store))
        } catch {
            throw PlumbCError(.model, "\(error)")
        }
    }

    /// `$PLUMB_STORE`, else `.plumb/plumb.db`, as the CLI.
    static func defaultStorePath() -> String {
        if let s = ProcessInfo.processInfo.environment["PLUMB_STORE"], !s.isEmpty { return s }
        return ".plumb/plumb.db"
    }

    public var outputCount: Int { outputNames.count }

    func featureName(_ i: Int) -> UnsafePointer<CChar> { UnsafePointer(cFeatureNames[i]) }
    func outputName(_ j: Int) -> UnsafePointer<CChar> { UnsafePointer(cOutputNames[j]) }
    func classLabel(_ c: Int) -> UnsafePointer<CChar> { UnsafePointer(cClasses[c]) }
    /// name, version, sha256, kind, task, target.
    func identity(_ k: Int) -> UnsafePointer<CChar> { UnsafePointer(cIdentity[k]) }

    /// Scores a record batch given through the Arrow C Data Interface into `out` (column-major:
    /// output column `j` of row `r` at `out[j * rows + r]`).
    /// - Returns: rows scored, and values of categorical features unseen in training (encoded as
    ///   `plumb predict` does: all zeros).
    /// - Throws: `PlumbCError` `.input` naming the column for a missing, mistyped or unreadable one,
    ///   `.argument` when `out` is too short.
    public func predict(schema: UnsafePointer<ArrowSchema>, array: UnsafePointer<ArrowArray>, threads: Int?,
                        into out: UnsafeMutableBufferPointer<Double>) throws(PlumbCError) -> (rows: Int, unseen: Int) {
        let table: Table
        do {
            table = try ArrowCDataImport.table(schema: schema, array: array, wanted: featureNames)
        } catch {
            throw PlumbCError(.input, "Arrow batch: \(error.message)")
        }
        return try predict(table, threads: threads, into: out, columns: ArrowCDataImport.columnNames(schema: schema))
    }

    /// Scores a table (columns found by name, extra ones ignored) through the stored
    /// preprocessing and the regressor, exactly as `plumb predict` does.
    /// - Parameter columns: the caller's column names, for the message about missing ones
    ///   (default: the table's).
    public func predict(_ table: Table, threads: Int?, into out: UnsafeMutableBufferPointer<Double>,
                        columns: [String]? = nil) throws(PlumbCError) -> (rows: Int, unseen: Int) {
        try checkColumns(table, columns: columns ?? table.columnNames)
        let n = table.rowCount
        let (needed, overflow) = n.multipliedReportingOverflow(by: outputCount)
        guard !overflow, out.count >= needed else {
            throw PlumbCError(.argument, "output buffer holds \(out.count) doubles; \(n) rows × \(outputCount) outputs (\(outputNames.joined(separator: ", "))) need \(needed)")
        }
        if n == 0 { return (0, 0) }
        let predictions: [Double], unseen: [String: Int]
        do {
            (predictions, unseen) = try located.model.predict(table, threads: threads)
        } catch {
            throw PlumbCError(.input, "\(error)")
        }
        write(predictions, rows: n, into: out)
        return (n, unseen.values.reduce(0, +))
    }

    /// Scores rows of an all-numeric model given row-major in input-feature order
    /// (`values[r * features + f]`, NaN = missing) into `out`, laid out as `predict(_:…)`.
    public func predict(rowMajor values: UnsafeBufferPointer<Double>, rows n: Int, columns: Int, threads: Int?,
                        into out: UnsafeMutableBufferPointer<Double>) throws(PlumbCError) -> Int {
        guard columns == features.count else {
            throw PlumbCError(.input, "dense batch has \(columns) columns; the model takes \(features.count) features (\(features.map(\.name).joined(separator: ", ")))")
        }
        if let text = features.first(where: { $0.kind == .categorical }) {
            throw PlumbCError(.input, "feature \"\(text.name)\" is categorical: score this model with plumb_predict_arrow, not a dense double matrix")
        }
        let (cells, o1) = n.multipliedReportingOverflow(by: columns)
        let (needed, o2) = n.multipliedReportingOverflow(by: outputCount)
        guard !o1, values.count >= cells else { throw PlumbCError(.argument, "dense batch of \(n) × \(columns) values is too large") }
        guard !o2, out.count >= needed else {
            throw PlumbCError(.argument, "output buffer holds \(out.count) doubles; \(n) rows × \(outputCount) outputs need \(needed)")
        }
        if n == 0 { return 0 }
        guard let predictions = located.model.predict(rowMajor: UnsafeBufferPointer(rebasing: values[0 ..< cells]), rows: n, threads: threads) else {
            throw PlumbCError(.input, "the model has categorical features: use plumb_predict_arrow")
        }
        write(predictions, rows: n, into: out)
        return n
    }

    /// Every feature present, numeric features numeric: checked here so the message names the
    /// column as the caller's batch has it.
    func checkColumns(_ table: Table, columns: [String]) throws(PlumbCError) {
        let missing = features.filter { table.index(of: $0.name) == nil }.map { "\"\($0.name)\"" }
        if !missing.isEmpty {
            let have = columns.isEmpty ? "no columns" : columns.joined(separator: ", ")
            throw PlumbCError(.input, "missing feature column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (the batch has: \(have))")
        }
        for f in features where f.kind == .numeric {
            if let c = table.column(named: f.name), c.kind == .categorical {
                throw PlumbCError(.input, "column \"\(f.name)\" holds strings, but the model's feature \"\(f.name)\" is numeric")
            }
        }
    }

    /// Predictions (rows × outputCount of the regressor, row-major) → the output columns.
    private func write(_ predictions: [Double], rows n: Int, into out: UnsafeMutableBufferPointer<Double>) {
        guard let classes else {
            for r in 0 ..< n { out[r] = predictions[r] }
            return
        }
        let k = classes.count
        let labels = located.model.classIndices(predictions)
        for r in 0 ..< n { out[r] = Double(labels[r]) }
        for c in 0 ..< k {
            let base = (c + 1) * n
            for r in 0 ..< n { out[base + r] = predictions[r * k + c] }
        }
    }
}

/// A NUL-terminated copy of `s` (free with `deallocate()`).
func makeCString(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
    for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
    p[bytes.count] = 0
    return p
}

/// An error returned through the C ABI: a status and a message.
public struct PlumbCError: Error, CustomStringConvertible, Sendable {
    /// The status codes of plumb.h (`PLUMB_OK` is 0).
    public enum Code: Int32, Sendable {
        /// A null pointer, an index out of range, a buffer too small.
        case argument = 1
        /// The model could not be opened: no such file, not a model file, unknown registry URI or store.
        case model = 2
        /// The batch does not fit the model: a missing or mistyped column, an unsupported or
        /// inconsistent Arrow array.
        case input = 3
        /// Anything else (a bug: please report it).
        case internalError = 4
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
