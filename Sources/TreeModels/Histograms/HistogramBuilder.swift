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

    /// Fills `hist` with the sums over `rows` (indices into the binned matrix, repeats allowed).
    /// - Parameters:
    ///   - rows: the node's row indices.
    ///   - gradients: one per row of the matrix.
    ///   - hessians: one per row, or nil when every hessian is 1 (then hessian sum = count).
    ///   - features: which features to fill (others are left untouched).
    ///   - scratch: at least `rows.count` Float32 for the gathered gradients (2× with hessians).
    /// - Complexity: O(rows × features).
    public func build(into hist: Histogram, rows: UnsafeBufferPointer<Int32>,
                      gradients: UnsafeBufferPointer<Float>, hessians: UnsafeBufferPointer<Float>?,
                      features: [Int], scratch: UnsafeMutableBufferPointer<Float>) {
        let m = rows.count
        Self.gather(rows: rows, gradients: gradients, hessians: hessians, into: scratch)
        let nThreads = m * features.count >= 32_768 ? threads : 1
        let gathered = UnsafeBufferPointer(rebasing: scratch[0..<(hessians == nil ? m : 2 * m)])
        binned.bins.withUnsafeBufferPointer { allBins in
            hist.data.withUnsafeMutableBufferPointer { hd in
                parallelFor(features.count, threads: nThreads) { fi in
                    buildFeature(features[fi], into: hd.baseAddress!, rows: rows, gathered: gathered,
                                 hasHessians: hessians != nil, bins: allBins.baseAddress!)
                }
            }
        }
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
