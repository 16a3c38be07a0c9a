import Foundation

/// Summary statistics of a table, as pandas `describe()` / `value_counts()` / `corr()` give them.
/// Undefined statistics are NaN (e.g. std of one value): encode with a `JSONEncoder` whose
/// `nonConformingFloatEncodingStrategy` is `.convertToString(...)` when that can happen.
public struct TableSummary: Codable, Sendable, Equatable {
    /// Statistics of one numeric column over its non-missing values (NaN when undefined).
    public struct NumericStats: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
        public var missing: Int
        public var mean: Double
        /// Sample standard deviation (ddof = 1).
        public var std: Double
        public var min: Double
        /// 25 %, 50 %, 75 % quantiles, linear interpolation (pandas / numpy default).
        public var q25: Double
        public var median: Double
        public var q75: Double
        public var max: Double
    }

    /// Statistics of one categorical column.
    public struct CategoricalStats: Codable, Sendable, Equatable {
        public struct LevelCount: Codable, Sendable, Equatable {
            public var level: String
            public var count: Int
        }
        public var name: String
        public var count: Int
        public var missing: Int
        /// Levels that occur at least once.
        public var unique: Int
        /// Most frequent level (ties: the level that sorts first); nil when all values are missing.
        public var top: String?
        public var freq: Int
        /// Occurring levels by count, descending (ties by level text).
        public var levels: [LevelCount]
    }

    public var rowCount: Int
    public var numeric: [NumericStats]
    public var categorical: [CategoricalStats]
    /// Names of the numeric columns, in table order: the axes of `correlation`.
    public var correlationColumns: [String]
    /// Pearson correlation, row-major `k × k` over pairwise complete observations (NaN when a
    /// pair has fewer than 2 observations or zero variance), as pandas `DataFrame.corr()`.
    public var correlation: [Double]

    /// Correlation between numeric columns `a` and `b` (by name), or nil if either is unknown.
    public func correlation(_ a: String, _ b: String) -> Double? {
        guard let i = correlationColumns.firstIndex(of: a), let j = correlationColumns.firstIndex(of: b) else { return nil }
        return correlation[i * correlationColumns.count + j]
    }
}

/// Computes `TableSummary`s.
public enum Describe {
    /// Summarises every column of `table` and correlates its numeric columns: column statistics
    /// in parallel over the columns, then the correlation matrix (see `correlationMatrix`).
    /// - Complexity: O(rows · k²) for k numeric columns; quantiles by selection, O(rows) each.
    public static func summarize(_ table: Table) -> TableSummary {
        let numericColumns = table.columns.compactMap { c in c.numericValues.map { (name: c.name, values: $0) } }
        let columnStats = Parallel.map(numericColumns.count) { c in
            numericStats(name: numericColumns[c].name, numericColumns[c].values)
        }
        var categorical: [TableSummary.CategoricalStats] = []
        for column in table.columns {
            if case .categorical(let codes, let levels) = column.data {
                categorical.append(categoricalStats(name: column.name, codes: codes, levels: levels))
            }
        }
        let corr = correlationMatrix(numericColumns.map(\.values), moments: columnStats.map(\.moments))
        return TableSummary(rowCount: table.rowCount, numeric: columnStats.map(\.stats), categorical: categorical,
                            correlationColumns: numericColumns.map(\.name), correlation: corr)
    }

    /// Quantile `q` ∈ [0, 1] of the non-NaN `values` (numpy "linear"), found by selection:
    /// equal to `quantile(sorted: values.filter { !$0.isNaN }.sorted(), q)`.
    public static func quantile(of values: [Double], _ q: Double) -> Double {
        values.withUnsafeBufferPointer { v in
            let m = moments(v)
            return m.count > 0 ? quantiles(v, [q], moments: m)[0] : .nan
        }
    }

