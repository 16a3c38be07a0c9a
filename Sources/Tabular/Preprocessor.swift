/// Options of `Preprocessor.fit`.
public struct PreprocessingOptions: Codable, Sendable, Equatable {
    /// Missing-value fill (numeric: mean/median; categorical: most frequent level for both).
    public var impute: ImputeStrategy
    /// Standardise numeric features (`StandardScaler`).
    public var scale: Bool
    /// One-hot encode categorical features; when false a categorical feature becomes one
    /// column holding its fitted level index (unseen → NaN).
    public var oneHot: Bool
    /// Clip numeric features to these fitted quantiles before anything else.
    public var clip: ClipRange?

    public init(impute: ImputeStrategy = .median, scale: Bool = false, oneHot: Bool = true, clip: ClipRange? = nil) {
        self.impute = impute
        self.scale = scale
        self.oneHot = oneHot
        self.clip = clip
    }
}

/// One input feature of a fitted `Preprocessor`.
public struct FeatureSpec: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    /// Fitted levels (sorted) of a categorical feature; nil for numeric ones.
    public var levels: [String]?

    public init(name: String, kind: ColumnKind, levels: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.levels = levels
    }
}

/// The fitted steps of one feature.
public struct FeatureSteps: Codable, Sendable, Equatable {
    public var clipper: QuantileClipper?
    public var imputer: Imputer
    public var scaler: StandardScaler?
    public var encoder: OneHotEncoder?

    /// A numeric feature's steps on one value: clip, impute, scale.
    @inlinable public func applyNumeric(_ value: Double) -> Double {
        var x = value
        if let c = clipper { x = c.apply(x) }
        x = imputer.apply(x)
        if let s = scaler { x = s.apply(x) }
        return x
    }
}

/// Output of `Preprocessor.transform`: rows × columns, column-major Double, ready for a
/// `FeatureMatrix`.
public struct TransformedFeatures: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Column-major, `rows * columns` values; column `j` is `values[j*rows ..< (j+1)*rows]`.
    public var values: [Double]
    /// Output column names (same as `Preprocessor.outputNames`).
    public var names: [String]
    /// Per categorical feature, how many values were levels not seen at fit time (encoded as
    /// zeros, or NaN without one-hot). Features with no unseen values are absent.
    public var unseenCategories: [String: Int]

    public init(rows: Int, columns: Int, values: [Double], names: [String], unseenCategories: [String: Int]) {
        precondition(values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.values = values
        self.names = names
        self.unseenCategories = unseenCategories
    }
}

/// Fitted feature preprocessing over named columns: numeric clip → impute → scale,
/// categorical impute → one-hot. Fitted once, serialised as JSON, applied identically at
/// training and serving time.
public struct Preprocessor: Codable, Sendable, Equatable {
    public var options: PreprocessingOptions
    /// Features in output order: name, kind, fitted levels.
    public var inputFeatures: [FeatureSpec]
    public var steps: [FeatureSteps]
    /// Output column names: a numeric feature keeps its name, a one-hot column is
    /// `"feature=level"`.
    public var outputNames: [String]

