import ArgumentParser
import Foundation
import MLCore
import Pipeline
import Tabular

/// Exit codes, as documented in `plumb --help`.
enum Exit {
    static let runtimeFailure: Int32 = 1
    static let usage: Int32 = 64
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT), as shells report it.
    static let interrupted: Int32 = 130
}

/// Runs a command body, turning any runtime error into `error: …` on stderr and exit code 1.
/// Usage errors (`ValidationError`) keep ArgumentParser's handling: usage text and exit 64.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        throw reported(error)
    }
}

/// The error ArgumentParser should see: usage errors and exits pass through; anything else is
/// printed as `error: <message>` and becomes exit code 1.
func reported(_ error: any Error) -> any Error {
    switch error {
    case is ExitCode, is ValidationError, is CleanExit:
        return error
    default:
        printError("error: \(error)")
        return ExitCode(Exit.runtimeFailure)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Prints one JSON object on stdout (sorted keys, so output is stable).
func printJSON<T: Encodable>(_ value: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // print(), not FileHandle, so JSON and text lines share stdout's buffer and stay in order.
    print(String(decoding: try e.encode(value), as: UTF8.self))
}

/// Options shared by every command that reads a data file (CSV, Parquet file or folder, Arrow
/// IPC); the CSV options apply to CSV files.
struct CSVInputOptions: ParsableArguments {
    @Option(help: "Field delimiter (one character; use '\\t' for tab).")
    var delimiter: String = ","

    @Option(name: .customLong("na"), help: "Extra token read as a missing value (repeatable).")
    var missingTokens: [String] = []

    @Option(name: .customLong("column-type"), help: ArgumentHelp("Force a column's type, e.g. --column-type zip=categorical (repeatable).", valueName: "NAME=numeric|categorical"))
    var columnTypes: [String] = []

    func validate() throws {
        _ = try csvOptions()
    }

    func csvOptions() throws -> CSVOptions {
        var o = CSVOptions()
        let d = delimiter == "\\t" ? "\t" : delimiter
        guard d.utf8.count == 1, let byte = d.utf8.first, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\n") else {
            throw ValidationError("--delimiter must be a single character other than a quote or newline, got \"\(delimiter)\"")
        }
        o.delimiter = byte
        o.missingTokens.formUnion(missingTokens)
        for spec in columnTypes {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let kind = ColumnKind(rawValue: parts[1]) else {
                throw ValidationError("--column-type expects NAME=numeric or NAME=categorical, got \"\(spec)\"")
            }
            o.schema[parts[0]] = kind
        }
        return o
    }

    func read(_ path: String) throws -> Table {
        try TableFile.read(path, csv: try csvOptions())
    }
}

/// Where the tracking store lives: `--store`, else `PLUMB_STORE`, else `.plumb/plumb.db`.
func defaultStorePath() -> String {
    if let s = ProcessInfo.processInfo.environment["PLUMB_STORE"], !s.isEmpty { return s }
    return ".plumb/plumb.db"
}

extension Double {
    /// Fixed-point text with `digits` decimals.
    func fixed(_ digits: Int) -> String { String(format: "%.\(digits)f", self) }
}

/// Thousands separators for counts shown to people.
func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}

/// Runs `body` so that the first Ctrl-C (or SIGTERM) cancels it — the pipeline stops at its next
/// step boundary and marks its run KILLED — and a second one exits at once. Exit code 130.
func interruptible<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    let interrupts = Locked(0)
    let handlers = SignalHandlers([SIGINT, SIGTERM]) { _ in
        let count = interrupts.withLock { n -> Int in n += 1; return n }
        if count == 1 {
            printError("interrupted: stopping at the next step boundary (press Ctrl-C again to quit now)")
            task.cancel()
        } else {
            Foundation.exit(Exit.interrupted)
        }
    }
    defer { handlers.cancel() }
    do {
        return try await task.value
    } catch is CancellationError {
        throw ExitCode(Exit.interrupted)
    }
}

/// Named numbers for `--json` output, where a value that is not finite (an undefined metric,
/// e.g. ROC AUC with one class present) is written `null`: JSON has no NaN.
struct NumberMap: Encodable {
    var values: [String: Double]

    init(_ values: [String: Double]) { self.values = values }

    subscript(key: String) -> Double? { values[key] }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values.mapValues { $0.isFinite ? $0 : nil })
    }
}
