import CTreeKernels
import MLCore

/// A leaf whose histogram is derived in a dense search: parent's histogram − the built sibling's.
typealias DerivedLeaf = (leaf: Int, histogram: Histogram, mask: [Bool]?)

extension TreeGrower {
    /// One pass over the features, split in contiguous blocks among the workers: fills
    /// `histogram` with the sums of leaf `b`'s rows (unless `prebuilt`: it already holds them),
    /// turns `derive.histogram` (the parent's) into the sibling's by subtraction, and searches
    /// each leaf whose mask is given. Each sum is taken in row order whatever the worker count.
    func searchDense(_ growth: inout TreeGrowth, _ inputs: GrowthInputs, build b: Int, histogram: Histogram, mask: [Bool]?,
                     derive: DerivedLeaf?, prebuilt: Bool = false) {
        let nf = inputs.features.count
        let rowCount = growth.partition.count[b]
        let workers = rowCount * nf + 4 * binned.totalBins >= 12_000 ? builder.threads : 1
        let allRows = inputs.identityRoot && growth.partition.leafCount == 1
        let builtTotals = growth.totals(of: b), derivedTotals = derive.map { growth.totals(of: $0.leaf) }
        let splitter = config.splitter, binned = self.binned, builder = self.builder, scratch = self.scratch
        growth.partition.withRows(of: b) { rows in
            inputs.features.withUnsafeBufferPointer { features in
                parallelFor(workers, threads: workers) { w in
                    let block = (nf * w / workers)..<(nf * (w + 1) / workers)
                    if !prebuilt {
                        builder.fill(histogram, features: features, block: block, rows: rows, rowsAreAll: allRows,
                                     gradients: inputs.gradients, hessians: inputs.hessians, acc: scratch.accumulator(worker: w))
                    }
                    for fi in block {
                        let f = features[fi]
                        scratch.builtCandidates[fi] = nil
                        scratch.derivedCandidates[fi] = nil
                        if let mask, mask[fi] {
                            scratch.builtCandidates[fi] = splitter.bestSplit(feature: f, hist: histogram, binned: binned, totals: builtTotals)
                        }
                        if let derive, let derivedTotals {
                            derive.histogram.subtract(histogram, bins: binned.binOffsets[f]..<binned.binOffsets[f + 1])
                            if let m = derive.mask, m[fi] {
                                scratch.derivedCandidates[fi] = splitter.bestSplit(feature: f, hist: derive.histogram, binned: binned,
                                                                                   totals: derivedTotals)
                            }
                        }
                    }
                }
            }
        }
        growth.leaves[b].bestSplit = mask == nil ? nil : Splitter.reduce(UnsafeBufferPointer(rebasing: scratch.builtCandidates[0..<nf]))
        if let derive {
            growth.leaves[derive.leaf].bestSplit = derive.mask == nil
                ? nil : Splitter.reduce(UnsafeBufferPointer(rebasing: scratch.derivedCandidates[0..<nf]))
        }
    }

    /// Searches a small leaf straight from its rows: a sparse histogram of the searched features
    /// (a dense one of them with hessians and a categorical feature); the same split as a dense
    /// search.
    func searchDirect(_ leaf: Int, mask: [Bool], _ growth: inout TreeGrowth, _ inputs: GrowthInputs) {
        let totals = growth.totals(of: leaf)
        let searched = zip(inputs.features, mask).filter { $0.1 }.map { $0.0 }
        let best: SplitInfo?
        if searched.allSatisfy({ binned.mappers[$0].kind == .numeric }) {
            best = searchSparseNumeric(leaf, features: searched, totals: totals, growth, inputs)
        } else if inputs.hessians == nil {
            best = searchSparse(leaf, features: searched, totals: totals, growth, inputs)
        } else {
            best = searchSmallDense(leaf, features: searched, totals: totals, growth, inputs)
        }
        growth.leaves[leaf].bestSplit = best
    }

    /// Numeric features only: the sparse pass and the scans in C (`plumb_sparse_best_split`), the
    /// same arithmetic as the dense scans.
    private func searchSparseNumeric(_ leaf: Int, features: [Int], totals: (g: Double, h: Double, c: Double),
                                     _ growth: TreeGrowth, _ inputs: GrowthInputs) -> SplitInfo? {
        guard !features.isEmpty else { return nil }
        let splitter = config.splitter
        let parent = splitter.score(totals.g, totals.h)
        let valueBins = features.map { binned.mappers[$0].valueBinCount }
        var result = plumb_split()
        let found = growth.partition.withRows(of: leaf) { rows in
            features.withUnsafeBufferPointer { fb in
            valueBins.withUnsafeBufferPointer { vb in
            binned.binOffsets.withUnsafeBufferPointer { offs in
                var problem = splitter.splitProblem(totals: totals, parent: parent, bestGain: splitter.minGainToSplit + 1e-10 * abs(parent))
                problem.row_bins = binned.rowBins; problem.row_stride = binned.features
                problem.gradients = inputs.gradients.baseAddress; problem.hessians = inputs.hessians?.baseAddress
                problem.features = fb.baseAddress; problem.value_bins = vb.baseAddress
                problem.bin_offsets = offs.baseAddress; problem.feature_count = fb.count
                return plumb_sparse_best_split(&problem, rows.baseAddress, rows.count, scratch.sparse, scratch.occupied, &result)
            }}}
        }
        guard found != 0 else { return nil }
        return SplitInfo(result, feature: features[result.feature_position], totals: totals)
    }

