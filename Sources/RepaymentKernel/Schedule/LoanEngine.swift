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
        try schedule(for: Input(t))
    }

    /// The rows of `t` on machine integers into `rows` (emptied first, its capacity kept: a
    /// batch worker reuses one array for every loan). False when a value does not fit
    /// `Int128`; then `schedule(for:)` computes the schedule on GMP.
    static func compactRows(for t: Input, into rows: inout [CompactRow]) -> Bool {
        rows.removeAll(keepingCapacity: true)
        if monthly64(t, into: &rows) { return true }
        return genericRows(for: t, into: &rows)
    }

    /// The schedule of `t`: on `monthly64` when it applies, else on `Int128` (`run`), else on GMP.
    /// `fastPath: false` skips `monthly64` (the tests compare both).
    static func schedule(for t: Input, fastPath: Bool = true) throws(KernelError) -> Schedule {
        var compact: [CompactRow] = []
        compact.reserveCapacity(t.method == .bullet ? 1 : t.periods)
        if fastPath ? compactRows(for: t, into: &compact) : genericRows(for: t, into: &compact) {
            return Schedule(storage: .compact(compact), scale: t.scale)
        }
        do {
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

    /// `compactRows(for:into:)` without `monthly64` (the tests compare both).
    static func genericRows(for t: Input, into rows: inout [CompactRow]) -> Bool {
        rows.removeAll(keepingCapacity: true)
        do {
            try run(t, Int128.self) { r in
                rows.append(CompactRow(period: r.period, kind: .installment, dueDate: r.dueDate, principal: r.principal,
                                       interest: r.interest, carried: 0, balance: r.balance))
            }
            return true
        } catch {
            return false
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

    /// The common case on 64-bit integers: an annuity, equal-principal or interest-only
    /// schedule on the `monthly` basis whose every product fits 64 bits. Appends the same rows
    /// as `run` on `Int128` would and returns true, or returns false (leaving `rows` in any
    /// state) when the case does not apply.
    ///
    /// Two facts make it cheap. Under `monthly`, consecutive due dates of one anchor are
    /// exactly one month apart (SPEC §2 month-end rule: a clamped month end steps with the
    /// anchor day), so every period after the first accrues 30 units: interest is
    /// `round(B * rn * 30 / (rd * 360))` with a divisor fixed for the loan, divided by
    /// multiplying with its reciprocal. The due dates advance month by month from the anchor,
    /// clamped to the anchor's day.
    static func monthly64(_ t: Input, into rows: inout [CompactRow]) -> Bool {
        guard t.basis == .monthly, t.method == .annuity || t.method == .equalPrincipal || t.method == .interestOnly,
              case .small(let p128) = t.principal, p128 >= 0, p128 < 1 << 62,
              case .small(let rn128) = t.rate.numerator, rn128 >= 0, rn128 < 1 << 62,
              case .small(let rd128) = t.rate.denominator, rd128 > 0, rd128 < 1 << 50 else { return false }
        let n = t.periods
        // Due date k is the anchor plus offset + k months; the last one must exist.
        let firstMonth = t.anchor.year * 12 + (t.anchor.month - 1) + t.offset + 1
        guard n >= 1, firstMonth >= 12, (firstMonth + n - 1) / 12 <= 9999 else { return false }
        let p = UInt64(p128), rn = UInt64(rn128), den = UInt64(rd128) * 360
        let mode = t.rounding
        var installment: UInt64 = 0, fixedPrincipal: UInt64 = 0
        switch t.method {
        case .annuity:
            guard case .small(let a) = AnnuityFactor.installment(principal: t.principal, rate: t.rate, periods: n, rounding: mode),
                  a >= 0, a < 1 << 62 else { return false }
            installment = UInt64(a)
        case .equalPrincipal:
            guard let f = try? p128.divided(by: Int128(n), rounding: mode) else { return false }
            fixedPrincipal = UInt64(f)
        default:
            break
        }
        let firstDue = CivilDate(unchecked: firstMonth / 12, firstMonth % 12 + 1,
                                 min(t.anchor.day, CivilDate.daysInMonth(year: firstMonth / 12, month: firstMonth % 12 + 1)))
        let firstUnits = UInt64(max(0, t.accrual.units(from: t.from, to: firstDue)))
        // B * rn * units + den must fit 64 bits for B up to P.
        let (n1, o1) = rn.multipliedReportingOverflow(by: max(firstUnits, 30))
        let (top, o2) = p.multipliedReportingOverflow(by: n1)
        guard !o1, !o2, top <= UInt64.max - den else { return false }
        let rate30 = rn * 30
        let divisor = Reciprocal(den)
        @inline(__always) func interest(_ b: UInt64, _ factor: UInt64) -> UInt64 {
            let (q, r) = divisor.quotientAndRemainder(b &* factor)
            if r == 0 { return q }
            let rest = den &- r
            let half = r < rest ? -1 : (r == rest ? 0 : 1)
            return mode.bumpsAwayFromZero(negative: false, half: half, qIsOdd: q & 1 != 0) ? q &+ 1 : q
        }
        let day = t.anchor.day
        var year = firstDue.year, month = firstDue.month
        var balance = p
        for k in 1...n {
            if k > 1 {
                month += 1
                if month == 13 { month = 1; year += 1 }
            }
            let i = interest(balance, k == 1 ? rn * firstUnits : rate30)
            var pr: UInt64
            switch t.method {
            case .annuity: pr = min(balance, installment > i ? installment - i : 0)
            case .equalPrincipal: pr = min(balance, fixedPrincipal)
            default: pr = 0
            }
            if k == n { pr = balance }
            balance -= pr
            let due = CivilDate(unchecked: year, month, min(day, CivilDate.daysInMonth(year: year, month: month)))
            rows.append(CompactRow(period: k, kind: .installment, dueDate: due, principal: Int128(pr), interest: Int128(i),
                                   carried: 0, balance: Int128(balance)))
            if t.stopAtPayoff && balance == 0 { break }
        }
        return true
    }
}

extension LoanEngine.Input {
    /// A loan's schedule: due dates from `start`, or from `firstDue` (offset -1).
    init(_ t: LoanTerms) {
        self.init(principal: t.principal.units, rate: t.rate, feeRate: t.feeRate, periods: t.term, method: t.method,
                  from: t.start, anchor: t.firstDue ?? t.start, offset: t.firstDue == nil ? 0 : -1,
                  basis: t.basis, rounding: t.rounding, scale: t.scale, stopAtPayoff: true)
    }
}

/// Division of 64-bit values by a divisor fixed in advance, by multiplication with its
/// reciprocal `floor((2^64 - 1) / d)`: the estimate is at most 2 below the quotient.
struct Reciprocal {
    let d: UInt64
    let m: UInt64

    init(_ d: UInt64) {
        precondition(d > 0)
        self.d = d
        m = UInt64.max / d
    }

    @inline(__always) func quotientAndRemainder(_ t: UInt64) -> (quotient: UInt64, remainder: UInt64) {
        var q = t.multipliedFullWidth(by: m).high
        var r = t &- q &* d
        while r >= d { q &+= 1; r &-= d }
        return (q, r)
    }
}
