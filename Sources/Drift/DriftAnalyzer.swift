import Foundation
import Tabular

/// All two-sample figures of a numeric column (reference sample vs current values).
public struct NumericStatistics: Codable, Sendable, Equatable {
    /// KS statistic D (against the profile's sample).
    public var ks: Double
    /// KS p-value (scipy ks_2samp "auto"), when it was computed.
    public var ksPValue: Double?
    /// Wasserstein-1 distance (against the profile's sample).
    public var wasserstein: Double
    /// Wasserstein / max(reference std, 0.001).
    public var normalizedWasserstein: Double
    /// PSI on the reference-quantile bins.
    public var psi: Double
    /// Jensen–Shannon distance on the same bins.
    public var jensenShannon: Double
    /// Current proportions in the PSI bins.
    public var currentPSIProportions: [Double]
}

/// What the report needs about one current column, built from aggregates only.
public struct ColumnSummary: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    public var count: Int
    public var missing: Int
    public var mean: Double?
    public var std: Double?
    /// Numeric: the report bins (the reference's 30 bins, extended by whole bins to cover the
    /// current range) with reference and current counts.
    public var referenceHistogram: Histogram?
    public var currentHistogram: Histogram?
    /// Categorical: union of levels with reference and current frequencies.
    public var levels: [String]?
    public var referenceFrequencies: [Int]?
    public var currentFrequencies: [Int]?
    public var statistics: NumericStatistics?
}

/// The current side of a comparison, summarised for the report.
public struct CurrentSummary: Codable, Sendable, Equatable {
    public var rowCount: Int
    public var columns: [ColumnSummary]
    public var target: ColumnSummary?
    public var prediction: ColumnSummary?
    /// Classifiers: predicted class shares, score and true class shares, in the order of
    /// `DriftResult.predictionDrift`.
    public var classifierOutputs: [ColumnSummary]?
}

/// Result and current summary of one comparison.
public struct DriftAnalysis: Sendable {
    public var result: DriftResult
    public var current: CurrentSummary
}

/// Compares current data with a reference profile, column by column in parallel.
public enum DriftAnalyzer {
    /// Drift verdict of `current` against `reference` (see `analyze`).
    public static func compare(reference: ReferenceProfile, current: Table, options: DriftOptions = DriftOptions(),
                               performance: PerformanceReport? = nil,
                               policy: RetrainPolicy = RetrainPolicy()) throws -> DriftResult {
        try analyze(reference: reference, current: current, options: options, performance: performance, policy: policy).result
    }

    /// Convenience: profiles `reference` with every value kept (exact KS and Wasserstein on the
    /// full data), then compares. `target` is left out of the compared columns.
    public static func compare(reference: Table, current: Table, target: String? = nil,
                               options: DriftOptions = DriftOptions(), performance: PerformanceReport? = nil,
                               policy: RetrainPolicy = RetrainPolicy()) throws -> DriftResult {
        let profile = try ReferenceProfile.build(table: reference, target: target, predictions: nil,
                                                 seed: 42, maxSample: Int.max, psiBins: options.psiBins)
        return try compare(reference: profile, current: current, options: options, performance: performance, policy: policy)
    }

