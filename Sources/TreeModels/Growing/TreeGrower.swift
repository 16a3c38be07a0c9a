import CTreeKernels
import MLCore
import Tabular

/// Growth limits of one tree.
public struct TreeGrowerConfig: Sendable {
    /// Leaf-wise best-first up to this many leaves; nil = no limit (grown depth-first to purity).
    public var maxLeaves: Int?
    public var maxDepth: Int?
    /// Nodes with fewer rows are never split (min_samples_split); 2×minDataInLeaf also applies.
    public var minRowsToSplit: Int = 2
    /// `minRowsToSplit` counts distinct rows: a row repeated by a bootstrap sample counts once, as
    /// scikit-learn counts the samples of a node. The rows given to `grow` must then be sorted
    /// (repeats side by side), which a split keeps within each leaf.
    public var countsDistinctRows = false
    /// When set, each split considers this many features drawn at random (random forests).
    public var featuresPerSplit: Int?
    public var splitter: Splitter
    /// Nodes with at most this many rows find their split straight from their rows (a sparse
    /// histogram) instead of a dense one; the result is identical, only the cost differs. nil = automatic.
    public var directSplitRows: Int? = nil

    public init(maxLeaves: Int?, maxDepth: Int?, splitter: Splitter) {
        self.maxLeaves = maxLeaves
        self.maxDepth = maxDepth
        self.splitter = splitter
    }
}

