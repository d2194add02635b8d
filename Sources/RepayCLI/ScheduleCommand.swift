import ArgumentParser
import RepaymentKernel

struct ScheduleCommand: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Compute a loan's repayment schedule, to the cent.",
        discussion: """
        Every amount is exact. Interest of each period is round(balance x factor)
        with the chosen day count; the last period absorbs all rounding residue.

        With --prepay (提前还款, SPEC §9.1) the schedule shows each prepayment as a
        row of its own: it pays the interest accrued since the last due date,
        then principal, and the rest of the loan is re-amortized: --prepayment
        reduce-payment (default) keeps the due dates and lowers the installment,
        reduce-term keeps the installment and ends early. The report says what
        the prepayments save against the contract: interest and months.
        """
    )

    static let examples = [
        HelpExample("a 10-month annuity (equal installments) at 8% a year",
                    lines: ["repay schedule --principal 10000 --rate 8% --term 10 --start 2024-01-01"]),
        HelpExample("a 30-year mortgage from a month end, as the batch schedule CSV",
                    lines: ["repay schedule --principal 250000 --rate 4.9% --term 360 --start 2024-01-31",
                            "--format csv"]),
        HelpExample("提前还款: a 30-year mortgage, 200000 prepaid after installment 12,",
                    "the installment kept and the term shortened",
                    lines: ["repay schedule --principal 1000000 --rate 4.9% --term 360",
                            "--start 2024-01-20 --prepay 2025-01-20 200000 --prepayment reduce-term"]),
        HelpExample("a card-style installment plan: a fee of 0.6% of the principal a month",
                    lines: ["repay schedule --principal 12000 --fee-rate 0.6% --method flat --term 12",
                            "--start 2024-03-15"]),
    ]

    @OptionGroup var loan: LoanOptions

    @Option(parsing: .upToNextOption,
            help: ArgumentHelp("A prepayment (提前还款): DATE AMOUNT, after --start and on or before the last due date. Repeat for several, in date order.",
                               valueName: "date amount"))
    var prepay: [String] = []
    @Option(help: "After a prepayment: reduce-payment (default: same due dates, lower installment) or reduce-term (same installment, ends early).")
    var prepayment: String?

    @Option(help: "table (default, for people), csv (the batch schedule columns), json.")
    var format: OutputFormat = .table

    @Option(help: "The id written in csv and json output.")
    var id: String = "loan"

    func run() throws {
        let terms: LoanTerms
        var prepaid: PrepaidSchedule? = nil
        let result: BatchResult
        do {
            let payments = try PaymentOptions.cell(prepay, option: "prepay", prepayOnly: true)
            let req = try request(id: id, cells: loan.cells + [("payments", payments), ("prepayment", prepayment)])
            guard !req.isPlan, let t = req.loan else { throw KernelError(field: "as_of", "not an option of schedule") }
            terms = t
            if let history = req.payments {
                prepaid = try PrepaidSchedule(loan: t, prepayments: history, mode: req.paymentSettings.prepayment)
            }
            result = try BatchResult(req)
        } catch let e as KernelError {
            throw optionError(e.renamingField("payments", to: "prepay"), command: "schedule")
        }
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
              "totals": {"payments": \(s.rows.count), "total_payable": "\(result.totalPayable)", "total_principal": "\(s.totalPrincipal)", "total_interest": "\(result.totalInterest)", "last_due": "\(s.lastDue!)", "apr": "\(result.apr.nominal)", "effective_apr": "\(result.apr.effective)"}\(prepaid.map { ",\n  \"prepayment\": " + Self.savingsJSON($0) } ?? "")
            }
            """)
        case .table:
            print(Self.report(terms, result), terminator: "")
            if let prepaid { print(Self.savings(prepaid), terminator: "") }
        }
    }

    /// What the prepayments save against the contract, in words.
    static func savings(_ p: PrepaidSchedule) -> String {
        let before = p.contract.rows.first!.payment
        var out = "\nPrepayments (\(p.mode.rawValue)) save \(p.interestSaved) of interest"
        out += p.monthsSaved > 0 ? " and \(p.monthsSaved) month\(p.monthsSaved == 1 ? "" : "s")" : ""
        out += " against the contract (interest \(p.contract.totalInterest), last due \(p.contract.lastDue!)).\n"
        if let after = p.installmentAfterPrepayments {
            out += "Installment before the prepayments \(before), after \(after); last due \(p.schedule.lastDue!).\n"
        }
        return out
    }

    static func savingsJSON(_ p: PrepaidSchedule) -> String {
        "{\"mode\": \"\(p.mode.rawValue)\", \"interest_saved\": \"\(p.interestSaved)\", \"months_saved\": \(p.monthsSaved), "
            + "\"contract_total_interest\": \"\(p.contract.totalInterest)\", \"contract_last_due\": \"\(p.contract.lastDue!)\", "
            + "\"installment_after\": \(p.installmentAfterPrepayments.map { "\"\($0)\"" } ?? "null")}"
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
        let prepays = s.rows.contains { $0.kind == .prepay }
        let rows = s.rows.map { r in
            ["\(r.period)", "\(r.dueDate)"] + (prepays ? [r.kind.rawValue] : [])
                + ["\(r.payment)", "\(r.principal)", "\(r.interest)", "\(r.balance)"]
        }
        out += table(["#", "Due date"] + (prepays ? ["Kind"] : []) + ["Payment", "Principal", "Interest", "Balance"], rows,
                     footer: ["", "Total"] + (prepays ? [""] : [])
                        + ["\(result.totalPayable)", "\(s.totalPrincipal)", "\(result.totalInterest)", ""],
                     leftAligned: prepays ? [1, 2] : [1])
        return out
    }
}
