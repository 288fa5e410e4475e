// swift-tools-version:6.0
import PackageDescription

// The hand-written kernels use SIMD8 fused multiply-adds; without AVX2/FMA code generation
// Swift lowers them to library calls. Every x86-64 CPU since Haswell has both.
// The kernels are optimised in debug builds too: the tests multiply the benchmark models' matrices
// on every kernel path, which unoptimised SIMD code would take minutes for.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
#if arch(x86_64)
let simdSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])] + optimizedInDebug
// IRPOKernelsAVX512 alone is compiled for AVX-512; IRPOCore calls it only after checking the CPU.
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])] + optimizedInDebug
#else
let simdSettings: [SwiftSetting] = optimizedInDebug
let avx512Settings: [SwiftSetting] = optimizedInDebug
#endif

// `IRPO_MPI=1 swift build` builds IRPOMPI over Open MPI (CMPI, pkg-config ompi-c; Debian's
// libopenmpi-dev) with an `IRPO_MPI` define, and dpo-train joins an `mpirun` job and trains
// data-parallel. Without it IRPOMPI is a group of one and nothing needs MPI. Build the two in
// separate scratch paths (the Makefile uses .build-mpi) so switching does not rebuild everything.
let mpi = Context.environment["IRPO_MPI"] == "1"
let mpiSettings: [SwiftSetting] = mpi ? [.define("IRPO_MPI")] : []
let mpiTargets: [Target] = mpi ? [
    .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                   providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
] : []

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
        .target(name: "IRPOKernelsAVX512", swiftSettings: avx512Settings),
        .target(name: "IRPOCore", dependencies: ["COpenBLAS", "CArchive", "IRPOKernelsAVX512"], swiftSettings: simdSettings),

        // MARK: command-line support and executables
        .target(name: "IRPOCLI", dependencies: [
            "IRPOCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "grade", dependencies: ["IRPOCore", "IRPOCLI"]),
        .executableTarget(name: "pair", dependencies: ["IRPOCore", "IRPOCLI"]),
        .executableTarget(name: "eval", dependencies: ["IRPOCore", "IRPOCLI"]),
        .executableTarget(name: "sample", dependencies: ["IRPOCore", "IRPOCLI"]),
        .target(name: "IRPOMPI", dependencies: ["IRPOCore"] + (mpi ? ["CMPI"] : []), swiftSettings: mpiSettings),
        .executableTarget(name: "dpo-train", dependencies: ["IRPOCore", "IRPOCLI", "IRPOMPI"]),
        .executableTarget(name: "irpo", dependencies: ["IRPOCore", "IRPOCLI"]),

        // MARK: the bundled example task's problem generator
        .executableTarget(name: "arith-problems", dependencies: [
            "IRPOCore", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "examples/generator"),

        // MARK: benchmarks, and what they share with the tests
        .target(name: "IRPOTestSupport", dependencies: ["IRPOCore"], swiftSettings: optimizedInDebug),
        .executableTarget(name: "irpo-bench", dependencies: [
            "IRPOCore", "IRPOMPI", "IRPOTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: tests
        .testTarget(name: "TokenizerTests", dependencies: ["IRPOCore", "IRPOTestSupport"]),
        .testTarget(name: "GradingTests", dependencies: ["IRPOCore", "IRPOCLI"]),
        .testTarget(name: "CLITests", dependencies: ["IRPOCore", "grade", "pair", "eval", "dpo-train", "sample", "arith-problems", "irpo"],
                    swiftSettings: mpiSettings),
        .testTarget(name: "ModelTests", dependencies: ["IRPOCore", "IRPOTestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["IRPOCore"]),
        .testTarget(name: "SamplingTests", dependencies: ["IRPOCore", "IRPOTestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["IRPOCore", "IRPOTestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["IRPOCore"], exclude: ["Fixtures"]),
    ] + mpiTargets,
    swiftLanguageModes: [.v6]
)
