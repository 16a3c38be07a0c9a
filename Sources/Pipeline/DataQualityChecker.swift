import Foundation
import Tabular

/// One data-quality check on one column (or the whole table when `column` is nil).
public struct DataQualityCheck: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable {
        /// A failed error check fails the report.
        case error
        /// A failed warning check is reported but does not fail the report.
        case warning
    }

    /// Check name: `missing_rate`, `duplicate_rate`, `range`, `categories`, `target`, `constant`, `column_present`.
    public var name: String
    public var column: String?
    public var passed: Bool
    public var severity: Severity
    /// The measured value (a rate, or a count of offending values / levels / rows).
    public var observed: Double
    /// The limit `observed` was compared with.
    public var limit: Double
    /// What was found, in words.
    public var message: String
    /// First few offending data rows, 1-based (row 1 = the first row below a CSV header).
    public var rows: [Int]
    /// Unexpected category levels with their counts (categories check only).
    public var unexpected: [String: Int]

    public init(name: String, column: String?, passed: Bool, severity: Severity = .error, observed: Double, limit: Double,
                message: String, rows: [Int] = [], unexpected: [String: Int] = [:]) {
        self.name = name
        self.column = column
        self.passed = passed
        self.severity = severity
        self.observed = observed
        self.limit = limit
        self.message = message
        self.rows = rows
        self.unexpected = unexpected
    }
}

/// The outcome of `DataQualityChecker.check`: every check, in a fixed order (table-wide checks,
/// then the target, then per column in table order).
public struct DataQualityReport: Codable, Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var checks: [DataQualityCheck]

    /// True when no error-severity check failed (warnings do not count).
    public var passed: Bool { failures.isEmpty }
    /// Failed error-severity checks.
    public var failures: [DataQualityCheck] { checks.filter { !$0.passed && $0.severity == .error } }
    /// Failed warning-severity checks.
    public var warnings: [DataQualityCheck] { checks.filter { !$0.passed && $0.severity == .warning } }

    /// An aligned text table: status, check, column, observed, limit, message; then a summary line.
    public func render() -> String {
        let header = ["STATUS", "CHECK", "COLUMN", "OBSERVED", "LIMIT", "MESSAGE"]
        var lines: [[String]] = [header]
        for c in checks {
            let status = c.passed ? "ok" : (c.severity == .error ? "FAIL" : "warn")
            lines.append([status, c.name, c.column ?? "-", DataQualityReport.figure(c.observed), DataQualityReport.figure(c.limit), c.message])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for l in lines { for (i, s) in l.enumerated() { widths[i] = max(widths[i], s.count) } }
        var out = lines.map { l in
            l.enumerated().map { i, s in
                i == l.count - 1 ? s : s + String(repeating: " ", count: widths[i] - s.count)
            }.joined(separator: "  ")
        }
        let f = failures.count, w = warnings.count
        out.append("\(passed ? "passed" : "FAILED"): \(rows) rows, \(columns) columns, \(checks.count) checks, \(f) failed, \(w) warning\(w == 1 ? "" : "s")")
        return out.joined(separator: "\n") + "\n"
    }

    static func figure(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.6g", x)
    }
}

/// Data-quality validation of a table against a spec's `validation` section.
public enum DataQualityChecker {
    /// How many offending rows a check lists.
    public static let shownRows = 5

