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

    /// Fills `hist` with the sums over `rows` (indices into the binned matrix, repeats allowed).
    /// - Parameters:
    ///   - rows: the node's row indices.
    ///   - gradients: one per row of the matrix.
    ///   - hessians: one per row, or nil when every hessian is 1 (then hessian sum = count).
    ///   - features: which features to fill (others are left untouched).
    ///   - scratch: at least `rows.count` Float32 for the gathered gradients/hessians (2× when hessians).
    /// - Complexity: O(rows × features).
    public func build(into hist: Histogram, rows: UnsafeBufferPointer<Int32>,
                      gradients: UnsafeBufferPointer<Float>, hessians: UnsafeBufferPointer<Float>?,
                      features: [Int], scratch: UnsafeMutableBufferPointer<Float>) {
        let m = rows.count
        precondition(scratch.count >= (hessians == nil ? m : 2 * m))
        // Gather the node's gradients once so the per-feature loops read them contiguously.
        for k in 0..<m { scratch[k] = gradients[Int(rows[k])] }
        if let hs = hessians { for k in 0..<m { scratch[m + k] = hs[Int(rows[k])] } }
        let nRows = binned.rows
        let offsets = binned.binOffsets
        let work = m * features.count
        let nThreads = work >= 32_768 ? threads : 1
        let hasHess = hessians != nil
        binned.bins.withUnsafeBufferPointer { allBins in
            hist.data.withUnsafeMutableBufferPointer { hd in
                let g = UnsafeBufferPointer(rebasing: scratch[0..<m])
                let h = hasHess ? UnsafeBufferPointer(rebasing: scratch[m..<(2 * m)]) : g
                parallelFor(features.count, threads: nThreads) { fi in
                    let f = features[fi]
                    let col = allBins.baseAddress! + f * nRows
                    let out = hd.baseAddress! + 3 * offsets[f]
                    let nb = offsets[f + 1] - offsets[f]
                    for b in 0..<(3 * nb) { out[b] = 0 }
                    if hasHess {
                        for k in 0..<m {
                            let b = 3 * Int(col[Int(rows[k])])
                            out[b] += Double(g[k]); out[b + 1] += Double(h[k]); out[b + 2] += 1
                        }
                    } else {
                        for k in 0..<m {
                            let b = 3 * Int(col[Int(rows[k])])
                            out[b] += Double(g[k]); out[b + 2] += 1
                        }
                        for b in 0..<nb { out[3 * b + 1] = out[3 * b + 2] }
                    }
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
