@testable import RepaymentKernel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bytes of a Swift string (UTF-8).
func csvUTF8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// All records from an in-memory reader.
func csvReadAll(_ bytes: [UInt8]) throws(CSVSyntaxError) -> [CSVRecord] {
    let r = CSVReader(bytes: bytes)
    var out: [CSVRecord] = []
    while let rec = try r.next() { out.append(rec) }
    return out
}

func csvFields(_ s: String) throws -> [[String]] { try csvReadAll(csvUTF8(s)).map(\.fields) }
func csvLines(_ s: String) throws -> [Int] { try csvReadAll(csvUTF8(s)).map(\.line) }

/// The error thrown when reading `s` to the end, or nil if none.
func csvErrorOf(_ bytes: [UInt8]) -> CSVSyntaxError? {
    do { _ = try csvReadAll(bytes); return nil } catch { return error }
}
func csvErrorOf(_ s: String) -> CSVSyntaxError? { csvErrorOf(csvUTF8(s)) }

/// A unique temp file path.
func csvTempPath(_ tag: String = "t") -> String {
    "\(NSTemporaryDirectory())/csvtest-\(tag)-\(getpid())-\(UUID().uuidString).csv"
}

func csvWriteFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// CSVOutcome of reading a whole input: the records (fields + line) and the error that ended it, if any.
struct CSVOutcome: Equatable {
    var records: [[String]] = []
    var lines: [Int] = []
    var error: CSVSyntaxError?
}

func csvOutcome(_ reader: CSVReader) -> CSVOutcome {
    var o = CSVOutcome()
    do {
        while let r = try reader.next() { o.records.append(r.fields); o.lines.append(r.line) }
    } catch { o.error = error }
    return o
}

/// Every record through `nextChunk`, `max` per chunk (by default returning early, as batch does).
func csvChunkOutcome(_ reader: CSVReader, max: Int, waitForMax: Bool = false) -> CSVOutcome {
    var o = CSVOutcome()
    var chunk = CSVChunk()
    do {
        while true {
            try reader.nextChunk(into: &chunk, max: max, waitForMax: waitForMax)
            if chunk.isEmpty { break }
            for k in 0..<chunk.count {
                o.records.append(chunk.fields(k))
                o.lines.append(chunk.records[k].line)
            }
        }
    } catch { o.error = error }
    return o
}

/// Runs `body` with a reader over `bytes` in a temp file (removed again), `chunkSize` bytes per read.
func csvWithFileReader<T>(_ bytes: [UInt8], chunkSize: Int, _ body: (CSVReader) throws -> T) rethrows -> T {
    let path = csvTempPath("fd")
    csvWriteFile(path, bytes)
    let fd = open(path, O_RDONLY)
    unlink(path)
    precondition(fd >= 0)
    defer { close(fd) }
    return try body(CSVReader(fileDescriptor: fd, chunkSize: chunkSize))
}

/// Reads `bytes` through a temp file and the fd reader with the given chunk size.
func csvOutcomeViaFD(_ bytes: [UInt8], chunkSize: Int) -> CSVOutcome {
    let path = csvTempPath("fd")
    csvWriteFile(path, bytes)
    defer { unlink(path) }
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0)
    defer { close(fd) }
    return csvOutcome(CSVReader(fileDescriptor: fd, chunkSize: chunkSize))
}

/// Runs python3 with a script and arguments; returns stdout. Fails loudly on non-zero exit.
func csvRunPython(_ script: String, _ args: [String]) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    let outPipe = Pipe()
    p.standardOutput = outPipe
    try p.run()
    let data = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "python3", code: Int(p.terminationStatus))
    }
    return data
}

/// Describes the first difference between two outcomes, or nil if they are equal.
func csvFirstDifference(_ got: CSVOutcome, _ want: CSVOutcome) -> String? {
    if got == want { return nil }
    for i in 0..<min(got.records.count, want.records.count) {
        if got.records[i] != want.records[i] || got.lines[i] != want.lines[i] {
            return "record \(i): got \(got.records[i].debugDescription) @line \(got.lines[i]), want \(want.records[i].debugDescription) @line \(want.lines[i])"
        }
    }
    return "got \(got.records.count) records (error \(String(describing: got.error))), want \(want.records.count) (error \(String(describing: want.error)))"
}
