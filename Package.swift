// swift-tools-version: 6.1
// Plumb: one binary for the whole life of a tabular model.
// Module layout and dependency direction follow ../shared/STYLE.md: algorithm modules import
// neither HTTP, SQL nor ArgumentParser.
import PackageDescription

let package = Package(
    name: "plumb",
    platforms: [.macOS(.v15)],  // Synchronization (Mutex, Atomic)
    products: [
        .executable(name: "plumb", targets: ["plumb"]),
        .library(name: "PlumbKit", targets: ["LinearAlgebra", "Tabular", "MLCore", "LinearModels", "TreeModels", "Drift", "Tracking", "Serving", "Pipeline"]),
        .library(name: "PlumbParquet", targets: ["Parquet"]),
        // libPlumbC.so: the C ABI (Sources/PlumbC/include/plumb.h) for scoring inside Spark, Ray or any C caller.
        .library(name: "PlumbC", type: .dynamic, targets: ["PlumbC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // Latency percentiles for `plumb bench` (HdrHistogram: fixed relative error, mergeable).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        // ONNX model files (protobuf) for `plumb models import/export --format onnx`; the Swift code is
        // generated once by scripts/generate-onnx-proto.sh and committed: the build runs no plugin.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CLz4", path: "Sources/CLz4"),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS"]),
        .target(name: "CTabularKernels"),
        .target(name: "Tabular", dependencies: ["CTabularKernels"]),
        .target(name: "MLCore", dependencies: ["Tabular"]),
        .target(name: "LinearModels", dependencies: ["MLCore", "LinearAlgebra", "Tabular"]),
        .target(name: "CTreeKernels", exclude: ["kernel.inc", "kernel_words.inc"]),
        .target(name: "TreeModels", dependencies: ["MLCore", "Tabular", "CTreeKernels"]),
        .target(name: "Drift", dependencies: ["Tabular"]),
        // ONNX tree ensembles in and out (ai.onnx.ml TreeEnsembleRegressor/Classifier): the only module
        // that sees protobuf.
        .target(name: "ONNXInterchange", dependencies: [
            "TreeModels", "MLCore", "Tabular", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Proto/onnx-subset.proto"]),
        .target(name: "CArrowData"),
        .target(name: "Parquet", dependencies: ["Tabular", "CSnappy", "CZstd", "CLz4", "CZlib", "CArrowData"]),
        .target(name: "Tracking", dependencies: ["Tabular", "MLCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Serving", dependencies: [
            "MLCore", "Tabular",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Pipeline", dependencies: [
            "CCurl", "CZlib", "Tabular", "MLCore", "LinearModels", "TreeModels", "Drift", "Tracking", "Serving", "Parquet",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "plumb", dependencies: [
            "Pipeline", "LinearAlgebra", "Tabular", "MLCore", "TreeModels", "Drift", "Tracking", "Serving", "ONNXInterchange",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // include/plumb.h documents the exported functions for C and ctypes callers; Swift does not read it.
        .target(name: "PlumbC", dependencies: ["Pipeline", "Parquet", "MLCore", "Tabular", "Tracking", "CArrowData"], exclude: ["include"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "TabularTests", dependencies: ["Tabular"]),
        .testTarget(name: "MLCoreTests", dependencies: ["MLCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LinearModelsTests", dependencies: ["LinearModels", "LinearAlgebra"]),
        .testTarget(name: "TreeModelsTests", dependencies: ["TreeModels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ONNXInterchangeTests", dependencies: ["ONNXInterchange", "TreeModels", "MLCore", "Tabular"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DriftTests", dependencies: ["Drift"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrackingTests", dependencies: [
            // GRDB: a test writes a store as an older schema left it, then opens it.
            "Tracking", "MLCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "ServingTests", dependencies: [
            "Serving", .product(name: "HummingbirdTesting", package: "hummingbird"),
            // Classifiers trained in the tests and served through the real adapters and store.
            "Pipeline", "MLCore", "Tabular", "TreeModels", "Tracking",
        ]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "TreeModels"]),
        .testTarget(name: "plumbTests", dependencies: ["plumb"]),
        .testTarget(name: "PlumbCTests", dependencies: ["PlumbC", "CArrowData", "Pipeline", "MLCore", "Tabular", "TreeModels", "LinearModels"]),
    ]
)
