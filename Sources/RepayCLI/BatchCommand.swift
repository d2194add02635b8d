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
        All or nothing: a file is written to a temporary file beside it (a random
        name .FILE.repay-tmp-PID-RANDOM, left by a killed run and removed by the next
        run in that directory) and renamed into place, keeping the old file's mode,
        only when the run completes; if a rename fails, those already done are undone.
        Standard output (and a FIFO or device) is kept in a temporary file in $TMPDIR
        and copied out at the end (redirected to a file with > or >>, it is written in
        place and cut back on failure), so a file found unusable late leaves nothing
        there either; --stream writes it as the run goes (partial output on failure).
        An output that is the input file, or two outputs naming one file (another
        spelling, a symlink, a hard link), is refused.

        Limits: the input must be UTF-8; a cell may take 1 MiB, a record 16 MiB
        (quotes included); a file over a limit is unusable (exit 2, naming the line).

        Spreadsheets: a cell starting with = + - @ is run as a formula when a CSV
        file is opened in Excel or LibreOffice, and ids come from the input. With
        --excel-safe such id and message cells get a leading ' (kept as text).

        Rows are computed in parallel (--jobs, default every core) and written in
        input order: the output is the same byte for byte for every --jobs.
        On a terminal, progress (rows, rows/s, ETA) is shown on standard error
        (not with --quiet, nor when an output goes to that terminal).

        Exit status: 0 all rows ok, 1 some rows failed, 2 the file or the command
        line is unusable (then no output file is written), 3 reading or writing
        failed (an output that cannot be created, a closed pipe, a full disk, an
        input that shrank while read), 130 interrupted (Ctrl-C, also a second one:
        the run still cleans up), 143 terminated (SIGTERM), 129 hung up (SIGHUP).
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

    @Flag(help: "Write standard output (and a FIFO or device) as the run goes, not at the end: a failed run leaves partial output there.")
    var stream = false

    @Flag(help: "Prefix id and message cells starting with = + - @ TAB or CR with ' so spreadsheets do not run them as formulas (CSV outputs).")
    var excelSafe = false

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
            .compactMap { name, path in path.map { (option: name, path: $0) } }
        // The input, or one file twice (by device and inode, so any spelling, symlink or hard
        // link), is a mistake; a character device such as /dev/null may be named twice.
        if let problem = OutputConflicts.problem(input: input, outputs: given) {
            throw ValidationError(problem)
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
            if let schedule { outputs.schedule = try ByteSink.open(path: schedule, field: "schedule", streaming: stream) }
            if let summary { outputs.summary = try ByteSink.open(path: summary, field: "summary", streaming: stream) }
            if let output { outputs.jsonl = try ByteSink.open(path: output, field: "output", streaming: stream) }
            if let errors { outputs.errors = try ByteSink.open(path: errors, field: "errors", streaming: stream) }
            if let ledger { outputs.ledger = try ByteSink.open(path: ledger, field: "ledger", streaming: stream) }
        } catch {
            for s in outputs.all { s.discard() }
            fail(error.description, code: 3)  // an output that cannot be written is an I/O failure
        }

        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var runner = BatchRunner(jobs: jobs ?? max(1, cores))
        runner.format = format
        runner.excelSafe = excelSafe
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
            // Once publication started, the message says what became of each file.
            let touched = outputs.all.contains { $0.publicationStarted }
            var outcome = touched || !outputs.all.contains(where: \.isHeldBack) ? "" : "; no output file was written"
            if outputs.all.contains(where: { !$0.isHeldBack && $0.name != "/dev/null" }) {
                outcome += "; what --stream wrote so far is incomplete"
            }
            let sig = batchStopSignal.load(ordering: .relaxed)
            if sig != 0 {
                let name = sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)"
                    : sig == SIGHUP ? "hung up (SIGHUP)" : "stopped by signal \(sig)"
                fail(touched ? "\(name): \(e.description)" : name + outcome, code: 128 + sig)
            }
            fail(e.description + outcome, code: e.code == .unusableFile ? 2 : 3)
        }
    }

    func fail(_ message: String, code: Int32 = 2) -> Never {
        FileStandardError.write("repay batch: \(message)\n")
        Glibc.exit(code)
    }
}

/// SIGINT, SIGTERM and SIGHUP set `batchStopSignal` (the first one received is kept); the run
/// then stops at its next check (within 50 ms, or at once when blocked in a read or write),
/// removes its temporary files and exits 128+sig. The handlers stay installed until the
/// process exits, so a second Ctrl-C during the cleanup does not cut it short (SIGKILL does;
/// the next run in that directory removes the leftovers). No SA_RESTART, so a write blocked on
/// a stalled pipe returns EINTR.
func installStopHandlers() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { sig in
        _ = batchStopSignal.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
    }
    // While one handler runs the other stop signals wait, so the first one received decides
    // the exit status even when several arrive at once.
    var set = sigset_t()
    sigemptyset(&set)
    for sig in BatchRunner.stopSignals { sigaddset(&set, sig) }
    action.sa_mask = set
    action.sa_flags = 0
    for sig in BatchRunner.stopSignals { sigaction(sig, &action, nil) }
    // A parent may have started us with these signals blocked; the writer thread takes them.
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
