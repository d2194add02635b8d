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
