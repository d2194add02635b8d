/// What a borrower owes at a date `asOf`, by component (SPEC §4).
///
/// Either given directly, or derived from a loan's schedule and the number of
/// installments paid in full (`paidThrough`):
///
/// ```swift
/// let loan = try LoanTerms(principal: Money(parsing: "10000"), rate: Rate(parsing: "12%"),
///                          term: 12, start: CivilDate(parsing: "2024-01-15"))
/// let arrears = try ArrearsSnapshot(loan: loan, paidThrough: 3, asOf: CivilDate(parsing: "2024-06-20"))
/// // installments 4 and 5 (due 05-15 and 06-15) are overdue; 6 is not due yet
/// ```
public struct ArrearsSnapshot: Sendable, Hashable {
    /// Principal not yet due.
    public var principal: Money
    /// Principal of overdue installments.
    public var overduePrincipal: Money
    /// Interest of overdue installments.
    public var overdueInterest: Money
    /// Interest accrued on `principal` since the last due date.
    public var accruedInterest: Money
    /// Penalty interest (罚息).
    public var penalty: Money
    /// Fees owed.
    public var fees: Money
    /// Credit left by overpayments in a replayed history (SPEC §9.2); a plan
    /// takes it as part of its down payment. Zero for the other sources.
    public var credit: Money
    /// Days past due (逾期天数) at `as_of`: days since the oldest installment not
    /// paid in full fell due; 0 when nothing is overdue; nil for arrears given directly.
    public var daysPastDue: Int?

    /// Arrears given directly; every amount must be non-negative and share one scale.
    public init(principal: Money, overduePrincipal: Money, overdueInterest: Money, accruedInterest: Money,
                penalty: Money, fees: Money) throws(KernelError) {
        for (name, m) in [("principal", principal), ("overdue_principal", overduePrincipal),
                          ("overdue_interest", overdueInterest), ("accrued_interest", accruedInterest),
                          ("penalty", penalty), ("fees", fees)] {
            guard m.units.signum >= 0 else { throw KernelError(field: name, "must not be negative: '\(m)'") }
        }
        self.principal = principal
        self.overduePrincipal = overduePrincipal
        self.overdueInterest = overdueInterest
        self.accruedInterest = accruedInterest
        self.penalty = penalty
        self.fees = fees
        self.credit = .zero(scale: principal.scale)
        self.daysPastDue = nil
    }

    /// No debt at `scale`: the placeholder of a plan request whose arrears are derived later.
    static func zero(scale: Int) -> ArrearsSnapshot {
        let z = Money.zero(scale: scale)
        // Zero amounts are never negative: the checks of the initializer cannot fail.
        return try! ArrearsSnapshot(principal: z, overduePrincipal: z, overdueInterest: z, accruedInterest: z, penalty: z, fees: z)
    }

