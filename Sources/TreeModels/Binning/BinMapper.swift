import CTreeKernels
import MLCore
import Tabular

/// Maps raw feature values to small integer bins, per feature.
///
/// Numeric feature: value bins `0..<valueBinCount` with raw upper bounds `upperBounds`
/// (bin b holds `upperBounds[b-1] < x <= upperBounds[b]`, the last bound is +inf), then one
/// extra bin for NaN. A split "left = bins 0...b" is therefore the raw test `x <= upperBounds[b]`,
/// so inference needs no binning. Categorical feature: one bin per level code (`categories`,
/// ascending), then the NaN bin; a value that is no known code (a level unseen in training, or
/// no valid code at all) gets `unseenBin`, one past the NaN bin. Training rows never hold one
/// (the mapper is fitted on every training row); rows binned later to be routed through grown
/// trees can, and such a row goes right at any categorical split, as its raw value does.
public struct BinMapper: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case numeric = 0, categorical = 1 }

    public var kind: Kind
    /// Numeric: raw upper bound of each value bin (ascending, last = +inf). Empty for categorical.
    public var upperBounds: [Double]
    /// Categorical: the level code of each value bin (ascending). Empty for numeric.
    public var categories: [Int]
    /// True when the sample held no non-missing value: the feature is never split on.
    public var isAllMissing: Bool

    /// Number of value bins (excluding the missing bin).
    public var valueBinCount: Int { kind == .numeric ? upperBounds.count : categories.count }
    /// Index of the missing-value bin (== valueBinCount).
    public var missingBin: Int { valueBinCount }
    /// Total bins including the missing bin.
    public var binCount: Int { valueBinCount + 1 }
    /// Categorical: the bin of a value that is no known code (never in a histogram).
    public var unseenBin: Int { binCount }

    /// Bin of a raw value. Numeric: first b with `x <= upperBounds[b]`; NaN → missing bin.
    @inlinable public func bin(_ x: Double) -> Int {
        if x.isNaN { return missingBin }
        switch kind {
        case .numeric:
            var lo = 0, hi = upperBounds.count - 1   // last bound is +inf: always found
            while lo < hi {
                let mid = (lo + hi) >> 1
                if x <= upperBounds[mid] { hi = mid } else { lo = mid + 1 }
            }
            return lo
        case .categorical:
            guard x >= 0, x < 1e9 else { return unseenBin }
            var lo = 0, hi = categories.count
            let c = Int(x)
            while lo < hi {
                let mid = (lo + hi) >> 1
                if categories[mid] < c { lo = mid + 1 } else { hi = mid }
            }
            return lo < categories.count && categories[lo] == c && Double(c) == x ? lo : unseenBin
        }
    }

    /// Sorts NaN-free values ascending (radix sort in `CTreeKernels`; the standard sort if its
    /// scratch space cannot be had).
    static func sortAscending(_ v: inout [Double]) {
        var scratch = [UInt64](repeating: 0, count: 2 * v.count)
        let status = v.withUnsafeMutableBufferPointer { vb in
            scratch.withUnsafeMutableBufferPointer { plumb_sort_doubles(vb.baseAddress, vb.count, $0.baseAddress) }
        }
        if status != 0 { v.sort() }
    }

    /// Bins of `x[0 ..< n]` into `out` (what `bin` gives for each value).
    func bin(_ x: UnsafePointer<Double>, count n: Int, into out: UnsafeMutablePointer<UInt8>) {
        switch kind {
        case .numeric:
            upperBounds.withUnsafeBufferPointer { ub in
                plumb_bin_numeric(ub.baseAddress, ub.count, x, n, UInt8(truncatingIfNeeded: missingBin), out)
            }
        case .categorical:
            for i in 0..<n { out[i] = UInt8(truncatingIfNeeded: bin(x[i])) }
        }
    }

    /// Numeric bins from the non-missing values of a sample (any order).
    /// - Parameters:
    ///   - values: sample of the column, NaN = missing.
    ///   - maxBins: at most this many value bins (2...255).
    /// Features with ≤ maxBins distinct values get one bin per value with midpoint bounds
    /// (like LightGBM); otherwise bins hold about equal counts, cut between distinct values.
    public static func numeric(values: [Double], maxBins: Int) -> BinMapper {
        var v = values.filter { !$0.isNaN }
        guard !v.isEmpty else {
            return BinMapper(kind: .numeric, upperBounds: [.infinity], categories: [], isAllMissing: true)
        }
        Self.sortAscending(&v)
        var distinct: [Double] = [], counts: [Int] = []
        distinct.reserveCapacity(min(v.count, 4096))
        for x in v {
            if let last = distinct.last, last == x { counts[counts.count - 1] += 1 } else { distinct.append(x); counts.append(1) }
        }
        var bounds: [Double] = []
        if distinct.count <= maxBins {
            for k in 0..<(distinct.count - 1) { bounds.append(midpoint(distinct[k], distinct[k + 1])) }
        } else {
            // Greedy equal-count cuts between distinct values: a value never straddles two bins.
            var remaining = v.count, binsLeft = maxBins, acc = 0
            for k in 0..<(distinct.count - 1) {
                acc += counts[k]
                let target = Double(remaining) / Double(binsLeft)
                // Cut when this bin is full enough, or when the rest would not fit one per bin.
                if Double(acc) >= target || distinct.count - 1 - k <= binsLeft - 1 {
                    bounds.append(midpoint(distinct[k], distinct[k + 1]))
                    remaining -= acc
                    acc = 0
                    binsLeft -= 1
                    if binsLeft == 1 { break }
                }
            }
        }
        bounds.append(.infinity)
        return BinMapper(kind: .numeric, upperBounds: bounds, categories: [], isAllMissing: false)
    }

    /// Categorical bins: one per distinct non-negative integer code.
    /// - Throws: `TreeModelsError.invalidFeature` for non-integer/negative codes or > 254 levels.
    public static func categorical(values: [Double], feature: Int) throws -> BinMapper {
        var seen = Set<Int>()
        for (i, x) in values.enumerated() where !x.isNaN {
            guard x >= 0, x < 1e9, x == x.rounded() else {
                throw TreeModelsError(code: .invalidFeature, message: "categorical feature \(feature): row \(i) holds \(x), expected an integer code >= 0 or NaN")
            }
            seen.insert(Int(x))
        }
        guard seen.count <= 254 else {
            throw TreeModelsError(code: .invalidFeature, message: "categorical feature \(feature) has \(seen.count) levels, at most 254 are supported")
        }
        return BinMapper(kind: .categorical, upperBounds: [], categories: seen.sorted(), isAllMissing: seen.isEmpty)
    }

    /// Midpoint of two ordered values that stays strictly below `b` (so `a` bins left, `b` right).
    static func midpoint(_ a: Double, _ b: Double) -> Double {
        let m = a + (b - a) / 2
        if m.isFinite && m >= a && m < b { return m }
        return a   // adjacent doubles or overflow: `x <= a` separates them exactly
    }
}
