// swift-tools-version:6.1
// A complete program using RepaymentKernel from Swift: a loan schedule, then a
// negotiated plan with its debt breakdown and APR.
//
//   cd examples/swift && swift run LoanExample
//
// Here the kernel is found by path (this directory is inside its repository).
// In your own package, depend on a released version instead:
//
//   .package(url: "https://github.com/<owner>/RepaymentKernel", from: "1.1.0"),
//
// and keep the same target dependency:
//
//   .product(name: "RepaymentKernel", package: "RepaymentKernel")
//
// The kernel needs GMP: apt-get install libgmp-dev (pkg-config finds it).
import PackageDescription

let package = Package(
    name: "LoanExample",
    dependencies: [
        .package(name: "RepaymentKernel", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "LoanExample",
            dependencies: [.product(name: "RepaymentKernel", package: "RepaymentKernel")]
        ),
    ]
)
