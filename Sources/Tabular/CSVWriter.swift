import Foundation

/// Writes a `Table` as CSV that `CSVReader` reads back to an equal table.
///
/// Numbers use Swift's shortest round-trip form with a trailing `.0` removed (`5.0` → `5`,
/// `0.1` → `0.1`, `1e-05` stays); NaN (missing) is an empty field, ±infinity is `inf`/`-inf`.
/// Category texts and header names are quoted when they contain the delimiter, a quote, CR or
/// LF, or start/end with a space. A missing value in a one-column table is written `""` so the
/// line is not blank (blank lines are skipped by readers).
public enum CSVWriter {
    /// CSV bytes of `table`: header line (unless `header` is false: a later part of a file
    /// written in parts), then one LF-terminated line per row.
    public static func encode(_ table: Table, delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        if header {
            for (k, c) in table.columns.enumerated() {
                if k > 0 { out.append(delimiter) }
                appendText(Array(c.name.utf8), to: &out, delimiter: delimiter)
            }
            out.append(10)
        }
        let columns = table.columns.map { ColumnWriter($0, delimiter: delimiter, single: table.columns.count == 1) }
        // Rows in blocks, encoded on all cores and joined in order: the bytes do not depend on it.
        let blockRows = 16_384
        let blocks = (table.rowCount + blockRows - 1) / blockRows
        let parts = Parallel.map(blocks) { b in
            var part: [UInt8] = []
            part.reserveCapacity(blockRows * columns.count * 12)
            for r in (b * blockRows)..<min(table.rowCount, (b + 1) * blockRows) {
                for (k, c) in columns.enumerated() {
                    if k > 0 { part.append(delimiter) }
                    c.append(row: r, to: &part)
                }
                part.append(10)
            }
            return part
        }
        out.reserveCapacity(out.count + parts.reduce(0) { $0 + $1.count })
        for part in parts { out.append(contentsOf: part) }
        return out
    }

    /// One column's fields: numbers formatted, category texts quoted once per level.
    private struct ColumnWriter: Sendable {
        let data: ColumnData
        /// Each level's field bytes (quoted where needed), for a categorical column.
        let levelFields: [[UInt8]]
        /// What a missing value writes: `""` in a one-column table, else nothing.
        let missing: [UInt8]

        init(_ column: Column, delimiter: UInt8, single: Bool) {
            data = column.data
            missing = single ? [34, 34] : []
            if case .categorical(_, let levels) = column.data {
                levelFields = levels.map { level in
                    var field: [UInt8] = []
                    appendText(Array(level.utf8), to: &field, delimiter: delimiter)
                    return field
                }
            } else {
                levelFields = []
            }
        }

        func append(row r: Int, to out: inout [UInt8]) {
            switch data {
            case .numeric(let v):
                if v[r].isNaN { out.append(contentsOf: missing) } else { appendNumber(v[r], to: &out) }
            case .categorical(let codes, _):
                let code = Int(codes[r])
                out.append(contentsOf: code >= 0 && code < levelFields.count ? levelFields[code] : missing)
            }
        }
    }

    /// Writes `table` to `path` atomically (a temporary file in the same directory, then rename).
    /// - Throws: `TabularError` with code `.io` naming the path.
    public static func write(_ table: Table, to path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        let bytes = encode(table, delimiter: delimiter)
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        do {
            try Data(bytes).write(to: tmp)
            if rename(tmp.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: tmp)
                throw TabularError(code: .io, message: "\(path): cannot move written file into place (\(reason))")
            }
        } catch let e as TabularError {
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw TabularError(code: .io, message: "\(path): cannot write (\(error.localizedDescription))")
        }
    }

    /// Shortest round-trip text of a finite or infinite Double, without a trailing ".0".
    public static func format(_ x: Double) -> String {
        var bytes: [UInt8] = []
        appendNumber(x, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `format(x)`. Whole numbers below 2⁵³ in magnitude are written digit by digit:
    /// Swift's shortest form of such a number is exactly its integer digits followed by ".0"
    /// (a test compares the two), and this avoids building a String per value.
    public static func appendNumber(_ x: Double, to out: inout [UInt8]) {
        if x == .infinity { out.append(contentsOf: [105, 110, 102]); return }          // inf
        if x == -.infinity { out.append(contentsOf: [45, 105, 110, 102]); return }     // -inf
        if x.magnitude < 9_007_199_254_740_992, x == x.rounded(.towardZero) {
            if x.sign == .minus { out.append(45) }
            var n = UInt64(x.magnitude)
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 16 digits at most, backwards
            var count = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat {
                    d[count] = UInt8(48 + n % 10)
                    n /= 10
                    count += 1
                } while n > 0
                for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
            }
            return
        }
        var s = x.description
        s.withUTF8 { text in
            // Whole numbers from 2⁵³ to 10¹⁶ still print as "….0".
            let whole = text.count > 2 && text[text.count - 2] == 46 && text[text.count - 1] == 48
            out.append(contentsOf: whole ? UnsafeBufferPointer(rebasing: text.dropLast(2)) : text)
        }
    }

    private static func appendText(_ bytes: [UInt8], to out: inout [UInt8], delimiter: UInt8) {
        let needsQuotes = bytes.contains { $0 == delimiter || $0 == 34 || $0 == 10 || $0 == 13 }
            || bytes.first == 32 || bytes.last == 32 || bytes.first == 9 || bytes.last == 9
        if !needsQuotes { out.append(contentsOf: bytes); return }
        out.append(34)
        for b in bytes {
            if b == 34 { out.append(34) }
            out.append(b)
        }
        out.append(34)
    }
}
