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

    /// Copies the node's gradients (and hessians) into `scratch` in row order: `[g_0..g_m, h_0..h_m]`.
    /// The per-feature kernels then read them contiguously.
    public static func gather(rows: UnsafeBufferPointer<Int32>, gradients: UnsafeBufferPointer<Float>,
                              hessians: UnsafeBufferPointer<Float>?, into scratch: UnsafeMutableBufferPointer<Float>) {
        let m = rows.count
        precondition(scratch.count >= (hessians == nil ? m : 2 * m))
        for k in 0..<m { scratch[k] = gradients[Int(rows[k])] }
        if let hs = hessians { for k in 0..<m { scratch[m + k] = hs[Int(rows[k])] } }
    }

    /// Fills feature `f`'s bins of `hist` from gathered gradients (see `gather`).
    /// - Parameters:
    ///   - rows: the node's row indices (m of them).
    ///   - gathered: m gradients, then m hessians when `hasHessians`.
    ///   - hasHessians: false = every hessian is 1 (hessian sum = count, no hessian loads).
    @inlinable public func buildFeature(_ f: Int, into hist: UnsafeMutablePointer<Double>, rows: UnsafeBufferPointer<Int32>,
                                        gathered: UnsafeBufferPointer<Float>, hasHessians: Bool,
                                        bins allBins: UnsafePointer<UInt8>) {
        let m = rows.count
        let col = allBins + f * binned.rows
        let out = hist + 3 * binned.binOffsets[f]
        let nb = binned.binOffsets[f + 1] - binned.binOffsets[f]
        out.update(repeating: 0, count: 3 * nb)
        guard let g = gathered.baseAddress, let idx = rows.baseAddress else { return }
        if hasHessians {
            let h = g + m
            for k in 0..<m {
                let b = 3 * Int(col[Int(idx[k])])
                out[b] += Double(g[k]); out[b + 1] += Double(h[k]); out[b + 2] += 1
            }
        } else {
            for k in 0..<m {
                let b = 3 * Int(col[Int(idx[k])])
                out[b] += Double(g[k]); out[b + 2] += 1
            }
            for b in 0..<nb { out[3 * b + 1] = out[3 * b + 2] }
        }
    }

    /// Fills the bins of features `features[block]` of `hist`, four features per pass over the
    /// node's rows; every hessian is 1 (hessian sum = count).
    ///
    /// Each (feature, bin) sum is still taken in row order, as in `buildFeature`, so both kernels
    /// give the same bits. Four features per pass share the row index and gradient loads, and
    /// their four independent updates hide the latency of repeated bins. Gradients are read through
    /// the row indices, not gathered first: the gather would be a serial pass before the parallel one.
    /// - Parameters:
    ///   - features: feature indices; `block` selects the positions filled here.
    ///   - rows: the node's rows; nil when they are exactly 0..<binned.rows (the root).
    ///   - gradients: one per matrix row.
    ///   - bins: the binned matrix's column-major bins.
    ///   - acc: scratch for `block.count` × 256 (Σg, count) pairs.
    /// - Complexity: O(rows × block.count + the block's bins).
    @inlinable public func buildBlock(features: UnsafeBufferPointer<Int>, block: Range<Int>, into hist: UnsafeMutablePointer<Double>,
                                      rows: UnsafeBufferPointer<Int32>?, gradients: UnsafeBufferPointer<Float>,
                                      bins: UnsafePointer<UInt8>, acc: UnsafeMutablePointer<SIMD2<Double>>) {
        let bs = block.count
        guard bs > 0 else { return }
        let n = binned.rows, m = rows?.count ?? n
        precondition(gradients.count == n)
        acc.update(repeating: .zero, count: bs * 256)
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
            let nb = binned.binOffsets[f + 1] - binned.binOffsets[f]
            let out = hist + 3 * binned.binOffsets[f], a = acc + 256 * j
            for b in 0..<nb {
                let s = a[b]
                out[3 * b] = s.x; out[3 * b + 1] = s.y; out[3 * b + 2] = s.y
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
    ///   - scratch: at least 2 × `rows.count` Float32 for the gathered gradients and hessians.
    /// - Complexity: O(rows × features).
    public func build(into hist: Histogram, rows: UnsafeBufferPointer<Int32>,
                      gradients: UnsafeBufferPointer<Float>, hessians: UnsafeBufferPointer<Float>?,
                      features: [Int], scratch: UnsafeMutableBufferPointer<Float>) {
        let m = rows.count
        // Only the per-feature kernel with hessians reads gathered values.
        if hessians != nil { Self.gather(rows: rows, gradients: gradients, hessians: hessians, into: scratch) }
        let nThreads = m * features.count >= 32_768 ? threads : 1
        let gathered = UnsafeBufferPointer(rebasing: scratch[0..<(hessians == nil ? m : 2 * m)])
        let nf = features.count
        var acc = [SIMD2<Double>](repeating: .zero, count: nThreads * 256 * nf)
        let identity = m == binned.rows && rows.elementsEqual(0..<Int32(m))
        binned.bins.withUnsafeBufferPointer { allBins in
        features.withUnsafeBufferPointer { fb in
        acc.withUnsafeMutableBufferPointer { ab in
            hist.data.withUnsafeMutableBufferPointer { hd in
                parallelFor(nThreads, threads: nThreads) { w in
                    let block = (nf * w / nThreads)..<(nf * (w + 1) / nThreads)
                    if hessians != nil {
                        for fi in block {
                            buildFeature(fb[fi], into: hd.baseAddress!, rows: rows, gathered: gathered,
                                         hasHessians: true, bins: allBins.baseAddress!)
                        }
                    } else {
                        buildBlock(features: fb, block: block, into: hd.baseAddress!, rows: identity ? nil : rows, gradients: gradients,
                                   bins: allBins.baseAddress!, acc: ab.baseAddress! + w * 256 * nf)
                    }
                }
            }
        }}}
    }

    /// Plain twin of `build` for tests: one pass over rows, every feature, no gathering.
    public func buildReference(rows: [Int32], gradients: [Float], hessians: [Float]?) -> Histogram {
        let hist = Histogram(totalBins: binned.totalBins)
        for r in rows {
            let i = Int(r)
            for f in 0..<binned.features {
                let k = binned.binOffsets[f] + Int(binned.bins[f * binned.rows + i])
                hist.data[3 * k] += Double(gradients[i])
                hist.data[3 * k + 1] += Double(hessians?[i] ?? 1)
                hist.data[3 * k + 2] += 1
            }
        }
        return hist
    }
}
