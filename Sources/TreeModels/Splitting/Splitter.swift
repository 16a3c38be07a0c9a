import CTreeKernels
/// Finds the best split of a node from its histogram.
///
/// Numeric features: every threshold between value bins, with the missing bin tried on both
/// sides (`defaultLeft`), plus "missing vs the rest". Categorical features: LightGBM's method —
/// levels sorted by Σg/(Σh + smoothing), prefixes of that order scanned. Ties keep the first
/// candidate in (feature, bin, direction) order, so the result is deterministic.
public struct Splitter: Sendable {
    public var lambdaL2: Double
    public var minDataInLeaf: Int
    public var minSumHessianInLeaf: Double
    public var minGainToSplit: Double
    /// Smoothing added to hessian sums when ordering categories.
    public var categoricalSmoothing: Double = 10
    /// Longest prefix of sorted categories tried for a categorical split.
    public var maxCategoricalThreshold: Int = 32
    /// Which build of the dense threshold scan runs (the same splits either way).
    var scanKernel: KernelVariant = .automatic

    public init(lambdaL2: Double, minDataInLeaf: Int, minSumHessianInLeaf: Double, minGainToSplit: Double) {
        self.lambdaL2 = lambdaL2
        self.minDataInLeaf = minDataInLeaf
        self.minSumHessianInLeaf = minSumHessianInLeaf
        self.minGainToSplit = minGainToSplit
    }

    /// G²/(H+λ): the (doubled, negated) objective reduction of a leaf with sums G, H.
    @inlinable func score(_ g: Double, _ h: Double) -> Double { g * g / (h + lambdaL2) }

    /// Best split over `features`, or nil when none passes the constraints.
    /// - Parameters:
    ///   - hist: the node's histogram (filled for at least `features`).
    ///   - totals: the node's (Σg, Σh, count).
    public func findBestSplit(hist: Histogram, binned: BinnedMatrix, features: [Int],
                              totals: (g: Double, h: Double, c: Double)) -> SplitInfo? {
        var best: SplitInfo? = nil
        for f in features {
            if let s = bestSplit(feature: f, hist: hist, binned: binned, totals: totals),
               s.gain > (best?.gain ?? -Double.infinity) { best = s }
        }
        return best
    }

    /// The first of the candidates with the largest gain (feature order decides ties).
    public static func reduce(_ candidates: UnsafeBufferPointer<SplitInfo?>) -> SplitInfo? {
        var best: SplitInfo? = nil
        for c in candidates { if let s = c, s.gain > (best?.gain ?? -Double.infinity) { best = s } }
        return best
    }

    /// Best split on one feature, or nil when none passes the constraints.
    /// - Parameters:
    ///   - hist: a histogram holding at least feature `f`'s bins.
    ///   - totals: the node's (Σg, Σh, count).
    public func bestSplit(feature f: Int, hist: Histogram, binned: BinnedMatrix,
                          totals: (g: Double, h: Double, c: Double)) -> SplitInfo? {
        let parent = score(totals.g, totals.h)
        // Gains within rounding noise of zero (a pure node) are not splits.
        let bestGain = minGainToSplit + 1e-10 * abs(parent)
        let off = binned.binOffsets[f]
        let nv = binned.binOffsets[f + 1] - off - 1
        let sg = hist.gradient + off, sh = hist.hessian + off, sc = hist.count + off
        let missing = (sg[nv], sh[nv], sc[nv])
        if binned.mappers[f].kind == .categorical {
            return categoricalSplit(sums: BinSums(g: sg, h: sh, c: sc), feature: f, nv: nv, missing: missing,
                                    totals: totals, parent: parent, bestGain: bestGain)
        }
        var problem = splitProblem(totals: totals, parent: parent, bestGain: bestGain)
        var result = plumb_split()
        guard plumb_dense_best_split(&problem, sg, sh, sc, nv, &result) != 0 else { return nil }
        return SplitInfo(result, feature: f, totals: totals)
    }

