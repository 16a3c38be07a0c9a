// swift-tools-version: 6.1
// Parquet read/write timer, outside the main binary and the test suite:
//   swift build -c release && .build/release/parquet-bench read FILE.parquet [--repeat N]
//   python3 compare.py   (alternates Plumb, pyarrow and polars on the same files; see README.md)
import PackageDescription

let package = Package(
    name: "PlumbParquetBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "plumb", path: "../..")],
    targets: [
        .executableTarget(name: "parquet-bench", dependencies: [.product(name: "PlumbParquet", package: "plumb")],
                          path: "Sources/parquet-bench", swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
