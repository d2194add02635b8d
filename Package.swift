// swift-tools-version:6.1
import PackageDescription
import class Foundation.ProcessInfo

// The benchmark harness (ordo-one/benchmark) is heavy to build; it is only
// part of the package when BENCHMARKS=1, so a plain `swift test` stays fast.
let withBenchmarks = ProcessInfo.processInfo.environment["BENCHMARKS"] == "1"
// The documentation plugin (swift-docc-plugin) only when DOCC=1:
// `DOCC=1 swift package generate-documentation --target RepaymentKernel`.
let withDocumentation = ProcessInfo.processInfo.environment["DOCC"] == "1"

var package = Package(
    name: "RepaymentKernel",
    products: [
        .library(name: "RepaymentKernel", targets: ["RepaymentKernel"]),
        // The `repay batch` pipeline: threads, ordered output, atomic files, signals, progress.
        .library(name: "RepaymentBatch", targets: ["RepaymentBatch"]),
        .executable(name: "repay", targets: ["RepayCLI"]),
        // The C API (Sources/CRepayKernel/include/repaykernel.h): librepaykernel.so and librepaykernel-static.a.
        .library(name: "repaykernel", type: .dynamic, targets: ["RepayKernelC"]),
        .library(name: "repaykernel-static", type: .static, targets: ["RepayKernelC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"])]
        ),
        .target(
            name: "RepaymentKernel",
            dependencies: ["CGMP"]
        ),
        // The batch pipeline around the core's row processor.
        .target(
            name: "RepaymentBatch",
            dependencies: ["RepaymentKernel"]
        ),
        .executableTarget(
            name: "RepayCLI",
            dependencies: [
                "RepaymentKernel",
                "RepaymentBatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Header-only: the hand-written C API header, the single source of truth.
        .target(name: "CRepayKernel"),
        // Implements repaykernel.h with `@c @implementation`.
        .target(
            name: "RepayKernelC",
            dependencies: ["RepaymentKernel", "RepaymentBatch", "CRepayKernel"]
        ),
        .testTarget(
            name: "RepaymentKernelTests",
            // RepayKernelC: the status codes the C API gives each kind of KernelError.
            dependencies: ["RepaymentKernel", "RepaymentBatch", "RepayKernelC"]
        ),
    ]
)

if withBenchmarks {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(contentsOf: [
        // The same exact schedules as a tight C loop (ref_batch's arithmetic), run beside the
        // Swift kernel in the same benchmark run.
        .target(
            name: "CKernelLoop",
            path: "Benchmarks/CKernelLoop",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("gmp")]
        ),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "RepaymentKernel",
                "CKernelLoop",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ])
}

if withDocumentation {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