    /// Fits every step of each feature in `features` on `table`, each step on the output of the
    /// previous one (as a scikit-learn `Pipeline`).
    /// - Throws: `TabularError` for an unknown or duplicate feature name (`.unknownColumn`,
    ///   `.duplicateColumn`), or a feature without any non-missing value (`.emptyColumn`),
    ///   or clip quantiles outside 0 ≤ lower < upper ≤ 1 (`.badArgument`).
    public static func fit(_ table: Table, features: [String], options: PreprocessingOptions = .init()) throws -> Preprocessor {
        if let clip = options.clip, !(clip.lower >= 0 && clip.lower < clip.upper && clip.upper <= 1) {
            throw TabularError(code: .badArgument, message: "clip quantiles must satisfy 0 ≤ lower < upper ≤ 1, got (\(clip.lower), \(clip.upper))")
        }
        var seen = Set<String>()
        var specs: [FeatureSpec] = []
        var steps: [FeatureSteps] = []
        var names: [String] = []
        let missingNames = features.filter { table.index(of: $0) == nil }
        if !missingNames.isEmpty {
            throw TabularError(code: .unknownColumn, message: "feature column\(missingNames.count > 1 ? "s" : "") \(missingNames.map { "\"\($0)\"" }.joined(separator: ", ")) not in the table (columns: \(table.columnNames.joined(separator: ", ")))")
        }
        for name in features {
            guard seen.insert(name).inserted else {
                throw TabularError(code: .duplicateColumn, message: "feature \"\(name)\" listed twice")
            }
        }
        // Each feature's steps depend on its own column only: fitted in parallel, kept in order.
        let fitted = Parallel.map(features.count) { k in
            Result { try fitFeature(features[k], of: table, options: options) }
        }
        for result in fitted {
            let (spec, step, outputs) = try result.get()
            specs.append(spec)
            steps.append(step)
            names += outputs
        }
        return Preprocessor(options: options, inputFeatures: specs, steps: steps, outputNames: names)
    }

    /// One feature's spec, fitted steps and output column names.
    private static func fitFeature(_ name: String, of table: Table, options: PreprocessingOptions) throws
        -> (FeatureSpec, FeatureSteps, [String]) {
        guard let column = table.column(named: name) else {
            throw TabularError(code: .unknownColumn, message: "feature column \"\(name)\" not in the table")
        }
        switch column.data {
        case .numeric(let raw):
            guard raw.contains(where: { !$0.isNaN }) else {
                throw TabularError(code: .emptyColumn, message: "feature \"\(name)\" has no non-missing values to fit on")
            }
            // Each step fitted on the previous one's output; a copy only where a step changes values.
            let clipper = options.clip.map { QuantileClipper.fit(raw, range: $0) }
            let clipped = clipper.map { c in raw.map(c.apply) } ?? raw
            let imputer = Imputer.fit(numeric: clipped, strategy: options.impute)
            let scaler = options.scale ? StandardScaler.fit(clipped.map(imputer.apply)) : nil
            return (FeatureSpec(name: name, kind: .numeric), FeatureSteps(clipper: clipper, imputer: imputer, scaler: scaler, encoder: nil), [name])
        case .categorical(let codes, let levels):
            return try categoricalFeature(name, levelCounts: LevelCounts(codes: codes, levels: levels), options: options)
        }
    }

    /// A categorical feature's spec, steps and outputs from the rows each level has.
    static func categoricalFeature(_ name: String, levelCounts: LevelCounts, options: PreprocessingOptions) throws
        -> (FeatureSpec, FeatureSteps, [String]) {
        guard !levelCounts.isEmpty else {
            throw TabularError(code: .emptyColumn, message: "feature \"\(name)\" has no non-missing values to fit on")
        }
        let imputer = Imputer.fit(levelCounts: levelCounts, strategy: options.impute)
        let encoder = OneHotEncoder.fit(levelCounts: levelCounts)
        let outputs = options.oneHot ? encoder.levels.map { "\(name)=\($0)" } : [name]
        return (FeatureSpec(name: name, kind: .categorical, levels: encoder.levels),
                FeatureSteps(clipper: nil, imputer: imputer, scaler: nil, encoder: encoder), outputs)
    }

    /// Applies the fitted steps to the feature columns of `table`, found by name (other
    /// columns are ignored; categorical levels are matched by text).
    /// - Returns: `table.rowCount × outputNames.count` values, column-major.
    /// - Throws: `TabularError` `.unknownColumn` naming every missing feature column, or
    ///   `.notNumeric` naming a numeric feature that arrived as text.
    public func transform(_ table: Table) throws -> TransformedFeatures {
        let missingNames = inputFeatures.map(\.name).filter { table.index(of: $0) == nil }
        if !missingNames.isEmpty {
            throw TabularError(code: .unknownColumn, message: "missing feature column\(missingNames.count > 1 ? "s" : "") \(missingNames.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        let n = table.rowCount
        var values = [Double](repeating: 0, count: n * outputNames.count)
        var unseen: [String: Int] = [:]
        var out = 0
        for (spec, step) in zip(inputFeatures, steps) {
            guard let column = table.column(named: spec.name) else { continue }
            switch spec.kind {
            case .numeric:
                guard case .numeric(let raw) = column.data else {
                    throw TabularError(code: .notNumeric, message: "feature \"\(spec.name)\" must be numeric but arrived as text (categorical column)")
                }
                let base = out * n
                for r in 0..<n {
                    values[base + r] = step.applyNumeric(raw[r])
                }
                out += 1
            case .categorical:
                let (codes, levels) = Self.categoricalView(column.data)
                let encoder = step.encoder ?? OneHotEncoder(levels: spec.levels ?? [])
                let map = encoder.indexMap(for: levels)
                let fill = step.imputer.level.flatMap { encoder.levels.firstIndex(of: $0) }
                var unseenCount = 0
                let width = options.oneHot ? encoder.levels.count : 1
                for r in 0..<n {
                    let c = Int(codes[r])
                    var k: Int
                    if c < 0 || c >= map.count {
                        k = fill ?? -1
                    } else {
                        k = map[c]
                        if k < 0 { unseenCount += 1 }
                    }
                    if options.oneHot {
                        if k >= 0 { values[(out + k) * n + r] = 1 }
                    } else {
                        values[out * n + r] = k >= 0 ? Double(k) : .nan
                    }
                }
                if unseenCount > 0 { unseen[spec.name] = unseenCount }
                out += width
            }
        }
        precondition(out == outputNames.count)
        return TransformedFeatures(rows: n, columns: outputNames.count, values: values, names: outputNames, unseenCategories: unseen)
    }

    /// The columns `transform(table)` would give, each computed only when asked for (the same
    /// values): a numeric feature whose steps change nothing in this table is its column itself,
    /// with no copy. For fits that take one column at a time (tree models bin each as it comes).
    /// - Throws: the errors of `transform(_:)` for missing or mistyped feature columns.
    public func outputColumns(_ table: Table) throws -> OutputColumns {
        let missingNames = inputFeatures.map(\.name).filter { table.index(of: $0) == nil }
        if !missingNames.isEmpty {
            throw TabularError(code: .unknownColumn, message: "missing feature column\(missingNames.count > 1 ? "s" : "") \(missingNames.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        var sources: [OutputColumns.Source] = []
        for (f, spec) in inputFeatures.enumerated() {
            let column = table.column(named: spec.name)!
            switch spec.kind {
            case .numeric:
                guard case .numeric = column.data else {
                    throw TabularError(code: .notNumeric, message: "feature \"\(spec.name)\" must be numeric but arrived as text (categorical column)")
                }
                sources.append(.init(feature: f, level: nil))
            case .categorical:
                let width = options.oneHot ? (steps[f].encoder?.levels.count ?? spec.levels?.count ?? 0) : 1
                for k in 0..<width { sources.append(.init(feature: f, level: options.oneHot ? k : nil)) }
            }
        }
        precondition(sources.count == outputNames.count)
        return OutputColumns(preprocessor: self, table: table, sources: sources)
    }

    /// True when every input feature is numeric (`transform(rowMajor:rows:)` applies).
    public var isAllNumeric: Bool { inputFeatures.allSatisfy { $0.kind == .numeric } }

    /// The same steps as `transform(_:)` for an all-numeric preprocessor, on rows given flat in
    /// input-feature order (`values[r * inputFeatures.count + f]`, NaN = missing): no table, no
    /// lookups by name (the serving path, one request's rows at a time).
    /// - Returns: column-major `rows × outputNames.count` values.
    /// - Precondition: `isAllNumeric`, `values.count == rows * inputFeatures.count`.
    public func transform(rowMajor values: UnsafeBufferPointer<Double>, rows n: Int) -> [Double] {
        precondition(isAllNumeric, "Preprocessor.transform(rowMajor:): a categorical feature needs the table path")
        return [Double](unsafeUninitializedCapacity: n * inputFeatures.count) { out, count in
            transform(rowMajor: values, rows: n, into: out)
            count = n * inputFeatures.count
        }
    }

    /// `transform(rowMajor:rows:)` into a caller-owned buffer (allocates nothing: the
    /// preallocated per-worker path of `plumb bench`, and the body of the array-returning form).
    /// - Parameter out: column-major `rows × outputNames.count` values, every one overwritten.
    /// - Precondition: `isAllNumeric`, which the caller checks once, not on every call (walking
    ///   the features allocates in a debug build); `values.count == rows * inputFeatures.count`;
    ///   `out.count == rows * outputNames.count`.
    public func transform(rowMajor values: UnsafeBufferPointer<Double>, rows n: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let width = inputFeatures.count
        precondition(values.count == n * width, "Preprocessor.transform(rowMajor:): \(values.count) values for \(n) rows of \(width)")
        precondition(outputNames.count == width, "Preprocessor.transform(rowMajor:): one output per numeric input")
        precondition(out.count == n * width, "Preprocessor.transform(rowMajor:into:): room for \(out.count) values, need \(n * width)")
        for f in 0..<width {
            let step = steps[f]
            for r in 0..<n {
                out[f * n + r] = step.applyNumeric(values[r * width + f])
            }
        }
    }

    /// Codes and levels of a column read as categories; a numeric column (e.g. a category
    /// column that was all missing or all digits in a new CSV) is seen through its number texts.
    static func categoricalView(_ data: ColumnData) -> (codes: [Int32], levels: [String]) {
        switch data {
        case .categorical(let codes, let levels):
            return (codes, levels)
        case .numeric(let v):
            var index: [String: Int32] = [:]
            var levels: [String] = []
            let codes: [Int32] = v.map { x in
                if x.isNaN { return -1 }
                let s = CSVWriter.format(x)
                if let c = index[s] { return c }
                let c = Int32(levels.count)
                index[s] = c
                levels.append(s)
                return c
            }
            return (codes, levels)
        }
    }
}

/// One cell of a row given as a dictionary (the serving path).
public enum CellValue: Sendable, Equatable {
    case number(Double)
    case string(String)
    case missing
}

extension Table {
    /// Builds a table with one column per `schema` entry from rows keyed by feature name.
    /// Absent keys and `.missing` are missing values; keys not in the schema are ignored.
    /// Categorical columns list the schema's levels first, then new texts in first-seen order.
    /// - Throws: `TabularError.notNumeric` naming the field and row index when a numeric
    ///   feature gets a string.
    public static func fromRows(_ rows: [[String: CellValue]], schema: [FeatureSpec]) throws -> Table {
        var columns: [Column] = []
        var seen = Set<String>()
        for spec in schema where !seen.insert(spec.name).inserted {
            throw TabularError(code: .duplicateColumn, message: "schema lists feature \"\(spec.name)\" twice")
        }
        for spec in schema {
            switch spec.kind {
            case .numeric:
                var v = [Double](repeating: .nan, count: rows.count)
                for (i, row) in rows.enumerated() {
                    switch row[spec.name] ?? .missing {
                    case .number(let x): v[i] = x
                    case .missing: break
                    case .string(let s):
                        throw TabularError(code: .notNumeric, message: "row \(i): field \"\(spec.name)\": expected a number, found \"\(s)\"")
                    }
                }
                columns.append(Column(name: spec.name, data: .numeric(v)))
            case .categorical:
                var levels = spec.levels ?? []
                var index: [String: Int32] = [:]
                for (k, l) in levels.enumerated() where index[l] == nil { index[l] = Int32(k) }
                var codes = [Int32](repeating: -1, count: rows.count)
                for (i, row) in rows.enumerated() {
                    let text: String
                    switch row[spec.name] ?? .missing {
                    case .missing: continue
                    case .string(let s): text = s
                    case .number(let x):
                        if x.isNaN { continue }
                        text = CSVWriter.format(x)
                    }
                    if let c = index[text] {
                        codes[i] = c
                    } else {
                        let c = Int32(levels.count)
                        index[text] = c
                        levels.append(text)
                        codes[i] = c
                    }
                }
                columns.append(Column(name: spec.name, data: .categorical(codes: codes, levels: levels)))
            }
        }
        return Table(columns: columns, rowCount: rows.count)
    }
}

/// `Preprocessor.outputColumns`: the transformed columns of a table, computed one at a time.
public struct OutputColumns: Sendable {
    /// Where output column j comes from: input feature `feature`, and for one-hot output its level.
    struct Source: Sendable {
        let feature: Int
        let level: Int?
    }

    let preprocessor: Preprocessor
    let table: Table
    let sources: [Source]

    public var rows: Int { table.rowCount }
    public var count: Int { sources.count }

    /// Output column `j`: the values of column j of `preprocessor.transform(table)`.
    public func column(_ j: Int) -> [Double] {
        let source = sources[j], spec = preprocessor.inputFeatures[source.feature], step = preprocessor.steps[source.feature]
        let column = table.column(named: spec.name)!
        switch spec.kind {
        case .numeric:
            guard case .numeric(let raw) = column.data else { preconditionFailure("checked by outputColumns") }
            let unchanged = step.clipper == nil && step.scaler == nil && (step.imputer.number == nil || !raw.contains(where: \.isNaN))
            return unchanged ? raw : raw.map(step.applyNumeric)
        case .categorical:
            let (codes, levels) = Preprocessor.categoricalView(column.data)
            let encoder = step.encoder ?? OneHotEncoder(levels: spec.levels ?? [])
            let map = encoder.indexMap(for: levels)
            let fill = step.imputer.level.flatMap { encoder.levels.firstIndex(of: $0) }
            return codes.map { code -> Double in
                let c = Int(code)
                let k = c < 0 || c >= map.count ? (fill ?? -1) : map[c]
                if let level = source.level { return k == level ? 1 : 0 }
                return k >= 0 ? Double(k) : .nan
            }
        }
    }
}
