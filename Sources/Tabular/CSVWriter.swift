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
        out.reserveCapacity(table.rowCount * table.columns.count * 10 + 64)
        if header {
            for (k, c) in table.columns.enumerated() {
                if k > 0 { out.append(delimiter) }
                appendText(c.name, to: &out, delimiter: delimiter)
            }
            out.append(10)
        }
        let single = table.columns.count == 1
        for r in 0..<table.rowCount {
            for (k, c) in table.columns.enumerated() {
                if k > 0 { out.append(delimiter) }
                switch c.data {
                case .numeric(let v):
                    let x = v[r]
                    if x.isNaN {
                        if single { out.append(34); out.append(34) }
                    } else {
                        out.append(contentsOf: format(x).utf8)
                    }
                case .categorical(let codes, let levels):
                    let code = Int(codes[r])
                    if code < 0 || code >= levels.count {
                        if single { out.append(34); out.append(34) }
                    } else {
                        appendText(levels[code], to: &out, delimiter: delimiter)
                    }
                }
            }
            out.append(10)
        }
        return out
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
        if x == .infinity { return "inf" }
        if x == -.infinity { return "-inf" }
        let s = x.description
        if s.hasSuffix(".0") { return String(s.dropLast(2)) }
        return s
    }

    private static func appendText(_ s: String, to out: inout [UInt8], delimiter: UInt8) {
        let bytes = Array(s.utf8)
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
