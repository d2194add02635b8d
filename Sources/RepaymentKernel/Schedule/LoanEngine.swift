/// The base-schedule arithmetic of SPEC §3, written once over `ExactInteger`
/// and run on `Int128` (checked) first, on GMP when a value would not fit.
enum LoanEngine {
    /// Everything the engine needs; base loans and plan installments both map to it.
    struct Input {
        var principal: WideInteger
        /// Annual nominal rate (for flat: 12 x fee).
        var rate: Rate
        /// Fee per period, flat only.
        var feeRate: Rate?
        var periods: Int
        var method: RepaymentMethod
        /// Where period 1 starts accruing.
        var from: CivilDate
        /// Due date k is `anchor.adding(months: offset + k)`; a bullet's single
        /// due date is `anchor.adding(months: offset + periods)`.
        var anchor: CivilDate
        var offset: Int
        var basis: DayCountBasis
        var rounding: RoundingMode
        var scale: Int
        /// Base loans end once the balance is 0 (SPEC §3); plans filter themselves.
        var stopAtPayoff: Bool

        /// Spans are measured with the anchor's day as `D` (SPEC §2 month-end rule).
        var accrual: Accrual { Accrual(basis: basis, anchor: anchor) }

        func dueDate(_ k: Int) -> CivilDate {
            anchor.adding(months: offset + (method == .bullet ? periods : k))!
        }
    }

    static func schedule(for t: LoanTerms) throws(KernelError) -> Schedule {
        try schedule(for: Input(
            principal: t.principal.units, rate: t.rate, feeRate: t.feeRate, periods: t.term, method: t.method,
            from: t.start, anchor: t.firstDue ?? t.start, offset: t.firstDue == nil ? 0 : -1,
            basis: t.basis, rounding: t.rounding, scale: t.scale, stopAtPayoff: true))
    }

    static func schedule(for t: Input) throws(KernelError) -> Schedule {
        var compact: [CompactRow] = []
        compact.reserveCapacity(t.method == .bullet ? 1 : t.periods)
        do {
            try run(t, Int128.self) { r in
                compact.append(CompactRow(period: r.period, kind: .installment, dueDate: r.dueDate, principal: r.principal,
                                          interest: r.interest, carried: 0, balance: r.balance))
            }
            return Schedule(storage: .compact(compact), scale: t.scale)
        } catch {
            var wide: [ScheduleRow] = []
            do {
                try run(t, BigInt.self) { r in
                    wide.append(ScheduleRow(period: r.period, dueDate: r.dueDate, kind: .installment, principal: r.principal.wide,
                                            interest: r.interest.wide, carried: .small(0), balance: r.balance.wide, scale: t.scale))
                }
            } catch {
                throw KernelError.internalFailure("arithmetic failed on the arbitrary-precision path")
            }
            return Schedule(storage: .wide(wide), scale: t.scale)
        }
    }

    /// One computed row in the engine's integer type.
    struct Row<N: ExactInteger> {
        var period: Int
        var dueDate: CivilDate
        var principal: N
        var interest: N
        var balance: N
    }

    /// Appends the rows of `t`, all arithmetic in `N`.
    @_specialize(where N == Int128)
    static func run<N: ExactInteger>(_ t: Input, _: N.Type, emit: (Row<N>) -> Void) throws(ArithmeticOverflow) {
        let mode = t.rounding
        let p = try t.principal.exact(N.self)
        let rn = try t.rate.numerator.exact(N.self)
        let rdBase = try t.rate.denominator.exact(N.self)
        let accrual = t.accrual
        let rd = try rdBase.times(accrual.divisor)   // factor = rn * units / rd
        var overflow = false
        // `overflow` goes in as an argument, not a capture: a captured var is checked for
        // exclusive access at run time on every call (swift_beginAccess in the profile).
        @inline(__always) func interest(_ b: N, _ from: CivilDate, _ to: CivilDate, _ overflow: inout Bool) -> N {
            if b.signum == 0 || rn.signum == 0 { return .zero }
            let units = N(accrual.units(from: from, to: to))
            return b.multiplying(rn, &overflow).multiplying(units, &overflow).dividing(by: rd, mode, &overflow)
        }

        if t.method == .bullet {
            let due = t.dueDate(1)
            let i = interest(p, t.from, due, &overflow)
            if overflow { throw ArithmeticOverflow() }
            emit(Row(period: 1, dueDate: due, principal: p, interest: i, balance: .zero))
            return
        }
        let n = t.periods
        var fixedPrincipal = N.zero
        var installment = N.zero
        var fee = N.zero
        switch t.method {
        case .annuity:
            installment = try AnnuityFactor.installment(principal: t.principal, rate: t.rate, periods: n, rounding: mode).exact(N.self)
        case .equalPrincipal:
            fixedPrincipal = try p.divided(by: N(n), rounding: mode)
        case .flat:
            fixedPrincipal = try p.divided(by: N(n), rounding: mode)
            let f = t.feeRate ?? .zero
            fee = try p.times(f.numerator.exact(N.self)).divided(by: f.denominator.exact(N.self), rounding: mode)
        case .interestOnly, .bullet:
            break
        }
        var balance = p
        var from = t.from
        for k in 1...n {
            let due = t.dueDate(k)
            let i: N
            var pr: N
            switch t.method {
            case .annuity:
                i = interest(balance, from, due, &overflow)
                pr = N.minimum(balance, N.maximum(.zero, installment.subtracting(i, &overflow)))
            case .equalPrincipal:
                i = interest(balance, from, due, &overflow)
                pr = N.minimum(balance, fixedPrincipal)
            case .flat:
                i = fee
                pr = N.minimum(balance, fixedPrincipal)
            case .interestOnly, .bullet:
                i = interest(balance, from, due, &overflow)
                pr = .zero
            }
            if k == n { pr = balance }
            balance = balance.subtracting(pr, &overflow)
            if overflow { throw ArithmeticOverflow() }
            emit(Row(period: k, dueDate: due, principal: pr, interest: i, balance: balance))
            // After payoff no zero-payment row follows; a flat loan's fee rows are not zero.
            if t.stopAtPayoff && balance.signum == 0 && (t.method != .flat || fee.signum == 0) { break }
            from = due
        }
    }
}
