// swift-tools-version: 6.1
// Plumb benchmarks: a separate package so the root package never depends on the benchmark tooling.
//   swift package --allow-writing-to-package-directory benchmark        (ordo-one benchmarks)
//   swift build -c release --product plumb-bench                        (kernel timer used by peers/run.sh)
// See README.md in this folder.
import PackageDescription

let plumbKit: Target.Dependency = .product(name: "PlumbKit", package: "plumb")
let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")

/// One ordo-one benchmark executable: Benchmarks/<name>/<name>.swift.
func benchmarkTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [benchmark, "BenchSupport", plumbKit],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "PlumbBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "plumb", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "BenchSupport", dependencies: [plumbKit], path: "Sources/BenchSupport"),
        .executableTarget(name: "plumb-bench", dependencies: ["BenchSupport", plumbKit], path: "Sources/plumb-bench"),
        benchmarkTarget("LinearAlgebraBenchmarks"),
        benchmarkTarget("TabularBenchmarks"),
        benchmarkTarget("TreeBenchmarks"),
        benchmarkTarget("DriftBenchmarks"),
        benchmarkTarget("TrackingBenchmarks"),
    ]
)
