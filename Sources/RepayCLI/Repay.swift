import ArgumentParser
import RepaymentKernel
#if canImport(Glibc)
import Glibc
#endif

@main
struct Repay: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "repay",
        abstract: "Exact repayment schedules and negotiated repayment plans (协商还款).",
        discussion: """
        Every amount is exact: integers of the currency's minor unit, rates as \
        exact fractions, rounding only where the contract (SPEC.md) says, with \
        the mode you choose.
        """,
        version: RepaymentKernel.version,
        subcommands: [ScheduleCommand.self, PlanCommand.self, LedgerCommand.self, BatchCommand.self]
    )

    static let examples = [
        HelpExample("a 10-month loan's schedule",
                    lines: ["repay schedule --principal 10000 --rate 8% --term 10 --start 2024-01-01"]),
        HelpExample("a debt in arrears, given directly, over 12 installments",
                    lines: ["repay plan --as-of 2024-06-20 --principal 9000 --overdue-interest 120",
                           "--installments 12"]),
        HelpExample("every row of a CSV file (the repository's example file)",
                    lines: ["repay batch fixtures/loans.csv --schedule schedule.csv --summary summary.csv"]),
        HelpExample("the version (the same as the C API's rk_version())",
                    lines: ["repay --version"]),
    ]

    /// As ArgumentParser's, except that a command line it rejects exits with
    /// status 2 (the batch contract's "unusable command line"), not 64, and
    /// that a command's help ends with its examples, never wrapped.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            switch exitCode(for: error) {
            case .validationFailure:
                FileStandardError.write(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            case .success:
                if let help = helpWithExamples(fullMessage(for: error)) {
                    print(help, terminator: "")
                    Glibc.exit(0)
                }
            default:
                break
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

extension KernelError {
    /// The same error naming `to` instead of the column `from` (a command-line option's name).
    func renamingField(_ from: String, to: String) -> KernelError {
        var e = self
        if e.field == from { e.field = to }
        return e
    }
}

/// Writes to standard error without Foundation.
enum FileStandardError {
    static func write(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