    /// The plain twin of `bestSplit`'s numeric scan (ThresholdScan over the dense bins), for tests.
    func bestSplitReference(feature f: Int, hist: Histogram, binned: BinnedMatrix,
                            totals: (g: Double, h: Double, c: Double)) -> SplitInfo? {
        let parent = score(totals.g, totals.h)
        let off = binned.binOffsets[f]
        let nv = binned.binOffsets[f + 1] - off - 1
        let sg = hist.gradient + off, sh = hist.hessian + off, sc = hist.count + off
        var scan = ThresholdScan(splitter: self, totals: totals, missing: (sg[nv], sh[nv], sc[nv]), valueBins: nv, parent: parent,
                                 bestGain: minGainToSplit + 1e-10 * abs(parent))
        var gl = 0.0, hl = 0.0, cl = 0.0
        for b in 0..<nv {
            let cb = sc[b]
            // An empty bin gives the same partition as the previous threshold: skip it.
            if cb == 0 { continue }
            gl += sg[b]; hl += sh[b]; cl += cb
            if !scan.consider(bin: b, gl, hl, cl) { break }
        }
        guard scan.bestBin >= 0 else { return nil }
        return scan.split(feature: f)
    }

    /// The C kernels' description of a node's split search (totals and limits only).
    func splitProblem(totals: (g: Double, h: Double, c: Double), parent: Double, bestGain: Double) -> plumb_split_problem {
        var q = plumb_split_problem()
        q.tg = totals.g; q.th = totals.h; q.tc = totals.c
        q.min_data = Double(minDataInLeaf); q.min_hess = minSumHessianInLeaf; q.lambda = lambdaL2
        q.parent = parent; q.min_gain = bestGain
        q.kernel = scanKernel.rawValue
        return q
    }

    /// Best split on one feature of a small node from a sparse histogram, every hessian 1.
    ///
    /// `acc[b]` holds (Σg, count) of the feature's bin `b` (the missing bin last) and `occupied`
    /// (4 words, bit b) marks the non-empty bins. Bins are visited in ascending order, as
    /// `bestSplit` visits the non-empty bins of a dense histogram, so the result is the same bit
    /// for bit. Both buffers are left zeroed for the next node.
    /// - Parameters:
    ///   - totals: the node's (Σg, Σh, count).
    public func bestSplitSparse(feature f: Int, acc: UnsafeMutablePointer<SIMD2<Double>>, occupied: UnsafeMutablePointer<UInt64>,
                                binned: BinnedMatrix, totals: (g: Double, h: Double, c: Double)) -> SplitInfo? {
        let mapper = binned.mappers[f]
        let nv = mapper.valueBinCount
        defer {
            for w in 0..<4 {
                var word = occupied[w]
                while word != 0 { acc[w << 6 | word.trailingZeroBitCount] = .zero; word &= word - 1 }
                occupied[w] = 0
            }
        }
        let parent = score(totals.g, totals.h)
        let bestGain = minGainToSplit + 1e-10 * abs(parent)
        let miss = acc[nv]
        if mapper.kind == .categorical {
            let nb = nv + 1
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * nb) { buf in
                let sg = buf.baseAddress!, sc = sg + nb
                for b in 0..<nb { sg[b] = acc[b].x; sc[b] = acc[b].y }
                return categoricalSplit(sums: BinSums(g: sg, h: sc, c: sc), feature: f, nv: nv, missing: (miss.x, miss.y, miss.y),
                                        totals: totals, parent: parent, bestGain: bestGain)
            }
        }
        var scan = ThresholdScan(splitter: self, totals: totals, missing: (miss.x, miss.y, miss.y), valueBins: nv, parent: parent, bestGain: bestGain)
        var gl = 0.0, cl = 0.0
        scanning: for w in 0..<4 {
            var word = occupied[w]
            while word != 0 {
                let b = w << 6 | word.trailingZeroBitCount
                if b >= nv { break scanning }
                word &= word - 1
                let s = acc[b]
                gl += s.x; cl += s.y
                if !scan.consider(bin: b, gl, cl, cl) { break scanning }
            }
        }
        guard scan.bestBin >= 0 else { return nil }
        return scan.split(feature: f)
    }

    /// Categorical split: sort non-empty levels by g/(h+smoothing), scan prefixes going left,
    /// with the missing bin tried on either side.
    /// - Parameters:
    ///   - sums: the feature's (Σg, Σh, count) planes, value bins `0..<nv` then the missing bin.
    func categoricalSplit(sums: BinSums,
                          feature f: Int, nv: Int,
                          missing: (Double, Double, Double), totals: (g: Double, h: Double, c: Double),
                          parent: Double, bestGain: Double) -> SplitInfo? {
        var levels: [Int] = []
        for b in 0..<nv where sums.c[b] > 0 { levels.append(b) }
        guard levels.count >= 2 || (levels.count == 1 && missing.2 > 0) else { return nil }
        let key = { (b: Int) -> Double in sums.g[b] / (sums.h[b] + self.categoricalSmoothing) }
        levels.sort { (key($0), $0) < (key($1), $1) }
        let minData = Double(minDataInLeaf)
        var best: SplitInfo? = nil
        var bestG = bestGain
        let maxPrefix = min(levels.count, maxCategoricalThreshold)
        for missingLeft in [false, true] {
            if missingLeft && missing.2 == 0 { continue }
            var gl = missingLeft ? missing.0 : 0, hl = missingLeft ? missing.1 : 0, cl = missingLeft ? missing.2 : 0
            for p in 0..<maxPrefix {
                let b = levels[p]
                gl += sums.g[b]; hl += sums.h[b]; cl += sums.c[b]
                if p == levels.count - 1 && (missingLeft || missing.2 == 0) { break }   // everything left
                let gr = totals.g - gl, hr = totals.h - hl, cr = totals.c - cl
                guard cl >= minData && cr >= minData && hl >= minSumHessianInLeaf && hr >= minSumHessianInLeaf else { continue }
                let gain = score(gl, hl) + score(gr, hr) - parent
                if gain > bestG {
                    bestG = gain
                    best = SplitInfo(feature: f, thresholdBin: 0, defaultLeft: missingLeft,
                                     leftCategoryBins: Array(levels[0...p]).sorted(), gain: gain,
                                     leftGradient: gl, leftHessian: hl, leftCount: cl,
                                     rightGradient: gr, rightHessian: hr, rightCount: cr)
                }
            }
        }
        return best
    }
}

