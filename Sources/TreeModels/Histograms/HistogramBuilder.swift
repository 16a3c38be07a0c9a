import CTreeKernels
import Dispatch

/// Accumulates node histograms from binned data and per-row gradients.
///
/// Gradients and hessians are Float32 per row; sums are Float64. Each (feature, bin) sum is taken
/// in the node's row order whatever the thread count, so results are bit-identical on 1 or 2
/// threads. Features are split across threads.
public struct HistogramBuilder: Sendable {
    public let binned: BinnedMatrix
    public let threads: Int

    public init(binned: BinnedMatrix, threads: Int) {
        self.binned = binned
        self.threads = max(1, threads)
    }

    /// Doubles of accumulator scratch one worker needs for any block of `features` features:
    /// 256 (Σg, count) pairs each, or 4 features' 256 (Σg, Σh, count, -) quadruples.
    public static func accumulatorSize(features: Int) -> Int { max(2 * 256 * features, 4 * 256 * 4) }

    /// Fills the bins of features `features[block]` of `hist` with a node's sums, four features
    /// per pass over the rows (`buildBlock` with unit hessians, `buildBlockWithHessians` else).
    /// - Parameters:
    ///   - rows: the node's rows.
    ///   - rowsAreAll: `rows` is exactly 0..<binned.rows (the root): the passes skip the indices.
    ///   - gradients, hessians: one per matrix row; hessians nil = every hessian 1.
    ///   - acc: the calling worker's scratch of `accumulatorSize(features: block.count)` doubles,
    ///     all zero (and left so).
    @inlinable public func fill(_ hist: Histogram, features: UnsafeBufferPointer<Int>, block: Range<Int>,
                                rows: UnsafeBufferPointer<Int32>, rowsAreAll: Bool, gradients: UnsafeBufferPointer<Float>,
                                hessians: UnsafeBufferPointer<Float>?, acc: UnsafeMutablePointer<Double>) {
        if let hessians {
            buildBlockWithHessians(features: features, block: block, into: hist, rows: rowsAreAll ? nil : rows,
                                   gradients: gradients, hessians: hessians, acc: acc)
        } else {
            UnsafeMutableRawPointer(acc).withMemoryRebound(to: SIMD2<Double>.self, capacity: 256 * block.count) { pairs in
                buildBlock(features: features, block: block, into: hist, rows: rowsAreAll ? nil : rows, gradients: gradients, acc: pairs)
            }
        }
    }

