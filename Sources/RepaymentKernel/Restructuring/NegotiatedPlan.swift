/// How much of a debt component is forgiven (SPEC §5 step 1).
public enum Waiver: Sendable, Hashable {
    /// Nothing is waived.
    case none
    /// `round(component * pct)` is waived; `pct` is at most 100%.
    case percent(Rate)
    /// Exactly this amount is waived; it must not exceed the component.
    case amount(Money)
}

/// Whether consolidated interest, penalty and fees bear interest (SPEC §5 step 2).
public enum Capitalization: String, Sendable, CaseIterable, Hashable {
    /// Only principal bears interest; the rest is *carried* and repaid without interest (停息挂账).
    case none
    /// Everything left after waivers becomes interest-bearing principal.
    case all
}

/// What happens to interest while payments are deferred (SPEC §5 step 4).
public enum DeferralInterest: String, Sendable, CaseIterable, Hashable {
    /// Nothing accrues during the deferral (期间不计息).
    case waived
    /// Simple interest accrues at the plan rate and is capitalized at the deferral's end.
    case accrued
    /// Each month of the deferral the interest is paid (a `deferral` row).
    case interestOnly = "interest-only"
}

/// How the debt is repaid after the deferral (SPEC §5 step 4).
public enum PlanEnding: String, Sendable, CaseIterable, Hashable {
    /// Everything owed, in one payment at the deferral's end.
    case lumpSum = "lump-sum"
    /// Re-installment (二次分期) over `installments` periods.
    case installments
}

/// The terms a lender and a borrower negotiated (协商还款), applied in the
/// order of SPEC §5: waivers, consolidation, down payment, deferral, then a
/// lump sum or installments.
public struct PlanTerms: Sendable, Hashable {
    /// The date of the agreement; the down payment is due on it.
    public var asOf: CivilDate
    /// The debt on `asOf`.
    public var arrears: ArrearsSnapshot
    /// Waiver of penalty interest (罚息减免).
    public var waivePenalty: Waiver = .none
    /// Waiver of interest (overdue + accrued; taken from overdue first).
    public var waiveInterest: Waiver = .none
    /// Waiver of fees.
    public var waiveFees: Waiver = .none
    /// Consolidation.
    public var capitalize: Capitalization = .none
    /// Paid on `asOf`; reduces carried amounts first, then principal.
    public var downPayment: Money? = nil
    /// Months of deferral (延期) from `asOf`.
    public var deferMonths: Int = 0
    /// Interest during the deferral.
    public var deferralInterest: DeferralInterest = .waived
    /// Lump sum or installments; nil means installments when `installments` is set, else lump sum.
    public var ending: PlanEnding? = nil
    /// Number of installments (二次分期 / 个性化分期).
    public var installments: Int? = nil
    /// How the installments repay principal.
    public var planMethod: RepaymentMethod = .annuity
    /// Annual rate of the plan (for `flat`: the fee per period); 0 by default.
    public var planRate: Rate = .zero
    /// The most installments allowed; 60 by default.
    public var maxTerm: Int = 60
    /// Day count for plan interest.
    public var basis: DayCountBasis = .monthly
    /// Rounding of every computed amount.
    public var rounding: RoundingMode = .halfUp

    /// Terms with only the required parts; set the others as properties.
    public init(asOf: CivilDate, arrears: ArrearsSnapshot) {
        self.asOf = asOf
        self.arrears = arrears
    }

    /// The scale of every amount (the arrears').
    public var scale: Int { arrears.principal.scale }

    /// How the plan's spans accrue (SPEC §2): its basis, anchored on the day
    /// of `asOf`. A plan from 2024-01-31 deferring one month ends at 02-29,
    /// and its first installment period 02-29 → 03-31 is exactly one month.
    public var accrual: Accrual { Accrual(basis: basis, anchor: asOf) }
}

/// A computed negotiated plan: the debt before, what was waived, the rows,
/// and the totals of SPEC §5, with the conservation identity checked.
public struct NegotiatedPlan: Sendable, Hashable {
    /// The terms it was computed from.
    public let terms: PlanTerms
    /// Waived penalty, interest and fees.
    public let waivedPenalty: Money, waivedInterest: Money, waivedFees: Money
    /// Simple interest of an `accrued` deferral, capitalized at its end.
    public let capitalizedDeferralInterest: Money
    /// The payments: the down payment (period 0), deferral rows, then the lump sum or installments.
    /// Its `apr` and `amountFinanced` are the plan's.
    public var schedule: Schedule {
        var s = computedSchedule
        s.origin = .plan(amountFinanced: amountFinanced, apr: apr)
        return s
    }
    /// The payments as computed (without the plan's APR attached).
    let computedSchedule: Schedule
    /// The APR of the plan, with `debt_before - waived` as the amount financed.
    public let apr: AnnualPercentageRate

