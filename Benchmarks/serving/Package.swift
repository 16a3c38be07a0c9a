// swift-tools-version: 6.1
// Serving benchmark: runs the HTTP server on a toy model for wrk (see README.md).
// Build: swift build -c release --package-path Benchmarks/serving --scratch-path /tmp/serving-bench-build
import Foundation
import PackageDescription

// A path dependency is identified by its directory name (the checkout may be "plumb", "main", …).
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "serving-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .executableTarget(name: "ServingBench", dependencies: [
            .product(name: "PlumbKit", package: rootIdentity),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
