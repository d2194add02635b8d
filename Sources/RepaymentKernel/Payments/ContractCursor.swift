/// A loan's contract (SPEC §3) walked one due date at a time, able to take a
/// prepayment between due dates and re-amortize the rest (SPEC §9.1).
///
/// With no prepayment it yields exactly the rows of `LoanTerms.schedule()`
/// (a property test checks this); a prepayment of principal `x` at `t` sets
/// the balance to `B' = B - x`, starts the next period's interest at `t`, and
/// re-sizes the installment per ``PrepaymentMode``.
///
/// Written over `ExactInteger` like `LoanEngine`: it runs on `Int128` with
/// overflow flags (no allocation per step) and sets `overflow` when a value
/// does not fit, so the caller reruns the whole loan on GMP.
struct ContractCursor<N: ExactInteger> {
    let loan: LoanTerms
    let accrual: Accrual
    let mode: PrepaymentMode
    /// Due dates of the contract (1 for a bullet).
    let dueCount: Int
    /// A span's interest is `balance * rn * units / rd` (`rd` includes the basis divisor).
    let rn: N, rd: N
    /// The next due date's index, 1-based.
    private(set) var next = 1
    /// Principal not yet due.
    private(set) var balance: N
    /// Where the running period's interest starts: start, the last due date or the last prepayment.
    private(set) var accruingFrom: CivilDate
    /// The annuity installment `A` (re-sized by `reduce-payment`).
    private(set) var installment = N.zero
    /// The equal-principal part (re-sized by `reduce-payment`).
    private(set) var fixedPrincipal = N.zero
    /// True once the last due date has passed or the balance is 0.
    private(set) var finished = false
    /// The next due date, nil once the contract is finished (kept, not recomputed per look).
    private(set) var nextDue: CivilDate?
    /// A value did not fit `N`: the results are garbage and the caller reruns on `BigInt`.
    var overflow = false

    /// The contract of `loan`; a flat loan has no payments rule (SPEC §9) and is refused.
    init(loan: LoanTerms, mode: PrepaymentMode, field: String = "payments") throws(KernelError) {
        guard loan.method != .flat else {
            throw KernelError(field: field, "not for a flat loan (its fee does not depend on the balance)")
        }
        self.loan = loan
        self.accrual = loan.accrual
        self.mode = mode
        self.dueCount = loan.method == .bullet ? 1 : loan.term
        self.accruingFrom = loan.start
        var fits = true
        func fit(_ w: WideInteger) -> N {
            do { return try w.exact(N.self) } catch { fits = false; return .zero }
        }
        rn = fit(loan.rate.numerator)
        rd = fit(loan.rate.denominator * .small(Int128(accrual.divisor)))
        balance = fit(loan.principal.units)
        overflow = !fits
        nextDue = nil
        resize(periods: dueCount)   // A, or round(P/n): what reduce-term keeps
        nextDue = dueDate(1)
    }

    /// Due date `k` of the contract (a bullet's single date is `start + term` months).
    func dueDate(_ k: Int) -> CivilDate {
        loan.method == .bullet ? loan.start.adding(months: loan.term)! : loan.dueDate(k)
    }

    /// The contract's last due date.
    var lastDueDate: CivilDate { dueDate(dueCount) }

    /// `round(b * factor(from, to))` at the loan's rate (SPEC §2).
    @inline(__always)
    mutating func interest(on b: N, from: CivilDate, to: CivilDate) -> N {
        if b.signum == 0 || rn.signum == 0 { return .zero }
        let units = N(accrual.units(from: from, to: to))
        return b.multiplying(rn, &overflow).multiplying(units, &overflow).dividing(by: rd, loan.rounding, &overflow)
    }

    /// Sizes the installment or principal part for `r` remaining periods on the current balance.
    private mutating func resize(periods r: Int) {
        switch loan.method {
        case .annuity:
            let a = AnnuityFactor.installment(principal: balance.wide, rate: loan.rate, periods: r, rounding: loan.rounding)
            do { installment = try a.exact(N.self) } catch { overflow = true }
        case .equalPrincipal:
            fixedPrincipal = balance.dividing(by: N(r), loan.rounding, &overflow)
        case .interestOnly, .bullet, .flat:
            break
        }
    }

    /// The next installment falls due: its principal and interest (SPEC §3).
    mutating func fallDue() -> (date: CivilDate, principal: N, interest: N) {
        let due = nextDue ?? dueDate(next)
        let i = interest(on: balance, from: accruingFrom, to: due)
        var principal: N
        switch loan.method {
        case .annuity:
            principal = N.maximum(.zero, installment.subtracting(i, &overflow))
        case .equalPrincipal:
            principal = fixedPrincipal
        case .interestOnly, .bullet, .flat:
            principal = .zero
        }
        if next == dueCount || principal > balance { principal = balance }
        balance = balance.subtracting(principal, &overflow)
        accruingFrom = due
        next += 1
        if next > dueCount || balance.signum == 0 { finish() } else { nextDue = dueDate(next) }
        return (due, principal, i)
    }

    /// Interest accrued on the balance from the running period's start to `t`.
    mutating func accruedInterest(to t: CivilDate) -> N {
        interest(on: balance, from: accruingFrom, to: t)
    }

    private mutating func finish() {
        finished = true
        nextDue = nil
    }

    /// Applies a prepayment of `principal` at `t` (its accrued interest already
    /// paid): the balance drops, the next period accrues from `t`, and the rest
    /// is re-amortized per the mode. `principal` must not exceed the balance.
    mutating func prepay(principal: N, at t: CivilDate) {
        balance = balance.subtracting(principal, &overflow)
        accruingFrom = t
        if balance.signum == 0 { finish(); return }
        if mode == .reducePayment { resize(periods: dueCount - next + 1) }
    }
}
