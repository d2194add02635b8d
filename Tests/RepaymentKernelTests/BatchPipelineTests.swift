import Foundation
import Testing
@testable import RepaymentKernel
@testable import RepaymentBatch
#if canImport(Glibc)
import Glibc
#endif

/// The pipeline in-process: chunking, ordering and the outputs, whatever the threads do.
@Suite struct BatchPipelineTests {
    struct Outputs: Equatable {
        var schedule: [UInt8], summary: [UInt8], errors: [UInt8]
        var outcome: BatchRunner.Outcome
    }

    /// Runs the pipeline over `input` with the given threads and chunking, CSV outputs.
    static func runCSV(_ input: [UInt8], jobs: Int, maxChunkRows: Int = 4096, window: Int? = nil,
                       chunkOutputBytes: Int = 1 << 20, readChunk: Int = 1 << 20) throws -> Outputs {
        let dir = BatchTestSupport.tempDir("pipe")
        defer { BatchTestSupport.remove(dir) }
        BatchTestSupport.write(dir + "/in.csv", input)
        let fd = open(dir + "/in.csv", O_RDONLY)
        defer { close(fd) }
        var runner = BatchRunner(jobs: jobs)
        runner.maxChunkRows = maxChunkRows
        runner.minChunkRows = 1
        runner.window = window
        runner.chunkOutputBytes = chunkOutputBytes
        let outputs = BatchOutputs(schedule: try ByteSink.open(path: dir + "/s.csv", field: "schedule"),
                                   summary: try ByteSink.open(path: dir + "/m.csv", field: "summary"),
                                   errors: try ByteSink.open(path: dir + "/e.csv", field: "errors"))
        let outcome = try runner.run(input: CSVReader(fileDescriptor: fd, chunkSize: readChunk), outputs: outputs)
        #expect(BatchTestSupport.files(in: dir) == ["e.csv", "in.csv", "m.csv", "s.csv"])
        return Outputs(schedule: BatchTestSupport.read(dir + "/s.csv"), summary: BatchTestSupport.read(dir + "/m.csv"),
                       errors: BatchTestSupport.read(dir + "/e.csv"), outcome: outcome)
    }

    /// The same input, one row at a time through `BatchFormatter.process`, single-threaded.
    static func reference(_ input: [UInt8]) throws -> (schedule: [UInt8], summary: [UInt8], failed: Int) {
        let records = BatchTestSupport.records(input)
        let columns = try BatchColumns(header: records[0])
        var s = Array(BatchFormatter.scheduleHeader.utf8), m = Array(BatchFormatter.summaryHeader.utf8)
        var failed = 0
        for r in records.dropFirst() where !BatchFormatter.process(fields: r, columns: columns, schedule: &s, summary: &m) {
            failed += 1
        }
        return (s, m, failed)
    }

