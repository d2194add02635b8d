// The libFuzzer driver. Each fuzz target's main.swift is top-level code, which
// SwiftPM compiles as the function `<Target>_main` and links as `main`, so
// libFuzzer's own main() is never pulled in; the target calls `runFuzzer`, which
// hands the property check to LLVMFuzzerRunDriver with the command line.

#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Runs libFuzzer (every libFuzzer flag works: `-max_total_time=60 corpus/`),
/// calling `check` with each input; never returns.
public func runFuzzer(_ check: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, check))
}

/// The input as an array.
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A violated property: prints it and aborts, so that libFuzzer keeps the input.
public func violated(_ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let message = Array("PROPERTY VIOLATED (\(file):\(line)): \(what())\n".utf8)
    message.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Checks a property.
@inline(__always)
public func require(_ condition: Bool, _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { violated(what(), file: file, line: line) }
}
