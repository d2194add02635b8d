import ArgumentParser
import RepaymentKernel

struct PlanCommand: ParsableCommand, HasHelpExamples {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compute a negotiated repayment plan (协商还款): waivers, deferral, re-installment.",
        discussion: """
        The debt at --as-of comes from the loan and what was actually paid
        (--payment DATE AMOUNT, repeated: late, partial and early payments, and
        prepayments, replayed as SPEC §9.2 says; `repay ledger` shows that
        replay), or from the loan plus --paid-through (installments 1..N were
        paid on time, none after), or directly (--principal is then the
        principal not yet due, with --overdue-principal, --overdue-interest,
        --accrued-interest, --penalty, --fees). The report shows the days past
        due (逾期天数) and any credit, which the plan takes as a down payment.

        The plan applies, in order: waivers (a percentage 100% or an amount 35.20),
        consolidation (--capitalize none|all), a down payment, a deferral of
        --defer-months, then a lump sum or --installments (二次分期).
        """
    )

    static let examples = [
        HelpExample("15 days overdue: installments 1-4 paid, installment 5 (due 2024-06-10) not;",
                    "penalty waived; the rest over 12 months at no interest",
                    lines: ["repay plan --principal 20000 --rate 12% --term 24 --start 2024-01-10",
                            "--paid-through 4 --as-of 2024-06-25 --waive-penalty 100%", "--installments 12"]),
        HelpExample("from the real history: installment 4 paid half on time, the rest",
                    "5 days late, installment 5 unpaid; a 12-month deferral with",
                    "interest waived, then 24 installments",
                    lines: ["repay plan --principal 20000 --rate 12% --term 24 --start 2024-01-10",
                            "--as-of 2024-06-25 --payment 2024-02-10 941.47",
                            "--payment 2024-03-10 941.47 --payment 2024-04-10 941.47",
                            "--payment 2024-05-10 470 --payment 2024-05-15 472.65",
                            "--waive-penalty 100% --defer-months 12 --installments 24"]),
        HelpExample("the debt given directly; the fewest installments that fit 500 a month",
                    lines: ["repay plan --as-of 2024-06-20 --principal 5000 --overdue-interest 120",
                            "--penalty 35.20 --waive-penalty 100% --budget 500"]),
    ]

    @OptionGroup(title: "Loan (for --paid-through) or principal not yet due (direct)") var loan: LoanOptions

    @Option(name: .customLong("as-of"), help: "The date of the agreement, YYYY-MM-DD (required).")
    var asOf: String?
    @OptionGroup(title: "What was paid (instead of --paid-through)") var payments: PaymentOptions
    @Option(name: .customLong("paid-through"), help: "Installments 1..N of the loan were paid in full, none after.")
    var paidThrough: String?
    @Option(name: .customLong("overdue-principal"), help: "Direct arrears: overdue principal.")
    var overduePrincipal: String?
    @Option(name: .customLong("overdue-interest"), help: "Direct arrears: overdue interest.")
    var overdueInterest: String?
    @Option(name: .customLong("accrued-interest"), help: "Direct arrears: interest accrued since the last due date.")
    var accruedInterest: String?
    @Option(help: "Direct arrears: penalty interest (罚息).")
    var penalty: String?
    @OptionGroup(title: "Penalty and fees") var penaltyAndFees: PenaltyOptions
    @Option(name: .customLong("waive-penalty"), help: "Waive penalty: a percentage (100%) or an amount (35.20).")
    var waivePenalty: String?
    @Option(name: .customLong("waive-interest"), help: "Waive interest (overdue + accrued): a percentage or an amount.")
    var waiveInterest: String?
    @Option(name: .customLong("waive-fees"), help: "Waive fees: a percentage or an amount.")
    var waiveFees: String?
    @Option(help: "none (default: interest, penalty, fees carried without interest) or all (everything bears interest).")
    var capitalize: String?
    @Option(name: .customLong("down-payment"), help: "Paid at --as-of; reduces carried amounts first, then principal.")
    var downPayment: String?
    @Option(name: .customLong("defer-months"), help: "Months of deferral (延期) before anything else is due.")
    var deferMonths: String?
    @Option(name: .customLong("deferral-interest"), help: "waived (default), accrued (capitalized at the end), interest-only (paid monthly).")
    var deferralInterest: String?
    @Option(help: "lump-sum or installments (default: installments when --installments is given).")
    var then: String?
    @Option(help: "Number of installments (二次分期), at most --max-term.")
    var installments: String?
    @Option(name: .customLong("plan-method"), help: "How installments repay principal: annuity (default), equal-principal, interest-only, bullet, flat.")
    var planMethod: String?
    @Option(name: .customLong("plan-rate"), help: "Annual rate of the plan (default 0); for --plan-method flat the fee per period.")
    var planRate: String?
    @Option(name: .customLong("max-term"), help: "The most installments allowed (default 60).")
    var maxTerm: String?
    @Option(help: "Instead of --installments: the fewest installments whose largest payment fits this amount.")
    var budget: String?

    @Option(help: "table (default, a readable report), csv (the batch schedule columns), json.")
    var format: OutputFormat = .table
    @Option(help: "The id written in csv and json output.")
    var id: String = "plan"

    func cells(installments: String?) throws(KernelError) -> [(String, String?)] {
        loan.cells + [("payments", try payments.paymentsCell())] + payments.settingCells + [
            ("as_of", asOf), ("paid_through", paidThrough), ("overdue_principal", overduePrincipal),
            ("overdue_interest", overdueInterest), ("accrued_interest", accruedInterest), ("penalty", penalty),
        ] + penaltyAndFees.cells + [
            ("waive_penalty", waivePenalty),
            ("waive_interest", waiveInterest), ("waive_fees", waiveFees), ("capitalize", capitalize),
            ("down_payment", downPayment), ("defer_months", deferMonths), ("deferral_interest", deferralInterest),
            ("then", then), ("installments", installments), ("plan_method", planMethod), ("plan_rate", planRate),
            ("max_term", maxTerm),
        ]
    }

    func compute(installments: String?) throws(KernelError) -> NegotiatedPlan {
        guard asOf != nil else { throw KernelError.init(field: "as_of", "required: the date of the agreement, e.g. --as-of 2024-06-20") }
        guard let terms = try request(id: id, cells: try cells(installments: installments)).planTerms() else {
            throw KernelError(field: "as_of", "required")
        }
        return try NegotiatedPlan(terms)
    }

    func run() throws {
        let plan: NegotiatedPlan
        var budgetNote: String? = nil
        do {
            if let budget {
                guard installments == nil else {
                    throw KernelError(field: "budget", "give --budget or --installments, not both")
                }
                (plan, budgetNote) = try fit(budget: budget)
            } else {
                plan = try compute(installments: installments)
            }
        } catch let e as KernelError {
            throw optionError(e.renamingField("payments", to: "payment"), command: "plan")
        }
        switch format {
        case .csv:
            print(scheduleCSV(id: id, plan.schedule), terminator: "")
        case .json:
            print(Self.json(id: id, plan))
        case .table:
            if let budgetNote { print(budgetNote) }
            print(Self.report(plan), terminator: "")
        }
    }

    /// The fewest installments whose largest payment (down payment aside) fits `budget`.
    func fit(budget: String) throws(KernelError) -> (NegotiatedPlan, String) {
        let probe = try compute(installments: "1")
        let limit = try Money(parsing: budget, scale: probe.terms.scale, field: "budget")
        let maxTerm = min(probe.terms.maxTerm, LoanTerms.maximumTerm)
        var smallest: (Money, Int)? = nil
        for m in 1...maxTerm {
            let plan = try compute(installments: String(m))
            let largest = plan.schedule.rows.filter { $0.kind != .down }.map(\.payment).max() ?? .zero(scale: plan.terms.scale)
            if largest <= limit {
                return (plan, "Budget \(limit) a month: \(m) installment\(m == 1 ? "" : "s") is the fewest that fits (largest payment \(largest)).\n")
            }
            if smallest == nil || largest < smallest!.0 { smallest = (largest, m) }
        }
        let (need, m) = smallest!
        throw KernelError(field: "budget", "no plan of at most \(maxTerm) installments fits \(limit); the smallest budget that works is \(need) (with \(m) installments), or raise --max-term")
    }

    static func report(_ p: NegotiatedPlan) -> String {
        let a = p.terms.arrears
        let scale = p.terms.scale
        var out = "Negotiated plan as of \(p.terms.asOf)\n\n"
        let interest = a.overdueInterest + a.accruedInterest
        let rows: [[String]] = [
            ["Principal not yet due", "\(a.principal)", ""],
            ["Overdue principal", "\(a.overduePrincipal)", ""],
            ["Interest", "\(interest)", "\(p.waivedInterest)"],
            ["  overdue", "\(a.overdueInterest)", ""],
            ["  accrued", "\(a.accruedInterest)", ""],
            ["Penalty interest", "\(a.penalty)", "\(p.waivedPenalty)"],
            ["Fees", "\(a.fees)", "\(p.waivedFees)"],
        ]
        _ = scale
        out += table(["Debt before", "Amount", "Waived"], rows,
                     footer: ["Total", "\(p.debtBefore)", "\(p.waived)"], leftAligned: [0])
        if let days = a.daysPastDue { out += "\nDays past due (逾期天数): \(days)" }
        if !a.credit.isZero { out += "\nCredit from overpayments \(a.credit), paid as part of the down payment" }
        if a.daysPastDue != nil || !a.credit.isZero { out += "\n" }
        out += "\nAmount to repay \(p.amountFinanced)"
        if !p.capitalizedDeferralInterest.isZero { out += " + deferral interest \(p.capitalizedDeferralInterest) capitalized" }
        out += "; capitalize \(p.terms.capitalize.rawValue)"
        if p.terms.deferMonths > 0 {
            let k = p.terms.deferMonths
            out += "; deferral \(k) month\(k == 1 ? "" : "s") (interest \(p.terms.deferralInterest.rawValue))"
        }
        out += "\n\n"
        if p.schedule.rows.isEmpty {
            out += "Nothing left to pay.\n"
        } else {
            let lines = p.schedule.rows.map { r in
                ["\(r.period)", "\(r.dueDate)", r.kind.rawValue, "\(r.payment)", "\(r.principal)", "\(r.interest)", "\(r.carried)", "\(r.balance)"]
            }
            out += table(["#", "Due date", "Kind", "Payment", "Principal", "Interest", "Carried", "Balance"], lines,
                         footer: ["", "Total", "", "\(p.totalPayable)", "\(p.schedule.totalPrincipal)", "\(p.schedule.totalInterest)", "\(p.schedule.totalCarried)", ""],
                         leftAligned: [1, 2])
        }
        out += "\nTotal payable \(p.totalPayable); new interest \(p.totalNewInterest); "
        out += "APR \(percent(p.apr.nominal)) (effective \(percent(p.apr.effective)))\n"
        if !p.waived.isZero {
            out += "The waivers save the borrower \(p.waived) of a debt of \(p.debtBefore).\n"
        }
        return out
    }

    static func json(id: String, _ p: NegotiatedPlan) -> String {
        let a = p.terms.arrears
        return """
        {
          "id": \(jsonString(id)),
          "as_of": "\(p.terms.asOf)",
          "days_past_due": \(a.daysPastDue.map(String.init) ?? "null"),
          "credit": "\(a.credit)",
          "debt_before": {"principal": "\(a.principal)", "overdue_principal": "\(a.overduePrincipal)", "overdue_interest": "\(a.overdueInterest)", "accrued_interest": "\(a.accruedInterest)", "penalty": "\(a.penalty)", "fees": "\(a.fees)", "total": "\(p.debtBefore)"},
          "waived": {"penalty": "\(p.waivedPenalty)", "interest": "\(p.waivedInterest)", "fees": "\(p.waivedFees)", "total": "\(p.waived)"},
          "capitalized_deferral_interest": "\(p.capitalizedDeferralInterest)",
          "rows": [
            \(rowsJSON(p.schedule))
          ],
          "totals": {"payments": \(p.schedule.rows.count), "amount_financed": "\(p.amountFinanced)", "total_payable": "\(p.totalPayable)", "total_new_interest": "\(p.totalNewInterest)", "last_due": \(p.schedule.lastDue.map { "\"\($0)\"" } ?? "null"), "apr": "\(p.apr.nominal)", "effective_apr": "\(p.apr.effective)"}
        }
        """
    }
}
