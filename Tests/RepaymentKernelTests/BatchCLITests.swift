import Foundation
import Testing
@testable import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

/// `repay batch` end to end: the `repay` binary built next to the test executable.
@Suite(.timeLimit(.minutes(2)))
struct BatchCLITests {
    typealias T = BatchTestSupport

    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: T.repayPath),
                     "no repay executable at \(T.repayPath) (build the package, or set REPAY_BIN)")
    }

    /// Runs `repay batch` on `input` with schedule, summary and errors files; returns them.
    func batch(_ input: [UInt8], _ extra: [String] = []) throws -> (run: T.Run, schedule: [UInt8], summary: [UInt8], errors: [UInt8]) {
        let dir = T.tempDir("cli")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", input)
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv",
                               "--errors", dir + "/e.csv"] + extra)
        return (run, T.read(dir + "/s.csv"), T.read(dir + "/m.csv"), T.read(dir + "/e.csv"))
    }

    @Test func quotingCRLFAndBOMGiveTheSameOutputs() throws {
        let data = T.mixedRows(loans: 200)
        let plain = try batch(Array(T.csvText(header: data.header, rows: data.rows).utf8), ["--quiet"])
        let nasty = try batch(Array(T.nastyText(header: data.header, rows: data.rows).utf8), ["--quiet"])
        #expect(plain.run.status == 1)  // some rows fail on purpose
        #expect(plain.run.stderr.isEmpty)
        #expect(nasty.run.status == 1)
        #expect(nasty.schedule == plain.schedule)
        #expect(nasty.summary == plain.summary)
        // Line numbers differ (blank lines), the rest of the error report does not.
        let pe = T.records(plain.errors).map { [$0[0]] + $0[2...] }, ne = T.records(nasty.errors).map { [$0[0]] + $0[2...] }
        #expect(pe == ne)
        // Ids that need quoting come back quoted (RFC 4180) and parse back to themselves.
        let text = String(decoding: plain.summary, as: UTF8.self)
        #expect(text.contains("\n\"q,0\",ok,"))
        #expect(text.contains("\n\"say \"\"hi\"\" 1\",ok,"))
        #expect(text.contains("\n\"line\nbreak 2\",ok,"))
        #expect(text.contains("\n协商还款-15,ok,"))
        let ids = T.records(plain.summary).dropFirst().map { $0[0] }
        #expect(ids == data.rows.map { $0[data.header.firstIndex(of: "id")!] })
    }

    @Test func outputIsIdenticalForEveryJobCount() throws {
        let data = T.mixedRows(loans: 2000)
        let input = Array(T.csvText(header: data.header, rows: data.rows).utf8)
        let one = try batch(input, ["--jobs", "1"])
        #expect(one.run.status == 1)
        #expect(one.run.stderr.contains("rows ok, "))
        let failed = T.records(one.summary).filter { $0[1] == "error" }.count
        #expect(failed >= data.bad)
        #expect(T.records(one.errors).count == failed + 1)
        #expect(one.run.stderr.contains("\(data.rows.count - failed) rows ok, \(failed) failed"))
        for jobs in ["2", "3"] {
            let other = try batch(input, ["--jobs", jobs, "--quiet"])
            #expect(other.run.status == 1)
            #expect(other.schedule == one.schedule, "--jobs \(jobs)")
            #expect(other.summary == one.summary, "--jobs \(jobs)")
            #expect(other.errors == one.errors, "--jobs \(jobs)")
        }
        // JSON lines, too.
        var jsonl: [[UInt8]] = []
        for jobs in ["1", "3"] {
            let run = try T.repay(["batch", "-", "--format", "jsonl", "--output", "-", "--jobs", jobs, "--quiet"], stdin: input)
            #expect(run.status == 1)
            jsonl.append(run.stdout)
        }
        #expect(jsonl[0] == jsonl[1])
        #expect(jsonl[0].filter { $0 == 10 }.count == data.rows.count)
    }

    @Test func closedPipeEndsWithAMessage() throws {
        let data = T.mixedRows(loans: 2000)
        let dir = T.tempDir("pipe")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(T.csvText(header: data.header, rows: data.rows).utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: T.repayPath)
        p.arguments = ["batch", dir + "/in.csv", "--schedule", "-", "--summary", dir + "/m.csv"]
        let out = Pipe()
        p.standardOutput = out
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/err")
        try p.run()
        let head = out.fileHandleForReading.readData(ofLength: 100)  // like `| head -c 100`
        try out.fileHandleForReading.close()
        try T.waitFor(p, timeout: 60)
        let stderr = String(decoding: T.read(dir + "/err"), as: UTF8.self)
        #expect(head.starts(with: Array("id,period,due_date".utf8)))
        #expect(p.terminationReason == .exit)  // not killed by SIGPIPE, no crash
        #expect(p.terminationStatus == 3)
        #expect(stderr.contains("schedule: cannot write to standard output: the program reading it closed the pipe"))
        #expect(T.files(in: dir) == ["err", "in.csv"])  // the summary was not committed either
    }

    @Test func fullDiskEndsWithAMessageAndNoOutputs() throws {
        let data = T.mixedRows(loans: 300)
        let dir = T.tempDir("full")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(T.csvText(header: data.header, rows: data.rows).utf8))
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", "/dev/full", "--summary", dir + "/m.csv"])
        #expect(run.status == 3)
        #expect(!run.signaled)
        #expect(run.stderr.contains("cannot write to '/dev/full': no space left on the device"))
        #expect(T.files(in: dir) == ["in.csv"])
        // The failing output last: the schedule, finished first, must not be renamed into place.
        let last = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", "/dev/full"])
        #expect(last.status == 3)
        #expect(last.stderr.contains("summary: cannot write to '/dev/full'"))
        #expect(T.files(in: dir) == ["in.csv"])
    }

    /// The signals sent, the exit status and the message expected. A second signal during the
    /// cleanup is handled like the first, the first one giving the status (a second one used to
    /// kill the process, leaving temporary files). Two of the same signal sent at once may be
    /// merged into one by the kernel; different signals never are, so those cases always
    /// exercise the second-signal path.
    static let stopCases: [([Int32], Int32, String)] = [
        ([SIGINT], 130, "interrupted (SIGINT); no output file was written"),
        ([SIGHUP], 129, "hung up (SIGHUP); no output file was written"),
        ([SIGINT, SIGINT], 130, "interrupted (SIGINT); no output file was written"),
        ([SIGINT, SIGTERM], 130, "interrupted (SIGINT); no output file was written"),
        ([SIGTERM, SIGINT, SIGHUP], 143, "terminated (SIGTERM); no output file was written"),
    ]

    @Test(arguments: stopCases)
    func interruptWhileWaitingForInputRemovesTemporaryFiles(signals: [Int32], status: Int32, message: String) throws {
        let data = T.mixedRows(loans: 100)
        let dir = T.tempDir("sigint")
        defer { T.remove(dir) }
        let aux = T.tempDir("sigint-aux")
        defer { T.remove(aux) }
        let run = try T.FedRun(["batch", "-", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv", "--errors", dir + "/e.csv"],
                               aux: aux)
        // Half the rows, and the input stays open: the run is mid-way, waiting for more.
        run.send(T.csvText(header: data.header, rows: Array(data.rows.prefix(600))))
        #expect(T.eventually { T.files(in: dir).count == 3 }, "temporary files never appeared")
        usleep(300_000)
        #expect(run.process.isRunning)
        for sig in signals {
            kill(run.process.processIdentifier, sig)
            usleep(5_000)  // delivered in this order, well within the 50 ms the run takes to stop
        }
        try T.waitFor(run.process, timeout: 30)
        let result = try run.finish()
        #expect(!result.signaled)
        #expect(result.status == status)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(T.files(in: dir).isEmpty)
    }

    @Test func interruptWhileBlockedWritingRemovesTemporaryFiles() throws {
        // Standard output is a pipe nobody reads: the writer blocks in write(2) once the pipe
        // is full. SIGTERM must still end the run cleanly.
        let data = T.mixedRows(loans: 2000)
        let dir = T.tempDir("sigterm")
        defer { T.remove(dir) }
        let aux = T.tempDir("sigterm-aux")
        defer { T.remove(aux) }
        let inPath = aux + "/in.csv"
        T.write(inPath, Array(T.csvText(header: data.header, rows: data.rows).utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: T.repayPath)
        p.arguments = ["batch", inPath, "--schedule", "-", "--summary", dir + "/m.csv", "--quiet"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(T.eventually { T.files(in: dir).count == 1 }, "temporary file never appeared")
        usleep(300_000)
        #expect(p.isRunning)  // 2 MB of schedule cannot fit in the pipe
        kill(p.processIdentifier, SIGTERM)
        try T.waitFor(p, timeout: 30)
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 143)
        #expect(T.files(in: dir).isEmpty)
        try out.fileHandleForReading.close()
    }

    @Test(arguments: [
        ("id,principal,rate,term,methd,start\nh1,1000,0.1,12,annuity,2024-01-01\n", "unknown column 'methd'"),
        ("principal,rate,term,start\n1000,0.1,12,2024-01-01\n", "no 'id' column"),
        ("", "no header row"),
        ("\u{FEFF}\r\n\r\n", "no header row"),
        ("id,principal,rate,term,start\nok,1000,0.1,12,2024-01-01\nbad,\"1000,0.1,12,2024-01-01\n", "unterminated quoted field"),
        ("id,principal,rate,term,start\nok,1000,0.1,12,2024-01-01\nbad,1\"000,0.1,12,2024-01-01\n", "quote character in unquoted field"),
    ])
    func unusableFileWritesNothing(input: String, message: String) throws {
        let dir = T.tempDir("unusable")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(input.utf8))
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv",
                               "--errors", dir + "/e.csv"])
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(T.files(in: dir) == ["in.csv"])
    }

    @Test func badCommandLinesExit2() throws {
        let dir = T.tempDir("usage")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array("id,principal,rate,term,start\na,1,0.1,1,2024-01-01\n".utf8))
        let cases: [([String], String)] = [
            (["--quiet"], "nothing to write"),
            (["--schedule", "-", "--summary", "-"], "cannot both be standard output"),
            (["--schedule", dir + "/x.csv", "--summary", dir + "/x.csv"], "name the same file"),
            (["--format", "jsonl", "--summary", dir + "/x.csv"], "--format jsonl"),
            (["--format", "jsonl"], "needs --output"),
            (["--output", dir + "/x.csv"], "--output is for --format jsonl"),
            (["--summary", dir + "/in.csv"], "would overwrite the input"),
            (["--summary", dir + "/x.csv", "--jobs", "0"], "--jobs must be"),
        ]
        for (args, message) in cases {
            let run = try T.repay(["batch", dir + "/in.csv"] + args)
            #expect(run.status == 2, "\(args)")
            #expect(run.stderr.contains(message), "\(args): \(run.stderr)")
        }
        let missing = try T.repay(["batch", dir + "/nope.csv", "--summary", dir + "/x.csv"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read"))
        #expect(T.files(in: dir) == ["in.csv"])
    }

    @Test func quietAndNonTerminalStderr() throws {
        let input = Array("id,principal,rate,term,start\na,1000,0.1,12,2024-01-01\nb,x,0.1,12,2024-01-01\n".utf8)
        let loud = try T.repay(["batch", "-", "--summary", "-"], stdin: input)
        #expect(loud.status == 1)
        // Not a terminal: no progress line, only the final summary line.
        #expect(loud.stderr.hasPrefix("repay batch: 1 rows ok, 1 failed, "))
        #expect(loud.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!loud.stderr.contains("\r"))
        let quiet = try T.repay(["batch", "-", "--summary", "-", "--quiet"], stdin: input)
        #expect(quiet.status == 1)
        #expect(quiet.stderr.isEmpty)
        #expect(quiet.stdout == loud.stdout)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"),
          arguments: [false, true])
    func progressOnATerminal(quiet: Bool) throws {
        // script(1) gives repay a pseudo-terminal; the input comes through a FIFO with a pause
        // in the middle, so the run lasts long enough for a progress line.
        let dir = T.tempDir("tty")
        defer { T.remove(dir) }
        let fifo = dir + "/in.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "'\(T.repayPath)' batch '\(fifo)' --summary '\(dir)/m.csv'\(quiet ? " --quiet" : "")", "/dev/null"]
        let out = dir + "/tty.txt"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let w = try FileHandle(forWritingTo: URL(fileURLWithPath: fifo))
        var rows = ["id,principal,rate,term,start"]
        for i in 0..<400 { rows.append("L\(i),\(1000 + i).00,0.1,12,2024-01-\(10 + i % 18)") }
        w.write(Data((rows[0...200].joined(separator: "\n") + "\n").utf8))
        usleep(700_000)
        w.write(Data((rows[201...].joined(separator: "\n") + "\n").utf8))
        try w.close()
        try T.waitFor(p, timeout: 60)
        #expect(p.terminationStatus == 0)
        let tty = String(decoding: T.read(out), as: UTF8.self)
        if quiet {
            #expect(tty.isEmpty, "\(tty.debugDescription)")
        } else {
            #expect(tty.contains("\r\u{1B}[K200 rows, "), "\(tty.debugDescription)")  // the first half, while waiting
            #expect(tty.contains(" rows/s"))
            #expect(tty.contains("\r\u{1B}[Krepay batch: 400 rows ok, 0 failed, "))  // progress line cleared first
        }
        #expect(T.records(T.read(dir + "/m.csv")).count == 401)
    }

    @Test func jsonlAndErrorsOutputs() throws {
        let input = Array("""
        id,principal,rate,term,start
        a,1000,0.12,2,2024-01-15
        "b,1",10.001,0.1,12,2024-01-01
        c,1000,0.1,12

        """.utf8)
        let dir = T.tempDir("jsonl")
        defer { T.remove(dir) }
        let run = try T.repay(["batch", "-", "--format", "jsonl", "-o", dir + "/out.jsonl", "--errors", dir + "/e.csv", "--quiet"],
                              stdin: input)
        #expect(run.status == 1)
        let lines = String(decoding: T.read(dir + "/out.jsonl"), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        // A = round(1000 * 0.01 / (1 - 1.01^-2)) = 507.51; 12x and (1+x)^12 - 1 for
        // 1000 = 507.51/(1+x) + 507.51/(1+x)^2 are 0.1199611... and 0.1267816...
        #expect(lines[0] == #"{"id":"a","status":"ok","line":2,"rows":[{"period":1,"due_date":"2024-02-15","kind":"installment","payment":"507.51","principal":"497.51","interest":"10.00","carried":"0.00","balance":"502.49"},{"period":2,"due_date":"2024-03-15","kind":"installment","payment":"507.51","principal":"502.49","interest":"5.02","carried":"0.00","balance":"0.00"}],"summary":{"payments":2,"total_payable":"1015.02","total_interest":"15.02","waived_penalty":"0.00","waived_interest":"0.00","waived_fees":"0.00","last_due":"2024-03-15","apr":"0.119961","effective_apr":"0.126782"}}"#)
        #expect(lines[1] == #"{"id":"b,1","status":"error","line":3,"rows":[],"summary":null,"error":{"column":"principal","message":"more than 2 decimals: '10.001'"}}"#)
        #expect(lines[2].hasPrefix(#"{"id":"c","status":"error","line":4,"rows":[],"summary":null,"error":{"column":"row","message":"#))
        let errors = String(decoding: T.read(dir + "/e.csv"), as: UTF8.self)
        #expect(errors.hasPrefix("row,line,id,column,message\n2,3,\"b,1\",principal,more than 2 decimals: '10.001'\n3,4,c,row,"))
        #expect(T.files(in: dir) == ["e.csv", "out.jsonl"])
    }
}
