/// A loan's contract (SPEC §3) walked one due date at a time, able to take a
/// prepayment between due dates and re-amortize the rest (SPEC §9.1).
///
/// With no prepayment it yields exactly the rows of `LoanTerms.schedule()`
/// (a property test checks this); a prepayment of principal `x` at `t` sets
/// the balance to `B' = B - x`, starts the next period's interest at `t`, and
/// re-sizes the installment per ``PrepaymentMode``. Everything is exact
/// integer arithmetic in minor units; nothing is allocated per step.
struct ContractCursor {
    let loan: LoanTerms
    let accrual: Accrual
    let mode: PrepaymentMode
    /// Due dates of the contract (1 for a bullet).
    let dueCount: Int
    /// The next due date's index, 1-based.
    private(set) var next = 1
    /// Principal not yet due.
    private(set) var balance: WideInteger
    /// Where the running period's interest starts: start, the last due date or the last prepayment.
    private(set) var accruingFrom: CivilDate
    /// The annuity installment `A` (re-sized by `reduce-payment`).
    private(set) var installment = WideInteger.small(0)
    /// The equal-principal part (re-sized by `reduce-payment`).
    private(set) var fixedPrincipal = WideInteger.small(0)
    /// True once the last due date has passed or the balance is 0.
    private(set) var finished = false

    /// The contract of `loan`; a flat loan has no payments rule (SPEC §9) and is refused.
    init(loan: LoanTerms, mode: PrepaymentMode, field: String = "payments") throws(KernelError) {
        guard loan.method != .flat else {
            throw KernelError(field: field, "not for a flat loan (its fee does not depend on the balance)")
        }
        self.loan = loan
        self.accrual = loan.accrual
        self.mode = mode
        self.dueCount = loan.method == .bullet ? 1 : loan.term
        self.balance = loan.principal.units
        self.accruingFrom = loan.start
        resize(periods: dueCount)   // A, or round(P/n): what reduce-term keeps
    }

    /// Due date `k` of the contract (a bullet's single date is `start + term` months).
    func dueDate(_ k: Int) -> CivilDate {
        loan.method == .bullet ? loan.start.adding(months: loan.term)! : loan.dueDate(k)
    }

    /// The contract's last due date.
    var lastDueDate: CivilDate { dueDate(dueCount) }

    /// The next due date, nil once the contract is finished.
    var nextDue: CivilDate? { finished ? nil : dueDate(next) }

    /// Sizes the installment or principal part for `r` remaining periods on the current balance.
    private mutating func resize(periods r: Int) {
        switch loan.method {
        case .annuity:
            installment = AnnuityFactor.installment(principal: balance, rate: loan.rate, periods: r, rounding: loan.rounding)
        case .equalPrincipal:
            fixedPrincipal = balance.divided(by: .small(Int128(r)), rounding: loan.rounding) ?? .small(0)
        case .interestOnly, .bullet, .flat:
            break
        }
    }

    /// The next installment falls due: its principal and interest (SPEC §3).
    mutating func fallDue() -> (date: CivilDate, principal: WideInteger, interest: WideInteger) {
        let due = dueDate(next)
        let interest = accrual.interest(on: balance, rate: loan.rate, from: accruingFrom, to: due, rounding: loan.rounding)
        var principal: WideInteger
        switch loan.method {
        case .annuity:
            let rest = installment - interest
            principal = rest.signum < 0 ? .small(0) : rest
        case .equalPrincipal:
            principal = fixedPrincipal
        case .interestOnly, .bullet, .flat:
            principal = .small(0)
        }
        if next == dueCount || WideInteger.compare(principal, balance) > 0 { principal = balance }
        balance = balance - principal
        accruingFrom = due
        next += 1
        if next > dueCount || balance.signum == 0 { finished = true }
        return (due, principal, interest)
    }

    /// Interest accrued on the balance from the running period's start to `t`.
    func accruedInterest(to t: CivilDate) -> WideInteger {
        accrual.interest(on: balance, rate: loan.rate, from: accruingFrom, to: t, rounding: loan.rounding)
    }

    /// Applies a prepayment of `principal` at `t` (its accrued interest already
    /// paid): the balance drops, the next period accrues from `t`, and the rest
    /// is re-amortized per the mode. `principal` must not exceed the balance.
    mutating func prepay(principal: WideInteger, at t: CivilDate) {
        balance = balance - principal
        accruingFrom = t
        if balance.signum == 0 { finished = true; return }
        if mode == .reducePayment { resize(periods: dueCount - next + 1) }
    }
}