    @Test func everyChunkingAndJobCountGivesTheSameBytes() throws {
        let data = BatchTestSupport.mixedRows(loans: 1200)
        let input = Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8)
        let want = try Self.reference(input)
        #expect(want.failed >= data.bad)
        let base = try Self.runCSV(input, jobs: 1)
        #expect(base.schedule == want.schedule)
        #expect(base.summary == want.summary)
        #expect(base.outcome.failed == want.failed)
        #expect(base.outcome.ok + base.outcome.failed == data.rows.count)
        for (jobs, rows, window, read) in [(2, 4096, nil, 1 << 20), (3, 1, 2, 4096), (2, 7, 3, 97), (4, 64, nil, 1 << 16)] as [(Int, Int, Int?, Int)] {
            let got = try Self.runCSV(input, jobs: jobs, maxChunkRows: rows, window: window, readChunk: read)
            #expect(got == base, "jobs \(jobs), chunk rows \(rows), window \(String(describing: window)), read chunk \(read)")
        }
    }

    @Test func chunksAdaptToOutputSize() throws {
        // Tiny output budget: every chunk is at the minimum size; still the same bytes.
        let data = BatchTestSupport.mixedRows(loans: 300)
        let input = Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8)
        let a = try Self.runCSV(input, jobs: 2, chunkOutputBytes: 1)
        let b = try Self.runCSV(input, jobs: 1)
        #expect(a == b)
    }

    @Test func errorReportListsEveryFailedRow() throws {
        let data = BatchTestSupport.mixedRows(loans: 400)
        let input = Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8)
        let out = try Self.runCSV(input, jobs: 2, maxChunkRows: 13)
        let summary = BatchTestSupport.records(out.summary).dropFirst()
        let errors = BatchTestSupport.records(out.errors)
        #expect(errors.first == ["row", "line", "id", "column", "message"])
        let failedRows = summary.enumerated().filter { $0.element[1] == "error" }
        #expect(failedRows.count == out.outcome.failed)
        #expect(errors.count - 1 == failedRows.count)
        // Physical line of each data row (ids may contain line breaks).
        var lines: [Int] = []
        let reader = CSVReader(bytes: input)
        _ = try reader.next()
        while let r = try reader.next() { lines.append(r.line) }
        for (e, (index, s)) in zip(errors.dropFirst(), failedRows) {
            #expect(e[0] == String(index + 1))
            #expect(e[1] == String(lines[index]))
            #expect(e[2] == s[0])
            // The summary's message is "column: message".
            #expect(s[11] == (e[3].isEmpty ? e[4] : "\(e[3]): \(e[4])"))
        }
        #expect(errors.dropFirst().contains { $0[3] == "principal" && $0[4].contains("decimals") })
        #expect(errors.dropFirst().contains { $0[3] == "row" })
        #expect(errors.dropFirst().contains { $0[3] == "installments" })
        #expect(errors.dropFirst().contains { $0[3] == "id" })
    }

    @Test func jsonlMatchesTheCSVOutputs() throws {
        let data = BatchTestSupport.mixedRows(loans: 300)
        let input = Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8)
        let csv = try Self.runCSV(input, jobs: 1)
        var jsonl: [[UInt8]] = []
        for jobs in [1, 3] {
            let dir = BatchTestSupport.tempDir("jsonl")
            defer { BatchTestSupport.remove(dir) }
            var runner = BatchRunner(jobs: jobs)
            runner.format = .jsonl
            runner.maxChunkRows = 5
            let sink = try ByteSink.open(path: dir + "/out.jsonl", field: "output")
            let outcome = try runner.run(input: CSVReader(bytes: input), outputs: BatchOutputs(jsonl: sink))
            #expect(outcome == csv.outcome)
            jsonl.append(BatchTestSupport.read(dir + "/out.jsonl"))
        }
        #expect(jsonl[0] == jsonl[1])

        let summary = Array(BatchTestSupport.records(csv.summary).dropFirst())
        var schedule = Array(BatchTestSupport.records(csv.schedule).dropFirst())[...]
        let lines = jsonl[0].split(separator: 10, omittingEmptySubsequences: false)
        #expect(lines.last?.isEmpty == true)  // LF after the last object
        #expect(lines.count - 1 == summary.count)
        for (line, s) in zip(lines, summary) {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(o["id"] as? String == s[0])
            #expect(o["status"] as? String == s[1])
            let rows = try #require(o["rows"] as? [[String: Any]])
            if s[1] == "ok" {
                let m = try #require(o["summary"] as? [String: Any])
                #expect(m["payments"] as? Int == Int(s[2]))
                let keys = ["total_payable", "total_interest", "waived_penalty", "waived_interest", "waived_fees"]
                for (k, v) in zip(keys, s[3...7]) { #expect(m[k] as? String == v, "\(k) of \(s[0])") }
                #expect((m["last_due"] as? String ?? "") == s[8])
                #expect(m["apr"] as? String == s[9])
                #expect(m["effective_apr"] as? String == s[10])
                #expect(rows.count == Int(s[2]))
                for r in rows {
                    let next = schedule.popFirst()
                    let want = try #require(next)
                    let got = [s[0], String(r["period"] as! Int), r["due_date"] as! String, r["kind"] as! String,
                               r["payment"] as! String, r["principal"] as! String, r["interest"] as! String,
                               r["carried"] as! String, r["balance"] as! String]
                    #expect(got == want)
                }
            } else {
                #expect(rows.isEmpty)
                #expect(o["summary"] is NSNull)
                let e = try #require(o["error"] as? [String: String])
                #expect(s[11] == ((e["column"] ?? "").isEmpty ? e["message"]! : "\(e["column"]!): \(e["message"]!)"))
            }
        }
        #expect(schedule.isEmpty)
    }

    @Test func jsonStringsAreEscaped() throws {
        var out: [UInt8] = []
        JsonlFormatter.appendString("a\"b\\c\nd\re\tf\u{01}g协😀", to: &out)
        let decoded = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
        #expect(decoded == "a\"b\\c\nd\re\tf\u{01}g协😀")
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\nd\re\tf\u0001g协😀""#)
    }

    @Test func brokenQuotingLateInTheFileCommitsNothing() throws {
        let data = BatchTestSupport.mixedRows(loans: 500)
        var text = BatchTestSupport.csvText(header: data.header, rows: data.rows)
        text += "late,\"unterminated\n"
        let dir = BatchTestSupport.tempDir("late")
        defer { BatchTestSupport.remove(dir) }
        var runner = BatchRunner(jobs: 2)
        runner.maxChunkRows = 16
        let outputs = BatchOutputs(schedule: try ByteSink.open(path: dir + "/s.csv", field: "schedule"),
                                   summary: try ByteSink.open(path: dir + "/m.csv", field: "summary"))
        #expect(throws: KernelError.self) { try runner.run(input: CSVReader(bytes: Array(text.utf8)), outputs: outputs) }
        do {
            _ = try runner.run(input: CSVReader(bytes: Array(text.utf8)), outputs: BatchOutputs())
            Issue.record("broken quoting was not reported")
        } catch {
            #expect(error.code == .unusableFile)
            #expect(error.description.contains("unterminated"))
        }
        #expect(BatchTestSupport.files(in: dir).isEmpty)
    }

    @Test func stopRequestEndsTheRunAndRemovesTemporaryFiles() throws {
        let data = BatchTestSupport.mixedRows(loans: 300)
        let input = Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8)
        let dir = BatchTestSupport.tempDir("stop")
        defer { BatchTestSupport.remove(dir) }
        let seen = StopAfter(chunks: 3)
        var runner = BatchRunner(jobs: 2)
        runner.maxChunkRows = 4
        runner.progressInterval = 0
        runner.progress = { _ in seen.tick() }
        runner.shouldStop = { seen.stop }
        let outputs = BatchOutputs(schedule: try ByteSink.open(path: dir + "/s.csv", field: "schedule"))
        #expect(BatchTestSupport.files(in: dir).count == 1)  // the temporary file
        do {
            _ = try runner.run(input: CSVReader(bytes: input), outputs: outputs)
            Issue.record("the run was not stopped")
        } catch {
            #expect(error.description == "interrupted")
        }
        #expect(BatchTestSupport.files(in: dir).isEmpty)
    }
}