    /// Unit hessians with a categorical feature among them: one pass over the rows fills a sparse
    /// histogram of every searched feature; each scan then visits only the occupied bins.
    private func searchSparse(_ leaf: Int, features: [Int], totals: (g: Double, h: Double, c: Double),
                              _ growth: TreeGrowth, _ inputs: GrowthInputs) -> SplitInfo? {
        let splitter = config.splitter, binned = self.binned, scratch = self.scratch
        return growth.partition.withRows(of: leaf) { rows in
            UnsafeMutableRawPointer(scratch.sparse).withMemoryRebound(to: SIMD2<Double>.self, capacity: binned.totalBins) { pairs in
                features.withUnsafeBufferPointer { active in
                    builder.accumulateSparse(rows: rows, gradients: inputs.gradients.baseAddress!, active: active,
                                             acc: pairs, occupied: scratch.occupied)
                }
                var best: SplitInfo? = nil
                for f in features {
                    if let c = splitter.bestSplitSparse(feature: f, acc: pairs + binned.binOffsets[f],
                                                        occupied: scratch.occupied + 4 * f, binned: binned, totals: totals),
                       c.gain > (best?.gain ?? -Double.infinity) { best = c }
                }
                return best
            }
        }
    }

    /// With hessians and a categorical feature among them (rare on small nodes): a dense
    /// histogram of the searched features, built on this thread, then the dense scans.
    private func searchSmallDense(_ leaf: Int, features: [Int], totals: (g: Double, h: Double, c: Double),
                                  _ growth: TreeGrowth, _ inputs: GrowthInputs) -> SplitInfo? {
        let h = takeHistogram(inputs)
        defer { release(h) }
        growth.partition.withRows(of: leaf) { rows in
            features.withUnsafeBufferPointer { fb in
                builder.fill(h, features: fb, block: 0..<fb.count, rows: rows, rowsAreAll: false, gradients: inputs.gradients,
                             hessians: inputs.hessians, acc: scratch.accumulator(worker: 0))
            }
        }
        return config.splitter.findBestSplit(hist: h, binned: binned, features: features, totals: totals)
    }
}

extension TreeGrowth {
    /// Leaf `l`'s (Σg, Σh, row count).
    func totals(of l: Int) -> (g: Double, h: Double, c: Double) {
        (leaves[l].sumGradient, leaves[l].sumHessian, Double(partition.count[l]))
    }
}

/// Buffers a grower reuses from node to node and tree to tree.
final class GrowerScratch: @unchecked Sendable {   // owns raw memory; one grower (one tree at a time) uses it
    /// Per-worker accumulators for `HistogramBuilder.fill`, kept all zero between calls.
    private let accumulators: UnsafeMutablePointer<Double>
    private let accumulatorStride: Int
    /// Sparse histogram of a small node (totalBins (Σg, count) pairs, or (Σg, Σh, count, -)
    /// quadruples with hessians) and its occupancy bits (4 words per feature); kept all zero
    /// between nodes.
    let sparse: UnsafeMutablePointer<Double>
    let occupied: UnsafeMutablePointer<UInt64>
    /// Per searched feature position: the best split of the built and of the derived leaf.
    let builtCandidates: UnsafeMutableBufferPointer<SplitInfo?>
    let derivedCandidates: UnsafeMutableBufferPointer<SplitInfo?>

    init(binned: BinnedMatrix, threads: Int) {
        let p = max(1, binned.features), bins = max(1, binned.totalBins)
        accumulatorStride = HistogramBuilder.accumulatorSize(features: p)
        accumulators = .allocate(capacity: threads * accumulatorStride)
        accumulators.initialize(repeating: 0, count: threads * accumulatorStride)
        sparse = .allocate(capacity: 4 * bins)
        sparse.initialize(repeating: 0, count: 4 * bins)
        occupied = .allocate(capacity: 4 * p)
        occupied.initialize(repeating: 0, count: 4 * p)
        builtCandidates = .allocate(capacity: p)
        builtCandidates.initialize(repeating: nil)
        derivedCandidates = .allocate(capacity: p)
        derivedCandidates.initialize(repeating: nil)
    }

    deinit {
        accumulators.deallocate()
        sparse.deallocate()
        occupied.deallocate()
        builtCandidates.deinitialize()
        builtCandidates.deallocate()
        derivedCandidates.deinitialize()
        derivedCandidates.deallocate()
    }

    func accumulator(worker w: Int) -> UnsafeMutablePointer<Double> { accumulators + w * accumulatorStride }
}
