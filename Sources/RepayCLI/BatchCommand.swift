import ArgumentParser
import RepaymentKernel
import RepaymentBatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension BatchFormat: ExpressibleByArgument {}

/// The signal that asked `repay batch` to stop (0: none). Set by the signal handler.
let batchStopSignal = Atomic<Int32>(0)

struct BatchCommand: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Compute every row of a CSV file of loans and plans.",
        discussion: """
        The input has a header row; columns may come in any order (SPEC §7):
          loans: id, principal, rate | daily_rate | fee_rate, term, method, start,
                 first_due, basis, rounding, scale
          plans (rows with as_of): paid_through or overdue_principal, overdue_interest,
                 accrued_interest, penalty, fees; markup, compound, waive_penalty,
                 waive_interest, waive_fees, capitalize, down_payment, defer_months,
                 deferral_interest, then, installments, plan_method, plan_rate,
                 max_term
          payments (SPEC §9; a loan's prepayments, or the history a plan's arrears
                 are replayed from): payments, prepayment, allocation, grace_days
        An empty cell means the default. A bad row gets status=error in the summary
        with a message naming the column; it never stops the batch.

        Outputs (any combination; - is standard output, for one of them at most):
          --format csv (default): --schedule FILE (one line per payment) and/or
                 --summary FILE (one line per input row), the CSV files of SPEC §7.
          --format jsonl: --output FILE, one JSON object per input row:
                 {"id","status","line","rows":[...],"summary":{...}} (a failed row:
                 "rows":[], "summary":null and "error":{"column","message"});
                 amounts and rates are JSON strings, exact to the digit.
          --errors FILE: the failed rows only, as CSV row,line,id,column,message
                 (row: data row number, header excluded; line: line in the input).
          --ledger FILE: for every plan row with payments, its ledger (SPEC §9.2
                 replay), the CSV of `repay ledger --format csv`: id,date,event,
                 installment,amount,penalty,interest,principal,credit,overdue,
                 balance,days_past_due, rows in input order.
        A file is written to a temporary file beside it and renamed into place only
        when the run completes; a failed or interrupted run leaves no output file.

        Rows are computed in parallel (--jobs, default every core) and written in
        input order: the output is the same byte for byte for every --jobs.
        On a terminal, progress (rows, rows/s, ETA) is shown on standard error
        (not with --quiet, nor when an output goes to that terminal).

        Exit status: 0 all rows ok, 1 some rows failed, 2 the file or the command
        line is unusable (then no output file is written), 3 reading or writing
        failed (closed pipe, full disk), 130 interrupted (Ctrl-C), 143 terminated.
        """
    )

    static let examples = [
        HelpExample("the repository's example file: both CSV outputs",
                    lines: ["repay batch fixtures/loans.csv --schedule schedule.csv --summary summary.csv"]),
        HelpExample("the summary on standard output",
                    lines: ["repay batch fixtures/loans.csv --summary - --quiet"]),
        HelpExample("rows with errors: status=error, and listed in errors.csv",
                    lines: ["repay batch fixtures/loans-with-errors.csv --format jsonl",
                            "--output loans.jsonl --errors errors.csv"],
                    exitStatus: 1),
    ]

    @Argument(help: "The input CSV file, or - for standard input.")
    var input: String

    @Option(help: ArgumentHelp("Output format: csv (--schedule/--summary) or jsonl (--output).", valueName: "format"))
    var format: BatchFormat = .csv

    @Option(help: ArgumentHelp("Write the schedule (one line per payment) here; - for standard output.", valueName: "file"))
    var schedule: String?

    @Option(help: ArgumentHelp("Write the summary (one line per input row) here; - for standard output.", valueName: "file"))
    var summary: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("With --format jsonl: write the JSON lines here; - for standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Write a report of the failed rows (row,line,id,column,message) here.", valueName: "file"))
    var errors: String?

    @Option(help: ArgumentHelp("Write the ledger of every plan row with payments (the CSV of repay ledger) here.", valueName: "file"))
    var ledger: String?

    @Option(help: "Compute threads (default: every core).")
    var jobs: Int?

    @Flag(help: "No progress and no final line on standard error.")
    var quiet = false

    func validate() throws {
        do {
            try check()
        } catch let e as ValidationError {
            FileStandardError.write("Error: \(e.message)\nSee 'repay batch --help' for every option and an example.\n")
            throw ExitCode(2)
        }
    }

    /// The command-line rules; a violation is a usage error (exit 2).
    func check() throws {
        switch format {
        case .csv:
            if output != nil {
                throw ValidationError("--output is for --format jsonl; with csv use --schedule FILE and/or --summary FILE")
            }
            if schedule == nil && summary == nil && errors == nil && ledger == nil {
                throw ValidationError("nothing to write: add --schedule FILE and/or --summary FILE (- for standard output)")
            }
        case .jsonl:
            if schedule != nil || summary != nil {
                throw ValidationError("--schedule and --summary are CSV outputs; with --format jsonl use --output FILE (- for standard output)")
            }
            if output == nil { throw ValidationError("--format jsonl needs --output FILE (- for standard output)") }
        }
        let given = [("schedule", schedule), ("summary", summary), ("output", output), ("errors", errors), ("ledger", ledger)]
            .compactMap { name, path in path.map { (name, $0) } }
        for (i, a) in given.enumerated() {
            // The same path twice is a mistake, except a device such as /dev/null.
            var st = stat()
            let isDevice = a.1 != "-" && stat(a.1, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG
            for b in given[(i + 1)...] where a.1 == b.1 && !isDevice {
                throw ValidationError(a.1 == "-"
                    ? "--\(a.0) and --\(b.0) cannot both be standard output; give one of them a file name"
                    : "--\(a.0) and --\(b.0) name the same file '\(a.1)'")
            }
            if a.1 == input && input != "-" {
                throw ValidationError("--\(a.0) would overwrite the input '\(input)'")
            }
        }
        if let jobs, !(1...1024).contains(jobs) {
            throw ValidationError("--jobs must be 1 to 1024 (or leave it out to use every core)")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)  // a closed pipe becomes EPIPE, reported with a message
        installStopHandlers()
        let started = monotonicSeconds()
        let fd: Int32
        if input == "-" { fd = 0 } else {
            fd = open(input, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                fail("cannot read '\(input)': \(String(cString: strerror(errno)))")
            }
        }
        var inputSize: Int? = nil
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 { inputSize = Int(st.st_size) }

        var outputs = BatchOutputs()
        do {
            if let schedule { outputs.schedule = try ByteSink.open(path: schedule, field: "schedule") }
            if let summary { outputs.summary = try ByteSink.open(path: summary, field: "summary") }
            if let output { outputs.jsonl = try ByteSink.open(path: output, field: "output") }
            if let errors { outputs.errors = try ByteSink.open(path: errors, field: "errors") }
            if let ledger { outputs.ledger = try ByteSink.open(path: ledger, field: "ledger") }
        } catch {
            for s in outputs.all { s.discard() }
            fail(error.description)
        }

        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var runner = BatchRunner(jobs: jobs ?? max(1, cores))
        runner.format = format
        runner.shouldStop = { batchStopSignal.load(ordering: .relaxed) != 0 }
        // Progress only on a terminal, and not when an output is going to that same terminal.
        let outputOnTerminal = [schedule, summary, output, errors, ledger].contains("-") && isatty(1) == 1
        let display = !quiet && isatty(2) == 1 && !outputOnTerminal ? ProgressDisplay(inputSize: inputSize) : nil
        if let display { runner.progress = { display.show($0) } }
        let reader = CSVReader(fileDescriptor: fd)
        do {
            let outcome = try runner.run(input: reader, outputs: outputs)
            display?.clear()
            if !quiet {
                let seconds = monotonicSeconds() - started
                let total = outcome.ok + outcome.failed
                let rate = seconds > 0 ? " (\(ProgressDisplay.grouped(Int(Double(total) / seconds))) rows/s)" : ""
                FileStandardError.write("repay batch: \(outcome.ok) rows ok, \(outcome.failed) failed, \(format2(seconds)) s\(rate)\n")
            }
            throw ExitCode(outcome.failed > 0 ? 1 : 0)
        } catch let e as KernelError {
            display?.clear()
            let sig = batchStopSignal.load(ordering: .relaxed)
            if sig != 0 {
                let name = sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)" : "stopped by signal \(sig)"
                fail("\(name); no output file was written", code: 128 + sig)
            }
            fail(e.description + (outputs.all.contains { $0.tempPath != nil } ? "; no output file was written" : ""),
                 code: e.code == .unusableFile ? 2 : 3)
        }
    }

    func fail(_ message: String, code: Int32 = 2) -> Never {
        FileStandardError.write("repay batch: \(message)\n")
        Glibc.exit(code)
    }
}