/// Asks for a stop after a number of progress calls.
final class StopAfter: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    init(chunks: Int) { left = chunks }
    func tick() { lock.withLock { left -= 1 } }
    var stop: Bool { lock.withLock { left <= 0 } }
}

/// The outputs' temporary files and the guard against overwriting, in-process.
@Suite struct BatchOutputFileTests {
    typealias T = BatchTestSupport

    @Test func temporaryFileHasARandomNameBesideTheTarget() throws {
        let dir = T.tempDir("names")
        defer { T.remove(dir) }
        let a = try ByteSink.open(path: dir + "/s.csv", field: "schedule")
        let b = try ByteSink.open(path: dir + "/s.csv", field: "schedule")
        defer { a.discard(); b.discard() }
        let names = [a, b].map { ($0.tempPath! as NSString).lastPathComponent }
        for name in names {
            let prefix = ".s.csv.repay-tmp-\(getpid())-"
            #expect(name.hasPrefix(prefix), "\(name)")
            let random = name.dropFirst(prefix.count)
            #expect(random.count == 10 && random.allSatisfy { $0.isLowercase || $0.isNumber }, "\(name)")
            #expect(TempFiles.pid(inName: name) == getpid())
        }
        #expect(names[0] != names[1])
        #expect(T.files(in: dir).count == 2)
    }

    @Test func plantedSymlinkIsNeverFollowed() throws {
        // Someone who guesses the next name plants a symlink to a victim there: the exclusive,
        // no-follow open refuses it and the next random name is used.
        let dir = T.tempDir("plant") + "/"
        defer { T.remove(dir) }
        T.write(dir + "victim", Array("precious\n".utf8))
        let planted = dir + TempFiles.name(base: "s.csv", tag: TempFiles.tempTag, suffix: "aaaaaaaaaa")
        #expect(symlink(dir + "victim", planted) == 0)
        var suffixes = ["aaaaaaaaaa", "bbbbbbbbbb"]
        let created = TempFiles.create(dir: dir, base: "s.csv", tag: TempFiles.tempTag, mode: 0o666) { suffixes.removeFirst() }
        let (fd, path) = try created.get()
        #expect(path == dir + TempFiles.name(base: "s.csv", tag: TempFiles.tempTag, suffix: "bbbbbbbbbb"))
        #expect(Glibc.write(fd, "new", 3) == 3)
        close(fd)
        #expect(T.read(dir + "victim") == Array("precious\n".utf8))
        // Only symlinks and directories are left when every name is taken: the error is EEXIST.
        let taken = TempFiles.create(dir: dir, base: "s.csv", tag: TempFiles.tempTag, mode: 0o666) { "aaaaaaaaaa" }
        #expect(throws: Int32Error(EEXIST)) { try taken.get() }
    }

