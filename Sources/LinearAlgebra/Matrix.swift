/// A dense matrix: rows × columns, column-major, `Double` or `Float`.
///
/// Element (i, j) is at `storage[j * rows + i]`, the layout BLAS/LAPACK use natively (a
/// row-major LAPACKE call would transpose a copy first).
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
    public private(set) var rows: Int
    public private(set) var columns: Int
    /// rows × columns values, column-major. Mutate elements freely, but keep the count:
    /// every operation checks `storage.count == rows * columns` as a precondition.
    public var storage: [Scalar]

    /// A rows × columns matrix with every element `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = [Scalar](repeating: value, count: rows * columns)
    }

    /// A rows × columns matrix from `values` in column-major order (count == rows · columns).
    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0, "Matrix: negative shape \(rows)×\(columns)")
        precondition(values.count == rows * columns, "Matrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = values
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// Element at row `i`, column `j` (0-based).
    @inlinable public subscript(i: Int, j: Int) -> Scalar {
        get {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix: index (\(i), \(j)) outside \(rows)×\(columns)")
            return storage[j * rows + i]
        }
        set {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix: index (\(i), \(j)) outside \(rows)×\(columns)")
            storage[j * rows + i] = newValue
        }
    }

    /// A columns × rows copy with (i, j) ↦ (j, i).
    public func transposed() -> Matrix {
        var t = [Scalar](repeating: 0, count: storage.count)
        let r = rows, c = columns
        storage.withUnsafeBufferPointer { src in
            t.withUnsafeMutableBufferPointer { dst in
                for j in 0..<c {
                    for i in 0..<r { dst[i * c + j] = src[j * r + i] }
                }
            }
        }
        return Matrix(rows: c, columns: r, values: t)
    }

    /// Column `j` as a new array of length `rows`.
    public func column(_ j: Int) -> [Scalar] {
        precondition(j >= 0 && j < columns, "Matrix: column \(j) outside 0..<\(columns)")
        return Array(storage[(j * rows)..<((j + 1) * rows)])
    }
}