    /// Derives the arrears of `loan` at `asOf` when installments
    /// `1...paidThrough` were paid in full and none after (SPEC §4).
    ///
    /// An installment due on `asOf` itself is not overdue yet. Penalty
    /// interest accrues per actual day at `rate * (1 + markup) / yearDays` on
    /// each overdue installment's principal, and with `compound` also on its
    /// interest (复利).
    ///
    /// - Parameters:
    ///   - loan: the loan as contracted.
    ///   - paidThrough: how many installments were paid in full, 0...(rows of the schedule).
    ///   - asOf: the date of the arrears, not before the loan's start.
    ///   - markup: the penalty markup over the contract rate; 50% by default.
    ///   - compound: penalty also on overdue interest (复利).
    ///   - fees: fees owed, given directly.
    public init(loan: LoanTerms, paidThrough: Int, asOf: CivilDate, markup: Rate = .defaultPenaltyMarkup,
                compound: Bool = false, fees: Money? = nil) throws(KernelError) {
        guard asOf >= loan.start else {
            throw KernelError(field: "as_of", "\(asOf) is before the loan's start \(loan.start)")
        }
        let rows = try loan.schedule().rows
        guard paidThrough >= 0 else { throw KernelError(field: "paid_through", "must not be negative: '\(paidThrough)'") }
        guard paidThrough <= rows.count else {
            throw KernelError(field: "paid_through", "\(paidThrough) is more than the \(rows.count) rows of the schedule")
        }
        let scale = loan.scale
        if let fees, fees.units.signum < 0 { throw KernelError(field: "fees", "must not be negative: '\(fees)'") }
        let j = rows.prefix(while: { $0.dueDate < asOf }).count
        var overduePrincipal = WideInteger.small(0), overdueInterest = WideInteger.small(0), penalty = WideInteger.small(0)
        // Penalty per day: rn (md + mn) / (rd md yearDays).
        let yearDays = loan.basis.yearDays
        let penaltyNum = loan.rate.numerator * (markup.denominator + markup.numerator)
        let penaltyDen = loan.rate.denominator * markup.denominator * .small(Int128(yearDays))
        if paidThrough < j {
            for row in rows[paidThrough..<j] {
                overduePrincipal = overduePrincipal + row.principal.units
                overdueInterest = overdueInterest + row.interest.units
                let days = WideInteger.small(Int128(row.dueDate.days(to: asOf)))
                penalty = penalty + (row.principal.units * penaltyNum * days).divided(by: penaltyDen, rounding: loan.rounding)!
                if compound {
                    penalty = penalty + (row.interest.units * penaltyNum * days).divided(by: penaltyDen, rounding: loan.rounding)!
                }
            }
        }
        let k = max(j, paidThrough)
        let principal = k == 0 ? loan.principal.units : rows[k - 1].balance.units
        var accrued = WideInteger.small(0)
        if paidThrough <= j {
            let from = j == 0 ? loan.start : rows[j - 1].dueDate
            accrued = loan.accrual.interest(on: principal, rate: loan.rate, from: from, to: asOf, rounding: loan.rounding)
        }
        self.principal = Money(units: principal, scale: scale)
        self.overduePrincipal = Money(units: overduePrincipal, scale: scale)
        self.overdueInterest = Money(units: overdueInterest, scale: scale)
        self.accruedInterest = Money(units: accrued, scale: scale)
        self.penalty = Money(units: penalty, scale: scale)
        self.fees = fees ?? .zero(scale: scale)
        self.credit = .zero(scale: scale)
        // The oldest overdue installment that owes something (one of 0.00 is paid by definition).
        let oldest = paidThrough < j ? rows[paidThrough..<j].first(where: { !$0.payment.isZero }) : nil
        self.daysPastDue = oldest.map { $0.dueDate.days(to: asOf) } ?? 0
    }

    /// The arrears a replayed payment history leaves (SPEC §9.2).
    init(replayed p: ReplayPosition, fees: Money, scale: Int) {
        principal = Money(units: p.principal, scale: scale)
        overduePrincipal = Money(units: p.overduePrincipal, scale: scale)
        overdueInterest = Money(units: p.overdueInterest, scale: scale)
        accruedInterest = Money(units: p.accruedInterest, scale: scale)
        penalty = Money(units: p.penalty, scale: scale)
        self.fees = fees
        credit = Money(units: p.credit, scale: scale)
        daysPastDue = p.daysPastDue
    }

    /// Derives the arrears of `loan` at `asOf` from what was actually paid
    /// (SPEC §9.2): the third source, next to direct components and `paidThrough`.
    /// See ``PaymentReplay`` for the rules and the ledger.
    public init(loan: LoanTerms, payments: PaymentHistory, asOf: CivilDate,
                allocation: AllocationOrder = .installment, prepayment: PrepaymentMode = .reducePayment,
                graceDays: Int = 0, markup: Rate = .defaultPenaltyMarkup, compound: Bool = false,
                fees: Money? = nil) throws(KernelError) {
        self = try PaymentReplay(loan: loan, history: payments, asOf: asOf, allocation: allocation,
                                 prepayment: prepayment, graceDays: graceDays, markup: markup, compound: compound,
                                 fees: fees, recordLedger: false).arrears
    }

    /// Everything owed: the sum of all six components.
    public var total: Money { principal + overduePrincipal + overdueInterest + accruedInterest + penalty + fees }
}

extension Rate {
    /// 50%: by default penalty interest runs at 1.5 times the contract rate.
    public static let defaultPenaltyMarkup = Rate(numerator: .small(1), denominator: .small(2))
}