    @Test func temporaryFileNamesAreRecognized() {
        #expect(TempFiles.pid(inName: ".s.csv.repay-tmp-123-abcdefghij") == 123)
        #expect(TempFiles.pid(inName: ".a.b.repay-old-9-0123456789") == 9)
        #expect(TempFiles.pid(inName: ".s.csv.repay-77.tmp") == 77)        // earlier versions
        #expect(TempFiles.pid(inName: ".s.csv.repay-tmp-123-abcdefghi") == nil)   // 9 random characters
        #expect(TempFiles.pid(inName: ".s.csv.repay-tmp-123-ABCDEFGHIJ") == nil)
        #expect(TempFiles.pid(inName: ".s.csv.repay-spool-123-abcdefghij") == nil)  // unlinked at once
        #expect(TempFiles.pid(inName: "s.csv.repay-tmp-123-abcdefghij") == nil)
        #expect(TempFiles.pid(inName: ".s.csv.repay-tmp--abcdefghij") == nil)
        #expect(TempFiles.pid(inName: ".s.csv.repay-tmp-99999999999-abcdefghij") == nil)  // not a PID
        let long = String(repeating: "长", count: 200)  // 600 bytes: the name part is cut
        let name = TempFiles.name(base: long, tag: TempFiles.tempTag, pid: 42, suffix: "abcdefghij")
        #expect(name.utf8.count < 200)
        #expect(TempFiles.pid(inName: name) == 42)
    }

    @Test func outputConflictsCompareFilesNotStrings() throws {
        let dir = T.tempDir("conflicts")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array("id\n".utf8))
        #expect(symlink(dir + "/in.csv", dir + "/l.csv") == 0)
        #expect(OutputConflicts.problem(input: dir + "/in.csv", outputs: [("summary", dir + "/x.csv"), ("schedule", dir + "/y.csv")]) == nil)
        #expect(OutputConflicts.problem(input: dir + "/in.csv", outputs: [("summary", dir + "/l.csv")])?.contains("would overwrite the input") == true)
        #expect(OutputConflicts.problem(input: dir + "/in.csv", outputs: [("summary", dir + "/x.csv"), ("errors", dir + "/../" + (dir as NSString).lastPathComponent + "/x.csv")])?
            .contains("--summary '\(dir)/x.csv' and --errors") == true)
        #expect(OutputConflicts.problem(input: dir + "/in.csv", outputs: [("summary", "-"), ("errors", "-")]) ==
            "--summary and --errors cannot both be standard output; give one of them a file name")
        #expect(OutputConflicts.problem(input: dir + "/in.csv", outputs: [("summary", "/dev/null"), ("errors", "/dev/null")]) == nil)
        // A missing input is for the run to report ("cannot read", before any output exists).
        #expect(OutputConflicts.problem(input: dir + "/nope.csv", outputs: [("summary", dir + "/nope.csv")]) == nil)
    }

    @Test func inputThatShrinksWhileReadIsAnIOError() throws {
        // The reader notes the size when it is made; the file is cut before the run reads it.
        let data = BatchTestSupport.mixedRows(loans: 300)
        let dir = T.tempDir("shrink")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(BatchTestSupport.csvText(header: data.header, rows: data.rows).utf8))
        let fd = open(dir + "/in.csv", O_RDONLY)
        defer { close(fd) }
        let reader = CSVReader(fileDescriptor: fd, chunkSize: 4096)
        #expect(truncate(dir + "/in.csv", 20_000) == 0)
        let outputs = BatchOutputs(summary: try ByteSink.open(path: dir + "/m.csv", field: "summary"))
        do {
            _ = try BatchRunner(jobs: 2).run(input: reader, outputs: outputs)
            Issue.record("the shrunk input was not reported")
        } catch {
            #expect(error.code == .io)
            #expect(error.description.hasPrefix("input: line "))
            #expect(error.description.contains("the input file shrank while it was being read"), "\(error)")
        }
        #expect(T.files(in: dir) == ["in.csv"])
    }

    @Test func quotedValuesAreShortAndEscaped() {
        #expect(KernelError.quoted("10.001") == "'10.001'")
        #expect(KernelError.quoted("协商还款 é") == "'协商还款 é'")
        #expect(KernelError.quoted("a\u{0}b\tc\u{7F}\u{85}") == "'a\\x00b\\x09c\\x7F\\x85'")
        #expect(KernelError.quoted("x\u{202E}y\u{2028}") == "'x\\u{202E}y\\u{2028}'")
        #expect(KernelError.quoted(String(repeating: "9", count: 40)) == "'" + String(repeating: "9", count: 40) + "'")
        #expect(KernelError.quoted(String(repeating: "9", count: 41)) == "'" + String(repeating: "9", count: 40) + "…' (41 bytes)")
        #expect(KernelError.quoted(String(repeating: "长", count: 10_000_000 / 3)).hasSuffix("…' (9999999 bytes)"))
        // Parse errors of the kernel quote through it.
        let long = "1" + String(repeating: "x", count: 100_000)
        do {
            _ = try Money(parsing: long, scale: 2, field: "principal")
            Issue.record("no error")
        } catch {
            #expect(error.description == "principal: not a decimal amount: '1" + String(repeating: "x", count: 39) + "…' (100001 bytes)")
        }
    }
}
