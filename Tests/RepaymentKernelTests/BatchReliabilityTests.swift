import Foundation
import Testing
@testable import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

/// `repay batch` end to end, the findings of issue 12 ("Reliability"): no data loss, no
/// partial output, bounded input, honest messages.
@Suite(.timeLimit(.minutes(2)))
struct BatchReliabilityTests {
    typealias T = BatchTestSupport

    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: T.repayPath),
                     "no repay executable at \(T.repayPath) (build the package, or set REPAY_BIN)")
    }

    static let small = "id,principal,rate,term,start\na,1000,0.1,12,2024-01-01\nb,2000,0.05,6,2024-02-01\n"

    /// Runs `repay` with standard input and output opened on the given paths (output appended).
    func repayRedirected(_ args: [String], stdin: String? = nil, stdoutAppend: String? = nil) throws -> T.Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: T.repayPath)
        p.arguments = args
        let aux = T.tempDir("redir")
        defer { T.remove(aux) }
        _ = FileManager.default.createFile(atPath: aux + "/err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: aux + "/err")
        if let stdin { p.standardInput = FileHandle(forReadingAtPath: stdin) }
        if let stdoutAppend {
            let h = try #require(FileHandle(forWritingAtPath: stdoutAppend))
            h.seekToEndOfFile()
            p.standardOutput = h
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        try p.run()
        try T.waitFor(p, timeout: 60)
        return T.Run(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, stdout: [],
                     stderr: String(decoding: T.read(aux + "/err"), as: UTF8.self))
    }

    /// Runs `repay` with standard output a pipe (the test reads it all), input from `stdin`.
    func repayPiped(_ args: [String], stdin: [UInt8]) throws -> T.Run {
        let aux = T.tempDir("piped")
        defer { T.remove(aux) }
        T.write(aux + "/in", stdin)
        _ = FileManager.default.createFile(atPath: aux + "/err", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: T.repayPath)
        p.arguments = args
        p.standardInput = FileHandle(forReadingAtPath: aux + "/in")
        p.standardError = FileHandle(forWritingAtPath: aux + "/err")
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        try T.waitFor(p, timeout: 60)
        return T.Run(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, stdout: [UInt8](data),
                     stderr: String(decoding: T.read(aux + "/err"), as: UTF8.self))
    }

    // MARK: 1. the input is never overwritten

    @Test func inputIsNeverOverwritten() throws {
        let dir = T.tempDir("input")
        defer { T.remove(dir) }
        let input = Array(Self.small.utf8)
        T.write(dir + "/in.csv", input)
        #expect(symlink(dir + "/in.csv", dir + "/link.csv") == 0)
        #expect(link(dir + "/in.csv", dir + "/hard.csv") == 0)
        let spellings = [dir + "/./in.csv", dir + "//in.csv", dir + "/link.csv", dir + "/hard.csv", dir + "/../" + (dir as NSString).lastPathComponent + "/in.csv"]
        for (option, path) in [("summary", spellings[0]), ("schedule", spellings[1]), ("errors", spellings[2]),
                               ("summary", spellings[3]), ("schedule", spellings[4])] {
            let run = try T.repay(["batch", dir + "/in.csv", "--" + option, path])
            #expect(run.status == 2, "\(option) \(path)")
            #expect(run.stderr.contains("--\(option) would overwrite the input '\(dir)/in.csv' ('\(path)' is the same file); write it to another file"),
                    "\(run.stderr)")
        }
        // JSON lines too.
        let jsonl = try T.repay(["batch", dir + "/in.csv", "--format", "jsonl", "-o", dir + "/link.csv"])
        #expect(jsonl.status == 2)
        #expect(jsonl.stderr.contains("--output would overwrite the input"))
        // `- < in.csv`: standard input is the file.
        let stdin = try repayRedirected(["batch", "-", "--summary", dir + "/hard.csv"], stdin: dir + "/in.csv")
        #expect(stdin.status == 2)
        #expect(stdin.stderr.contains("--summary would overwrite the input: '\(dir)/hard.csv' is the file standard input reads"), "\(stdin.stderr)")
        // `--summary - >> in.csv`: standard output is the input.
        let stdout = try repayRedirected(["batch", dir + "/in.csv", "--summary", "-"], stdoutAppend: dir + "/in.csv")
        #expect(stdout.status == 2)
        #expect(stdout.stderr.contains("--summary - would overwrite the input '\(dir)/in.csv': standard output is redirected to it"), "\(stdout.stderr)")
        #expect(T.read(dir + "/in.csv") == input)
        #expect(T.files(in: dir) == ["hard.csv", "in.csv", "link.csv"])
    }

    // MARK: 2. two outputs, one file; publication all or nothing

    @Test func twoOutputsNamingOneFileAreRefused() throws {
        let dir = T.tempDir("same")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        T.write(dir + "/out.csv", Array("keep me\n".utf8))
        #expect(symlink(dir + "/out.csv", dir + "/out-link.csv") == 0)
        let cases: [[String]] = [
            ["--schedule", dir + "/out.csv", "--summary", dir + "/./out.csv"],          // existing file
            ["--schedule", dir + "/out-link.csv", "--errors", dir + "/out.csv"],        // a symlink to it
            ["--summary", dir + "/new.csv", "--errors", dir + "/./new.csv"],             // not there yet
            ["--format", "jsonl", "-o", dir + "/new.csv", "--errors", dir + "//new.csv"],
        ]
        for args in cases {
            let run = try T.repay(["batch", dir + "/in.csv"] + args)
            #expect(run.status == 2, "\(args)")
            #expect(run.stderr.contains("name the same file; give each output its own file"), "\(args): \(run.stderr)")
        }
        #expect(T.read(dir + "/out.csv") == Array("keep me\n".utf8))
        #expect(T.files(in: dir) == ["in.csv", "out-link.csv", "out.csv"])
        // A character device may be named twice.
        let null = try T.repay(["batch", dir + "/in.csv", "--schedule", "/dev/null", "--summary", "/dev/null", "--quiet"])
        #expect(null.status == 0)
    }

    @Test func failedRenameUndoesTheOutputsAlreadyInPlace() throws {
        // The summary's path becomes a directory while the run is held mid-way: its rename fails
        // (EISDIR, also for root) after the schedule's succeeded. The schedule must be put back.
        let data = T.mixedRows(loans: 50)
        let dir = T.tempDir("rollback")
        defer { T.remove(dir) }
        let aux = T.tempDir("rollback-aux")
        defer { T.remove(aux) }
        T.write(dir + "/s.csv", Array("old schedule\n".utf8))
        #expect(chmod(dir + "/s.csv", 0o640) == 0)
        T.write(dir + "/m.csv", Array("old summary\n".utf8))
        let run = try T.FedRun(["batch", "-", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv",
                                "--errors", dir + "/e.csv", "--quiet"], aux: aux)
        let text = T.csvText(header: data.header, rows: data.rows)
        let half = text.index(text.startIndex, offsetBy: text.count / 2)
        run.send(String(text[..<half]))
        #expect(T.eventually { T.files(in: dir).count == 5 }, "temporary files never appeared: \(T.files(in: dir))")
        T.remove(dir + "/m.csv")
        try FileManager.default.createDirectory(atPath: dir + "/m.csv/inside", withIntermediateDirectories: true)
        run.send(String(text[half...]))
        let result = try run.finish()
        #expect(result.status == 3)
        #expect(result.stderr.contains("summary: cannot move the finished output into place at '\(dir)/m.csv': Is a directory; the outputs already in place were undone ('\(dir)/s.csv' (--schedule) restored): no output file was changed"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("no output file was written"))
        #expect(T.read(dir + "/s.csv") == Array("old schedule\n".utf8))
        var st = stat()
        #expect(stat(dir + "/s.csv", &st) == 0 && st.st_mode & 0o777 == 0o640)
        #expect(T.files(in: dir) == ["m.csv", "s.csv"])  // no temporary files, no backups, no e.csv
    }

    @Test func failedCopyToStandardOutputUndoesTheFiles() throws {
        // Standard output (/dev/full here) is copied out after the files are renamed; when that
        // fails the files are put back as they were.
        let dir = T.tempDir("undo-copy")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        T.write(dir + "/m.csv", Array("old summary\n".utf8))
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", "/dev/full", "--summary", dir + "/m.csv",
                               "--errors", dir + "/e.csv"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("schedule: cannot write to '/dev/full': no space left on the device; the outputs already in place were undone ('\(dir)/m.csv' (--summary) restored, '\(dir)/e.csv' (--errors) removed): no output file was changed"),
                "\(run.stderr)")
        #expect(T.read(dir + "/m.csv") == Array("old summary\n".utf8))
        #expect(T.files(in: dir) == ["in.csv", "m.csv"])
    }

    // MARK: 3, 4. temporary files

    @Test func replacedFileKeepsItsModeAndNewFilesFollowTheUmask() throws {
        let dir = T.tempDir("mode")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        T.write(dir + "/s.csv", Array("secret\n".utf8))
        #expect(chmod(dir + "/s.csv", 0o600) == 0)
        // What open(..., 0666) gives under this process's umask (the same as repay's).
        let probe = open(dir + "/probe", O_CREAT | O_WRONLY, 0o666)
        close(probe)
        var st = stat()
        #expect(stat(dir + "/probe", &st) == 0)
        let fresh = st.st_mode & 0o777
        unlink(dir + "/probe")
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv", "--quiet"])
        #expect(run.status == 0)
        #expect(stat(dir + "/s.csv", &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(stat(dir + "/m.csv", &st) == 0 && st.st_mode & 0o777 == fresh)
        #expect(T.records(T.read(dir + "/s.csv")).count == 19)
    }

    @Test func outputThroughASymlinkReplacesTheTargetAndKeepsTheLink() throws {
        let dir = T.tempDir("through")
        defer { T.remove(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        T.write(dir + "/real/m.csv", Array("old\n".utf8))
        #expect(symlink(dir + "/real/m.csv", dir + "/m.csv") == 0)
        let run = try T.repay(["batch", dir + "/in.csv", "--summary", dir + "/m.csv", "--quiet"])
        #expect(run.status == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/m.csv")) == dir + "/real/m.csv")
        #expect(T.records(T.read(dir + "/real/m.csv")).count == 3)
        #expect(T.files(in: dir + "/real") == ["m.csv"])
    }

    @Test func leftoversOfKilledRunsAreRemoved() throws {
        let dir = T.tempDir("stale")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        // No process has a PID this large (pid_max is at most 2^22).
        let dead: Int32 = 2_147_483_000
        let live = getpid()
        let stale = [".s.csv.repay-tmp-\(dead)-abcdefghij", ".m.csv.repay-old-\(dead + 1)-0123456789",
                     ".s.csv.repay-\(dead + 2).tmp"]
        let kept = [".s.csv.repay-tmp-\(live)-abcdefghij", ".s.csv.repay-tmp-x\(dead)-abcdefghij",
                    ".s.csv.repay-tmp-\(dead)-ABCDEFGHIJ", "s.csv.repay-tmp-\(dead)-abcdefghij"]
        for name in stale + kept { T.write(dir + "/" + name, Array("x".utf8)) }
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--quiet"])
        #expect(run.status == 0)
        #expect(T.files(in: dir) == (kept + ["in.csv", "s.csv"]).sorted())
    }

    // MARK: 5. standard output all or nothing, or --stream

    @Test func standardOutputGetsNothingWhenTheFileIsFoundUnusableLate() throws {
        let data = T.mixedRows(loans: 2000)
        let input = Array((T.csvText(header: data.header, rows: data.rows) + "late,\"unterminated\n").utf8)
        // Standard output a pipe: buffered in $TMPDIR, copied out only at the end.
        let held = try repayPiped(["batch", "-", "--schedule", "-", "--quiet"], stdin: input)
        #expect(held.status == 2)
        #expect(held.stdout.count == 0)  // a count: a failure must not print megabytes
        #expect(held.stderr.contains("unterminated quoted field"))
        #expect(held.stderr.hasSuffix("; no output file was written\n"), "\(held.stderr)")
        let streamed = try repayPiped(["batch", "-", "--schedule", "-", "--quiet", "--stream"], stdin: input)
        #expect(streamed.status == 2)
        #expect(streamed.stdout.starts(with: Array(BatchFormatter.scheduleHeader.utf8)))
        #expect(streamed.stdout.count > 100_000)
        #expect(streamed.stderr.hasSuffix("; what --stream wrote so far is incomplete\n"), "\(streamed.stderr)")
        // Standard output appended to a file (>>) is written in place and cut back on failure.
        let dir = T.tempDir("stdout-file")
        defer { T.remove(dir) }
        T.write(dir + "/bad.csv", input)
        T.write(dir + "/out.csv", Array("previous\n".utf8))
        let appended = try repayRedirected(["batch", "-", "--schedule", "-", "--quiet"], stdin: dir + "/bad.csv",
                                           stdoutAppend: dir + "/out.csv")
        #expect(appended.status == 2)
        #expect(T.read(dir + "/out.csv") == Array("previous\n".utf8))
        // A valid input gives the same bytes either way.
        let good = Array(T.csvText(header: data.header, rows: data.rows).utf8)
        let a = try repayPiped(["batch", "-", "--schedule", "-", "--quiet"], stdin: good)
        let b = try repayPiped(["batch", "-", "--schedule", "-", "--quiet", "--stream"], stdin: good)
        #expect(a.status == 1 && b.status == 1)
        let same = a.stdout == b.stdout
        #expect(same)
        T.write(dir + "/good.csv", good)
        let written = try repayRedirected(["batch", "-", "--schedule", "-", "--quiet"], stdin: dir + "/good.csv",
                                          stdoutAppend: dir + "/out.csv")
        #expect(written.status == 1)
        let inPlace = T.read(dir + "/out.csv") == Array("previous\n".utf8) + a.stdout
        #expect(inPlace)
        #expect(a.stdout.count > 100_000)
    }

    // MARK: 6, 8. bounded, UTF-8 input

    @Test func headerWithoutLineBreakStopsAtTheCellLimit() throws {
        // /dev/zero in small: 3 MiB of NUL bytes and no line break.
        let dir = T.tempDir("zero")
        defer { T.remove(dir) }
        let run = try T.repay(["batch", "-", "--summary", dir + "/m.csv"], stdin: [UInt8](repeating: 0, count: 3 << 20), timeout: 30)
        #expect(run.status == 2)
        try #require(run.stderr.utf8.count < 1000, "the message quotes the input: \(run.stderr.utf8.count) bytes")
        #expect(run.stderr.contains("input: line 1: cell 1 is longer than 1 MiB (the limit for one cell)"), "\(run.stderr)")
        #expect(T.files(in: dir).isEmpty)
        // A record of many cells under the cell limit stops at the record limit.
        let cell = String(repeating: "x", count: 900_000)
        let wide = "id," + (0..<20).map { _ in cell }.joined(separator: ",") + "\n"
        let record = try T.repay(["batch", "-", "--summary", dir + "/m.csv"], stdin: Array(wide.utf8), timeout: 30)
        #expect(record.status == 2)
        try #require(record.stderr.utf8.count < 1000, "the message quotes the input: \(record.stderr.utf8.count) bytes")
        #expect(record.stderr.contains("input: line 1: the record is longer than 16 MiB (the limit for one record)"), "\(record.stderr)")
    }

    @Test func invalidUTF8MakesTheFileUnusable() throws {
        let dir = T.tempDir("utf8")
        defer { T.remove(dir) }
        let input = Array("id,principal,rate,term,start\nok,1000,0.1,12,2024-01-01\n\"multi\nline\",1000,0.1,12,2024-01-01\nbad".utf8)
            + [0xFF, 0xFE] + Array(",1000,0.1,12,2024-01-01\n".utf8)
        T.write(dir + "/in.csv", input)
        let run = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv"])
        #expect(run.status == 2)
        // The bytes quoted end with the first that cannot be UTF-8 (0xFF is no lead byte).
        #expect(run.stderr.contains("input: line 5: not UTF-8 text (bytes \\xFF); the input must be UTF-8"), "\(run.stderr)")
        #expect(T.files(in: dir) == ["in.csv"])
    }

    // MARK: 9. exit statuses, --excel-safe

    @Test func outputThatCannotBeCreatedExits3() throws {
        let dir = T.tempDir("unwritable")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(Self.small.utf8))
        let missing = try T.repay(["batch", dir + "/in.csv", "--summary", dir + "/no/such/dir/m.csv"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("summary: cannot write '\(dir)/no/such/dir/m.csv': No such file or directory (does the directory '\(dir)/no/such/dir/' exist?)"),
                "\(missing.stderr)")
        let directory = try T.repay(["batch", dir + "/in.csv", "--schedule", dir])
        #expect(directory.status == 3)
        #expect(directory.stderr.contains("schedule: cannot write '\(dir)': it is a directory; give a file name, e.g. \(dir)/schedule.csv"))
        #expect(T.files(in: dir) == ["in.csv"])
    }

    @Test func excelSafePrefixesFormulaCells() throws {
        let ids = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", "'quoted"]
        var text = "id,principal,rate,term,start\n"
        for (i, id) in ids.enumerated() {
            text += T.csvLine([id, "1000", i == 6 ? "x" : "0.1", "1", "2024-01-01"])
        }
        text += T.csvLine(["=bad", "1000", "=1+1", "1", "2024-01-01"])
        let dir = T.tempDir("excel")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(text.utf8))
        func run(_ extra: [String]) throws -> (schedule: [[String]], summary: [[String]], errors: [[String]]) {
            let r = try T.repay(["batch", dir + "/in.csv", "--schedule", dir + "/s.csv", "--summary", dir + "/m.csv",
                                 "--errors", dir + "/e.csv", "--quiet"] + extra)
            #expect(r.status == 1)
            return (T.records(T.read(dir + "/s.csv")), T.records(T.read(dir + "/m.csv")), T.records(T.read(dir + "/e.csv")))
        }
        let plain = try run([])
        #expect(plain.summary.dropFirst().map { $0[0] } == ids + ["=bad"])
        let safe = try run(["--excel-safe"])
        let want = ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b", "'quoted", "'=bad"]
        #expect(safe.summary.dropFirst().map { $0[0] } == want)
        #expect(Set(safe.schedule.dropFirst().map { $0[0] }) == Set(want).subtracting(["plain", "'=bad"]))
        #expect(safe.errors.dropFirst().map { $0[2] } == ["plain", "'=bad"])
        // Numbers are untouched; only ids and messages change.
        #expect(safe.summary.dropFirst().map { Array($0[1...10]) } == plain.summary.dropFirst().map { Array($0[1...10]) })
        #expect(safe.summary.last?[11] == "rate: not a rate: '=1+1' (expected a plain decimal such as 0.144 or 14.4%)")
    }

    @Test func excelSafeCoversTheLedgerButNotJSONLines() throws {
        // The ledger is a CSV output too: its ids get the '. JSON lines are not read by
        // spreadsheets and keep the id as given; their --errors report is CSV again.
        let text = "id,principal,rate,term,start,as_of,payments,installments\n"
            + T.csvLine(["=p1", "10000", "12%", "12", "2024-01-01", "2024-06-15", "2024-02-01 888.49", "6"])
            + T.csvLine(["-bad", "x", "12%", "12", "2024-01-01", "", "", ""])
        let dir = T.tempDir("excel-ledger")
        defer { T.remove(dir) }
        T.write(dir + "/in.csv", Array(text.utf8))
        let csv = try T.repay(["batch", dir + "/in.csv", "--summary", dir + "/m.csv", "--ledger", dir + "/l.csv",
                               "--excel-safe", "--quiet"])
        #expect(csv.status == 1)
        let ledger = T.records(T.read(dir + "/l.csv")).dropFirst()
        #expect(!ledger.isEmpty && ledger.allSatisfy { $0[0] == "'=p1" })
        #expect(T.records(T.read(dir + "/m.csv")).dropFirst().map { $0[0] } == ["'=p1", "'-bad"])
        let jsonl = try T.repay(["batch", dir + "/in.csv", "--format", "jsonl", "--output", dir + "/o.jsonl",
                                 "--errors", dir + "/e.csv", "--excel-safe", "--quiet"])
        #expect(jsonl.status == 1)
        let lines = String(decoding: T.read(dir + "/o.jsonl"), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("{\"id\":\"=p1\"") && lines[1].hasPrefix("{\"id\":\"-bad\""))
        #expect(T.records(T.read(dir + "/e.csv")).dropFirst().map { $0[2] } == ["'-bad"])
    }

    // MARK: 10. short error messages

    @Test func errorMessagesQuoteAShortEscapedExcerpt() throws {
        let huge = "12" + String(repeating: "\u{0}", count: 600_000)
        let text = "id,principal,rate,term,start\n" + T.csvLine(["big", huge, "0.1", "12", "2024-01-01"])
            + T.csvLine(["ctl", "1\u{1B}[31m0", "0.1", "12", "2024-01-01"])
        let run = try T.repay(["batch", "-", "--summary", "-", "--quiet"], stdin: Array(text.utf8))
        #expect(run.status == 1)
        try #require(run.stdout.count < 1000, "the summary quotes the input: \(run.stdout.count) bytes")
        let summary = T.records(run.stdout)
        let big = summary[1][11], ctl = summary[2][11]
        #expect(big == "principal: not a decimal amount: '12\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00…' (600002 bytes)")
        #expect(ctl == "principal: not a decimal amount: '1\\x1B[31m0'")
        #expect(run.stdout.count < 1000)
    }
}
