import ArgumentParser
import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

@main
struct Repay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repay",
        abstract: "Exact repayment schedules and negotiated repayment plans (协商还款).",
        discussion: """
        Every amount is exact: integers of the currency's minor unit, rates as \
        exact fractions, rounding only where the contract (SPEC.md) says, with \
        the mode you choose.

        Examples:
          repay schedule --principal 10000 --rate 8% --term 10 --start 2024-01-01
          repay plan --as-of 2024-06-20 --principal 9000 --overdue-interest 120 --installments 12
          repay batch fixtures/loans.csv --schedule schedule.csv --summary summary.csv
        """,
        subcommands: [ScheduleCommand.self, PlanCommand.self, BatchCommand.self]
    )

    /// As ArgumentParser's, except that a command line it rejects exits with
    /// status 2 (the batch contract's "unusable command line"), not 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileStandardError.write(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Output formats of `schedule` and `plan`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// Prints a kernel error naming the command-line option (`--principal: ...`)
/// with a pointer to the command's help, and exits with status 2.
func optionError(_ e: KernelError, command: String) -> ExitCode {
    let option = e.field.isEmpty ? "" : "--" + String(e.field.map { $0 == "_" ? "-" : $0 }) + ": "
    let message = "Error: \(option)\(e.problem)\nSee 'repay \(command) --help' for every option and an example.\n"
    FileStandardError.write(message)
    return ExitCode(2)
}

/// Writes to standard error without Foundation.
enum FileStandardError {
    static func write(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
