/// A dense design matrix handed to models: rows × features, column-major, Float64.
///
/// Missing values are `.nan`. Every model consumes this shape; tabular data (named, typed,
/// possibly categorical columns) becomes a `FeatureMatrix` through the fitted preprocessing.
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// rows × columns, column-major: element (i, j) is at `j * rows + i`.
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(rows >= 0 && columns >= 0, "negative shape")
        precondition(values.count == rows * columns, "FeatureMatrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Builds a matrix from whole columns (each of length `rows`).
    public init(columns cols: [[Double]]) {
        let r = cols.first?.count ?? 0
        var v = [Double]()
        v.reserveCapacity(r * cols.count)
        for c in cols {
            precondition(c.count == r, "FeatureMatrix: ragged columns")
            v.append(contentsOf: c)
        }
        self.init(rows: r, columns: cols.count, values: v)
    }

    @inlinable public subscript(row: Int, column: Int) -> Double {
        get { values[column * rows + row] }
        set { values[column * rows + row] = newValue }
    }

    /// Column `j` as a contiguous slice.
    @inlinable public func column(_ j: Int) -> ArraySlice<Double> {
        values[(j * rows)..<((j + 1) * rows)]
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var v = [Double](repeating: 0, count: indices.count * columns)
        v.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { src in
                for j in 0..<columns {
                    let base = j * rows, obase = j * indices.count
                    for (k, i) in indices.enumerated() { out[obase + k] = src[base + i] }
                }
            }
        }
        return FeatureMatrix(rows: indices.count, columns: columns, values: v)
    }
}
