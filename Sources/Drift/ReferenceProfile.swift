import Foundation
import Tabular

/// A histogram: `edges.count == counts.count + 1`, bins [e_i, e_{i+1}), the last one closed.
public struct Histogram: Codable, Sendable, Equatable {
    public var edges: [Double]
    public var counts: [Int]

    public init(edges: [Double], counts: [Int]) {
        precondition(edges.count == counts.count + 1)
        self.edges = edges
        self.counts = counts
    }

    /// `bins` equal-width bins from min to max of an ascending sample (a unit-wide bin around
    /// a constant sample; no bins for an empty one).
    public static func equalWidth(sorted s: [Double], bins: Int) -> Histogram {
        equalWidth(SortedValues(s), bins: bins)
    }

    static func equalWidth(_ s: some AscendingValues, bins: Int) -> Histogram {
        counting(s, edges: equalWidthEdges(s, bins: bins))
    }

    static func equalWidthEdges(_ s: some AscendingValues, bins: Int) -> [Double] {
        guard s.count > 0 else { return [0] }
        let lo = s.value(atRank: 0), hi = s.value(atRank: s.count - 1)
        let (a, b) = lo < hi ? (lo, hi) : (lo - 0.5, hi + 0.5)
        let width = (b - a) / Double(bins)
        var edges = (0...bins).map { a + Double($0) * width }
        edges[bins] = b
        return edges
    }

    /// Share of values cut from each end by `trimmed`.
    public static let defaultTail = 0.005

    /// `bins` equal-width bins over the [0.5 %, 99.5 %] quantile range of an ascending sample,
    /// with values beyond folded into the first / last bin, so long tails do not squash the
    /// picture (falls back to the full range when that range is empty).
    public static func trimmed(sorted s: [Double], bins: Int, tail: Double = defaultTail) -> Histogram {
        trimmed(SortedValues(s), bins: bins, tail: tail)
    }

    static func trimmed(_ s: some AscendingValues, bins: Int, tail: Double = defaultTail) -> Histogram {
        let (edges, folds) = trimmedEdges(s, bins: bins, tail: tail)
        let h = counting(s, edges: edges)
        return folds ? h.foldingOutside(s) : h
    }

    /// The edges of `trimmed`, and whether values beyond them are folded in (not for the
    /// full-range fallback). Reads ranks 0 and count − 1 and those of the quantiles `tail`
    /// and 1 − `tail`.
    static func trimmedEdges(_ s: some AscendingValues, bins: Int, tail: Double = defaultTail) -> (edges: [Double], foldsOutside: Bool) {
        guard s.count > 0 else { return ([0], false) }
        let lo = SortedSample.quantile(s, tail), hi = SortedSample.quantile(s, 1 - tail)
        guard lo < hi else { return (equalWidthEdges(s, bins: bins), false) }
        let width = (hi - lo) / Double(bins)
        var edges = (0...bins).map { lo + Double($0) * width }
        edges[bins] = hi
        return (edges, true)
    }

    /// This histogram with the values of `s` below the first edge added to the first bin and
    /// those above the last edge added to the last bin.
    public func foldingOutside(sorted s: [Double]) -> Histogram { foldingOutside(SortedValues(s)) }

    func foldingOutside(_ s: some AscendingValues) -> Histogram {
        guard !counts.isEmpty, let first = edges.first, let last = edges.last else { return self }
        var h = self
        h.counts[0] += s.countBelow(first)
        h.counts[counts.count - 1] += s.count - s.countAtMost(last)
        return h
    }

    /// Counts of an ascending sample in the bins given by `edges` (values outside are ignored).
    public static func counting(sorted s: [Double], edges: [Double]) -> Histogram {
        counting(SortedValues(s), edges: edges)
    }

    static func counting(_ s: some AscendingValues, edges: [Double]) -> Histogram {
        var counts = [Int]()
        counts.reserveCapacity(edges.count - 1)
        for k in 0..<(edges.count - 1) {
            let lo = s.countBelow(edges[k])
            let hi = k == edges.count - 2 ? s.countAtMost(edges[k + 1]) : s.countBelow(edges[k + 1])
            counts.append(hi - lo)
        }
        return Histogram(edges: edges, counts: counts)
    }
}