    /// Compares every profiled feature with the same-named column of `current`; also summarises
    /// the current target (column `reference.targetName`, when present) and `currentPredictions`
    /// for the report. For a classifier, `classifierOutputs` are tested against the profile's
    /// `classifier` part (prediction and label drift) and `classification` joins the verdict.
    /// - Throws: `DriftError` when a feature is missing from `current`, changed kind, or its
    ///   configured test does not apply to its kind.
    public static func analyze(reference: ReferenceProfile, current: Table, options: DriftOptions = DriftOptions(),
                               performance: PerformanceReport? = nil, policy: RetrainPolicy = RetrainPolicy(),
                               currentPredictions: [Double]? = nil, classifierOutputs: ClassifierOutputs? = nil,
                               classification: ClassificationReport? = nil) throws -> DriftAnalysis {
        // Validate at the edge, then compute without failure.
        var tests: [ColumnTest] = []
        var currentColumns: [Column] = []
        for f in reference.features {
            guard let c = current.column(named: f.name) else {
                throw DriftError(code: .missingColumn, message: "current data: column '\(f.name)' of the reference profile is missing (columns: \(current.columnNames.joined(separator: ", ")))")
            }
            guard c.kind == f.kind else {
                throw DriftError(code: .kindMismatch, message: "current data: column '\(f.name)' is \(c.kind.rawValue); the reference profile has it \(f.kind.rawValue)")
            }
            let t = options.test(for: f.name, numeric: f.kind == .numeric, referenceRows: reference.rowCount)
            if f.kind == .categorical && (t.method == .ks || t.method == .wasserstein) {
                throw DriftError(code: .testNotApplicable, message: "column '\(f.name)': test '\(t.method.rawValue)' needs a numeric column; '\(f.name)' is categorical (use chisquare, jensenshannon or psi)")
            }
            if f.kind == .numeric && t.method == .chisquare {
                throw DriftError(code: .testNotApplicable, message: "column '\(f.name)': test 'chisquare' needs a categorical column; '\(f.name)' is numeric (use ks, wasserstein, psi or jensenshannon)")
            }
            tests.append(t)
            currentColumns.append(c)
        }
        var slots = [(ColumnDrift, ColumnSummary)?](repeating: nil, count: tests.count)
        slots.withUnsafeMutableBufferPointer { buf in
            // Used only inside this synchronous concurrentPerform; each iteration writes its own slot.
            let out = buf
            concurrentPerform(iterations: tests.count) { k in
                let f = reference.features[k]
                switch currentColumns[k].data {
                case .numeric(let values):
                    if let np = f.numeric { out[k] = compareNumeric(name: f.name, reference: np, current: values, test: tests[k]) }
                case .categorical(let codes, let levels):
                    if let cp = f.categorical {
                        out[k] = compareCategorical(name: f.name, reference: cp, codes: codes, levels: levels, test: tests[k])
                    }
                }
            }
        }
        let done = slots.compactMap { $0 }
        precondition(done.count == tests.count, "DriftAnalyzer: a profile lacks its numeric/categorical part")
        var targetSummary: ColumnSummary?
        if let tn = reference.targetName, let tp = reference.target, let tv = current.column(named: tn)?.numericValues {
            targetSummary = summarizeNumeric(name: tn, reference: tp, current: tv)
        }
        var predictionSummary: ColumnSummary?
        if let pp = reference.prediction, let pv = currentPredictions {
            predictionSummary = summarizeNumeric(name: "prediction", reference: pp, current: pv)
        }
        var outputs: [(ColumnDrift, ColumnSummary)]?
        if let cp = reference.classifier, let co = classifierOutputs {
            outputs = classifierDrift(reference: cp, outputs: co, options: options)
        }
        let result = DriftResult.decide(columns: done.map(\.0), performance: performance,
                                        driftShareThreshold: options.driftShareThreshold, policy: policy,
                                        predictionDrift: outputs?.map(\.0) ?? [], classification: classification)
        return DriftAnalysis(result: result, current: CurrentSummary(rowCount: current.rowCount, columns: done.map(\.1),
                                                                     target: targetSummary, prediction: predictionSummary,
                                                                     classifierOutputs: outputs?.map(\.1)))
    }

    /// KS, Wasserstein, PSI and JS of current values against a numeric profile. The KS p-value
    /// is computed only when `withPValue` (its exact path can cost O(n·m/gcd)).
    /// - Parameter currentSorted: ascending non-missing current values.
    public static func numericStatistics(reference r: NumericProfile, currentSorted s: [Double],
                                         withPValue: Bool) -> NumericStatistics {
        guard !s.isEmpty, !r.sample.isEmpty else {
            return NumericStatistics(ks: .nan, ksPValue: nil, wasserstein: .nan, normalizedWasserstein: .nan,
                                     psi: .nan, jensenShannon: .nan, currentPSIProportions: [])
        }
        let (d, w) = TwoSampleStatistics.ksAndWasserstein(r.sample, s)
        var ksD = d
        var p: Double?
        if withPValue {
            let o = TwoSampleStatistics.ksPValue(statistic: d, n1: r.sample.count, n2: s.count)
            ksD = o.statistic
            p = o.pValue
        }
        let cur = PSIBins.proportions(sorted: s, edges: r.psiEdges)
        return NumericStatistics(ks: ksD, ksPValue: p, wasserstein: w,
                                 normalizedWasserstein: TwoSampleStatistics.normalizedWasserstein(w, referenceStd: r.std),
                                 psi: TwoSampleStatistics.psi(reference: r.psiProportions, current: cur),
                                 jensenShannon: TwoSampleStatistics.jensenShannon(r.psiProportions, cur),
                                 currentPSIProportions: cur)
    }

    static func compareNumeric(name: String, reference r: NumericProfile, current: [Double],
                               test: ColumnTest) -> (ColumnDrift, ColumnSummary) {
        let s = SortedSample.sortedNonMissing(current)
        let st = numericStatistics(reference: r, currentSorted: s, withPValue: test.method == .ks)
        let value: Double
        var pValue: Double?
        switch test.method {
        case .ks: value = st.ks; pValue = st.ksPValue
        case .wasserstein: value = st.normalizedWasserstein
        case .psi: value = st.psi
        case .jensenshannon: value = st.jensenShannon
        case .chisquare: value = .nan  // rejected by validation
        }
        let drifted = test.isDrift(pValue ?? value)
        var summary = summarizeNumeric(name: name, reference: r, currentSorted: s, missing: current.count - s.count)
        summary.statistics = st
        return (ColumnDrift(name: name, test: test.method.rawValue, statistic: value, pValue: pValue,
                            threshold: test.threshold, drifted: drifted), summary)
    }