/// Calls `body` with the histogram's storage, or nil.
func withMutablePointer<R>(_ h: Histogram?, _ body: (UnsafeMutablePointer<Double>?) -> R) -> R {
    guard let h else { return body(nil) }
    return h.data.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

/// A grown tree with the partition of the training rows it was grown on: leaf `l`'s rows are
/// `partition` leaf `l`. Leaf values are −G/(H+λ), not yet shrunk.
public struct GrownTree: Sendable {
    public var tree: Tree
    public var partition: DataPartition
    /// Per internal node: the last value bin going left, or -1 for a categorical split. A row of
    /// the binned matrix goes left when its bin is at most this (the missing bin follows
    /// `defaultLeft`), exactly as its raw value compares with the node's threshold.
    public var thresholdBins: [Int32]

    /// The leaf each of the binned matrix's rows `rows` reaches (every split numeric), into `out`:
    /// the same leaf as `tree.leaf` on the row's raw values. Eight rows at a time: their walks
    /// interleave, so one row's loads are under way while another's wait.
    public func leaves(rows: UnsafeBufferPointer<Int32>, bins: UnsafePointer<UInt8>, stride: Int,
                       missingBins: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Int32>) {
        let root = tree.root
        tree.feature.withUnsafeBufferPointer { fe in
        tree.left.withUnsafeBufferPointer { le in
        tree.right.withUnsafeBufferPointer { ri in
        tree.defaultLeft.withUnsafeBufferPointer { dl in
        thresholdBins.withUnsafeBufferPointer { tb in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { node in
            var i = 0
            while i < rows.count {
                let k = min(8, rows.count - i)
                for j in 0..<k { node[j] = root }
                var moving = root >= 0
                while moving {
                    moving = false
                    for j in 0..<k where node[j] >= 0 {
                        let n = Int(node[j]), f = Int(fe[n])
                        let b = bins[Int(rows[i + j]) * stride + f]
                        let goLeft = b == missingBins[f] ? dl[n] : Int32(b) <= tb[n]
                        let next = goLeft ? le[n] : ri[n]
                        node[j] = next
                        moving = moving || next >= 0
                    }
                }
                for j in 0..<k { out[i + j] = ~node[j] }
                i += k
            }
        }}}}}}
    }
}

/// Grows one tree: orchestrates HistogramBuilder (smaller child built, sibling by subtraction),
/// Splitter and DataPartition. Holds reusable histogram buffers; one grower per thread.
public final class TreeGrower {
    public let binned: BinnedMatrix
    public let config: TreeGrowerConfig
    let builder: HistogramBuilder
    private var pool: [Histogram] = []
    private var scratch: [Float] = []
    private var keys: [UInt32] = []
    /// Per-worker (Σg, count) scratch for `HistogramBuilder.buildBlock`: workers × features × 256.
    private var acc: [SIMD2<Double>]
    /// Sparse histogram of a small node (totalBins (Σg, count) pairs) and its occupancy bits
    /// (4 words per feature); kept all zero between nodes.
    /// (Pointers, not arrays: no exclusivity check per node.)
    private let sparseAcc: UnsafeMutablePointer<SIMD2<Double>>
    private let occupied: UnsafeMutablePointer<UInt64>
    /// Value bins of each feature, or -1 for a categorical one (not searched by the C kernel).
    private let numericValueBins: [Int]
    /// Carried root (see `grow(…carryRoot:)`): the next tree's root sums, the features they cover,
    /// and the last tree's leaf histograms (nil for leaves small enough to be searched directly).
    private(set) var carriedRoot: Histogram?
    private var carriedFeatures: [Int] = []
    private var lastLeafHistograms: [Histogram?] = []
    /// The last tree's partition, kept so the next tree reuses its buffers (about 8 bytes a row).
    private var lastPartition: DataPartition?

    public init(binned: BinnedMatrix, config: TreeGrowerConfig, threads: Int) {
        self.binned = binned
        self.config = config
        builder = HistogramBuilder(binned: binned, threads: threads)
        acc = [SIMD2<Double>](repeating: .zero, count: max(1, threads) * binned.features * 256)
        sparseAcc = .allocate(capacity: max(1, binned.totalBins))
        sparseAcc.initialize(repeating: .zero, count: max(1, binned.totalBins))
        occupied = .allocate(capacity: max(1, 4 * binned.features))
        occupied.initialize(repeating: 0, count: max(1, 4 * binned.features))
        numericValueBins = binned.mappers.map { $0.kind == .categorical ? -1 : $0.valueBinCount }
    }

    deinit {
        sparseAcc.deallocate()
        occupied.deallocate()
    }

    private func takeHistogram() -> Histogram { pool.popLast() ?? Histogram(totalBins: binned.totalBins) }
    private func release(_ h: Histogram?) { if let h { pool.append(h) } }

    /// Grows a tree on `rows` (indices into the binned matrix; repeats allowed).
    /// - Parameters:
    ///   - gradients / hessians: one per matrix row; hessians nil = all 1.
    ///   - features: the features this tree may split on (ascending).
    ///   - rng: draws the per-split feature samples when `featuresPerSplit` is set.
    ///   - rowsAreAll: the caller knows `rows` is exactly 0..<binned.rows in order (boosting
    ///     without bagging): the root's histogram then needs no row indices. Same tree either way.
    ///   - carryRoot: squared-loss boosting on every row (unit hessians, `rowsAreAll`). The root's
    ///     histogram is not built from the rows but carried over from the previous call with the
    ///     same features, moved by `advanceCarriedRoot(leafValues:partition:)`; the first call
    ///     builds it. This saves a pass over every row and feature per tree. The carried sums are
    ///     those of the exact (Float64) residuals rather than of their Float32 roundings, so the
    ///     trees may differ from uncarried ones in near-tied splits; they are deterministic either way.
    public func grow(rows: [Int32], gradients: [Float], hessians: [Float]?, features: [Int],
                     rng: inout SeededGenerator, rowsAreAll: Bool = false, carryRoot: Bool = false) -> GrownTree {
        var part: DataPartition
        if var kept = lastPartition {
            lastPartition = nil   // the caller's copy is usually gone by now: reset reuses the buffers
            kept.reset(rows: rows)
            part = kept
        } else {
            part = DataPartition(rows: rows)
        }
        defer { lastPartition = part }
        assert(!rowsAreAll || rows.elementsEqual(0..<Int32(binned.rows)), "rowsAreAll with other rows")
        let identityRoot = rowsAreAll && rows.count == binned.rows
        precondition(!carryRoot || (identityRoot && hessians == nil), "carryRoot needs every row in order and unit hessians")
        releaseLastLeafHistograms()
        if !carryRoot || features != carriedFeatures { release(carriedRoot); carriedRoot = nil }
        // Gathered (gradient, hessian) pairs; with unit hessians every kernel reads the gradients
        // through the row indices instead.
        let need = hessians == nil ? 0 : 2 * rows.count
        if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
        var g0 = 0.0, h0 = 0.0
        if let hessians {
            for r in rows { g0 += Double(gradients[Int(r)]); h0 += Double(hessians[Int(r)]) }
        } else if carryRoot, let carried = carriedRoot, let f = features.first {
            // The carried root already sums every row's gradient, once per feature.
            carried.data.withUnsafeBufferPointer { cd in
                for k in binned.binOffsets[f]..<binned.binOffsets[f + 1] { g0 += cd[3 * k] }
            }
            h0 = Double(rows.count)
        } else {
            // Unit hessians: their sum is the row count (exact), with no per-row optional test.
            gradients.withUnsafeBufferPointer { gb in for r in rows { g0 += Double(gb[Int(r)]) } }
            h0 = Double(rows.count)
        }

        var sumG = [g0], sumH = [h0], depth = [0]
        var hist: [Histogram?] = [nil]
        var split: [SplitInfo?] = [nil]
        var parentRef: [(node: Int, isLeft: Bool)?] = [nil]
        var tree = Tree()
        var thresholdBins: [Int32] = []
        let minData = config.splitter.minDataInLeaf
        let minHess = config.splitter.minSumHessianInLeaf
        let nf = features.count
        var candA = [SplitInfo?](repeating: nil, count: nf), candB = [SplitInfo?](repeating: nil, count: nf)
        // Up to about twice a feature's bins in rows, a sparse histogram of both children beats a
        // dense one (zeroing, subtracting and scanning every bin); measured on California, 200 trees.
        let directRows = min(65_536, config.directSplitRows ?? max(8, 2 * binned.totalBins / max(1, binned.features)))
        if keys.count < 2 * directRows { keys = [UInt32](repeating: 0, count: 2 * directRows) }

        func canSplit(_ leaf: Int) -> Bool {
            let n = part.count[leaf]
            if n < max(2 * minData, config.minRowsToSplit, 2) { return false }
            if sumH[leaf] < 2 * minHess { return false }
            if let md = config.maxDepth, depth[leaf] >= md { return false }
            if config.countsDistinctRows && !hasDistinctRows(leaf, config.minRowsToSplit) { return false }
            return nf > 0
        }
        /// Whether `leaf` holds at least `k` distinct rows (its rows are sorted).
        func hasDistinctRows(_ leaf: Int, _ k: Int) -> Bool {
            part.withRows(of: leaf) { rb in
                guard !rb.isEmpty else { return k <= 0 }
                var distinct = 1
                for i in 1..<rb.count where rb[i] != rb[i - 1] {
                    distinct += 1
                    if distinct >= k { return true }
                }
                return distinct >= k
            }
        }
        /// Which feature positions a split search may use (all, or a random sample).
        let everyFeature = [Bool](repeating: true, count: nf)
        func featureMask(rng: inout SeededGenerator) -> [Bool] {
            guard let k = config.featuresPerSplit, k < nf else { return everyFeature }
            var pos = Array(0..<nf)
            for i in 0..<k { pos.swapAt(i, i + rng.below(nf - i)) }
            var mask = [Bool](repeating: false, count: nf)
            for i in 0..<k { mask[pos[i]] = true }
            return mask
        }
        /// One pass per feature (over threads): build `built`'s histogram for `buildLeaf`, derive
        /// `derived` = parent − built when given, and search splits for the leaves asked.
        /// `prebuilt`: `built` already holds the sums (a carried root); only search.
        func process(buildLeaf: Int, built: Histogram, evalBuilt: [Bool]?,
                     derived: Histogram?, derivedLeaf: Int, evalDerived: [Bool]?, prebuilt: Bool = false) {
            let totalsA = (sumG[buildLeaf], sumH[buildLeaf], Double(part.count[buildLeaf]))
            let totalsB = (derivedLeaf >= 0 ? (sumG[derivedLeaf], sumH[derivedLeaf], Double(part.count[derivedLeaf])) : (0, 0, 0))
            let m = part.count[buildLeaf]
            let cost = m * nf + 4 * binned.totalBins
            let workers = cost >= 12_000 ? builder.threads : 1
            let hasH = hessians != nil
            let isRoot = identityRoot && part.leafCount == 1
            let splitter = config.splitter, binned = self.binned, builder = self.builder
            gradients.withUnsafeBufferPointer { gb in
            scratch.withUnsafeMutableBufferPointer { sb in
            part.withRows(of: buildLeaf) { rb in
            binned.bins.withUnsafeBufferPointer { allBins in
            built.data.withUnsafeMutableBufferPointer { bd in
            candA.withUnsafeMutableBufferPointer { ca in
            candB.withUnsafeMutableBufferPointer { cb in
                let gathered: UnsafeBufferPointer<Float>
                if prebuilt {
                    gathered = UnsafeBufferPointer(rebasing: sb[0..<0])
                } else if let hs = hessians {
                    hs.withUnsafeBufferPointer { hb in HistogramBuilder.gather(rows: rb, gradients: gb, hessians: hb, into: sb) }
                    gathered = UnsafeBufferPointer(rebasing: sb[0..<(2 * m)])
                } else {
                    gathered = gb   // `buildBlock` reads them through the row indices
                }
                withMutablePointer(derived) { dp in
                features.withUnsafeBufferPointer { fb in
                acc.withUnsafeMutableBufferPointer { ab in
                // Features in contiguous blocks, one per worker: each sum is taken in row order
                // whatever the worker count.
                parallelFor(workers, threads: workers) { w in
                    let block = (nf * w / workers)..<(nf * (w + 1) / workers)
                    if prebuilt {
                    } else if hasH {
                        for fi in block {
                            builder.buildFeature(fb[fi], into: bd.baseAddress!, rows: rb, gathered: gathered, hasHessians: true, bins: allBins.baseAddress!)
                        }
                    } else {
                        builder.buildBlock(features: fb, block: block, into: bd.baseAddress!, rows: isRoot ? nil : rb,
                                           gradients: gathered, bins: allBins.baseAddress!, acc: ab.baseAddress! + w * 256 * binned.features)
                    }
                    for fi in block {
                        let f = fb[fi]
                        ca[fi] = nil; cb[fi] = nil
                        if let e = evalBuilt, e[fi] {
                            ca[fi] = splitter.bestSplit(feature: f, hist: bd.baseAddress!, binned: binned, totals: totalsA)
                        }
                        if let dp {
                            Histogram.subtract(dp, bd.baseAddress!, bins: binned.binOffsets[f]..<binned.binOffsets[f + 1])
                            if let e = evalDerived, e[fi] {
                                cb[fi] = splitter.bestSplit(feature: f, hist: dp, binned: binned, totals: totalsB)
                            }
                        }
                    }
                }
                }}}
            }}}}}}}
            split[buildLeaf] = evalBuilt == nil ? nil : candA.withUnsafeBufferPointer { Splitter.reduce($0) }
            if derivedLeaf >= 0 {
                split[derivedLeaf] = evalDerived == nil ? nil : candB.withUnsafeBufferPointer { Splitter.reduce($0) }
            }
        }

        /// Split search for a small leaf straight from its rows.
        func evaluateDirect(_ leaf: Int, mask: [Bool]) {
            let totals = (sumG[leaf], sumH[leaf], Double(part.count[leaf]))
            let splitter = config.splitter, binned = self.binned
            let hasH = hessians != nil
            var best: SplitInfo? = nil
            if !hasH && mask.indices.allSatisfy({ !mask[$0] || numericValueBins[features[$0]] >= 0 }) {
                // Numeric features only: the C kernel does the pass and the scans below, same result.
                split[leaf] = directNumeric(leaf, mask: mask, totals: totals)
                return
            }
            if !hasH {
                // One pass over the rows fills a sparse histogram of every searched feature; the
                // scan then visits only the occupied bins.
                let p = binned.features
                gradients.withUnsafeBufferPointer { gb in
                part.withRows(of: leaf) { rb in
                binned.rowBins.withUnsafeBufferPointer { rowBins in
                features.withUnsafeBufferPointer { fb in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: nf) { act in
                    var na = 0
                    for fi in 0..<nf where mask[fi] { act[na] = fb[fi]; na += 1 }
                    let acc = sparseAcc, occ = occupied, rows = rowBins.baseAddress!
                    binned.binOffsets.withUnsafeBufferPointer { offs in
                        for k in rb.indices {
                            let r = Int(rb[k])
                            let row = rows + r * p
                            let v = SIMD2<Double>(Double(gb[r]), 1)
                            for j in 0..<na {
                                let f = act[j], b = Int(row[f])
                                acc[offs[f] + b] += v
                                occ[4 * f + (b >> 6)] |= 1 &<< UInt64(b & 63)
                            }
                        }
                        for j in 0..<na {
                            let f = act[j]
                            if let c = splitter.bestSplitSparse(feature: f, acc: acc + offs[f], occupied: occ + 4 * f,
                                                                binned: binned, totals: totals),
                               c.gain > (best?.gain ?? -Double.infinity) { best = c }
                        }
                    }
                }}}}}
                split[leaf] = best
                return
            }
            gradients.withUnsafeBufferPointer { gb in
            scratch.withUnsafeMutableBufferPointer { sb in
            keys.withUnsafeMutableBufferPointer { kb in
            part.withRows(of: leaf) { rb in
            binned.bins.withUnsafeBufferPointer { allBins in
                // Only with hessians (unit hessians returned above).
                hessians!.withUnsafeBufferPointer { hb in HistogramBuilder.gather(rows: rb, gradients: gb, hessians: hb, into: sb) }
                for fi in 0..<nf where mask[fi] {
                    let f = features[fi]
                    if let c = splitter.bestSplitDirect(feature: f, column: allBins.baseAddress! + f * binned.rows, rows: rb,
                                                        gathered: sb.baseAddress!, hasHessians: true, binned: binned,
                                                        totals: totals, keys: kb),
                       c.gain > (best?.gain ?? -Double.infinity) { best = c }
                }
            }}}}}
            split[leaf] = best
        }
        /// `evaluateDirect`'s sparse pass and scans in C (`plumb_sparse_best_split`).
        func directNumeric(_ leaf: Int, mask: [Bool], totals: (g: Double, h: Double, c: Double)) -> SplitInfo? {
            let splitter = config.splitter
            let parent = splitter.score(totals.g, totals.h)
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * max(1, nf)) { act in
                var na = 0
                for fi in 0..<nf where mask[fi] { act[na] = features[fi]; act[nf + na] = numericValueBins[features[fi]]; na += 1 }
                guard na > 0 else { return nil }
                var result = plumb_split()
                let found = gradients.withUnsafeBufferPointer { gb in
                part.withRows(of: leaf) { rb in
                binned.rowBins.withUnsafeBufferPointer { rowBins in
                binned.binOffsets.withUnsafeBufferPointer { offs in
                    var problem = splitter.splitProblem(totals: totals, parent: parent, bestGain: splitter.minGainToSplit + 1e-10 * abs(parent))
                    problem.row_bins = rowBins.baseAddress; problem.row_stride = binned.features; problem.gradients = gb.baseAddress
                    problem.features = UnsafePointer(act.baseAddress); problem.value_bins = UnsafePointer(act.baseAddress! + nf)
                    problem.bin_offsets = offs.baseAddress; problem.feature_count = na
                    return UnsafeMutableRawPointer(sparseAcc).withMemoryRebound(to: Double.self, capacity: 2 * binned.totalBins) { acc in
                        plumb_sparse_best_split(&problem, rb.baseAddress, rb.count, acc, occupied, &result)
                    }
                }}}}
                guard found != 0 else { return nil }
                return SplitInfo(result, feature: act[result.feature_position], totals: totals)
            }
        }
        /// Carrying the root keeps a dense histogram for every leaf too big to be searched directly,
        /// split or not: `advanceCarriedRoot` reads their counts.
        func needsHistogram(_ leaf: Int) -> Bool { (carryRoot || canSplit(leaf)) && part.count[leaf] > directRows }
        /// Whether `leaf`'s histogram is worth keeping once searched.
        func keeps(_ leaf: Int) -> Bool { carryRoot || split[leaf] != nil }

        if canSplit(0) || (carryRoot && needsHistogram(0)) {
            let mask = canSplit(0) ? featureMask(rng: &rng) : nil
            if needsHistogram(0) {
                let h = takeHistogram()
                if carryRoot, let carried = carriedRoot {
                    h.data = carried.data
                    process(buildLeaf: 0, built: h, evalBuilt: mask, derived: nil, derivedLeaf: -1, evalDerived: nil, prebuilt: true)
                } else {
                    process(buildLeaf: 0, built: h, evalBuilt: mask, derived: nil, derivedLeaf: -1, evalDerived: nil)
                    if carryRoot {
                        let c = takeHistogram()
                        c.data = h.data
                        carriedRoot = c
                        carriedFeatures = features
                    }
                }
                if keeps(0) { hist[0] = h } else { release(h) }
            } else if let mask {
                evaluateDirect(0, mask: mask)
            }
        }
        var stack: [Int] = [0]
        var table = [Bool](repeating: false, count: 256)   // rows' side per bin of the split feature
        let unlimited = config.maxLeaves == nil
        while true {
            if let ml = config.maxLeaves, part.leafCount >= ml { break }
            // Pick the leaf to split: best gain (ties → lowest index), or depth-first when unlimited.
            var leaf = -1
            if unlimited {
                while let l = stack.popLast() { if split[l] != nil { leaf = l; break } }
            } else {
                var bestGain = -Double.infinity
                for l in 0..<part.leafCount { if let s = split[l], s.gain > bestGain { bestGain = s.gain; leaf = l } }
            }
            guard leaf >= 0, let s = split[leaf] else { break }
            let mapper = binned.mappers[s.feature]
            let node = tree.feature.count
            tree.feature.append(Int32(s.feature))
            tree.defaultLeft.append(s.defaultLeft)
            tree.gain.append(s.gain)
            if s.isCategorical {
                tree.threshold.append(0)
                tree.leftCategories.append(s.leftCategoryBins.map { Int32(mapper.categories[$0]) })
                thresholdBins.append(-1)
            } else {
                tree.threshold.append(mapper.upperBounds[s.thresholdBin])
                tree.leftCategories.append([])
                thresholdBins.append(Int32(s.thresholdBin))
            }
            if let p = parentRef[leaf] {
                if p.isLeft { tree.left[p.node] = Int32(node) } else { tree.right[p.node] = Int32(node) }
            }
            s.fillGoesLeft(&table, missingBin: mapper.missingBin)
            let newLeaf = binned.bins.withUnsafeBufferPointer { all in
                part.split(leaf: leaf, column: UnsafeBufferPointer(rebasing: all[(s.feature * binned.rows)..<((s.feature + 1) * binned.rows)]),
                           goesLeft: table, threads: builder.threads)
            }
            tree.left.append(~Int32(leaf))
            tree.right.append(~Int32(newLeaf))
            sumG[leaf] = s.leftGradient; sumH[leaf] = s.leftHessian
            sumG.append(s.rightGradient); sumH.append(s.rightHessian)
            let d = depth[leaf] + 1
            depth[leaf] = d; depth.append(d)
            parentRef[leaf] = (node, true); parentRef.append((node, false))
            split[leaf] = nil; split.append(nil)
            let parentHist = hist[leaf]
            hist[leaf] = nil; hist.append(nil)

            let canL = canSplit(leaf), canR = canSplit(newLeaf)
            // needsHistogram, with canSplit known.
            let needL = (carryRoot || canL) && part.count[leaf] > directRows
            let needR = (carryRoot || canR) && part.count[newLeaf] > directRows
            let leftSmaller = part.count[leaf] <= part.count[newLeaf]
            let smaller = leftSmaller ? leaf : newLeaf
            let larger = leftSmaller ? newLeaf : leaf
            // Masks drawn in (left, right) order whatever the sizes: deterministic.
            let maskLeft = canL ? featureMask(rng: &rng) : nil
            let maskRight = canR ? featureMask(rng: &rng) : nil
            let maskS = smaller == leaf ? maskLeft : maskRight, maskB = larger == leaf ? maskLeft : maskRight
            let needS = leftSmaller ? needL : needR, needB = leftSmaller ? needR : needL
            if needB, let ph = parentHist {
                // Smaller child built, larger = parent − smaller, both searched in one pass.
                let sh = takeHistogram()
                process(buildLeaf: smaller, built: sh, evalBuilt: needS ? maskS : nil,
                        derived: ph, derivedLeaf: larger, evalDerived: maskB)
                if keeps(larger) { hist[larger] = ph } else { release(ph) }
                if needS && keeps(smaller) { hist[smaller] = sh } else { release(sh) }
            } else {
                release(parentHist)
                func buildAlone(_ child: Int, _ mask: [Bool]?) {
                    let h = takeHistogram()
                    process(buildLeaf: child, built: h, evalBuilt: mask, derived: nil, derivedLeaf: -1, evalDerived: nil)
                    if keeps(child) { hist[child] = h } else { release(h) }
                }
                if needS { buildAlone(smaller, maskS) }
                if needB { buildAlone(larger, maskB) }
            }
            if let maskLeft, !needL { evaluateDirect(leaf, mask: maskLeft) }
            if let maskRight, !needR { evaluateDirect(newLeaf, mask: maskRight) }
            stack.append(newLeaf)
            stack.append(leaf)
        }
        if carryRoot && carriedRoot != nil { lastLeafHistograms = hist } else { for h in hist { release(h) } }
        let lambda = config.splitter.lambdaL2
        tree.leafValue = (0..<part.leafCount).map { l in
            let v = -sumG[l] / (sumH[l] + lambda)
            return v.isFinite ? v : 0
        }
        return GrownTree(tree: tree, partition: part, thresholdBins: thresholdBins)
    }

    private func releaseLastLeafHistograms() {
        for h in lastLeafHistograms { release(h) }
        lastLeafHistograms = []
    }

    /// Moves the carried root histogram past the tree just grown with `carryRoot`: each row's
    /// gradient grows by its leaf's value (squared loss: g = score − y), so every (feature, bin)
    /// gradient sum grows by Σ over leaves of value × the leaf's rows in that bin. Leaves with a
    /// dense histogram give those counts per bin; the small ones are read row by row.
    /// - Parameters:
    ///   - leafValues: what was added to the scores of each leaf's rows (after shrinkage).
    ///   - partition: the grown tree's partition (its leaves are `leafValues`' leaves).
    /// - Complexity: O(leaves × bins + rows of the small leaves × features).
    public func advanceCarriedRoot(leafValues: [Double], partition part: DataPartition) {
        guard let root = carriedRoot else { return }
        precondition(leafValues.count == part.leafCount && lastLeafHistograms.count == part.leafCount,
                     "advanceCarriedRoot after a grow(carryRoot: true) of the same tree")
        let features = carriedFeatures, p = binned.features, nf = features.count
        let leafHists = lastLeafHistograms
        // Features in contiguous blocks over the threads; each bin's additions stay in leaf order.
        let workers = part.indices.count * nf >= 200_000 ? builder.threads : 1
        root.data.withUnsafeMutableBufferPointer { rd in
        binned.binOffsets.withUnsafeBufferPointer { offs in
        binned.rowBins.withUnsafeBufferPointer { rowBins in
        features.withUnsafeBufferPointer { fb in
            let r = rd.baseAddress!, offs = offs, rowBins = rowBins, fb = fb
            parallelFor(workers, threads: workers) { w in
                let block = UnsafeBufferPointer(rebasing: fb[(nf * w / workers)..<(nf * (w + 1) / workers)])
                for l in 0..<part.leafCount {
                    let v = leafValues[l]
                    if v == 0 { continue }
                    if let h = leafHists[l] {
                        h.data.withUnsafeBufferPointer { hd in
                            for f in block {
                                for k in offs[f]..<offs[f + 1] { r[3 * k] += v * hd[3 * k + 2] }
                            }
                        }
                    } else {
                        part.withRows(of: l) { rb in
                            for row in rb {
                                let bins = rowBins.baseAddress! + Int(row) * p
                                for f in block { r[3 * (offs[f] + Int(bins[f]))] += v }
                            }
                        }
                    }
                }
            }
        }}}}
        releaseLastLeafHistograms()
    }
}
