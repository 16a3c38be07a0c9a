/// A node's class counts (bootstrap repeats counted), with their total and Σ count².
struct ClassCounts: Sendable, Equatable {
    var perClass: [Double]
    var total: Double
    var sumOfSquares: Double

    init(_ perClass: [Double]) {
        self.perClass = perClass
        total = perClass.reduce(0, +)
        sumOfSquares = perClass.reduce(0) { $0 + $1 * $1 }
    }

    /// One class only (Gini impurity 0): nothing to split.
    var isPure: Bool { perClass.lazy.filter { $0 > 0 }.count <= 1 }

    /// The counts of the rest of a node once `part` is taken out.
    func subtracting(_ part: ClassCounts) -> ClassCounts {
        ClassCounts(zip(perClass, part.perClass).map { $0 - $1 })
    }

    /// Each class's share of the node (the leaf value of a classification tree).
    var frequencies: [Double] { perClass.map { $0 / total } }
}

/// A Gini split and the class counts of its left side (the right side's are the node's minus these).
struct GiniSplit {
    var info: SplitInfo
    var left: ClassCounts
}

/// Finds a node's best Gini split on one feature from its `ClassCountHistogram`.
///
/// The gain is scikit-learn's proxy of the impurity decrease: Σ_c L_c²/n_L + Σ_c R_c²/n_R −
/// Σ_c N_c²/n (weighted decrease × n; for two classes, twice the variance decrease of the 0/1
/// target). As in scikit-learn, any valid split of an impure node is taken, even one of gain 0.
///
/// Numeric features: every threshold between non-empty value bins, the missing bin tried on the
/// right and then on the left (the "missing vs the rest" split included). Categorical features:
/// the node's levels ordered by the share of the node's most frequent class, prefixes of that
/// order going left (Breiman's optimal order for two classes; a heuristic for more). Ties keep
/// the first candidate, so the result is deterministic.
struct GiniSplitter {
    let classCount: Int
    /// Minimum rows (bootstrap repeats counted) on either side, ≥ 1.
    let minSamplesLeaf: Double

    /// Best split of `node` on feature `f`, or nil when none leaves `minSamplesLeaf` rows each side.
    func bestSplit(feature f: Int, hist: ClassCountHistogram, binned: BinnedMatrix, node: ClassCounts) -> GiniSplit? {
        let mapper = binned.mappers[f], missingBin = mapper.valueBinCount
        var order = hist.occupiedBins(of: f)
        if order.last == missingBin { order.removeLast() }
        if mapper.kind == .categorical { order = categoryOrder(order, feature: f, hist: hist, node: node) }
        guard let best = scan(order, feature: f, missingBin: missingBin, hist: hist, node: node) else { return nil }
        var left = [Double](repeating: 0, count: classCount)
        for b in order[...best.end] + (best.missingLeft ? [missingBin] : []) {
            for c in 0..<classCount { left[c] += hist.count(feature: f, bin: b, class: c) }
        }
        let l = ClassCounts(left), r = node.total - l.total
        let isCategorical = mapper.kind == .categorical
        let info = SplitInfo(feature: f, thresholdBin: isCategorical ? 0 : order[best.end], defaultLeft: best.missingLeft,
                             leftCategoryBins: isCategorical ? order[...best.end].sorted() : [], gain: best.gain,
                             leftGradient: 0, leftHessian: l.total, leftCount: l.total,
                             rightGradient: 0, rightHessian: r, rightCount: r)
        return GiniSplit(info: info, left: l)
    }

    /// Scans the prefixes `order[...end]` going left, the missing bin on the right then on the
    /// left, updating Σ L_c² and Σ R_c² as each bin's counts move across.
    /// - Returns: the best prefix end, where the missing bin goes, and the gain.
    private func scan(_ order: [Int], feature f: Int, missingBin: Int, hist: ClassCountHistogram,
                      node: ClassCounts) -> (end: Int, missingLeft: Bool, gain: Double)? {
        let k = classCount, minLeaf = minSamplesLeaf
        let missing = (0..<k).map { hist.count(feature: f, bin: missingBin, class: $0) }
        let missingRows = hist.total(feature: f, bin: missingBin)
        let parent = node.sumOfSquares / node.total
        var left = [Double](repeating: 0, count: k), right = node.perClass
        var sqL = 0.0, sqR = node.sumOfSquares, nL = 0.0, nR = node.total
        var best: (end: Int, missingLeft: Bool, gain: Double)? = nil
        for (p, b) in order.enumerated() {
            for c in 0..<k {
                let n = hist.count(feature: f, bin: b, class: c)
                if n != 0 { sqL += (2 * left[c] + n) * n; sqR += (n - 2 * right[c]) * n; left[c] += n; right[c] -= n }
            }
            let t = hist.total(feature: f, bin: b)
            nL += t; nR -= t
            if nR < minLeaf { break }   // the right side only shrinks from here on
            if nL >= minLeaf {
                let gain = sqL / nL + sqR / nR - parent
                if gain > (best?.gain ?? -.infinity) { best = (p, false, gain) }
            }
            if missingRows > 0 && nR - missingRows >= minLeaf && nL + missingRows >= minLeaf {
                var sqL2 = sqL, sqR2 = sqR
                for c in 0..<k where missing[c] != 0 {
                    let m = missing[c]
                    sqL2 += (2 * left[c] + m) * m; sqR2 += (m - 2 * right[c]) * m
                }
                let gain = sqL2 / (nL + missingRows) + sqR2 / (nR - missingRows) - parent
                if gain > (best?.gain ?? -.infinity) { best = (p, true, gain) }
            }
        }
        return best
    }

    /// Categorical levels ordered by their share of the node's most frequent class (ties by bin).
    private func categoryOrder(_ levels: [Int], feature f: Int, hist: ClassCountHistogram, node: ClassCounts) -> [Int] {
        var major = 0
        for c in 1..<classCount where node.perClass[c] > node.perClass[major] { major = c }
        let share = { (b: Int) -> Double in hist.count(feature: f, bin: b, class: major) / hist.total(feature: f, bin: b) }
        return levels.sorted { (share($0), $0) < (share($1), $1) }
    }
}
