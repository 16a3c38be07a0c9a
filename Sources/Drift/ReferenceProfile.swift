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
        guard let lo = s.first, let hi = s.last else { return Histogram(edges: [0], counts: []) }
        let (a, b) = lo < hi ? (lo, hi) : (lo - 0.5, hi + 0.5)
        let width = (b - a) / Double(bins)
        var edges = (0...bins).map { a + Double($0) * width }
        edges[bins] = b
        return counting(sorted: s, edges: edges)
    }

    /// `bins` equal-width bins over the [0.5 %, 99.5 %] quantile range of an ascending sample,
    /// with values beyond folded into the first / last bin, so long tails do not squash the
    /// picture (falls back to the full range when that range is empty).
    public static func trimmed(sorted s: [Double], bins: Int, tail: Double = 0.005) -> Histogram {
        guard !s.isEmpty else { return Histogram(edges: [0], counts: []) }
        let lo = SortedSample.quantile(sorted: s, tail), hi = SortedSample.quantile(sorted: s, 1 - tail)
        guard lo < hi else { return equalWidth(sorted: s, bins: bins) }
        let width = (hi - lo) / Double(bins)
        var edges = (0...bins).map { lo + Double($0) * width }
        edges[bins] = hi
        return counting(sorted: s, edges: edges).foldingOutside(sorted: s)
    }

    /// This histogram with the values of `s` below the first edge added to the first bin and
    /// those above the last edge added to the last bin.
    public func foldingOutside(sorted s: [Double]) -> Histogram {
        guard !counts.isEmpty, let first = edges.first, let last = edges.last else { return self }
        var h = self
        h.counts[0] += SortedSample.countBelow(s, first)
        h.counts[counts.count - 1] += s.count - SortedSample.countAtMost(s, last)
        return h
    }

    /// Counts of an ascending sample in the bins given by `edges` (values outside are ignored).
    public static func counting(sorted s: [Double], edges: [Double]) -> Histogram {
        var counts = [Int]()
        counts.reserveCapacity(edges.count - 1)
        for k in 0..<(edges.count - 1) {
            let lo = SortedSample.countBelow(s, edges[k])
            let hi = k == edges.count - 2 ? SortedSample.countAtMost(s, edges[k + 1]) : SortedSample.countBelow(s, edges[k + 1])
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
    public var mean: Double
    /// Population standard deviation (ddof = 0, as Evidently normalises Wasserstein with np.std).
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

    /// Builds the profile from an ascending array of the non-missing values.
    public static func build(sorted s: [Double], missing: Int, maxSample: Int, psiBins: Int,
                             histogramBins: Int = 30, rng: inout SeededGenerator) -> NumericProfile {
        let n = s.count
        let (mean, std) = meanAndStd(s)
        let exact = n <= maxSample
        let sample: [Double] = exact ? s : ReferenceProfile.sampleIndices(count: n, k: maxSample, rng: &rng).map { s[$0] }
        let edges = n > 0 ? PSIBins.edges(sortedReference: s, bins: psiBins) : []
        let props = n > 0 ? PSIBins.proportions(sorted: s, edges: edges) : []
        return NumericProfile(count: n, missing: missing, mean: mean, std: std,
                              min: s.first ?? .nan, max: s.last ?? .nan, sample: sample, sampleIsExact: exact,
                              psiEdges: edges, psiProportions: props,
                              histogram: Histogram.trimmed(sorted: s, bins: histogramBins))
    }

    /// Mean (compensated sum) and population standard deviation (ddof = 0, two-pass) of `v`;
    /// NaN for an empty array.
    static func meanAndStd(_ v: [Double]) -> (mean: Double, std: Double) {
        let n = v.count
        guard n > 0 else { return (.nan, .nan) }
        let mean = kahanSum(v) / Double(n)
        let q = v.withUnsafeBufferPointer { p -> Double in
            // Eight lanes: the adds of one lane wait for the previous add of that lane only.
            var q0 = SIMD4<Double>(), q1 = SIMD4<Double>()
            let m = SIMD4<Double>(repeating: mean)
            var i = 0
            while i + 8 <= n {
                let d0 = SIMD4(p[i], p[i + 1], p[i + 2], p[i + 3]) - m
                let d1 = SIMD4(p[i + 4], p[i + 5], p[i + 6], p[i + 7]) - m
                q0 += d0 * d0
                q1 += d1 * d1
                i += 8
            }
            var total = (q0 + q1).sum()
            while i < n { let d = p[i] - mean; total += d * d; i += 1 }
            return total
        }
        return (mean, (q / Double(n)).squareRoot())
    }

    /// Compensated (Kahan) sum in eight interleaved lanes, so the dependency chains overlap.
    static func kahanSum(_ v: [Double]) -> Double {
        v.withUnsafeBufferPointer { p in
            var s0 = SIMD4<Double>(), c0 = SIMD4<Double>(), s1 = SIMD4<Double>(), c1 = SIMD4<Double>()
            let n = p.count
            var i = 0
            while i + 8 <= n {
                let y0 = SIMD4(p[i], p[i + 1], p[i + 2], p[i + 3]) - c0
                let y1 = SIMD4(p[i + 4], p[i + 5], p[i + 6], p[i + 7]) - c1
                let t0 = s0 + y0, t1 = s1 + y1
                c0 = (t0 - s0) - y0
                c1 = (t1 - s1) - y1
                s0 = t0
                s1 = t1
                i += 8
            }
            // Lane totals, then the tail, each through the same compensation.
            var total = 0.0, comp = 0.0
            var rest: [Double] = []
            rest.reserveCapacity(23)
            for l in 0..<4 { rest += [s0[l], -c0[l], s1[l], -c1[l]] }
            while i < n { rest.append(p[i]); i += 1 }
            for x in rest {
                let y = x - comp
                let t = total + y
                comp = (t - total) - y
                total = t
            }
            return total
        }
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
    /// `maxSample` values, else a seeded uniform subsample of `maxSample`.
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
                let v = inputs[k]
                let sorted = SortedSample.sortedNonMissing(v)
                var rng = SeededGenerator.stream(seed: seed, UInt64(k))
                base[k] = NumericProfile.build(sorted: sorted, missing: v.count - sorted.count,
                                               maxSample: maxSample, psiBins: psiBins, rng: &rng)
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
