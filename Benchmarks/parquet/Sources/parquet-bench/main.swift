import Foundation
import Parquet
import Tabular

/// parquet-bench read FILE [--repeat N]          times ParquetReader.read (one warm-up first)
/// parquet-bench write FILE OUT [--repeat N] [--codec snappy|zstd|none]
///                                               reads FILE once, times ParquetWriter.write to OUT
/// Prints one line per timed run: "<wall seconds> cpu <user + system seconds>".
let args = CommandLine.arguments
func option(_ name: String) -> String? {
    args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
}
let repeats = Int(option("--repeat") ?? "") ?? 5
guard args.count >= 3 else {
    print("usage: parquet-bench read FILE [--repeat N] | write FILE OUT [--repeat N] [--codec snappy|zstd|none]")
    exit(64)
}
/// CPU seconds (user + system) of the process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
/// Wall and CPU seconds of `body`.
func time(_ body: () throws -> Void) rethrows -> (Double, Double) {
    let cpu = cpuSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpuSeconds() - cpu)
}
do {
    switch args[1] {
    case "read":
        var checksum = 0.0
        let readFile: (String) throws -> Table = args[2].hasSuffix(".arrow") ? { try ArrowFileReader.read(path: $0) } : { try ParquetReader.read(path: $0) }
        let warm = try readFile(args[2])
        print("# \(warm.rowCount) rows x \(warm.columns.count) columns")
        for _ in 0 ..< repeats {
            let t = try time {
                let table = try readFile(args[2])
                if case .numeric(let v) = table.columns[0].data { checksum += v[v.count / 2] }
            }
            print(String(format: "%.4f cpu %.4f", t.0, t.1))
        }
        _ = checksum
    case "same":
        // Two files that should hold the same table (e.g. one table in two codecs).
        let a = try ParquetReader.read(path: args[2]), b = try ParquetReader.read(path: args[3])
        let same = a.columns.count == b.columns.count && zip(a.columns, b.columns).allSatisfy { x, y in
            switch (x.data, y.data) {
            case (.numeric(let u), .numeric(let v)): u.count == v.count && zip(u, v).allSatisfy { $0.bitPattern == $1.bitPattern }
            default: x.data == y.data
            }
        }
        print(same ? "same" : "DIFFERENT")
        exit(same ? 0 : 1)
    case "open":
        for _ in 0 ..< repeats {
            let t = try time { _ = try ParquetReader(path: args[2]) }
            print(String(format: "%.4f cpu %.4f", t.0, t.1))
        }
    case "write":
        let table = try ParquetReader.read(path: args[2])
        let codec: ParquetWriter.Compression = switch option("--codec") ?? "snappy" {
        case "zstd": .zstd(level: Int(option("--level") ?? "") ?? 1)
        case "none": .none
        default: .snappy
        }
        try ParquetWriter.write(table, to: args[3], options: .init(compression: codec))
        for _ in 0 ..< repeats {
            let t = try time { try ParquetWriter.write(table, to: args[3], options: .init(compression: codec)) }
            print(String(format: "%.4f cpu %.4f", t.0, t.1))
        }
    default:
        print("unknown mode \(args[1])")
        exit(64)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
