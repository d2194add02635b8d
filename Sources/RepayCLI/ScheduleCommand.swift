import ArgumentParser
import RepaymentKernel

struct ScheduleCommand: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Compute a loan's repayment schedule, to the cent.",
        discussion: """
        Every amount is exact. Interest of each period is round(balance x factor)
        with the chosen day count; the last period absorbs all rounding residue.
        """
    )

    static let examples = [
        HelpExample("a 10-month annuity (equal installments) at 8% a year",
                    lines: ["repay schedule --principal 10000 --rate 8% --term 10 --start 2024-01-01"]),
        HelpExample("a 30-year mortgage from a month end, as the batch schedule CSV",
                    lines: ["repay schedule --principal 250000 --rate 4.9% --term 360 --start 2024-01-31",
                            "--format csv"]),
        HelpExample("a card-style installment plan: a fee of 0.6% of the principal a month",
                    lines: ["repay schedule --principal 12000 --fee-rate 0.6% --method flat --term 12",
                            "--start 2024-03-15"]),
    ]

    @OptionGroup var loan: LoanOptions

    @Option(help: "table (default, for people), csv (the batch schedule columns), json.")
    var format: OutputFormat = .table

    @Option(help: "The id written in csv and json output.")
    var id: String = "loan"

    func run() throws {
        let terms: LoanTerms
        do {
            guard case .loan(let t) = try request(id: id, cells: loan.cells) else { throw KernelError(field: "as_of", "not an option of schedule") }
            terms = t
        } catch let e as KernelError {
            throw optionError(e, command: "schedule")
        }
        let result: BatchResult
        do { result = try BatchResult(.loan(terms)) } catch { throw optionError(error, command: "schedule") }
        let s = result.schedule
        switch format {
        case .csv:
            print(scheduleCSV(id: id, s), terminator: "")
        case .json:
            print("""
            {
              "id": \(jsonString(id)),
              "terms": {"principal": "\(terms.principal)", "rate": "\(terms.rate.exactDecimal)", "fee_rate": \(terms.feeRate.map { "\"\($0.exactDecimal)\"" } ?? "null"), "term": \(terms.term), "method": "\(terms.method.rawValue)", "start": "\(terms.start)", "first_due": \(terms.firstDue.map { "\"\($0)\"" } ?? "null"), "basis": "\(terms.basis.rawValue)", "rounding": "\(terms.rounding.rawValue)", "scale": \(terms.scale)},
              "rows": [
                \(rowsJSON(s))
              ],
              "totals": {"payments": \(s.rows.count), "total_payable": "\(result.totalPayable)", "total_principal": "\(s.totalPrincipal)", "total_interest": "\(result.totalInterest)", "last_due": "\(s.lastDue!)", "apr": "\(result.apr.nominal)", "effective_apr": "\(result.apr.effective)"}
            }
            """)
        case .table:
            print(Self.report(terms, result), terminator: "")
        }
    }

    static func report(_ terms: LoanTerms, _ result: BatchResult) -> String {
        let s = result.schedule
        let rateText = terms.feeRate.map { "fee \(percent($0.description)) a month" } ?? "\(percent(terms.rate.description)) a year"
        var out = "Loan \(terms.principal) at \(rateText), \(terms.term) months, \(terms.method.rawValue), "
        out += "from \(terms.start), \(terms.basis.rawValue) day count, rounding \(terms.rounding.rawValue)\n"
        let first = s.rows.first!.payment
        let same = s.rows.dropLast().allSatisfy { $0.payment == first }
        if s.rows.count > 1 && same {
            out += "Installment \(first) (last \(s.rows.last!.payment))"
        } else if s.rows.count == 1 {
            out += "One payment of \(first)"
        } else {
            out += "First payment \(first), last \(s.rows.last!.payment)"
        }
        out += "; total interest \(result.totalInterest); total payable \(result.totalPayable)\n"
        out += "APR \(percent(result.apr.nominal)) (effective \(percent(result.apr.effective)))\n\n"
        let rows = s.rows.map { r in
            ["\(r.period)", "\(r.dueDate)", "\(r.payment)", "\(r.principal)", "\(r.interest)", "\(r.balance)"]
        }
        out += table(["#", "Due date", "Payment", "Principal", "Interest", "Balance"], rows,
                     footer: ["", "Total", "\(result.totalPayable)", "\(s.totalPrincipal)", "\(result.totalInterest)", ""],
                     leftAligned: [1])
        return out
    }
}
