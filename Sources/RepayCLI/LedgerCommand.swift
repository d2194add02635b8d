import ArgumentParser
import RepaymentKernel

struct LedgerCommand: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Replay what was actually paid against the loan: every event, the days past due, the arrears.",
        discussion: """
        The loan's contract is replayed day by day up to --as-of (SPEC §9.2):
        installments fall due; each --payment pays what is due (oldest
        installment first, or --allocation component) and the rest becomes
        credit for later installments; a prepayment (DATE AMOUNT prepay) also
        pays accrued interest and principal and re-amortizes the loan. Penalty
        interest (罚息) runs on what stays unpaid, from the due date, in spans cut
        at every payment date; with --grace-days an installment paid in full
        within the grace period owes none.

        Each line shows the event, how a payment was split between penalty,
        interest and principal, what stays overdue, the credit, the principal
        not yet due and the days past due (逾期天数). The last line is the
        position at --as-of, which `repay plan` with the same options starts from.
        """
    )

    static let examples = [
        HelpExample("installment 4 paid half on time, the rest (and its penalty) 5 days late;",
                    "installment 5 unpaid: 15 days past due",
                    lines: ["repay ledger --principal 20000 --rate 12% --term 24 --start 2024-01-10",
                            "--as-of 2024-06-25 --payment 2024-02-10 941.47",
                            "--payment 2024-03-10 941.47 --payment 2024-04-10 941.47",
                            "--payment 2024-05-10 470 --payment 2024-05-15 472.65"]),
        HelpExample("one late payment as CSV, all penalty and interest settled before principal",
                    lines: ["repay ledger --principal 20000 --rate 12% --term 24 --start 2024-01-10",
                            "--as-of 2024-06-25 --payment 2024-05-15 2000 --allocation component",
                            "--format csv"]),
    ]

    @OptionGroup(title: "Loan") var loan: LoanOptions
    @Option(name: .customLong("as-of"), help: "Replay up to this date, YYYY-MM-DD (required).")
    var asOf: String?
    @OptionGroup(title: "What was paid") var payments: PaymentOptions
    @OptionGroup(title: "Penalty and fees") var penaltyAndFees: PenaltyOptions
    @Option(help: "table (default), csv (the ledger columns), json.")
    var format: OutputFormat = .table
    @Option(help: "The id written in csv and json output.")
    var id: String = "loan"

    func run() throws {
        let replay: PaymentReplay
        do {
            replay = try compute()
        } catch {
            throw optionError(error.renamingField("payments", to: "payment"), command: "ledger")
        }
        switch format {
        case .csv:
            var out = Array(LedgerFormat.header.utf8)
            LedgerFormat.append(id: id, replay.events, to: &out)
            print(String(decoding: out, as: UTF8.self), terminator: "")
        case .json:
            print(Self.json(id: id, replay))
        case .table:
            print(Self.report(replay), terminator: "")
        }
    }

    /// Validates every option as the batch contract does, then replays.
    func compute() throws(KernelError) -> PaymentReplay {
        guard let asOf else { throw KernelError(field: "as_of", "required: the date to replay up to, e.g. --as-of 2024-06-25") }
        let req = try request(id: id, cells: loan.cells)
        guard !req.isPlan, let terms = req.loan else {
            throw KernelError(field: "as_of", "required")
        }
        let history = try PaymentHistory(parsing: try payments.paymentsCell() ?? "", scale: terms.scale)
        let date = try CivilDate(parsing: asOf, field: "as_of")
        let allocation = try payments.allocation.map { (s) throws(KernelError) in try AllocationOrder(parsing: s) } ?? .installment
        let mode = try payments.prepayment.map { (s) throws(KernelError) in try PrepaymentMode(parsing: s) } ?? .reducePayment
        var grace = 0
        if let g = payments.graceDays {
            guard let v = CellParser.wholeNumber(g) else { throw KernelError(field: "grace_days", "not a whole number: '\(g)'") }
            grace = v
        }
        let markupRate = try penaltyAndFees.markup.map { (s) throws(KernelError) in try Rate(parsing: s, field: "markup") } ?? .defaultPenaltyMarkup
        let isCompound = try penaltyAndFees.compound.map { (s) throws(KernelError) in try CellParser.boolean(s, field: "compound") } ?? false
        let feesOwed = try penaltyAndFees.fees.map { (s) throws(KernelError) in try Money(parsing: s, scale: terms.scale, field: "fees") }
        return try PaymentReplay(loan: terms, history: history, asOf: date, allocation: allocation, prepayment: mode,
                                 graceDays: grace, markup: markupRate, compound: isCompound, fees: feesOwed)
    }

    static func report(_ r: PaymentReplay) -> String {
        let lines = r.events.map { e in
            ["\(e.date)", e.kind.rawValue, e.installment.map(String.init) ?? "", "\(e.amount)", "\(e.penalty)",
             "\(e.interest)", "\(e.principal)", "\(e.credit)", "\(e.overdue)", "\(e.balance)", "\(e.daysPastDue)"]
        }
        var out = table(["Date", "Event", "#", "Amount", "Penalty", "Interest", "Principal", "Credit", "Overdue",
                         "Not yet due", "Days past due"], lines, leftAligned: [0, 1])
        let a = r.arrears
        out += "\nAt \(r.events.last!.date): \(a.daysPastDue ?? 0) days past due (逾期天数)\n"
        out += table(["Arrears", "Amount"], [
            ["Principal not yet due", "\(a.principal)"],
            ["Overdue principal", "\(a.overduePrincipal)"],
            ["Overdue interest", "\(a.overdueInterest)"],
            ["Accrued interest", "\(a.accruedInterest)"],
            ["Penalty interest", "\(a.penalty)"],
            ["Fees", "\(a.fees)"],
        ], footer: ["Total", "\(a.total)"], leftAligned: [0])
        if !a.credit.isZero { out += "Credit \(a.credit) (a plan takes it as part of the down payment)\n" }
        return out
    }

    static func json(id: String, _ r: PaymentReplay) -> String {
        let a = r.arrears
        let events = r.events.map { e in
            "{\"date\":\"\(e.date)\",\"event\":\"\(e.kind.rawValue)\",\"installment\":\(e.installment.map(String.init) ?? "null"),"
                + "\"amount\":\"\(e.amount)\",\"penalty\":\"\(e.penalty)\",\"interest\":\"\(e.interest)\",\"principal\":\"\(e.principal)\","
                + "\"credit\":\"\(e.credit)\",\"overdue\":\"\(e.overdue)\",\"balance\":\"\(e.balance)\",\"days_past_due\":\(e.daysPastDue)}"
        }.joined(separator: ",\n    ")
        return """
        {
          "id": \(jsonString(id)),
          "events": [
            \(events)
          ],
          "arrears": {"principal": "\(a.principal)", "overdue_principal": "\(a.overduePrincipal)", "overdue_interest": "\(a.overdueInterest)", "accrued_interest": "\(a.accruedInterest)", "penalty": "\(a.penalty)", "fees": "\(a.fees)", "total": "\(a.total)", "credit": "\(a.credit)", "days_past_due": \(a.daysPastDue ?? 0)}
        }
        """
    }
}
