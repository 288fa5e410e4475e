// swift-tools-version:6.0
import PackageDescription

// Release builds compile the numerical core with full optimisation; bounds checks stay on
// everywhere but the hand-written kernels, which use unsafe buffer pointers by design.
let package = Package(
    name: "irpo",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "IRPOCore", targets: ["IRPOCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: system libraries
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),

        // MARK: core
        .target(name: "IRPOCore", dependencies: ["COpenBLAS", "CArchive"]),

        // MARK: command-line support and executables
        .target(name: "IRPOCLI", dependencies: [
            "IRPOCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "grade", dependencies: ["IRPOCore", "IRPOCLI"]),
        .executableTarget(name: "pair", dependencies: ["IRPOCore", "IRPOCLI"]),
        .executableTarget(name: "eval", dependencies: ["IRPOCore", "IRPOCLI"]),

        // MARK: benchmarks
        .executableTarget(name: "irpo-bench", dependencies: [
            "IRPOCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: tests
        .testTarget(name: "TokenizerTests", dependencies: ["IRPOCore"]),
        .testTarget(name: "GradingTests", dependencies: ["IRPOCore", "IRPOCLI"]),
        .testTarget(name: "CLITests", dependencies: ["grade", "pair", "eval"]),
        .testTarget(name: "ModelTests", dependencies: ["IRPOCore"]),
        .testTarget(name: "CheckpointTests", dependencies: ["IRPOCore"]),
    ],
    swiftLanguageModes: [.v6]
)