    static func summarizeNumeric(name: String, reference r: NumericProfile, current: [Double]) -> ColumnSummary {
        let s = SortedSample.sortedNonMissing(current)
        return summarizeNumeric(name: name, reference: r, currentSorted: s, missing: current.count - s.count)
    }

    static func summarizeNumeric(name: String, reference r: NumericProfile, currentSorted s: [Double],
                                 missing: Int) -> ColumnSummary {
        let (m, sd) = NumericProfile.meanAndStd(s)
        let mean = s.isEmpty ? nil : m
        let std = s.isEmpty ? nil : sd
        let (refH, curH) = reportHistograms(reference: r.histogram, currentSorted: s)
        return ColumnSummary(name: name, kind: .numeric, count: s.count, missing: missing, mean: mean, std: std,
                             referenceHistogram: refH, currentHistogram: curH, levels: nil,
                             referenceFrequencies: nil, currentFrequencies: nil, statistics: nil)
    }

    /// The reference histogram's bins extended by whole bin widths (at most 30 each side) to
    /// cover the current 0.5–99.5 % quantile range; current values beyond go to the end bins.
    static func reportHistograms(reference h: Histogram, currentSorted s: [Double]) -> (Histogram, Histogram) {
        guard h.edges.count >= 2, !s.isEmpty else {
            return (h, Histogram.counting(sorted: s, edges: h.edges))
        }
        let lo = SortedSample.quantile(sorted: s, 0.005), hi = SortedSample.quantile(sorted: s, 0.995)
        let e0 = h.edges[0], eN = h.edges[h.edges.count - 1]
        let w = (eN - e0) / Double(h.counts.count)
        let below = lo < e0 ? min(Int(((e0 - lo) / w).rounded(.up)), 30) : 0
        let above = hi > eN ? min(Int(((hi - eN) / w).rounded(.up)), 30) : 0
        var edges = (0..<below).map { e0 - Double(below - $0) * w }
        edges += h.edges
        if above > 0 { edges += (1...above).map { eN + Double($0) * w } }
        let refCounts = [Int](repeating: 0, count: below) + h.counts + [Int](repeating: 0, count: above)
        let cur = Histogram.counting(sorted: s, edges: edges).foldingOutside(sorted: s)
        return (Histogram(edges: edges, counts: refCounts), cur)
    }

    static func compareCategorical(name: String, reference r: CategoricalProfile, codes: [Int32], levels: [String],
                                   test: ColumnTest) -> (ColumnDrift, ColumnSummary) {
        let cur = CategoricalProfile.build(codes: codes, levels: levels)
        // Union of levels: reference order first, then levels seen only in current.
        var index: [String: Int] = [:]
        var all: [String] = []
        for l in r.levels + cur.levels where index[l] == nil {
            index[l] = all.count
            all.append(l)
        }
        var refF = [Int](repeating: 0, count: all.count)
        var curF = [Int](repeating: 0, count: all.count)
        for (k, l) in r.levels.enumerated() { refF[index[l] ?? 0] += r.frequencies[k] }
        for (k, l) in cur.levels.enumerated() { curF[index[l] ?? 0] += cur.frequencies[k] }
        // Levels with no occurrence on either side are not categories (Evidently uses values seen).
        let keep = (0..<all.count).filter { refF[$0] > 0 || curF[$0] > 0 }
        let rc = keep.map { Double(refF[$0]) }, cc = keep.map { Double(curF[$0]) }
        var value: Double
        var pValue: Double?
        switch test.method {
        case .chisquare:
            let o = TwoSampleStatistics.chiSquare(referenceCounts: rc, currentCounts: cc)
            value = o.statistic
            pValue = o.pValue
        case .jensenshannon:
            value = TwoSampleStatistics.jensenShannon(rc, cc)
        case .psi:
            let tr = rc.reduce(0, +), tc = cc.reduce(0, +)
            value = tr > 0 && tc > 0 ? TwoSampleStatistics.psi(reference: rc.map { $0 / tr }, current: cc.map { $0 / tc }) : .nan
        case .ks, .wasserstein: value = .nan  // rejected by validation
        }
        let drifted = test.isDrift(pValue ?? value)
        let summary = ColumnSummary(name: name, kind: .categorical, count: cur.count, missing: cur.missing, mean: nil,
                                    std: nil, referenceHistogram: nil, currentHistogram: nil, levels: all,
                                    referenceFrequencies: refF, currentFrequencies: curF, statistics: nil)
        return (ColumnDrift(name: name, test: test.method.rawValue, statistic: value, pValue: pValue,
                            threshold: test.threshold, drifted: drifted), summary)
    }
}
