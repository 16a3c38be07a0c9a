import Foundation
import Testing
import Tabular
@testable import Parquet

/// The Python environment for cross-checks: `.venv-interop/` at the package root with pyarrow,
/// polars and DuckDB at pinned versions. Created (once) when missing; when that fails, the
/// reason is printed and the cross-checks are skipped.
enum InteropEnvironment {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let requirements = ["pyarrow==26.0.1", "polars==2.1.0", "duckdb==2.0.0"]

    /// The venv's python, or nil (with the reason printed) when it cannot be had.
    static let python: String? = {
        let venv = packageRoot + "/.venv-interop"
        let python = venv + "/bin/python"
        if run(python, ["-c", "import pyarrow, polars, duckdb"]).status == 0 { return python }
        if !FileManager.default.fileExists(atPath: python) {
            let created = run("/usr/bin/env", ["python3", "-m", "venv", venv])
            guard created.status == 0 else {
                print("parquet interop: cannot create \(venv) (skipping pyarrow/polars/DuckDB cross-checks): \(created.output)")
                return nil
            }
        }
        print("parquet interop: installing \(requirements.joined(separator: " ")) into \(venv)")
        let pip = run(venv + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check"] + requirements)
        guard pip.status == 0, run(python, ["-c", "import pyarrow, polars, duckdb"]).status == 0 else {
            print("parquet interop: pip install failed (skipping pyarrow/polars/DuckDB cross-checks): \(pip.output.suffix(2000))")
            return nil
        }
        return python
    }()

    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The table as JSON for the check script: numbers (NaN → null, ±inf → "inf"/"-inf"), strings.
func expectedJSON(_ table: Table) -> String {
    func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
    let columns = table.columns.map { c -> String in
        let values: [String]
        switch c.data {
        case .numeric(let v):
            values = v.map { $0.isNaN ? "null" : $0.isInfinite ? ($0 > 0 ? "\"inf\"" : "\"-inf\"") : "\($0)" }
        case .categorical(let codes, let levels):
            values = codes.map { $0 < 0 ? "null" : string(levels[Int($0)]) }
        }
        return "{\"name\":\(string(c.name)),\"kind\":\"\(c.kind.rawValue)\",\"values\":[\(values.joined(separator: ","))]}"
    }
    return "{\"columns\":[\(columns.joined(separator: ","))]}"
}

@Suite struct InteropTests {
    /// Files Plumb writes read back identically in pyarrow, polars and DuckDB (statistics too).
    @Test func peersReadWhatPlumbWrites() throws {
        guard let python = InteropEnvironment.python else { return }
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rng = TestRNG(seed: 99)
        var paths: [String] = []
        let cases: [(ParquetWriter.Compression, Int?, Int, Int)] = [
            (.snappy, nil, 1 << 20, 2000), (.zstd(level: 3), 700, 512, 2000), (.none, 50, 256, 333), (.snappy, nil, 1 << 20, 0),
        ]
        for (k, (compression, groupRows, pageBytes, rows)) in cases.enumerated() {
            let table = randomTable(&rng, rows: rows, columns: 8)
            let path = folder + "/plumb-\(k).parquet"
            try ParquetWriter.write(table, to: path, options: .init(compression: compression, rowGroupRows: groupRows, dataPageBytes: pageBytes))
            try expectedJSON(table).write(toFile: path + ".json", atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let script = InteropEnvironment.packageRoot + "/scripts/parquet-interop-check.py"
        let result = InteropEnvironment.run(python, [script] + paths)
        #expect(result.status == 0, "\(result.output)")
    }
}
