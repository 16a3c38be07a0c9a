// plumb-bench: time one Plumb kernel scenario on given inputs and print ONE JSON line
// {"scenario": ..., "seconds": <best of --repeats>, ...extra}. Used by ../../peers/compare.py;
// errors go to stderr with exit status 1 (64 for a usage error).
//
//   plumb-bench gemm  --n 2048 --type double|float [--repeats 5]
//   plumb-bench lstsq --rows 1000000 --cols 30 --method qr|normal|svd [--repeats 3]
//   plumb-bench csv   --file data.csv [--repeats 3]
//   plumb-bench drift --reference ref.csv --current cur.csv [--report out.html] [--repeats 3]
//   plumb-bench gbm|forest --train F --test F --target COL [model flags] [--score F]   (fallback when
//               the CLI cannot train/score that model: fit_seconds, r2, rows_per_second)
import Foundation

let usage = """
    usage: plumb-bench SCENARIO [--key value ...]
      gemm  --n N --type double|float [--repeats R]
      lstsq --rows M --cols N --method qr|normal|svd [--repeats R]
      csv   --file PATH [--repeats R]
      drift --reference PATH --current PATH [--report OUT.html] [--repeats R]
      gbm    --train PATH --test PATH --target COL [--rounds N --learning-rate X --max-leaves N] [--score PATH] [--repeats R]
      forest --train PATH --test PATH --target COL [--trees N --max-depth N --min-split N] [--score PATH] [--repeats R]
    """

do {
    let argv = Array(CommandLine.arguments.dropFirst())
    guard let scenario = argv.first, !scenario.hasPrefix("-") else { throw BenchUsageError(usage) }
    let options = try BenchOptions(Array(argv.dropFirst()))
    let report: [String: JSONValue]
    switch scenario {
    case "gemm": report = try gemmScenario(options)
    case "lstsq": report = try lstsqScenario(options)
    case "csv": report = try csvScenario(options)
    case "drift": report = try driftScenario(options)
    case "gbm": report = try gbmScenario(options)
    case "forest": report = try forestScenario(options)
    case "-h", "--help", "help":
        print(usage)
        exit(0)
    default: throw BenchUsageError("unknown scenario \"\(scenario)\"\n\(usage)")
    }
    try options.checkAllUsed()
    var line = report
    line["scenario"] = .string(scenario)
    print(JSONValue.object(line).text)
} catch let e as BenchUsageError {
    FileHandle.standardError.write(Data("plumb-bench: \(e.message)\n".utf8))
    exit(64)
} catch {
    FileHandle.standardError.write(Data("plumb-bench: \(error)\n".utf8))
    exit(1)
}
