// swift-tools-version:6.1
// Fuzz targets of RepaymentKernel (libFuzzer), a package of its own so that the
// root package's `swift build` / `swift test` never build them:
//
//   bash Tests/fuzz.sh SECONDS        # builds them and runs each for SECONDS
//
// Each target is an executable whose main.swift hands a property check to
// libFuzzer's LLVMFuzzerRunDriver. They are built with
//   -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
// (gold, the default linker, fails on the instrumented objects with an internal
// error in format_file_lineno). A check that finds a violated property aborts,
// and libFuzzer saves the input as a reproducer.
import PackageDescription

let kernel = Target.Dependency.product(name: "RepaymentKernel", package: "RepaymentKernel")
let capi = Target.Dependency.product(name: "repaykernel-static", package: "RepaymentKernel")

let package = Package(
    name: "RepaymentKernelFuzz",
    dependencies: [
        .package(name: "RepaymentKernel", path: "../../.."),
    ],
    targets: [
        // The libFuzzer driver and shared checks.
        .target(name: "FuzzSupport", dependencies: [kernel]),
        // CSVReader on arbitrary bytes: re-serialising and re-parsing gives the same records.
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzSupport", kernel]),
        // A batch document (header + rows) end to end: one summary row per input row, conservation.
        .executableTarget(name: "FuzzBatchRow", dependencies: ["FuzzSupport", kernel]),
        // rk_run_json, the whole-request C entry point.
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", kernel, capi]),
        // The number, rate, date and whole-number parsers: their output re-parses to the same value.
        .executableTarget(name: "FuzzParsers", dependencies: ["FuzzSupport", kernel]),
        // The payments cell (SPEC §9) and the replay's conservation.
        .executableTarget(name: "FuzzPayments", dependencies: ["FuzzSupport", kernel]),
    ]
)
