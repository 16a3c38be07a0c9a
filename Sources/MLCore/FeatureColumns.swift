/// Feature columns handed to a fit one at a time (rows values each, NaN = missing), for models
/// that never need the whole Float64 matrix: tree models bin each column as it comes and keep
/// only the bins. A column may be computed on each request (a preprocessing step applied to a
/// table's column) or be a column of a `FeatureMatrix`.
public struct FeatureColumns: Sendable {
    public let rows: Int
    public let count: Int
    private let provider: @Sendable (Int) -> [Double]

    /// - Parameter column: column `j`'s `rows` values; called at most a few times per column,
    ///   possibly from several threads at once.
    public init(rows: Int, count: Int, column: @escaping @Sendable (Int) -> [Double]) {
        precondition(rows >= 0 && count >= 0, "FeatureColumns: negative shape")
        self.rows = rows
        self.count = count
        provider = column
    }

    /// The columns of a matrix.
    public init(_ x: FeatureMatrix) {
        self.init(rows: x.rows, count: x.columns) { j in Array(x.column(j)) }
    }

    /// Column `j`.
    public func column(_ j: Int) -> [Double] {
        let values = provider(j)
        precondition(values.count == rows, "FeatureColumns: column \(j) has \(values.count) values for \(rows) rows")
        return values
    }

    /// The rows at `indices`, in that order, taken from each column when it is asked for.
    public func selecting(rows indices: [Int]) -> FeatureColumns {
        let source = self
        return FeatureColumns(rows: indices.count, count: count) { j in
            let all = source.column(j)
            return indices.map { all[$0] }
        }
    }

    /// Every column in one matrix.
    public func materialized() -> FeatureMatrix {
        var values: [Double] = []
        values.reserveCapacity(rows * count)
        for j in 0..<count { values.append(contentsOf: column(j)) }
        return FeatureMatrix(rows: rows, columns: count, values: values)
    }
}
