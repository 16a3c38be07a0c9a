import MLCore

extension BinnedMatrix {
    /// Builds a matrix from rows that arrive in pieces, in any order: each piece's values are
    /// binned with mappers fitted beforehand and written to the rows they belong to. Training on
    /// a file larger than memory bins it chunk by chunk this way, so only the bins are kept.
    ///
    /// Not thread-safe for one feature; different features may be filled concurrently.
    public final class Builder: @unchecked Sendable {   // writes go to disjoint rows × features; read only after `finish`
        public let rows: Int
        public let mappers: [BinMapper]
        private let storage: (columns: ByteStorage, rows: ByteStorage)

        public init(rows: Int, mappers: [BinMapper]) {
            self.rows = rows
            self.mappers = mappers
            storage = BinnedMatrix.storage(rows: rows, features: mappers.count)
        }

        /// Bins `values[i]` of feature `f` into row `positions[i]`; a negative position skips the value.
        public func fill(feature f: Int, values: UnsafeBufferPointer<Double>, positions: UnsafeBufferPointer<Int32>) {
            precondition(values.count == positions.count, "Builder.fill: \(values.count) values for \(positions.count) positions")
            guard let base = values.baseAddress, !values.isEmpty else { return }
            let bins = [UInt8](unsafeUninitializedCapacity: values.count) { buffer, count in
                mappers[f].bin(base, count: values.count, into: buffer.baseAddress!)
                count = values.count
            }
            let column = storage.columns.pointer + f * rows
            for i in 0..<values.count where positions[i] >= 0 {
                precondition(Int(positions[i]) < rows, "Builder.fill: row \(positions[i]) of \(rows)")
                column[Int(positions[i])] = bins[i]
            }
        }

        /// The matrix (its row-major copy made here). Rows never filled hold bin 0.
        public func finish(threads: Int = 1) -> BinnedMatrix {
            BinnedMatrix(rows: rows, mappers: mappers, storage: storage, threads: threads)
        }
    }

    /// Numeric mappers fitted on sample columns (the values of `sampleRows(rows:sampleSize:seed:)`,
    /// or of every row when that is nil), as the in-memory initialiser fits them.
    public static func numericMappers(sample: FeatureColumns, maxBins: Int, threads: Int = 1) -> [BinMapper] {
        var mappers = [BinMapper?](repeating: nil, count: sample.count)
        mappers.withUnsafeMutableBufferPointer { out in
            let o = out
            parallelFor(sample.count, threads: threads) { f in o[f] = BinMapper.numeric(values: sample.column(f), maxBins: maxBins) }
        }
        return mappers.map { $0! }
    }
}
