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
            let gathered = prebuilt ? nil : scratch.gather(rows: rows, inputs)
            inputs.features.withUnsafeBufferPointer { features in
                parallelFor(workers, threads: workers) { w in
                    let block = (nf * w / workers)..<(nf * (w + 1) / workers)
                    if !prebuilt {
                        builder.fill(histogram, features: features, block: block, rows: rows, rowsAreAll: allRows,
                                     gradients: inputs.gradients, gathered: gathered, acc: scratch.accumulator(worker: w))
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
    /// (or, with hessians, each feature's rows sorted by bin); the same split as a dense search.
    func searchDirect(_ leaf: Int, mask: [Bool], _ growth: inout TreeGrowth, _ inputs: GrowthInputs) {
        let totals = growth.totals(of: leaf)
        let searched = zip(inputs.features, mask).filter { $0.1 }.map { $0.0 }
        let best: SplitInfo?
        if inputs.hessians != nil {
            best = searchSortedRows(leaf, features: searched, totals: totals, growth, inputs)
        } else if searched.allSatisfy({ binned.mappers[$0].kind == .numeric }) {
            best = searchSparseNumeric(leaf, features: searched, totals: totals, growth, inputs)
        } else {
            best = searchSparse(leaf, features: searched, totals: totals, growth, inputs)
        }
        growth.leaves[leaf].bestSplit = best
    }

    /// Unit hessians, numeric features only: the sparse pass and the scans in C
    /// (`plumb_sparse_best_split`), the same arithmetic as `Splitter.bestSplitSparse`.
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
                problem.gradients = inputs.gradients.baseAddress
                problem.features = fb.baseAddress; problem.value_bins = vb.baseAddress
                problem.bin_offsets = offs.baseAddress; problem.feature_count = fb.count
                return UnsafeMutableRawPointer(scratch.sparse).withMemoryRebound(to: Double.self, capacity: 2 * binned.totalBins) { acc in
                    plumb_sparse_best_split(&problem, rows.baseAddress, rows.count, acc, scratch.occupied, &result)
                }
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
            features.withUnsafeBufferPointer { active in
                builder.accumulateSparse(rows: rows, gradients: inputs.gradients.baseAddress!, active: active,
                                         acc: scratch.sparse, occupied: scratch.occupied)
            }
            var best: SplitInfo? = nil
            for f in features {
                if let c = splitter.bestSplitSparse(feature: f, acc: scratch.sparse + binned.binOffsets[f],
                                                    occupied: scratch.occupied + 4 * f, binned: binned, totals: totals),
                   c.gain > (best?.gain ?? -Double.infinity) { best = c }
            }
            return best
        }
    }

    /// With hessians: each feature's rows sorted by bin (`Splitter.bestSplitDirect`).
    private func searchSortedRows(_ leaf: Int, features: [Int], totals: (g: Double, h: Double, c: Double),
                                  _ growth: TreeGrowth, _ inputs: GrowthInputs) -> SplitInfo? {
        let splitter = config.splitter, binned = self.binned, scratch = self.scratch
        return growth.partition.withRows(of: leaf) { rows in
            let gathered = scratch.gather(rows: rows, inputs)!
            var best: SplitInfo? = nil
            for f in features {
                if let c = splitter.bestSplitDirect(feature: f, column: binned.columnBins + f * binned.rows, rows: rows,
                                                    gathered: gathered.baseAddress!, hasHessians: true, binned: binned,
                                                    totals: totals, keys: scratch.keys),
                   c.gain > (best?.gain ?? -Double.infinity) { best = c }
            }
            return best
        }
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
    /// Per-worker (Σg, count) scratch for `HistogramBuilder.buildBlock`: features × 256 each, kept
    /// all zero between calls.
    private let accumulators: UnsafeMutablePointer<SIMD2<Double>>
    private let accumulatorStride: Int
    /// Sparse histogram of a small node (totalBins (Σg, count) pairs) and its occupancy bits
    /// (4 words per feature); kept all zero between nodes.
    let sparse: UnsafeMutablePointer<SIMD2<Double>>
    let occupied: UnsafeMutablePointer<UInt64>
    /// Keys for `Splitter.bestSplitDirect`: 2 × the direct-search row limit.
    let keys: UnsafeMutableBufferPointer<UInt32>
    /// Per searched feature position: the best split of the built and of the derived leaf.
    let builtCandidates: UnsafeMutableBufferPointer<SplitInfo?>
    let derivedCandidates: UnsafeMutableBufferPointer<SplitInfo?>
    /// A node's gradients, then hessians, in row order (only when hessians are given).
    private var gathered: UnsafeMutableBufferPointer<Float>

    init(binned: BinnedMatrix, threads: Int, directRows: Int) {
        let p = max(1, binned.features), bins = max(1, binned.totalBins)
        accumulatorStride = 256 * p
        accumulators = .allocate(capacity: threads * accumulatorStride)
        accumulators.initialize(repeating: .zero, count: threads * accumulatorStride)
        sparse = .allocate(capacity: bins)
        sparse.initialize(repeating: .zero, count: bins)
        occupied = .allocate(capacity: 4 * p)
        occupied.initialize(repeating: 0, count: 4 * p)
        keys = .allocate(capacity: 2 * directRows)
        keys.initialize(repeating: 0)
        builtCandidates = .allocate(capacity: p)
        builtCandidates.initialize(repeating: nil)
        derivedCandidates = .allocate(capacity: p)
        derivedCandidates.initialize(repeating: nil)
        gathered = .allocate(capacity: 0)
    }

    deinit {
        accumulators.deallocate()
        sparse.deallocate()
        occupied.deallocate()
        keys.deallocate()
        builtCandidates.deinitialize()
        builtCandidates.deallocate()
        derivedCandidates.deinitialize()
        derivedCandidates.deallocate()
        gathered.deallocate()
    }

    func accumulator(worker w: Int) -> UnsafeMutablePointer<SIMD2<Double>> { accumulators + w * accumulatorStride }

    /// Makes room for `count` gathered values.
    func reserveGathered(_ count: Int) {
        guard gathered.count < count else { return }
        gathered.deallocate()
        gathered = .allocate(capacity: count)
    }

    /// The node's (gradients, hessians) in row order, or nil with unit hessians (the kernels
    /// then read gradients through the row indices).
    func gather(rows: UnsafeBufferPointer<Int32>, _ inputs: GrowthInputs) -> UnsafeBufferPointer<Float>? {
        guard let hessians = inputs.hessians else { return nil }
        precondition(gathered.count >= 2 * rows.count, "reserveGathered before gather")
        let out = UnsafeMutableBufferPointer(rebasing: gathered[0..<(2 * rows.count)])
        HistogramBuilder.gather(rows: rows, gradients: inputs.gradients, hessians: hessians, into: out)
        return UnsafeBufferPointer(out)
    }
}
