/// Per-column fitted transforms. Each is `Codable` (JSON-friendly), fitted once on training data
/// and applied unchanged at training and serving time. Missing numbers are NaN; missing
/// categories are code -1.

/// How `Imputer` fills missing values.
public enum ImputeStrategy: String, Codable, Sendable, CaseIterable {
    /// Numeric: mean of the present values; categorical: most frequent level.
    case mean
    /// Numeric: median (linear interpolation) of the present values; categorical: most frequent level.
    case median
    /// Leave missing values alone: NaN stays NaN, a missing category one-hot encodes as zeros.
    case none
}

/// Standardisation `(x − mean) / scale` with scale = population std (ddof = 0, as
/// scikit-learn's `StandardScaler`); a zero or undefined std gives scale 1. NaN stays NaN.
public struct StandardScaler: Codable, Sendable, Equatable {
    public var mean: Double
    public var scale: Double

    public init(mean: Double, scale: Double) {
        self.mean = mean
        self.scale = scale
    }

    /// Fits on the non-missing values of `values`.
    public static func fit(_ values: [Double]) -> StandardScaler {
        var n = 0
        var sum = 0.0
        for x in values where !x.isNaN { n += 1; sum += x }
        guard n > 0 else { return StandardScaler(mean: 0, scale: 1) }
        let mean = sum / Double(n)
        var ss = 0.0
        for x in values where !x.isNaN { ss += (x - mean) * (x - mean) }
        let std = (ss / Double(n)).squareRoot()
        return StandardScaler(mean: mean, scale: std > 0 && std.isFinite ? std : 1)
    }

    @inlinable public func apply(_ x: Double) -> Double { (x - mean) / scale }

    /// Undoes `apply`.
    @inlinable public func inverse(_ z: Double) -> Double { z * scale + mean }
}

/// Clips numbers to `[lower, upper]`, bounds fitted as quantiles of the training values
/// (linear interpolation, as numpy). NaN stays NaN.
public struct QuantileClipper: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// Fits bounds at quantiles `range.lower` and `range.upper` of the non-missing values.
    public static func fit(_ values: [Double], range: ClipRange) -> QuantileClipper {
        let sorted = values.filter { !$0.isNaN }.sorted()
        return QuantileClipper(lower: Describe.quantile(sorted: sorted, range.lower),
                               upper: Describe.quantile(sorted: sorted, range.upper))
    }

    @inlinable public func apply(_ x: Double) -> Double {
        if x.isNaN { return x }
        return Swift.min(Swift.max(x, lower), upper)
    }
}

/// Quantile pair for `QuantileClipper`, e.g. (0.01, 0.99).
public struct ClipRange: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}

/// Fills missing values with a fitted constant: a number for numeric columns, a level text for
/// categorical ones (nil fill = leave missing).
public struct Imputer: Codable, Sendable, Equatable {
    public var number: Double?
    public var level: String?

    public init(number: Double? = nil, level: String? = nil) {
        self.number = number
        self.level = level
    }

    /// Fits on the non-missing `values`; nil fill when there are none or strategy is `.none`.
    public static func fit(numeric values: [Double], strategy: ImputeStrategy) -> Imputer {
        guard values.contains(where: { !$0.isNaN }) else { return Imputer() }
        switch strategy {
        case .none:
            return Imputer()
        case .mean:
            var sum = 0.0, count = 0
            for v in values where !v.isNaN { sum += v; count += 1 }
            return Imputer(number: sum / Double(count))
        case .median:
            return Imputer(number: Describe.quantile(of: values, 0.5))   // NaNs are skipped
        }
    }

    /// Fits the most frequent level (ties: the level text that sorts first).
    public static func fit(codes: [Int32], levels: [String], strategy: ImputeStrategy) -> Imputer {
        fit(levelCounts: LevelCounts(codes: codes, levels: levels), strategy: strategy)
    }

    /// The same from counts of each level's rows.
    public static func fit(levelCounts counts: LevelCounts, strategy: ImputeStrategy) -> Imputer {
        guard strategy != .none else { return Imputer() }
        var best: (level: String, count: Int)?
        for (level, count) in counts.counts where count > 0 {
            if let b = best {
                if count > b.count || (count == b.count && level < b.level) { best = (level, count) }
            } else {
                best = (level, count)
            }
        }
        return Imputer(level: best?.level)
    }

    @inlinable public func apply(_ x: Double) -> Double {
        if x.isNaN, let number { return number }
        return x
    }
}

/// One column per fitted level (1 where the value is that level); an unseen or missing value
/// encodes as all zeros. Levels are matched by text, so the table being transformed may list
/// its levels in any order.
public struct OneHotEncoder: Codable, Sendable, Equatable {
    /// Levels seen at fit time, sorted.
    public var levels: [String]

    public init(levels: [String]) {
        self.levels = levels
    }

    /// Learns the levels that occur in `codes`.
    public static func fit(codes: [Int32], levels: [String]) -> OneHotEncoder {
        fit(levelCounts: LevelCounts(codes: codes, levels: levels))
    }

    /// Learns the levels that have rows.
    public static func fit(levelCounts: LevelCounts) -> OneHotEncoder {
        OneHotEncoder(levels: levelCounts.counts.filter { $0.value > 0 }.map(\.key).sorted())
    }

    /// Maps each of `tableLevels` to its fitted index, or -1 when unseen.
    public func indexMap(for tableLevels: [String]) -> [Int] {
        var index: [String: Int] = [:]
        for (i, l) in levels.enumerated() { index[l] = i }
        return tableLevels.map { index[$0] ?? -1 }
    }
}

/// How many rows hold each level of a categorical column (missing values not counted), added
/// up over any number of tables: what the categorical steps are fitted on.
public struct LevelCounts: Sendable, Equatable {
    public private(set) var counts: [String: Int] = [:]

    public init() {}

    public init(codes: [Int32], levels: [String]) {
        add(codes: codes, levels: levels)
    }

    /// Counts the rows of `codes` (into `levels`; negative = missing).
    public mutating func add(codes: some Collection<Int32>, levels: [String]) {
        var perCode = [Int](repeating: 0, count: levels.count)
        for c in codes where c >= 0 && Int(c) < levels.count { perCode[Int(c)] += 1 }
        for (i, n) in perCode.enumerated() where n > 0 { counts[levels[i], default: 0] += n }
    }

    /// Whether any row holds a level.
    public var isEmpty: Bool { !counts.values.contains { $0 > 0 } }
}