    /// Quantile `q` ∈ [0, 1] of ascending `sorted` by linear interpolation, exactly as numpy's
    /// default ("linear", Hyndman–Fan 7, with numpy's two-sided interpolation formula).
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let p = QuantilePosition(count: sorted.count, q)
        return p.interpolate(sorted[p.below], sorted[p.above])
    }

    /// Where quantile `q` of `count` ascending values lies: between positions `below` and
    /// `above` (equal at the top), a fraction `gamma` of the way (numpy: `(count − 1) · q`).
    struct QuantilePosition {
        let below: Int
        let above: Int
        let gamma: Double

        init(count: Int, _ q: Double) {
            let h = Double(count - 1) * q
            below = Swift.min(Swift.max(Int(h.rounded(.down)), 0), count - 1)
            above = Swift.min(below + 1, count - 1)
            gamma = h - Double(below)
        }

        /// numpy's `_lerp`: from the nearer end, so gamma = 1 gives exactly `b`.
        func interpolate(_ a: Double, _ b: Double) -> Double {
            let diff = b - a
            return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
        }
    }

    /// Quantiles `qs` of the non-NaN `v`, whose `moments` are given (count > 0).
    static func quantiles(_ v: UnsafeBufferPointer<Double>, _ qs: [Double], moments m: Moments) -> [Double] {
        let positions = qs.map { QuantilePosition(count: m.count, $0) }
        let ranks = positions.flatMap { [$0.below, $0.above] }
        let x = orderStatistics(v, ranks: ranks, count: m.count, min: m.min, max: m.max)
        return positions.indices.map { positions[$0].interpolate(x[2 * $0], x[2 * $0 + 1]) }
    }

    /// A numeric column's statistics, and its moments for the correlation step.
    static func numericStats(name: String, _ v: [Double]) -> (stats: TableSummary.NumericStats, moments: Moments) {
        v.withUnsafeBufferPointer { p in
            let m = moments(p)
            let n = m.count
            let std = n > 1 ? (centredSumOfSquares(p, mean: m.mean) / Double(n - 1)).squareRoot() : .nan
            let q = n > 0 ? quantiles(p, [0.25, 0.5, 0.75], moments: m) : [.nan, .nan, .nan]
            let stats = TableSummary.NumericStats(
                name: name, count: n, missing: v.count - n, mean: m.mean, std: std,
                min: n > 0 ? m.min : .nan, q25: q[0], median: q[1], q75: q[2], max: n > 0 ? m.max : .nan)
            return (stats, m)
        }
    }

    static func categoricalStats(name: String, codes: [Int32], levels: [String]) -> TableSummary.CategoricalStats {
        var counts = [Int](repeating: 0, count: levels.count)
        var missing = 0
        for c in codes {
            if c < 0 || Int(c) >= levels.count { missing += 1 } else { counts[Int(c)] += 1 }
        }
        let occurring = levels.indices.filter { counts[$0] > 0 }
            .map { TableSummary.CategoricalStats.LevelCount(level: levels[$0], count: counts[$0]) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.level < $1.level }
        return TableSummary.CategoricalStats(
            name: name, count: codes.count - missing, missing: missing, unique: occurring.count,
            top: occurring.first?.level, freq: occurring.first?.count ?? 0, levels: occurring)
    }
}

extension TableSummary {
    /// Aligned text tables like pandas: `describe()` for numeric columns (statistics as rows,
    /// columns as columns), then one block per categorical column, then the correlation matrix.
    public func render(maxLevels: Int = 10) -> String {
        var out = ""
        if !numeric.isEmpty {
            let rows: [(String, (NumericStats) -> String)] = [
                ("count", { String($0.count) }), ("missing", { String($0.missing) }),
                ("mean", { fmt($0.mean) }), ("std", { fmt($0.std) }), ("min", { fmt($0.min) }),
                ("25%", { fmt($0.q25) }), ("50%", { fmt($0.median) }), ("75%", { fmt($0.q75) }), ("max", { fmt($0.max) }),
            ]
            var grid: [[String]] = [[""] + numeric.map(\.name)]
            for (label, f) in rows { grid.append([label] + numeric.map(f)) }
            out += align(grid)
        }
        for c in categorical {
            if !out.isEmpty { out += "\n" }
            var grid: [[String]] = [[c.name, "count"]]
            for l in c.levels.prefix(maxLevels) { grid.append([l.level, String(l.count)]) }
            if c.levels.count > maxLevels { grid.append(["… \(c.levels.count - maxLevels) more", ""]) }
            if c.missing > 0 { grid.append(["(missing)", String(c.missing)]) }
            out += align(grid)
            out += "count \(c.count)  unique \(c.unique)  top \(c.top ?? "-")  freq \(c.freq)\n"
        }
        if correlationColumns.count > 1 {
            if !out.isEmpty { out += "\n" }
            let k = correlationColumns.count
            var grid: [[String]] = [["corr"] + correlationColumns]
            for i in 0..<k {
                grid.append([correlationColumns[i]] + (0..<k).map { String(format: "%.3f", correlation[i * k + $0]) })
            }
            out += align(grid)
        }
        return out
    }

    private func fmt(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x != 0 && (abs(x) >= 1e7 || abs(x) < 1e-4) { return String(format: "%.6e", x) }
        return String(format: "%.6f", x)
    }

    /// First column left-aligned, the others right-aligned, two spaces apart.
    private func align(_ grid: [[String]]) -> String {
        let cols = grid.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: cols)
        for row in grid { for (j, cell) in row.enumerated() { widths[j] = Swift.max(widths[j], cell.count) } }
        var out = ""
        for row in grid {
            var line = ""
            for (j, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[j] - cell.count)
                line += j == 0 ? cell + pad : "  " + pad + cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