    /// Everything owed before the plan: `debtBeforeWaivers.total`.
    public var debtBefore: Money { terms.arrears.total }
    /// All waivers together.
    public var waived: Money { waivedPenalty + waivedInterest + waivedFees }
    /// `debt_before - waived`, which is `debtAfterWaivers.total`.
    public var amountFinanced: Money { debtBefore - waived }

    /// The debt on `asOf` by component, before any waiver: the plan's arrears
    /// (`terms.arrears`), the "Debt before" column of `repay plan`.
    public var debtBeforeWaivers: ArrearsSnapshot { terms.arrears }

    /// The debt by component once the waivers are applied: what the plan
    /// repays. Its `total` is `amountFinanced`.
    ///
    /// Principal is never waived. Penalty and fees lose their waivers; the
    /// interest waiver is taken from overdue interest first, then from accrued
    /// interest (SPEC §5 step 1), so each component of the breakdown is exact:
    ///
    /// ```swift
    /// // overdue interest 21.00, accrued 1.50, penalty 2.05; waive 50% of the interest, all the penalty
    /// var t = PlanTerms(asOf: asOf, arrears: arrears)
    /// t.waiveInterest = .percent(try Rate(parsing: "50%"))    // 11.25
    /// t.waivePenalty = .percent(try Rate(parsing: "100%"))
    /// let after = try NegotiatedPlan(t).debtAfterWaivers
    /// after.overdueInterest   // 9.75  (21.00 - 11.25)
    /// after.accruedInterest   // 1.50  (untouched: the waiver fit in overdue interest)
    /// after.penalty           // 0.00
    /// ```
    public var debtAfterWaivers: ArrearsSnapshot {
        var d = terms.arrears
        let fromOverdue = min(waivedInterest, d.overdueInterest)
        d.overdueInterest = d.overdueInterest - fromOverdue
        d.accruedInterest = d.accruedInterest - (waivedInterest - fromOverdue)
        d.penalty = d.penalty - waivedPenalty
        d.fees = d.fees - waivedFees
        return d
    }
    /// Every payment, the down payment included.
    public var totalPayable: Money { schedule.totalPayable }
    /// New interest the plan charges: `total_payable - amount_financed`.
    public var totalNewInterest: Money { totalPayable - amountFinanced }