/// Summary of one numeric column at training time, enough to test drift without the data.
public struct NumericProfile: Codable, Sendable, Equatable {
    /// Non-missing values.
    public var count: Int
    public var missing: Int
    /// Exactly rounded sum / count (the same whatever the order of the values).
    public var mean: Double
    /// Population standard deviation (ddof = 0, as Evidently normalises Wasserstein with np.std):
    /// √(Σ (x − mean)² / count), the sum exactly rounded.
    public var std: Double
    public var min: Double
    public var max: Double
    /// Ascending values: all of them when `count ≤ maxSample`, otherwise a seeded uniform
    /// subsample (without replacement) of `maxSample` values; KS and Wasserstein then run
    /// against this sample.
    public var sample: [Double]
    /// True when `sample` holds every non-missing value.
    public var sampleIsExact: Bool
    /// Interior PSI bin edges: reference quantiles at 1/k … (k−1)/k of all values.
    public var psiEdges: [Double]
    /// Proportion of all reference values in each of the k PSI bins.
    public var psiProportions: [Double]
    /// 30 equal-width bins over the 0.5–99.5 % quantile range of all values (values beyond
    /// folded into the end bins), for the report.
    public var histogram: Histogram

    /// Plain twin of `build(column:…)`: the profile from an ascending array of the non-missing
    /// values (NaN-free; ties of −0 and +0 in either order give the same profile up to the
    /// sign of zeros).
    public static func buildReference(sorted s: [Double], missing: Int, maxSample: Int, psiBins: Int,
                                      histogramBins: Int = 30, rng: inout SeededGenerator) -> NumericProfile {
        let n = s.count
        let (mean, std) = meanAndStd(s)
        let exact = n <= maxSample
        let sample: [Double] = exact ? s : ReferenceProfile.sampleIndices(count: n, k: maxSample, rng: &rng).map { s[$0] }
        return assemble(SortedValues(s), missing: missing, mean: mean, std: std, sample: sample, sampleIsExact: exact,
                        psiBins: psiBins, histogramBins: histogramBins)
    }

    /// The profile from its parts: extremes, PSI bins and histogram read from `s`.
    static func assemble(_ s: some AscendingValues, missing: Int, mean: Double, std: Double, sample: [Double],
                         sampleIsExact: Bool, psiBins: Int, histogramBins: Int) -> NumericProfile {
        let n = s.count
        let edges = n > 0 ? PSIBins.edges(s, bins: psiBins) : []
        let props = n > 0 ? PSIBins.proportions(s, edges: edges) : []
        return NumericProfile(count: n, missing: missing, mean: mean, std: std,
                              min: n > 0 ? s.value(atRank: 0) : .nan, max: n > 0 ? s.value(atRank: n - 1) : .nan,
                              sample: sample, sampleIsExact: sampleIsExact, psiEdges: edges, psiProportions: props,
                              histogram: Histogram.trimmed(s, bins: histogramBins))
    }

    /// Mean (exactly rounded sum / n) and population standard deviation (ddof = 0, two-pass,
    /// the sum of squares exactly rounded) of `v`, whatever its order; NaN for an empty array.
    static func meanAndStd(_ v: [Double]) -> (mean: Double, std: Double) {
        v.withUnsafeBufferPointer { meanAndStd($0, count: v.count) }
    }

    /// `meanAndStd` of the `count` non-NaN values of `v` (NaN = missing).
    static func meanAndStd(_ v: UnsafeBufferPointer<Double>, count n: Int) -> (mean: Double, std: Double) {
        guard n > 0 else { return (.nan, .nan) }
        let sum = ExactSum()
        sum.addSkippingNaN(v)
        let mean = sum.rounded() / Double(n)
        let squares = ExactSum()
        squares.addSquaredDeviations(v, from: mean)
        return (mean, (squares.rounded() / Double(n)).squareRoot())
    }
}

/// Summary of one categorical column: how often each level occurs.
public struct CategoricalProfile: Codable, Sendable, Equatable {
    public var count: Int
    public var missing: Int
    public var levels: [String]
    public var frequencies: [Int]

    /// Counts the codes of a categorical column (code −1 = missing).
    public static func build(codes: [Int32], levels: [String]) -> CategoricalProfile {
        var freq = [Int](repeating: 0, count: levels.count)
        var missing = 0
        for c in codes {
            if c < 0 || Int(c) >= levels.count { missing += 1 } else { freq[Int(c)] += 1 }
        }
        return CategoricalProfile(count: codes.count - missing, missing: missing, levels: levels, frequencies: freq)
    }
}

/// Profile of one feature.
public struct FeatureProfile: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    public var numeric: NumericProfile?
    public var categorical: CategoricalProfile?
}