/// SIGINT and SIGTERM set `batchStopSignal`; the run then stops at its next check (within
/// 50 ms, or at once when blocked in a write), removes its temporary files and exits 128+sig.
/// No SA_RESTART, so a write blocked on a stalled pipe returns EINTR. A second signal while
/// the first is being handled kills the process the default way.
func installStopHandlers() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { sig in
        if batchStopSignal.exchange(sig, ordering: .relaxed) != 0 {
            signal(sig, SIG_DFL)
            raise(sig)
        }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
    // A parent may have started us with these signals blocked; the writer thread takes them.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// The progress line on standard error (only on a terminal).
final class ProgressDisplay {
    let inputSize: Int?
    var shown = false

    init(inputSize: Int?) { self.inputSize = inputSize }

    func show(_ p: BatchProgress) {
        let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
        var line = "\r\u{1B}[K\(ProgressDisplay.grouped(p.rows)) rows"
        if p.failed > 0 { line += " (\(ProgressDisplay.grouped(p.failed)) failed)" }
        line += ", \(ProgressDisplay.grouped(Int(rate))) rows/s"
        if let size = inputSize, p.bytesRead > 0 {
            let fraction = min(1, Double(p.bytesRead) / Double(size))
            line += ", \(Int(fraction * 100))%"
            if fraction > 0 && fraction < 1 {
                let eta = Int((p.elapsed * (1 - fraction) / fraction).rounded())
                line += ", ETA \(eta / 60):\(eta % 60 < 10 ? "0" : "")\(eta % 60)"
            }
        }
        FileStandardError.write(line)
        shown = true
    }

    func clear() {
        if shown { FileStandardError.write("\r\u{1B}[K") }
        shown = false
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ v: Int) -> String {
        let s = String(v)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func format2(_ v: Double) -> String {
    let cents = Int((v * 100).rounded())
    return "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
}
