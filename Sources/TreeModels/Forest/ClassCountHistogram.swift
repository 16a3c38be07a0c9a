/// Per-(feature, bin) class counts of one node, for Gini trees over `classCount` classes: the
/// classification twin of `Histogram`, with one count plane per class instead of Σ gradient.
///
/// Layout: flat bin `k` (a feature's offset + its bin) holds its `classCount` counts side by
/// side, at `counts[k * classCount + c]`, so one row adds to one cache line per feature; `totals[k]`
/// is the bin's row count, and `occupied` marks each feature's non-empty bins (4 words, bit b).
/// Float64 counts: whole numbers, exact (a row drawn twice by the bootstrap counts twice).
///
/// The histogram is kept all zero between nodes: `clear(features:)` zeroes only the bins a
/// node filled, so a small node costs its rows, not every bin.
final class ClassCountHistogram: @unchecked Sendable {   // owns raw memory; one grower (one node at a time) uses it
    let classCount: Int
    let binOffsets: [Int]
    let counts: UnsafeMutablePointer<Double>
    let totals: UnsafeMutablePointer<Double>
    let occupied: UnsafeMutablePointer<UInt64>

    init(binned: BinnedMatrix, classCount: Int) {
        self.classCount = classCount
        binOffsets = binned.binOffsets
        let bins = max(1, binned.totalBins)
        counts = .allocate(capacity: bins * classCount)
        counts.initialize(repeating: 0, count: bins * classCount)
        totals = .allocate(capacity: bins)
        totals.initialize(repeating: 0, count: bins)
        occupied = .allocate(capacity: 4 * max(1, binned.features))
        occupied.initialize(repeating: 0, count: 4 * max(1, binned.features))
    }

    deinit {
        counts.deallocate()
        totals.deallocate()
        occupied.deallocate()
    }

    /// Counts `rows` into the bins of `features`: one pass over the rows, each adding one to its
    /// class's count in its bin of every feature.
    /// - Parameters:
    ///   - classes: each matrix row's class index, 0..<classCount.
    /// - Complexity: O(rows × features).
    func accumulate(rows: UnsafeBufferPointer<Int32>, classes: UnsafeBufferPointer<Int32>, features: [Int], binned: BinnedMatrix) {
        let k = classCount, stride = binned.features, rowBins = binned.rowBins
        let counts = self.counts, totals = self.totals, occupied = self.occupied
        binOffsets.withUnsafeBufferPointer { offsets in
            features.withUnsafeBufferPointer { fs in
                for r in rows {
                    let c = Int(classes[Int(r)]), bins = rowBins + Int(r) * stride
                    for f in fs {
                        let b = Int(bins[f]), flat = offsets[f] + b
                        counts[flat * k + c] += 1
                        totals[flat] += 1
                        occupied[4 * f + b >> 6] |= 1 << UInt64(b & 63)
                    }
                }
            }
        }
    }

    /// The non-empty bins of feature `f` in ascending order (the missing bin included).
    func occupiedBins(of f: Int) -> [Int] {
        var bins: [Int] = []
        for w in 0..<4 {
            var word = occupied[4 * f + w]
            while word != 0 {
                bins.append(w << 6 | word.trailingZeroBitCount)
                word &= word - 1
            }
        }
        return bins
    }

    /// Class `c`'s count in bin `b` of feature `f`.
    @inline(__always)   // the split scans call it per class per bin
    func count(feature f: Int, bin b: Int, class c: Int) -> Double { counts[(binOffsets[f] + b) * classCount + c] }

    /// Row count of bin `b` of feature `f`.
    func total(feature f: Int, bin b: Int) -> Double { totals[binOffsets[f] + b] }

    /// Zeroes what `accumulate` filled for `features`.
    func clear(features: [Int]) {
        for f in features {
            for w in 0..<4 {
                var word = occupied[4 * f + w]
                while word != 0 {
                    let flat = binOffsets[f] + (w << 6 | word.trailingZeroBitCount)
                    (counts + flat * classCount).update(repeating: 0, count: classCount)
                    totals[flat] = 0
                    word &= word - 1
                }
                occupied[4 * f + w] = 0
            }
        }
    }
}