/// The training-time reference for monitoring: per-feature profiles plus the target and
/// prediction distributions. Stored with the model version; monitoring needs nothing else.
public struct ReferenceProfile: Codable, Sendable, Equatable {
    public var formatVersion: Int
    /// Rows of the reference table (drives the default test choice).
    public var rowCount: Int
    public var features: [FeatureProfile]
    public var targetName: String?
    public var target: NumericProfile?
    public var prediction: NumericProfile?
    public var psiBins: Int
    public var seed: UInt64
    /// Classifiers only: class shares and score distribution on the training rows (nil, and
    /// absent from the JSON, for regression).
    public var classifier: ClassifierProfile? = nil

    /// The profile of a feature by name.
    public func feature(named name: String) -> FeatureProfile? { features.first { $0.name == name } }

    /// Profiles every column of `table` except `target` (which is profiled separately, as are
    /// `predictions`). Numeric columns keep an exact sorted copy when they have at most
    /// `maxSample` values, else a seeded uniform subsample of `maxSample`, selected from the
    /// unsorted column (`NumericProfile.build(column:…)`).
    /// Columns are profiled in parallel.
    /// - Throws: `DriftError.missingColumn` when `target` names no column, `.kindMismatch`
    ///   when it is not numeric, `.lengthMismatch` when `predictions` has the wrong length.
    public static func build(table: Table, target: String? = nil, predictions: [Double]? = nil,
                             seed: UInt64 = 42, maxSample: Int = 10_000, psiBins: Int = 10) throws -> ReferenceProfile {
        var targetValues: [Double]?
        if let t = target {
            guard let col = table.column(named: t) else {
                throw DriftError(code: .missingColumn, message: "reference table: target column '\(t)' not found (columns: \(table.columnNames.joined(separator: ", ")))")
            }
            guard let v = col.numericValues else {
                throw DriftError(code: .kindMismatch, message: "reference table: target column '\(t)' is categorical; expected numeric")
            }
            targetValues = v
        }
        if let p = predictions, p.count != table.rowCount {
            throw DriftError(code: .lengthMismatch, message: "reference predictions: \(p.count) values for \(table.rowCount) rows")
        }
        let cols = table.columns.filter { $0.name != target }
        var numericInputs: [[Double]] = []
        var slots: [Int] = []  // index into numericInputs per column, −1 for categorical
        for c in cols {
            if let v = c.numericValues { slots.append(numericInputs.count); numericInputs.append(v) } else { slots.append(-1) }
        }
        let extra = [targetValues, predictions].compactMap { $0 }
        let profiles = profileNumeric(numericInputs + extra, seed: seed, maxSample: maxSample, psiBins: psiBins)
        var features: [FeatureProfile] = []
        for (k, c) in cols.enumerated() {
            switch c.data {
            case .numeric:
                features.append(FeatureProfile(name: c.name, kind: .numeric, numeric: profiles[slots[k]], categorical: nil))
            case .categorical(let codes, let levels):
                features.append(FeatureProfile(name: c.name, kind: .categorical, numeric: nil,
                                               categorical: .build(codes: codes, levels: levels)))
            }
        }
        var next = numericInputs.count
        var tp: NumericProfile?, pp: NumericProfile?
        if targetValues != nil { tp = profiles[next]; next += 1 }
        if predictions != nil { pp = profiles[next] }
        return ReferenceProfile(formatVersion: 1, rowCount: table.rowCount, features: features, targetName: target,
                                target: tp, prediction: pp, psiBins: psiBins, seed: seed)
    }

    /// Profiles numeric arrays in parallel (both cores), each with its own seeded stream.
    static func profileNumeric(_ inputs: [[Double]], seed: UInt64, maxSample: Int, psiBins: Int) -> [NumericProfile] {
        var out = [NumericProfile?](repeating: nil, count: inputs.count)
        out.withUnsafeMutableBufferPointer { buf in
            // The buffer pointer is used only inside this synchronous concurrentPerform; each
            // iteration writes its own slot.
            let base = buf
            concurrentPerform(iterations: inputs.count) { k in
                var rng = SeededGenerator.stream(seed: seed, UInt64(k))
                base[k] = NumericProfile.build(column: inputs[k], maxSample: maxSample, psiBins: psiBins, rng: &rng)
            }
        }
        let filled = out.compactMap { $0 }
        precondition(filled.count == inputs.count)
        return filled
    }

    /// k distinct indices drawn uniformly from 0..<count, ascending (Floyd's algorithm).
    public static func sampleIndices(count: Int, k: Int, rng: inout SeededGenerator) -> [Int] {
        precondition(k <= count)
        if k == count { return Array(0..<count) }
        var chosen = Set<Int>(minimumCapacity: k)
        for j in (count - k)..<count {
            let t = rng.below(j + 1)
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        return chosen.sorted()
    }
}