    /// Runs every check: duplicate-row rate; target present, numeric and finite; per column the
    /// missing rate (target excluded: it has its own check), declared ranges, allowed categories,
    /// and a constant-column warning (only emitted for constant columns). A column named in
    /// `ranges` or `allowedCategories` that the table lacks fails `column_present`.
    /// - Complexity: O(rows × columns) time, O(rows) extra memory.
    public static func check(table: Table, spec: PipelineSpec.Validation, target: String) -> DataQualityReport {
        var checks: [DataQualityCheck] = []
        let n = table.rowCount

        // Duplicate rows.
        let dupRows = duplicateRows(table)
        let dupRate = n > 0 ? Double(dupRows.count) / Double(n) : 0
        checks.append(DataQualityCheck(
            name: "duplicate_rate", column: nil, passed: dupRate <= spec.maxDuplicateRate,
            observed: dupRate, limit: spec.maxDuplicateRate,
            message: dupRows.isEmpty ? "no duplicate rows"
                : "\(dupRows.count) row(s) repeat an earlier row exactly (\(percent(dupRate))); first: data rows \(list(dupRows))",
            rows: Array(dupRows.prefix(shownRows))))

        // Target.
        if let col = table.column(named: target) {
            if let y = col.numericValues {
                let bad = y.indices.filter { !y[$0].isFinite }
                checks.append(DataQualityCheck(
                    name: "target", column: target, passed: bad.isEmpty, observed: Double(bad.count), limit: 0,
                    message: bad.isEmpty ? "numeric, every value present and finite"
                        : "\(bad.count) missing or non-finite value(s); first: data rows \(list(bad.map { $0 + 1 }))",
                    rows: bad.prefix(shownRows).map { $0 + 1 }))
            } else if case .categorical(let codes, let levels) = col.data {
                // Class labels: every row needs one (a classifier's target).
                let bad = codes.indices.filter { codes[$0] < 0 }
                checks.append(DataQualityCheck(
                    name: "target", column: target, passed: bad.isEmpty, observed: Double(bad.count), limit: 0,
                    message: bad.isEmpty ? "class labels (\(levels.count) classes), every value present"
                        : "\(bad.count) missing label(s); first: data rows \(list(bad.map { $0 + 1 }))",
                    rows: bad.prefix(shownRows).map { $0 + 1 }))
            }
        } else {
            checks.append(DataQualityCheck(name: "target", column: target, passed: false, observed: 1, limit: 0,
                                           message: "no column \"\(target)\" (columns: \(table.columnNames.joined(separator: ", ")))"))
        }

        for name in (Array(spec.ranges.keys) + Array(spec.allowedCategories.keys)).sorted() where table.column(named: name) == nil {
            if checks.contains(where: { $0.name == "column_present" && $0.column == name }) { continue }
            checks.append(DataQualityCheck(name: "column_present", column: name, passed: false, observed: 0, limit: 1,
                                           message: "validation names column \"\(name)\" but the table has no such column"))
        }

        for col in table.columns {
            if col.name != target {
                let missing = col.missingCount
                let rate = n > 0 ? Double(missing) / Double(n) : 0
                checks.append(DataQualityCheck(
                    name: "missing_rate", column: col.name, passed: rate <= spec.maxMissingRate,
                    observed: rate, limit: spec.maxMissingRate,
                    message: "\(missing) of \(n) missing (\(percent(rate)))"))
            }
            if let range = spec.ranges[col.name] {
                checks.append(rangeCheck(col, range))
            }
            if let allowed = spec.allowedCategories[col.name] {
                checks.append(categoryCheck(col, allowed))
            }
            if n > 1, let distinct = distinctPresentValues(col, stopAfter: 2), distinct <= 1 {
                checks.append(DataQualityCheck(
                    name: "constant", column: col.name, passed: false, severity: .warning,
                    observed: Double(distinct), limit: 2,
                    message: distinct == 0 ? "every value is missing" : "a single distinct value: the column carries no information"))
            }
        }
        return DataQualityReport(rows: n, columns: table.columns.count, checks: checks)
    }

    static func rangeCheck(_ col: Column, _ range: PipelineSpec.ValueRange) -> DataQualityCheck {
        let bounds = "[\(DataQualityReport.figure(range.min)), \(DataQualityReport.figure(range.max))]"
        guard let v = col.numericValues else {
            return DataQualityCheck(name: "range", column: col.name, passed: false, observed: 1, limit: 0,
                                    message: "a range \(bounds) is declared but the column is categorical")
        }
        var bad: [Int] = []
        var count = 0
        var lo = Double.infinity, hi = -Double.infinity
        for (i, x) in v.enumerated() where !x.isNaN {
            lo = min(lo, x)
            hi = max(hi, x)
            if x < range.min || x > range.max {
                count += 1
                if bad.count < shownRows { bad.append(i + 1) }
            }
        }
        let seen = lo <= hi ? "observed [\(DataQualityReport.figure(lo)), \(DataQualityReport.figure(hi))]" : "no values present"
        return DataQualityCheck(
            name: "range", column: col.name, passed: count == 0, observed: Double(count), limit: 0,
            message: count == 0 ? "all values in \(bounds) (\(seen))"
                : "\(count) value(s) outside \(bounds) (\(seen)); first: data rows \(bad.map(String.init).joined(separator: ", "))",
            rows: bad)
    }