/// One feature's per-bin (Σg, Σh, count), borrowed: value bins, then the missing bin.
struct BinSums {
    let g, h, c: UnsafePointer<Double>

    init(g: UnsafePointer<Double>, h: UnsafePointer<Double>, c: UnsafePointer<Double>) {
        self.g = g; self.h = h; self.c = c
    }
}

/// The left-to-right threshold scan of a numeric feature, shared by the histogram and the direct
/// (sorted rows) paths: each call offers the left sums up to value bin `b`, with the missing bin
/// tried on the right and then on the left.
struct ThresholdScan {
    let tg, th, tc: Double
    let gm, hm, cm: Double
    let minData, minHess, lambda, parent: Double
    let valueBins: Int
    var bestGain: Double
    var bestBin = -1
    var bestLeftMissing = false
    /// Value-bin left sums at `bestBin` (missing not added).
    var bestLeft = (0.0, 0.0, 0.0)

    init(splitter: Splitter, totals: (g: Double, h: Double, c: Double), missing: (Double, Double, Double),
         valueBins: Int, parent: Double, bestGain: Double) {
        (tg, th, tc) = totals
        (gm, hm, cm) = missing
        minData = Double(splitter.minDataInLeaf); minHess = splitter.minSumHessianInLeaf; lambda = splitter.lambdaL2
        self.parent = parent
        self.valueBins = valueBins
        self.bestGain = bestGain
    }

    /// Considers the threshold after value bin `b` with left sums (gl, hl, cl); false when no
    /// later threshold can qualify (the scan stops).
    @inline(__always)
    mutating func consider(bin b: Int, _ gl: Double, _ hl: Double, _ cl: Double) -> Bool {
        if b == valueBins - 1 && cm == 0 { return false }
        if tc - cl < minData { return false }   // the right side only shrinks from here on
        // Missing goes right.
        let hr = th - hl
        if cl >= minData && hl >= minHess && hr >= minHess {
            let gr = tg - gl
            let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent
            if gain > bestGain { bestGain = gain; bestBin = b; bestLeftMissing = false; bestLeft = (gl, hl, cl) }
        }
        // Missing goes left.
        if cm > 0 && b < valueBins - 1 {
            let gL = gl + gm, hL = hl + hm, cL = cl + cm
            let gr = tg - gL, hr = th - hL
            if cL >= minData && tc - cL >= minData && hL >= minHess && hr >= minHess {
                let gain = gL * gL / (hL + lambda) + gr * gr / (hr + lambda) - parent
                if gain > bestGain { bestGain = gain; bestBin = b; bestLeftMissing = true; bestLeft = (gl, hl, cl) }
            }
        }
        return true
    }

    /// The winning split.
    func split(feature f: Int) -> SplitInfo {
        var (gl, hl, cl) = bestLeft
        if bestLeftMissing { gl += gm; hl += hm; cl += cm }
        return SplitInfo(feature: f, thresholdBin: bestBin, defaultLeft: bestLeftMissing, leftCategoryBins: [], gain: bestGain,
                         leftGradient: gl, leftHessian: hl, leftCount: cl,
                         rightGradient: tg - gl, rightHessian: th - hl, rightCount: tc - cl)
    }
}