    /// Computes the plan; throws a `KernelError` naming the field for
    /// inconsistent terms (a waiver above its component, a down payment above
    /// the debt, too many installments, ...).
    public init(_ terms: PlanTerms) throws(KernelError) {
        self.terms = terms
        let mode = terms.rounding, scale = terms.scale
        let a = terms.arrears
        for m in [a.overduePrincipal, a.overdueInterest, a.accruedInterest, a.penalty, a.fees] where m.scale != scale {
            throw KernelError(field: "scale", "the arrears' amounts have different scales")
        }
        func waive(_ w: Waiver, _ component: WideInteger, field: String) throws(KernelError) -> WideInteger {
            switch w {
            case .none: return .small(0)
            case .percent(let pct):
                guard !pct.exceedsOne else { throw KernelError(field: field, "more than 100%: \(KernelError.quoted(pct.percentText))") }
                return (component * pct.numerator).divided(by: pct.denominator, rounding: mode) ?? .small(0)
            case .amount(let m):
                guard m.units.signum >= 0 else { throw KernelError(field: field, "must not be negative: \(KernelError.quoted(m.description))") }
                guard m.scale <= scale else { throw KernelError(field: field, "more than \(scale) decimals: \(KernelError.quoted(m.description))") }
                let units = m.units * .powerOfTen(scale - m.scale)
                guard WideInteger.compare(units, component) <= 0 else {
                    throw KernelError(field: field, "waives \(m) but the component is only \(Money(units: component, scale: scale))")
                }
                return units
            }
        }
        let interestOwed = a.overdueInterest.units + a.accruedInterest.units
        let wp = try waive(terms.waivePenalty, a.penalty.units, field: "waive_penalty")
        let wi = try waive(terms.waiveInterest, interestOwed, field: "waive_interest")
        let wf = try waive(terms.waiveFees, a.fees.units, field: "waive_fees")
        waivedPenalty = Money(units: wp, scale: scale)
        waivedInterest = Money(units: wi, scale: scale)
        waivedFees = Money(units: wf, scale: scale)

        // 2. Consolidation.
        let rest = (interestOwed - wi) + (a.penalty.units - wp) + (a.fees.units - wf)
        var principal = a.principal.units + a.overduePrincipal.units
        var carried = WideInteger.small(0)
        switch terms.capitalize {
        case .none: carried = rest
        case .all: principal = principal + rest
        }

        // 3. Down payment: carried first, then principal.
        var rows: [ScheduleRow] = []
        var down = WideInteger.small(0)
        if let dp = terms.downPayment {
            guard dp.units.signum >= 0 else { throw KernelError(field: "down_payment", "must not be negative: \(KernelError.quoted(dp.description))") }
            guard dp.scale <= scale else { throw KernelError(field: "down_payment", "more than \(scale) decimals: \(KernelError.quoted(dp.description))") }
            down = dp.units * .powerOfTen(scale - dp.scale)
            let debt = principal + carried
            guard WideInteger.compare(down, debt) <= 0 else {
                throw KernelError(field: "down_payment", "\(Money(units: down, scale: scale)) exceeds the debt \(Money(units: debt, scale: scale))")
            }
        }
        // A replayed history's credit is paid as part of the down payment (SPEC §9.2).
        // Overpaid means a credit above the whole debt before waivers; a credit that only
        // exceeds the debt left after waivers is a down payment that is too large (§8).
        let credit = a.credit.units
        if credit.signum > 0 {
            let debt = principal + carried
            guard WideInteger.compare(credit, a.total.units) <= 0 else {
                throw KernelError(field: "payments", "overpaid by \(Money(units: credit - a.total.units, scale: scale)) (credit \(a.credit), debt \(a.total))")
            }
            down = down + credit
            guard WideInteger.compare(down, debt) <= 0 else {
                throw KernelError(field: "down_payment", "\(Money(units: down - credit, scale: scale)) plus the credit \(a.credit) exceeds the debt \(Money(units: debt, scale: scale))")
            }
        }
        if down.signum > 0 {
            let fromCarried = WideInteger.compare(down, carried) <= 0 ? down : carried
            let fromPrincipal = down - fromCarried
            carried = carried - fromCarried
            principal = principal - fromPrincipal
            rows.append(ScheduleRow(period: 0, dueDate: terms.asOf, kind: .down, principal: fromPrincipal, interest: .small(0),
                                    carried: fromCarried, balance: principal + carried, scale: scale))
        }

        // 4. Deferral.
        guard terms.deferMonths >= 0 else { throw KernelError(field: "defer_months", "must not be negative: '\(terms.deferMonths)'") }
        guard terms.deferMonths <= LoanTerms.maximumTerm else {
            throw KernelError(.outOfRange, field: "defer_months", "must be at most \(LoanTerms.maximumTerm): '\(terms.deferMonths)'")
        }
        let k = terms.deferMonths
        let ending: PlanEnding = terms.ending ?? (terms.installments != nil ? .installments : .lumpSum)
        let m: Int
        switch ending {
        case .installments:
            guard let count = terms.installments else {
                throw KernelError.required("installments").with(problem: "required when then is installments")
            }
            guard count >= 1 else { throw KernelError(field: "installments", "must be at least 1: '\(count)'") }
            guard terms.maxTerm >= 1 else { throw KernelError(field: "max_term", "must be at least 1: '\(terms.maxTerm)'") }
            guard count <= terms.maxTerm else {
                throw KernelError(field: "installments", "\(count) exceeds max_term \(terms.maxTerm)")
            }
            guard count <= LoanTerms.maximumTerm else {
                throw KernelError(.outOfRange, field: "installments", "must be at most \(LoanTerms.maximumTerm): '\(count)'")
            }
            m = count
        case .lumpSum:
            if let count = terms.installments {
                throw KernelError(field: "installments", "\(count) installments but then is lump-sum")
            }
            m = 0
        }
        guard terms.asOf.adding(months: k + m) != nil else {
            throw KernelError(.outOfRange, field: "defer_months", "the plan would end after 9999-12-31")
        }
        let deferralEnd = terms.asOf.adding(months: k)!
        // The annual rate for accrual: the plan rate, or 12 x fee for a flat plan.
        let annual = terms.planMethod == .flat ? terms.planRate.scaled(by: 12) : terms.planRate
        // A plan's spans keep the day of as_of as their anchor day (SPEC §2).
        let accrual = terms.accrual
        func accrue(_ b: WideInteger, _ from: CivilDate, _ to: CivilDate) -> WideInteger {
            accrual.interest(on: b, rate: annual, from: from, to: to, rounding: mode)
        }
        var capitalized = WideInteger.small(0)
        var period = 1
        let owesSomething = (principal + carried).signum > 0
        if owesSomething && k > 0 {
            switch terms.deferralInterest {
            case .waived: break
            case .accrued:
                capitalized = accrue(principal, terms.asOf, deferralEnd)
                principal = principal + capitalized
            case .interestOnly:
                var from = terms.asOf
                for t in 1...k {
                    let due = terms.asOf.adding(months: t)!
                    rows.append(ScheduleRow(period: period, dueDate: due, kind: .deferral, principal: .small(0),
                                            interest: accrue(principal, from, due), carried: .small(0),
                                            balance: principal + carried, scale: scale))
                    period += 1
                    from = due
                }
            }
        }
        capitalizedDeferralInterest = Money(units: capitalized, scale: scale)

        // 5. Lump sum or installments.
        if owesSomething {
            switch ending {
            case .lumpSum:
                rows.append(ScheduleRow(period: period, dueDate: deferralEnd, kind: .lump, principal: principal,
                                        interest: .small(0), carried: carried, balance: .small(0), scale: scale))
            case .installments:
                let input = LoanEngine.Input(
                    principal: principal, rate: annual, feeRate: terms.planMethod == .flat ? terms.planRate : nil,
                    periods: m, method: terms.planMethod, from: deferralEnd, anchor: terms.asOf, offset: k,
                    basis: terms.basis, rounding: mode, scale: scale, stopAtPayoff: false)
                let base = try LoanEngine.schedule(for: input).rows
                let share = carried.divided(by: .small(Int128(base.count)), rounding: mode) ?? .small(0)
                var carriedLeft = carried
                for (index, r) in base.enumerated() {
                    var c = WideInteger.compare(share, carriedLeft) <= 0 ? share : carriedLeft
                    if index == base.count - 1 { c = carriedLeft }
                    carriedLeft = carriedLeft - c
                    let balanceBefore = r.balance.units + r.principal.units + carriedLeft + c
                    let payment = r.principal.units + r.interest.units + c
                    if balanceBefore.signum == 0 && payment.signum == 0 { break }
                    rows.append(ScheduleRow(period: period, dueDate: r.dueDate, kind: .installment, principal: r.principal.units,
                                            interest: r.interest.units, carried: c, balance: r.balance.units + carriedLeft, scale: scale))
                    period += 1
                }
            }
        }
        let schedule = Schedule(rows: rows, scale: scale)
        self.computedSchedule = schedule

        // Conservation (SPEC §5), asserted on every plan.
        var repaid = WideInteger.small(0)
        for r in rows where r.kind != .down { repaid = repaid + r.principal.units + r.carried.units }
        let lhs = a.total.units + capitalized
        let rhs = wp + wi + wf + down + repaid
        guard lhs == rhs else {
            throw KernelError.internalFailure("the plan does not conserve the debt (\(lhs.decimalString) != \(rhs.decimalString))")
        }
        let financed = a.total.units - wp - wi - wf
        apr = AnnualPercentageRate.of(schedule, financed: financed, from: terms.asOf, accrual: accrual)
    }
}

extension KernelError {
    func with(problem: String) -> KernelError { KernelError(code, field: field, problem) }
}

extension Rate {
    /// The rate as a percentage for messages (`150%`).
    var percentText: String {
        let v = (numerator * .small(100_000_000)).divided(by: denominator, rounding: .halfEven) ?? .small(0)
        var out: [UInt8] = []
        MoneyFormat.append(v, scale: 6, to: &out)
        var s = String(decoding: out, as: UTF8.self)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s + "%"
    }
}