    /// `buildBlock` with hessians: (Σg, Σh, count) of features `features[block]`, four per pass
    /// (`plumb_histogram_gh`), each sum in row order.
    /// - Parameters:
    ///   - acc: scratch for 4 × 256 × 4 doubles, all zero; left all zero.
    @inlinable public func buildBlockWithHessians(features: UnsafeBufferPointer<Int>, block: Range<Int>, into hist: Histogram,
                                                  rows: UnsafeBufferPointer<Int32>?, gradients: UnsafeBufferPointer<Float>,
                                                  hessians: UnsafeBufferPointer<Float>, acc: UnsafeMutablePointer<Double>) {
        let n = binned.rows, m = rows?.count ?? n
        precondition(gradients.count == n && hessians.count == n)
        guard let g = gradients.baseAddress, let h = hessians.baseAddress else { return }
        var j = block.lowerBound
        while j < block.upperBound {
            let c = min(4, block.upperBound - j)
            withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 4) { cols in
                for i in 0..<4 { cols[i] = binned.columnBins + features[j + min(i, c - 1)] * n }
                plumb_histogram_gh(rows?.baseAddress, m, g, h, cols.baseAddress!, c, acc)
            }
            for i in 0..<c {
                let f = features[j + i]
                let off = binned.binOffsets[f], nb = binned.binOffsets[f + 1] - off
                let sg = hist.gradient + off, sh = hist.hessian + off, sc = hist.count + off, a = acc + 1024 * i
                // Zeroed as read: the scratch is all zero again for the next call.
                for b in 0..<nb {
                    sg[b] = a[4 * b]; sh[b] = a[4 * b + 1]; sc[b] = a[4 * b + 2]
                    a[4 * b] = 0; a[4 * b + 1] = 0; a[4 * b + 2] = 0
                }
            }
            j += c
        }
    }

    /// Fills the bins of features `features[block]` of `hist`, four features per pass over the
    /// node's rows; every hessian is 1 (hessian sum = count).
    ///
    /// Each (feature, bin) sum is taken in row order, so the grouping of features gives the same
    /// bits. Four features per pass share the row index and gradient loads, and their four
    /// independent updates hide the latency of repeated bins. Gradients are read through the row
    /// indices, not gathered first: the gather would be a serial pass before the parallel one.
    /// - Parameters:
    ///   - features: feature indices; `block` selects the positions filled here.
    ///   - rows: the node's rows; nil when they are exactly 0..<binned.rows (the root).
    ///   - gradients: one per matrix row.
    ///   - acc: scratch for `block.count` × 256 (Σg, count) pairs, all zero; left all zero.
    /// - Complexity: O(rows × block.count + the block's bins).
    @inlinable public func buildBlock(features: UnsafeBufferPointer<Int>, block: Range<Int>, into hist: Histogram,
                                      rows: UnsafeBufferPointer<Int32>?, gradients: UnsafeBufferPointer<Float>,
                                      acc: UnsafeMutablePointer<SIMD2<Double>>) {
        let bs = block.count
        guard bs > 0 else { return }
        let n = binned.rows, m = rows?.count ?? n
        let bins = binned.columnBins
        precondition(gradients.count == n)
        if let g = gradients.baseAddress {
            var j = 0
            while j < bs {
                let c = min(4, bs - j)
                func col(_ i: Int) -> UnsafePointer<UInt8> { bins + features[block.lowerBound + j + min(i, c - 1)] * n }
                let a = acc + 256 * j
                let idx = rows?.baseAddress
                // Constant counts: each call is specialised once inlined.
                switch c {
                case 4: Self.accumulate(4, m: m, idx: idx, g: g, col(0), col(1), col(2), col(3), a)
                case 3: Self.accumulate(3, m: m, idx: idx, g: g, col(0), col(1), col(2), col(3), a)
                case 2: Self.accumulate(2, m: m, idx: idx, g: g, col(0), col(1), col(2), col(3), a)
                default: Self.accumulate(1, m: m, idx: idx, g: g, col(0), col(1), col(2), col(3), a)
                }
                j += c
            }
        }
        for j in 0..<bs {
            let f = features[block.lowerBound + j]
            let off = binned.binOffsets[f], nb = binned.binOffsets[f + 1] - off
            let sg = hist.gradient + off, sc = hist.count + off, a = acc + 256 * j
            // Zeroed as read: the scratch is all zero again for the next call.
            for b in 0..<nb {
                let s = a[b]
                sg[b] = s.x; sc[b] = s.y
                a[b] = .zero
            }
        }
    }

    /// Adds (g, 1) of each row to the bins of `c` ≤ 4 columns; feature i's pairs at `acc + 256 i`.
    @inline(__always) @usableFromInline
    static func accumulate(_ c: Int, m: Int, idx: UnsafePointer<Int32>?, g: UnsafePointer<Float>,
                           _ c0: UnsafePointer<UInt8>, _ c1: UnsafePointer<UInt8>, _ c2: UnsafePointer<UInt8>, _ c3: UnsafePointer<UInt8>,
                           _ acc: UnsafeMutablePointer<SIMD2<Double>>) {
        let a0 = acc, a1 = acc + 256, a2 = acc + 512, a3 = acc + 768
        @inline(__always) func add(_ r: Int, _ v: SIMD2<Double>) {
            a0[Int(c0[r])] += v
            if c > 1 { a1[Int(c1[r])] += v }
            if c > 2 { a2[Int(c2[r])] += v }
            if c > 3 { a3[Int(c3[r])] += v }
        }
        if let idx {
            withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 4) { cols in
                cols[0] = c0; cols[1] = c1; cols[2] = c2; cols[3] = c3
                UnsafeMutableRawPointer(acc).withMemoryRebound(to: Double.self, capacity: 2 * 256 * c) { a in
                    plumb_histogram_indexed(idx, m, g, cols.baseAddress!, c, a)
                }
            }
        } else {
            for k in 0..<m { add(k, SIMD2(Double(g[k]), 1)) }
        }
    }

    /// Fills `hist` with the sums over `rows` (indices into the binned matrix, repeats allowed).
    /// - Parameters:
    ///   - rows: the node's row indices.
    ///   - gradients: one per row of the matrix.
    ///   - hessians: one per row, or nil when every hessian is 1 (then hessian sum = count).
    ///   - features: which features to fill (others are left untouched).
    /// - Complexity: O(rows × features).
    public func build(into hist: Histogram, rows: UnsafeBufferPointer<Int32>,
                      gradients: UnsafeBufferPointer<Float>, hessians: UnsafeBufferPointer<Float>?, features: [Int]) {
        let m = rows.count, nf = features.count
        hist.setUnitHessians(hessians == nil)
        let nThreads = m * nf >= 32_768 ? threads : 1
        let size = Self.accumulatorSize(features: nf)
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: nThreads * size)
        acc.initialize(repeating: 0, count: nThreads * size)
        defer { acc.deallocate() }
        let identity = m == binned.rows && rows.elementsEqual(0..<Int32(m))
        features.withUnsafeBufferPointer { fb in
            parallelFor(nThreads, threads: nThreads) { w in
                let block = (nf * w / nThreads)..<(nf * (w + 1) / nThreads)
                fill(hist, features: fb, block: block, rows: rows, rowsAreAll: identity, gradients: gradients, hessians: hessians,
                     acc: acc + w * size)
            }
        }
    }

    /// Plain twin of `build` for tests: one pass over rows, every feature.
    public func buildReference(rows: [Int32], gradients: [Float], hessians: [Float]?) -> Histogram {
        let hist = Histogram(totalBins: binned.totalBins, unitHessians: hessians == nil)
        for r in rows {
            let i = Int(r)
            for f in 0..<binned.features {
                let k = binned.binOffsets[f] + Int(binned.bin(row: i, feature: f))
                hist.gradient[k] += Double(gradients[i])
                if let hessians { hist.hessian[k] += Double(hessians[i]) }
                hist.count[k] += 1
            }
        }
        return hist
    }

    /// Sums (g, 1) of a small node's rows into a sparse histogram of the features `active`:
    /// `acc[offset(f) + b]` holds (Σg, count) of feature f's bin b, and bit b of the 4 words at
    /// `occupied + 4 f` marks it non-empty. One pass over the rows (each row's bins read from the
    /// row-major copy), sums in row order as the dense kernels take them.
    public func accumulateSparse(rows: UnsafeBufferPointer<Int32>, gradients: UnsafePointer<Float>,
                                 active: UnsafeBufferPointer<Int>, acc: UnsafeMutablePointer<SIMD2<Double>>,
                                 occupied: UnsafeMutablePointer<UInt64>) {
        let p = binned.features, rowBins = binned.rowBins
        binned.binOffsets.withUnsafeBufferPointer { offs in
            for r32 in rows {
                let r = Int(r32)
                let row = rowBins + r * p
                let v = SIMD2<Double>(Double(gradients[r]), 1)
                for f in active {
                    let b = Int(row[f])
                    acc[offs[f] + b] += v
                    occupied[4 * f + (b >> 6)] |= 1 &<< UInt64(b & 63)
                }
            }
        }
    }

    /// Adds `value` × each bin's rows of a leaf to the gradient sums of `root`, for the features
    /// `features` (squared loss: every row of the leaf moved its gradient by `value`). A leaf
    /// with a dense histogram gives its counts per bin; a small one is read row by row.
    /// - Complexity: O(the features' bins) with a histogram, else O(rows × features).
    public func addLeafValue(_ value: Double, histogram: Histogram?, rows: UnsafeBufferPointer<Int32>,
                             features: UnsafeBufferPointer<Int>, to root: Histogram) {
        let rg = root.gradient, p = binned.features, rowBins = binned.rowBins
        binned.binOffsets.withUnsafeBufferPointer { offs in
            if let h = histogram {
                let counts = h.count
                for f in features {
                    for k in offs[f]..<offs[f + 1] { rg[k] += value * counts[k] }
                }
            } else {
                for row in rows {
                    let bins = rowBins + Int(row) * p
                    for f in features { rg[offs[f] + Int(bins[f])] += value }
                }
            }
        }
    }
}