    static func categoryCheck(_ col: Column, _ allowed: [String]) -> DataQualityCheck {
        guard case .categorical(let codes, let levels) = col.data else {
            return DataQualityCheck(name: "categories", column: col.name, passed: false, observed: 1, limit: 0,
                                    message: "allowed categories are declared but the column is numeric")
        }
        var counts = [Int](repeating: 0, count: levels.count)
        for c in codes where c >= 0 { counts[Int(c)] += 1 }
        let allowedSet = Set(allowed)
        var unexpected: [String: Int] = [:]
        for (i, level) in levels.enumerated() where counts[i] > 0 && !allowedSet.contains(level) {
            unexpected[level] = counts[i]
        }
        var rows: [Int] = []
        if !unexpected.isEmpty {
            for (i, c) in codes.enumerated() where c >= 0 && unexpected[levels[Int(c)]] != nil {
                rows.append(i + 1)
                if rows.count == shownRows { break }
            }
        }
        let listed = unexpected.sorted { $0.key < $1.key }.map { "\"\($0.key)\" ×\($0.value)" }.joined(separator: ", ")
        return DataQualityCheck(
            name: "categories", column: col.name, passed: unexpected.isEmpty, observed: Double(unexpected.count), limit: 0,
            message: unexpected.isEmpty ? "every level is allowed"
                : "\(unexpected.count) unexpected level(s): \(listed); first: data rows \(rows.map(String.init).joined(separator: ", "))",
            rows: rows, unexpected: unexpected)
    }

    /// Number of distinct present values, counting no further than `stopAfter`.
    static func distinctPresentValues(_ col: Column, stopAfter: Int) -> Int? {
        switch col.data {
        case .numeric(let v):
            var first: Double?
            for x in v where !x.isNaN {
                guard let f = first else { first = x; continue }
                if x != f { return stopAfter }
            }
            return first == nil ? 0 : 1
        case .categorical(let codes, _):
            var first: Int32?
            for c in codes where c >= 0 {
                guard let f = first else { first = c; continue }
                if c != f { return stopAfter }
            }
            return first == nil ? 0 : 1
        }
    }

    /// 1-based data rows that exactly repeat an earlier row (every column equal; missing equals
    /// missing; 0.0 equals -0.0), in row order.
    /// - Complexity: O(rows × columns): a 64-bit hash per row, built column by column, then
    ///   exact comparison only within equal hashes.
    public static func duplicateRows(_ table: Table) -> [Int] {
        let n = table.rowCount
        guard n > 1 else { return [] }
        var hashes = [UInt64](repeating: 0xcbf2_9ce4_8422_2325, count: n)
        for col in table.columns {
            switch col.data {
            case .numeric(let v):
                for i in 0..<n { hashes[i] = mix(hashes[i], canonicalBits(v[i])) }
            case .categorical(let codes, _):
                for i in 0..<n { hashes[i] = mix(hashes[i], UInt64(bitPattern: Int64(codes[i]))) }
            }
        }
        var firstRows: [UInt64: [Int]] = [:]
        firstRows.reserveCapacity(n)
        var duplicates: [Int] = []
        for i in 0..<n {
            if let candidates = firstRows[hashes[i]] {
                if candidates.contains(where: { rowsEqual(table, $0, i) }) {
                    duplicates.append(i + 1)
                    continue
                }
                firstRows[hashes[i]] = candidates + [i]
            } else {
                firstRows[hashes[i]] = [i]
            }
        }
        return duplicates
    }

    /// The obviously-correct twin of `duplicateRows`: compares every row with every earlier one.
    /// - Complexity: O(rows² × columns); for tests.
    public static func duplicateRowsNaive(_ table: Table) -> [Int] {
        var out: [Int] = []
        for i in 0..<table.rowCount where (0..<i).contains(where: { rowsEqual(table, $0, i) }) { out.append(i + 1) }
        return out
    }

    static func rowsEqual(_ table: Table, _ a: Int, _ b: Int) -> Bool {
        for col in table.columns {
            switch col.data {
            case .numeric(let v):
                if canonicalBits(v[a]) != canonicalBits(v[b]) { return false }
            case .categorical(let codes, _):
                if codes[a] != codes[b] { return false }
            }
        }
        return true
    }

    /// Bit pattern with every NaN made one value and -0.0 made 0.0, so equal-looking cells hash equal.
    static func canonicalBits(_ x: Double) -> UInt64 {
        if x.isNaN { return 0x7ff8_0000_0000_0000 }
        if x == 0 { return 0 }
        return x.bitPattern
    }

    /// One round of a 64-bit multiply-xorshift mix (splitmix64 finaliser over h ^ v).
    static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var z = (h ^ v) &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    static func percent(_ rate: Double) -> String { String(format: "%.2f%%", rate * 100) }

    static func list(_ rows: [Int]) -> String {
        rows.prefix(shownRows).map(String.init).joined(separator: ", ") + (rows.count > shownRows ? ", …" : "")
    }
}
