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
    /// Summarises every column of `table` and correlates its numeric columns.
    /// - Complexity: O(rows · k²) for k numeric columns plus a sort per numeric column.
    public static func summarize(_ table: Table) -> TableSummary {
        var numeric: [TableSummary.NumericStats] = []
        var categorical: [TableSummary.CategoricalStats] = []
        var numericColumns: [(String, [Double])] = []
        for column in table.columns {
            switch column.data {
            case .numeric(let v):
                numeric.append(numericStats(name: column.name, v))
                numericColumns.append((column.name, v))
            case .categorical(let codes, let levels):
                categorical.append(categoricalStats(name: column.name, codes: codes, levels: levels))
            }
        }
        let k = numericColumns.count
        var corr = [Double](repeating: .nan, count: k * k)
        for i in 0..<k {
            for j in i..<k {
                let r = pearson(numericColumns[i].1, numericColumns[j].1)
                corr[i * k + j] = r
                corr[j * k + i] = r
            }
        }
        return TableSummary(rowCount: table.rowCount, numeric: numeric, categorical: categorical,
                            correlationColumns: numericColumns.map(\.0), correlation: corr)
    }

    /// Quantile `q` ∈ [0, 1] of ascending `sorted` by linear interpolation (numpy "linear").
    /// `quantile(sorted: values.sorted(), q)` without sorting: the two order statistics it needs
    /// come from a selection (expected O(n)). `values` must hold no NaN; their order is changed.
    public static func quantile(selecting values: inout [Double], _ q: Double) -> Double {
        let n = values.count
        guard n > 0 else { return .nan }
        let h = Double(n - 1) * q
        let lo = Int(h.rounded(.down))
        let frac = h - Double(lo)
        return values.withUnsafeMutableBufferPointer { v -> Double in
            select(v, lo)
            let a = v[lo]
            if frac == 0 || lo + 1 >= n { return a }
            // The next order statistic is the smallest value right of position lo.
            var b = v[lo + 1]
            for i in (lo + 2)..<n where v[i] < b { b = v[i] }
            return a + frac * (b - a)
        }
    }

    /// Reorders `v` so that `v[k]` is the k-th smallest, everything left of it ≤ and right of it ≥
    /// (Hoare partitions around a median-of-three pivot; sorts the rest past a depth limit).
    static func select(_ v: UnsafeMutableBufferPointer<Double>, _ k: Int) {
        var lo = 0, hi = v.count - 1, depth = 0
        while hi > lo {
            if hi - lo < 16 || depth > 64 {
                var tail = UnsafeMutableBufferPointer(rebasing: v[lo...hi])
                tail.sort()
                return
            }
            depth += 1
            let mid = lo + (hi - lo) / 2
            if v[mid] < v[lo] { v.swapAt(mid, lo) }
            if v[hi] < v[lo] { v.swapAt(hi, lo) }
            if v[hi] < v[mid] { v.swapAt(hi, mid) }
            let pivot = v[mid]
            var i = lo, j = hi
            while i <= j {
                while v[i] < pivot { i += 1 }
                while pivot < v[j] { j -= 1 }
                if i <= j { v.swapAt(i, j); i += 1; j -= 1 }
            }
            // [lo, j] ≤ pivot ≤ [i, hi]; positions between j and i hold the pivot value.
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }

    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = Swift.min(lo + 1, sorted.count - 1)
        let frac = h - Double(lo)
        if frac == 0 { return sorted[lo] }
        return sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }

    static func numericStats(name: String, _ v: [Double]) -> TableSummary.NumericStats {
        let present = v.filter { !$0.isNaN }
        let n = present.count
        var sum = 0.0
        for x in present { sum += x }
        let mean = n > 0 ? sum / Double(n) : .nan
        var ss = 0.0
        for x in present { ss += (x - mean) * (x - mean) }
        let std = n > 1 ? (ss / Double(n - 1)).squareRoot() : .nan
        let sorted = present.sorted()
        return TableSummary.NumericStats(
            name: name, count: n, missing: v.count - n, mean: mean, std: std,
            min: sorted.first ?? .nan, q25: quantile(sorted: sorted, 0.25), median: quantile(sorted: sorted, 0.5),
            q75: quantile(sorted: sorted, 0.75), max: sorted.last ?? .nan)
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

    /// Pearson correlation over rows where both values are present (two-pass, centred).
    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var n = 0
        var sa = 0.0
        var sb = 0.0
        for i in 0..<a.count where !a[i].isNaN && !b[i].isNaN {
            n += 1; sa += a[i]; sb += b[i]
        }
        guard n >= 2 else { return .nan }
        let ma = sa / Double(n)
        let mb = sb / Double(n)
        var sab = 0.0
        var saa = 0.0
        var sbb = 0.0
        for i in 0..<a.count where !a[i].isNaN && !b[i].isNaN {
            let da = a[i] - ma
            let db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return .nan }
        let r = sab / (saa * sbb).squareRoot()
        return Swift.max(-1, Swift.min(1, r))
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
