import Drift
import Foundation
import Serving
import Tabular
import Tracking

/// The raw feature values `plumb bench` sends: rows in a model's input-feature order, as a
/// request would carry them (numbers, category labels, nil = missing), before any preprocessing.
public struct BenchRows: Sendable {
    public var features: [Serving.FeatureSpec]
    public var rows: [[FeatureValue?]]
    /// Where the rows came from, for the report: the file, "reference profile" or "schema".
    public var source: String

    public init(features: [Serving.FeatureSpec], rows: [[FeatureValue?]], source: String) {
        self.features = features
        self.rows = rows
        self.source = source
    }

    public var kinds: [FeatureKind] { features.map(\.kind) }

    /// The features' columns of a table read from `path` (CSV, Parquet or Arrow), by name;
    /// extra columns (a target) are ignored.
    /// - Throws: a missing feature column, a text column for a numeric feature, or an empty file.
    public static func read(_ path: String, features: [Serving.FeatureSpec], csv: CSVOptions = CSVOptions()) throws -> BenchRows {
        var options = csv
        for f in features where options.schema[f.name] == nil { options.schema[f.name] = f.kind == .numeric ? .numeric : .categorical }
        return try from(TableFile.read(path, csv: options), features: features, source: path)
    }

    /// The features' columns of `table`, row by row.
    public static func from(_ table: Table, features: [Serving.FeatureSpec], source: String) throws -> BenchRows {
        guard table.rowCount > 0 else { throw TabularError(code: .emptyFile, message: "\(source): no data rows to send") }
        var columns: [Column] = []
        for f in features {
            guard let c = table.column(named: f.name) else {
                throw TabularError(code: .unknownColumn, message: "\(source): missing feature column \"\(f.name)\"")
            }
            if f.kind == .numeric, case .categorical = c.data {
                throw TabularError(code: .notNumeric, message: "\(source): feature \"\(f.name)\" must be numeric but holds text")
            }
            columns.append(c)
        }
        let rows: [[FeatureValue?]] = (0..<table.rowCount).map { r in
            zip(features, columns).map { f, c -> FeatureValue? in
                switch c.data {
                case .numeric(let v):
                    guard !v[r].isNaN else { return nil }
                    return f.kind == .numeric ? .number(v[r]) : .string(CSVWriter.format(v[r]))
                case .categorical(let codes, let levels):
                    return codes[r] < 0 ? nil : .string(levels[Int(codes[r])])
                }
            }
        }
        return BenchRows(features: features, rows: rows, source: source)
    }

    /// `count` rows drawn (seeded) from a model's reference profile: numeric values from the
    /// profile's stored sample of the training column (missing at its missing rate), categories
    /// by their training frequencies. A feature the profile lacks falls back to `schema`'s rule.
    public static func synthesised(from profile: ReferenceProfile, features: [Serving.FeatureSpec], steps: [FeatureSteps],
                                   count: Int, seed: UInt64 = 42) -> BenchRows {
        var g = SeededGenerator(seed: seed)
        let byName = Dictionary(profile.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let rows: [[FeatureValue?]] = (0..<count).map { _ in
            features.enumerated().map { j, f -> FeatureValue? in
                let p = byName[f.name]
                if f.kind == .numeric, let n = p?.numeric, !n.sample.isEmpty {
                    let total = n.count + n.missing
                    if total > 0, Int.random(in: 0..<total, using: &g) < n.missing { return nil }
                    return .number(n.sample[Int.random(in: 0..<n.sample.count, using: &g)])
                }
                if f.kind == .categorical, let c = p?.categorical, !c.levels.isEmpty, c.frequencies.reduce(0, +) > 0 {
                    var pick = Int.random(in: 0..<c.frequencies.reduce(0, +), using: &g)
                    for (level, n) in zip(c.levels, c.frequencies) {
                        if pick < n { return .string(level) }
                        pick -= n
                    }
                }
                return schemaValue(f, steps: j < steps.count ? steps[j] : nil, using: &g)
            }
        }
        return BenchRows(features: features, rows: rows, source: "reference profile")
    }

    /// `count` rows drawn (seeded) from the model's schema alone: a numeric feature from its
    /// scaler's mean ± standard deviation (normal), else uniform in its clip range, else its
    /// imputer's fill ± 1; a categorical one uniformly over its fitted levels.
    public static func synthesised(features: [Serving.FeatureSpec], steps: [FeatureSteps]?, count: Int, seed: UInt64 = 42) -> BenchRows {
        var g = SeededGenerator(seed: seed)
        let rows: [[FeatureValue?]] = (0..<count).map { _ in
            features.enumerated().map { j, f in schemaValue(f, steps: steps.flatMap { j < $0.count ? $0[j] : nil }, using: &g) }
        }
        return BenchRows(features: features, rows: rows, source: "schema")
    }

    static func schemaValue(_ f: Serving.FeatureSpec, steps: FeatureSteps?, using g: inout SeededGenerator) -> FeatureValue? {
        if f.kind == .categorical {
            guard let levels = f.levels, !levels.isEmpty else { return nil }
            return .string(levels[Int.random(in: 0..<levels.count, using: &g)])
        }
        if let s = steps?.scaler, s.scale.isFinite, s.mean.isFinite {
            // Box–Muller: one standard normal from two uniforms.
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &g), u2 = Double.random(in: 0..<1, using: &g)
            return .number(s.mean + s.scale * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
        if let c = steps?.clipper, c.lower.isFinite, c.upper.isFinite, c.lower < c.upper {
            return .number(Double.random(in: c.lower..<c.upper, using: &g))
        }
        let centre = steps?.imputer.number ?? 0
        return .number((centre.isFinite ? centre : 0) + Double.random(in: -1..<1, using: &g))
    }

    /// The rows repeated (in order) until there are at least `count`: a batch is a contiguous
    /// window of the pool, so the pool must hold the largest batch.
    public func pool(atLeast count: Int) -> [[FeatureValue?]] {
        guard !rows.isEmpty, rows.count < count else { return rows }
        return (0..<count).map { rows[$0 % rows.count] }
    }

    /// One row as the JSON object `POST /predict` takes (`{"name": value, …}`, null = missing).
    public func jsonObject(_ r: Int) -> String {
        var parts: [String] = []
        parts.reserveCapacity(features.count)
        for (f, v) in zip(features, rows[r]) { parts.append("\(jsonStringLiteral(f.name)):\(Self.json(v))") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// One row as an Open Inference Protocol v2 infer request: one input per feature, shape [1].
    public func v2InferBody(_ r: Int) -> String {
        var inputs: [String] = []
        for (f, v) in zip(features, rows[r]) {
            let type = f.kind == .numeric ? "FP64" : "BYTES"
            inputs.append(#"{"name":\#(jsonStringLiteral(f.name)),"shape":[1],"datatype":"\#(type)","data":[\#(Self.json(v))]}"#)
        }
        return #"{"inputs":["# + inputs.joined(separator: ",") + "]}"
    }

    static func json(_ v: FeatureValue?) -> String {
        switch v {
        case .number(let x)? where x.isFinite: return "\(x)"
        case .string(let s)?: return jsonStringLiteral(s)
        case .number?, nil: return "null"
        }
    }
}
