import Foundation
@testable import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers of the `repay batch` tests: input generation, temp dirs, running the binary.
enum BatchTestSupport {
    /// The repository root (this file is Tests/RepaymentKernelTests/BatchTestSupport.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `repay` executable built with the tests: next to the test executable
    /// (`.build/debug/repay`), or `$REPAY_BIN`.
    static let repayPath: String = {
        if let env = ProcessInfo.processInfo.environment["REPAY_BIN"], !env.isEmpty { return env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("repay").path
    }()

    /// A fresh empty directory.
    static func tempDir(_ tag: String) -> String {
        let path = NSTemporaryDirectory() + "/repay-batch-\(tag)-\(getpid())-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    static func write(_ path: String, _ bytes: [UInt8]) {
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// An RFC 4180 line (minimal quoting), LF-terminated.
    static func csvLine(_ cells: [String]) -> String {
        var out: [UInt8] = []
        for (i, c) in cells.enumerated() {
            if i > 0 { out.append(44) }
            CSVWriter.appendField(c, to: &out)
        }
        return String(decoding: out, as: UTF8.self) + "\n"
    }

    /// The conformance fixture `random.csv` (1000 mixed loans and plans), as header + rows.
    static func randomFixture() -> (header: [String], rows: [[String]]) {
        let bytes = read(repoRoot.appendingPathComponent("fixtures/conformance/random.csv").path)
        let reader = CSVReader(bytes: bytes)
        var rows: [[String]] = []
        while let r = try! reader.next() { rows.append(r.fields) }
        return (rows[0], Array(rows.dropFirst()))
    }

    /// A few thousand rows: the 1000 mixed rows of `random.csv` followed by generated loans,
    /// with bad rows (too many decimals, wrong cell count, a plan column without as_of, an
    /// empty id) and ids that need quoting (commas, quotes, line breaks, non-ASCII).
    static func mixedRows(loans: Int = 2000) -> (header: [String], rows: [[String]], bad: Int) {
        var (header, rows) = randomFixture()
        let col = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let methods = ["annuity", "equal-principal", "interest-only", "annuity", "bullet"]
        let ids = ["q,%d", "say \"hi\" %d", "line\nbreak %d", "协商还款-%d", "plain-%d", " spaced %d "]
        var bad = 0
        for i in 0..<loans {
            var cells = [String](repeating: "", count: header.count)
            cells[col["id"]!] = String(format: ids[i % ids.count], i)
            cells[col["principal"]!] = "\(1000 + (i * 7919) % 90000).\(String(format: "%02d", i % 100))"
            cells[col["rate"]!] = i % 11 == 0 ? "0" : "0.\(String(format: "%04d", 300 + (i * 37) % 2000))"
            cells[col["term"]!] = String([1, 6, 12, 24, 36][i % 5])
            cells[col["method"]!] = methods[i % methods.count]
            cells[col["start"]!] = "202\(i % 5)-\(String(format: "%02d", 1 + i % 12))-\(String(format: "%02d", 1 + i % 28))"
            if i % 53 == 7 { cells[col["principal"]!] = "12.345"; bad += 1 }
            else if i % 71 == 3 { cells.removeLast(); bad += 1 }
            else if i % 89 == 5 { cells[col["installments"]!] = "6"; bad += 1 }
            else if i % 101 == 9 { cells[col["id"]!] = ""; bad += 1 }
            rows.append(cells)
        }
        return (header, rows, bad)
    }

    /// `header` and `rows` as CSV text (LF, minimal quoting, no BOM).
    static func csvText(header: [String], rows: [[String]]) -> String {
        csvLine(header) + rows.map(csvLine).joined()
    }

    /// The same records with every field quoted, CRLF line ends, a BOM and blank lines.
    static func nastyText(header: [String], rows: [[String]]) -> String {
        func quoted(_ cells: [String]) -> String {
            cells.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") + "\r\n"
        }
        var s = "\u{FEFF}" + quoted(header) + "\r\n"
        for (i, r) in rows.enumerated() {
            s += quoted(r)
            if i % 97 == 0 { s += "\r\n" }
        }
        return s
    }

    /// The result of running `repay`.
    struct Run {
        var status: Int32
        var signaled: Bool
        var stdout: [UInt8]
        var stderr: String
    }

    /// Runs `repay` with `args` and waits (at most `timeout` seconds; then kills it and traps
    /// the test with a clear message). Standard output and error go through temp files.
    /// `environment` adds to (or replaces) variables of the test's environment.
    static func repay(_ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
                      timeout: Double = 60) throws -> Run {
        try run(repayPath, args, stdin: stdin, environment: environment, timeout: timeout)
    }

    /// Runs `executable` with `args` in `directory` (default: the test's), as `repay(_:)` does.
    static func run(_ executable: String, _ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
                    directory: String? = nil, timeout: Double = 60) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let dir = tempDir("io")
        defer { remove(dir) }
        let outPath = dir + "/out", errPath = dir + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        if let stdin {
            let inPath = dir + "/in"
            write(inPath, stdin)
            p.standardInput = FileHandle(forReadingAtPath: inPath)
        }
        try p.run()
        try waitFor(p, timeout: timeout)
        return Run(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
                   stdout: read(outPath), stderr: String(decoding: read(errPath), as: UTF8.self))
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits for `p`, killing it after `timeout` seconds.
    static func waitFor(_ p: Process, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if Date() > deadline {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                throw Timeout(description: "repay did not finish within \(timeout) s")
            }
            usleep(5_000)
        }
        p.waitUntilExit()
    }

    /// Waits until `condition` holds (polling), at most `timeout` seconds.
    static func eventually(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// A `repay` process whose standard input is a pipe the test feeds piece by piece, so a run
    /// can be held mid-way (its temporary files exist) while the test changes the world.
    /// Standard output and error go to files in `aux`.
    final class FedRun {
        let process = Process()
        let input = Pipe()
        let outPath: String, errPath: String

        init(_ args: [String], aux: String) throws {
            outPath = aux + "/fed-out"
            errPath = aux + "/fed-err"
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: repayPath)
            process.arguments = args
            process.standardInput = input
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            try process.run()
        }

        func send(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }

        /// Closes the input and waits for the end.
        func finish(timeout: Double = 60) throws -> Run {
            try input.fileHandleForWriting.close()
            try waitFor(process, timeout: timeout)
            return result
        }

        var result: Run {
            Run(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                stdout: read(outPath), stderr: String(decoding: read(errPath), as: UTF8.self))
        }
    }

    /// Parses CSV bytes into records.
    static func records(_ bytes: [UInt8]) -> [[String]] {
        let r = CSVReader(bytes: bytes)
        var out: [[String]] = []
        while let rec = try! r.next() { out.append(rec.fields) }
        return out
    }
}
