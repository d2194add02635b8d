import ArgumentParser
import RepaymentKernel
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

struct BatchCommand: ParsableCommand {
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
                 deferral_interest, then, installments, plan_method, plan_rate, max_term
        An empty cell means the default. A bad row gets status=error in the summary
        with a message naming the column; it never stops the batch.

        Exit status: 0 all rows ok, 1 some rows failed, 2 the file or the command
        line is unusable (then no output file is written).

        Example:
          repay batch fixtures/loans.csv --schedule schedule.csv --summary summary.csv
          repay batch book.csv --summary - | head
        """
    )

    @Argument(help: "The input CSV file, or - for standard input.")
    var input: String

    @Option(help: ArgumentHelp("Write the schedule (one line per payment) here; - for standard output.", valueName: "file"))
    var schedule: String?

    @Option(help: ArgumentHelp("Write the summary (one line per input row) here; - for standard output.", valueName: "file"))
    var summary: String?

    @Option(help: "Worker threads (default: every core).")
    var jobs: Int?

    @Flag(help: "No progress and no final line on standard error.")
    var quiet = false

    func validate() throws {
        if schedule == nil && summary == nil {
            throw ValidationError("nothing to write: add --schedule FILE and/or --summary FILE (- for standard output)")
        }
        if schedule == "-" && summary == "-" {
            throw ValidationError("--schedule and --summary cannot both be standard output; give one of them a file name")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (or leave it out to use every core)") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let start = DispatchTime.now().uptimeNanoseconds
        let fd: Int32
        if input == "-" { fd = 0 } else {
            fd = open(input, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                fail("cannot read '\(input)': \(String(cString: strerror(errno)))")
            }
        }
        var scheduleSink: ByteSink? = nil, summarySink: ByteSink? = nil
        do {
            if let schedule { scheduleSink = try ByteSink.open(path: schedule, field: "schedule") }
            if let summary { summarySink = try ByteSink.open(path: summary, field: "summary") }
        } catch {
            scheduleSink?.discard()
            fail(error.description)
        }
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var runner = BatchRunner(jobs: jobs ?? max(1, cores))
        let reader = CSVReader(fileDescriptor: fd)
        do {
            let outcome = try runner.run(input: reader, schedule: scheduleSink, summary: summarySink)
            if !quiet {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let line = "repay batch: \(outcome.ok) rows ok, \(outcome.failed) failed, \(String(format2(seconds))) s\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
            }
            _ = runner
            throw ExitCode(outcome.failed > 0 ? 1 : 0)
        } catch let e as KernelError {
            fail(e.description, code: e.code == .unusableFile ? 2 : 3)
        }
    }

    func fail(_ message: String, code: Int32 = 2) -> Never {
        let line = "repay batch: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        Glibc.exit(code)
    }
}

func format2(_ v: Double) -> String {
    let cents = Int((v * 100).rounded())
    return "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
}
